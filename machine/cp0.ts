/**
 * Coprocessor 0 of the R3000A: register numbers, bit fields, exception codes and vectors.
 *
 * These are the names the CPU, the kernel code and the tests share. The values are the R3000's
 * (IDT R30xx Family Software Reference Manual, ch. 3 "Exception management" and ch. 6 "Memory
 * management"); the R4000's differ and are not used here.
 *
 * @module
 */

/** CP0 register numbers. */
export const CP0 = {
  Index: 0,
  Random: 1,
  EntryLo: 2,
  Context: 4,
  BadVAddr: 8,
  EntryHi: 10,
  Status: 12,
  Cause: 13,
  EPC: 14,
  PRId: 15,
} as const;

/** Exception codes, as found in Cause bits 6:2. */
export const EXC = {
  /** Interrupt. */
  Int: 0,
  /** TLB modification: a store to a page mapped without D. */
  Mod: 1,
  /** TLB miss or invalid entry on a load or fetch. */
  TLBL: 2,
  /** TLB miss or invalid entry on a store. */
  TLBS: 3,
  /** Address error on a load or fetch (misaligned, or a kernel address from user mode). */
  AdEL: 4,
  /** Address error on a store. */
  AdES: 5,
  /** Bus error on a fetch. */
  IBE: 6,
  /** Bus error on a load or store. */
  DBE: 7,
  /** System call. */
  Sys: 8,
  /** Breakpoint. */
  Bp: 9,
  /** Reserved instruction. */
  RI: 10,
  /** Coprocessor unusable. */
  CpU: 11,
  /** Arithmetic overflow. */
  Ov: 12,
} as const;

/** Exception names indexed by code. */
export const EXC_NAMES: readonly string[] = Object.keys(EXC);

/** Status register bits. */
export const SR = {
  IEc: 1 << 0,
  KUc: 1 << 1,
  IEp: 1 << 2,
  KUp: 1 << 3,
  IEo: 1 << 4,
  KUo: 1 << 5,
  /** Interrupt mask, bits 15:8 (IM0..IM7). */
  IM: 0xff00,
  /** Isolate cache: stores do not reach memory. */
  IsC: 1 << 16,
  /** Swap caches. */
  SwC: 1 << 17,
  /** TLB shutdown (read-only). */
  TS: 1 << 21,
  /** Bootstrap exception vectors in the boot ROM. */
  BEV: 1 << 22,
  CU0: 1 << 28,
  CU1: 1 << 29,
  CU2: 1 << 30,
  CU3: 1 << 31,
} as const;

/** Status bits software may write; the rest read as written by hardware only. */
export const SR_WRITABLE = 0xf27fff3f & ~SR.TS;

/** Cause register fields. */
export const CAUSE = {
  /** Branch delay: the exception PC is the branch before the faulting instruction. */
  BD: 1 << 31,
  /** Coprocessor number of a CpU exception, bits 29:28. */
  CE_SHIFT: 28,
  /** Interrupt pending bits 15:8; IP0 and IP1 (bits 9:8) are the software interrupts. */
  IP: 0xff00,
  /** The software-writable interrupt bits. */
  SW: 0x0300,
  /** Exception code, bits 6:2. */
  EXC_SHIFT: 2,
} as const;

/** EntryHi, EntryLo and Index fields. */
export const TLB = {
  /** Number of TLB entries. */
  ENTRIES: 64,
  /** First entry TLBWR may choose: entries 0..7 are safe from random replacement. */
  RANDOM_FIRST: 8,
  VPN_MASK: 0xfffff000 | 0,
  ASID_MASK: 0xfc0,
  ASID_SHIFT: 6,
  PFN_MASK: 0xfffff000 | 0,
  /** EntryLo: non-cacheable. */
  N: 1 << 11,
  /** EntryLo: dirty, i.e. writable. */
  D: 1 << 10,
  /** EntryLo: valid. */
  V: 1 << 9,
  /** EntryLo: global, matches every ASID. */
  G: 1 << 8,
  /** Index: probe failure. */
  P: 1 << 31,
  /** The EntryLo bits the TLB keeps. */
  LO_MASK: 0xffffff00 | 0,
  /** The EntryHi bits the TLB keeps. */
  HI_MASK: 0xffffffc0 | 0,
} as const;

/** Exception vectors. */
export const VECTOR = {
  /** User TLB miss (a kuseg reference with no matching entry). */
  UTLB: 0x80000000 | 0,
  /** Every other exception. */
  GENERAL: 0x80000080 | 0,
  /** User TLB miss while Status.BEV is set. */
  BEV_UTLB: 0xbfc00100 | 0,
  /** Every other exception while Status.BEV is set. */
  BEV_GENERAL: 0xbfc00180 | 0,
  /** Reset. */
  RESET: 0xbfc00000 | 0,
} as const;

/** The R3000A's implementation and revision number (PRId). */
export const PRID_R3000A = 0x0230;
