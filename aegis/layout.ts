/**
 * Aegis's memory layout, defined once for the TypeScript and the assembly.
 *
 * Everything the kernel keeps lives in unmapped kernel memory (kseg0), so the exception paths
 * never take a TLB miss of their own, and so there is one truth: the assembly and the TypeScript
 * services read and write the same words (aegis/state.ts), and a snapshot of RAM is a snapshot
 * of the kernel.
 *
 *   0x80000000  UTLB-miss vector (the STLB refill)
 *   0x80000080  general vector (dispatch, forwarding), then the rest of the kernel text,
 *               assembled at boot in one piece (aegis/boot.ts)
 *   0x8000ff00  the idle loop
 *   0x80010000  kernel globals (G), the ASID owners, the slice vector
 *   0x80011000  the system-call table
 *   0x80012000  the revocation list: pages being revoked, with their deadlines
 *   0x80013000  the network: its counters, the interrupt path's register save area and the
 *               packet filters (N, F; aegis/network.ts)
 *   0x80016000  the compiled packet filters (DPF code, aegis/dpf.ts)
 *   0x80018000  the sandboxed ASHs, one 4 KB slot each (aegis/ash.ts)
 *   0x80020000  the STLB: 4096 entries of 8 bytes (EntryHi, EntryLo), direct-mapped (exported)
 *   0x80028000  the free-page bitmap, one bit per physical page (exported: four pages)
 *   0x8002c000  the kernel stack (the system-call path with a stack), not exported
 *   0x80030000  the trampoline page, mapped read-only in every environment
 *   0x80040000  environment records, one 4 KB page each (each exported to its own environment)
 *   0x800c0000  the page table: 32 bytes per physical page (owner, two capabilities, flags)
 *   then        the pages environments may allocate
 *
 * Environments see the trampoline and the exported structures through guaranteed mappings at the
 * top of kuseg, which the kernel itself installs on a TLB miss; their own guaranteed mappings
 * (GUARANTEE) live below 0x10000.
 *
 * @module
 */

import { ENV_RECORD } from "./abi.ts";

/** Bytes in a page. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;

/** Kernel addresses (kseg0). */
export const K = {
  UTLB_VECTOR: 0x80000000,
  GENERAL_VECTOR: 0x80000080,
  IDLE: 0x8000ff00,
  TEXT_END: 0x8000ff00,
  GLOBALS: 0x80010000,
  SYSCALL_TABLE: 0x80011000,
  REVOCATIONS: 0x80012000,
  NET: 0x80013000,
  DPF_CODE: 0x80016000,
  ASH_CODE: 0x80018000,
  STLB: 0x80020000,
  FREE_BITMAP: 0x80028000,
  /** The kernel stack, for the system-call path that has one: 4 KB below this address. */
  STACK_TOP: 0x8002d000,
  TRAMPOLINE: 0x80030000,
  ENVS: 0x80040000,
  PAGE_TABLE: 0x800c0000,
} as const;

/**
 * Offsets of the kernel globals from K.GLOBALS. Times are 64-bit cycle counts kept as two words
 * (low, high) by aegis/state.ts.
 */
export const G = {
  /** kseg0 address of the running environment's record, 0 while the kernel idles. */
  CURENV: 0x000,
  /** The slice position in progress. */
  SLICE_POS: 0x004,
  /** The id of the environment in its end-of-slice upcall, or 0. */
  UPCALL: 0x008,
  /** The ASID the next recycling considers first (a clock hand over 1..63). */
  ASID_HAND: 0x00c,
  /** How many pages are on the revocation list. */
  REVOKING: 0x010,
  /** The environment the current accounting window is charged to (0: none). */
  WINDOW_OWNER: 0x014,
  /** When the current accounting window began: the slice's start, or the upcall's. */
  WINDOW_START: 0x018,
  /** The host's cycle counter (HOST_CYCLES) when the window began. */
  WINDOW_HOST: 0x020,
  /** Cycles the host has spent acting for environments (they belong to no slice). */
  HOST_CYCLES: 0x028,
  /**
   * The Status every environment starts from: the interrupts the kernel takes in user mode
   * (IM bits) and the KU/IE stack an exception from user mode leaves (0x3c); an environment's
   * own E.STATUS adds its coprocessor usability.
   */
  USER_STATUS: 0x030,
  /** Slice-clock ticks since boot (CLOCK). */
  TICKS: 0x034,
  /** The ASID owners: 64 words, the id of the environment holding each ASID (0: free). */
  ASID_OWNER: 0x100,
  /** The slice vector: 256 words, the id of the environment holding each position (0: free). */
  SLICES: 0x200,
} as const;

/** Entries of the revocation list (K.REVOCATIONS): page, owner, deadline (two words). */
export const REV = {
  ENTRY_BYTES: 16,
  PAGE: 0,
  OWNER: 4,
  DEADLINE: 8,
  /** Entries that fit in its page. */
  MAX: 256,
} as const;

/** The STLB's geometry. */
export const STLB = {
  ENTRIES: 4096,
  ENTRY_BYTES: 8,
} as const;

/** Environment records and ids. */
export const ENV = {
  /** Environment slots; slot 0 is never used, so ids are never 0. */
  SLOTS: 128,
  /** Bytes per record: one page, so a record can be exported alone. */
  BYTES: PAGE_SIZE,
  /** An id is generation << SLOT_BITS | slot. */
  SLOT_BITS: 7,
  /** The generations a slot goes through before it retires: ids are never reused. */
  GENERATIONS: 1 << 24,
} as const;

/** Offsets of the fields of an environment record. */
export const E = {
  /** The environment's id (generation << 7 | slot); 0 when the slot is free. */
  ID: ENV_RECORD.ID,
  /** Its address-space id, 1..63, or 0 when it has none at the moment. */
  ASID: 0x004,
  /** kseg0 address of its save area (six words: see abi.ts SAVE_AREA_BYTES). */
  SAVE: 0x008,
  /** Synchronous protected-entry point (0: refused). */
  SYNC_ENTRY: 0x00c,
  /** Asynchronous protected-entry point (0: refused). */
  ASYNC_ENTRY: 0x010,
  /** Start-of-slice entry point (0: resume where it was). */
  SLICE_START: 0x014,
  /** End-of-slice entry point (0: the kernel saves the context and switches). */
  SLICE_END: 0x018,
  /**
   * Its time balance, in cycles: the CPU time charged to it less the slices it was entitled to
   * (positive: excess time it owes; negative: time it is owed).
   */
  EXCESS: 0x01c,
  /** The pc the environment was interrupted at, for its start- or end-of-slice handler. */
  RESUME_PC: ENV_RECORD.RESUME_PC,
  /** Number of entries in the repossession vector. */
  REPOSSESSED_COUNT: 0x024,
  /** The environment it donated its slices to by a synchronous call (id, or 0). */
  DONATED_TO: 0x028,
  /** The id of the environment that created it (0: the host made it, or its parent ended). */
  PARENT: 0x02c,
  /** Pages pinned against repossession: PINNED_MAX page numbers, -1 where unused. */
  PINNED: 0x030,
  /** Exception handlers, one word per handler code (code * 4 from here; HANDLER codes too). */
  HANDLERS: 0x040,
  /** The id of its tree's root: the environment the host created that it descends from. */
  ROOT: 0x088,
  /** The ASID in EntryHi form (ASID << 6), for the assembly; 0 when the ASID is. */
  ENTRYHI: 0x090,
  /** End-of-slice upcalls in a row that ran into the next tick. */
  STRIKES: 0x094,
  /**
   * Its status register as a transfer installs it: G.USER_STATUS's interrupt mask and KU/IE
   * stack, and its coprocessor usability (CU1, set with FPU_MOD).
   */
  STATUS: 0x098,
  /** How many guaranteed mappings the environment holds. */
  GUARANTEED_COUNT: 0x0a0,
  /** How many notices wait (NOTICES). */
  NOTICE_COUNT: 0x0a4,
  /** The default save area, used until the environment names one. */
  DEFAULT_SAVE: 0x0c0,
  /** Its name, for people: up to 31 bytes of UTF-8, NUL-terminated. */
  NAME: 0x0e0,
  /** Bytes of NAME. */
  NAME_BYTES: 32,
  /** The saved context: 32 registers, then hi, lo, pc. */
  CONTEXT: 0x100,
  /** The repossession vector: physical page numbers taken by force. */
  REPOSSESSED: 0x400,
  /** Room in the repossession vector. */
  REPOSSESSED_MAX: 128,
  /** Its guaranteed mappings: (EntryHi VPN, EntryLo) pairs. */
  GUARANTEED: 0x600,
  /** Notices waiting for delivery: (handler code, value) pairs, oldest first. */
  NOTICES: 0x800,
  /** Room for notices. */
  NOTICES_MAX: 64,
  /** The slot's generation: survives the record's reuse, so a dead id never matches. */
  GENERATION: 0xffc,
} as const;

/** Offsets in the saved context (E.CONTEXT + these). */
export const CTX = { HI: 128, LO: 132, PC: 136 } as const;

/** Entries of the page table: 32 bytes per physical page. */
export const PT = {
  ENTRY_BYTES: 32,
  /** log2(ENTRY_BYTES), for the assembly. */
  ENTRY_SHIFT: 5,
  /** Owner environment id, 0 when free. */
  OWNER: 0,
  /** Read-write capability, low and high words. */
  CAP_RW: 4,
  /** Read-only capability, low and high words. */
  CAP_RO: 12,
  /** Flags (PTF). */
  FLAGS: 20,
} as const;

/** Page-table flags. */
export const PTF = {
  /** The page belongs to the kernel and is never allocated. */
  KERNEL: 1,
  /** The page is being revoked (it is on the revocation list). */
  REVOKING: 2,
} as const;

/** User addresses of the guaranteed mappings, at the top of kuseg. */
export const U = {
  /** Start of the guaranteed-mapping region: TLBwr refuses addresses from here up. */
  GUARANTEED: 0x7ff00000,
  /** The STLB, read-only (8 pages). */
  STLB: 0x7ff00000,
  /** The free-page bitmap, read-only (up to 4 pages). */
  FREE_BITMAP: 0x7ff10000,
  /** The environment's own record, read-only. */
  ENV: 0x7ff20000,
  /** The trampoline, read-only and executable. */
  TRAMPOLINE: 0x7fff0000,
  /**
   * Never mapped: a handler address that means "the TypeScript handler". Aegis forwards the
   * exception there as to any handler; the fetch misses in the guaranteed region and the kernel,
   * seeing this address, returns to user mode there and runs the TypeScript function for the
   * environment, with every register as the trap left it (aegis/host.ts).
   */
  TS_HANDLER: 0x7fff1000,
  /** Never mapped: an entry point that means "the TypeScript entry function", likewise. */
  TS_ENTRY: 0x7fff2000,
  /** One past the end of kuseg. */
  END: 0x80000000,
} as const;

/** The trampoline's entry points, as offsets from its start. */
export const TRAMP = {
  /** `syscall` then a stop: the host runs a system call for an environment from here. */
  SYSCALL: 0x000,
  /** Where such a system call returns to. */
  SYSCALL_DONE: 0x004,
  /** The default exception handler: reports the exception to the kernel, which ends the env. */
  UNHANDLED: 0x010,
  /** A loop that yields forever: where an environment with nothing to run starts. */
  YIELD_LOOP: 0x020,
} as const;

/**
 * The byte offset in the STLB of the slot for user address `va` in address space `asid`: the
 * VPN's low 12 bits hashed with its EntryHi word (VPN | ASID << 6), so that environments using
 * the same addresses do not all meet in one slot. The assembly computes the same.
 */
export function stlbOffset(va: number, asid: number): number {
  return ((va >>> 9) ^ ((va & 0xfffff000) | (asid << 6))) & 0x7ff8;
}

/** kseg0 address of physical page `p`'s page-table entry. */
export function pteAddress(p: number): number {
  return K.PAGE_TABLE + p * PT.ENTRY_BYTES;
}

/** The page table's size for `ramBytes` of RAM, in bytes. */
export function pageTableBytes(ramBytes: number): number {
  return (ramBytes / PAGE_SIZE) * PT.ENTRY_BYTES;
}

/** The first physical page number environments may allocate with `ramBytes` of RAM. */
export function firstFreePage(ramBytes: number): number {
  const end = (K.PAGE_TABLE & 0x1fffffff) + pageTableBytes(ramBytes);
  return Math.ceil(end / PAGE_SIZE);
}

/** kseg0 address of environment slot `slot`'s record. */
export function envRecord(slot: number): number {
  return K.ENVS + slot * ENV.BYTES;
}

/** The slot an environment id names. */
export function slotOfId(id: number): number {
  return id & (ENV.SLOTS - 1);
}

/** Hypercall codes the kernel's assembly uses to reach its TypeScript services. */
export const HC = {
  /** A system call implemented in TypeScript (the number is in v0). */
  SYSCALL: 0x100,
  /** The clock, or the revocation deadline (software interrupt 0), interrupted. */
  INTERRUPT: 0x101,
  /** A TLB miss in a guaranteed region the STLB could not refill. */
  GUARANTEED: 0x102,
  /** The environment a transfer or yield just made current has no ASID: give it one. */
  ASID: 0x103,
} as const;

/** The network's words, as offsets from K.NET (aegis/network.ts). */
export const N = {
  /** The next receive descriptor the kernel looks at. */
  RX_NEXT: 0x000,
  /** The next transmit descriptor the kernel fills. */
  TX_NEXT: 0x004,
  /** Frames taken from the receive ring. */
  RECEIVED: 0x008,
  /** Frames no filter claimed. */
  DROPPED: 0x00c,
  /** Frames the LANCE marked bad (CRC, a chain without its end). */
  ERRORS: 0x010,
  /** Interrupts that found MISS set: frames the LANCE had no buffer for. */
  MISSED: 0x014,
  /** Frames handed to the LANCE to send. */
  SENT: 0x018,
  /** The classifier the receive path runs: 0 the compiled filters (DPF), 1 the interpreter (MPF). */
  ENGINE: 0x01c,
  /** Whether the LANCE's interrupt is enabled (the first filter enables it). */
  ENABLED: 0x020,
  /** Live filters. */
  FILTERS: 0x024,
  /** Words of compiled filter code at K.DPF_CODE. */
  DPF_WORDS: 0x028,
  /** The interrupt path's save area: the registers it uses, by number (32 words). */
  SAVE: 0x100,
  /** What the receive path keeps while an ASH runs: frame, length, descriptor, record, ra. */
  ASH_STATE: 0x180,
  /** The callee-saved registers an ASH may use: s0-s7, gp, sp, fp (11 words). */
  ASH_SAVE: 0x1a0,
  /** The filter records: NET_FILTERS of F.BYTES each. */
  FILTERS_AT: 0x400,
} as const;

/** Fields of a filter record (K.NET + N.FILTERS_AT + id * F.BYTES). */
export const F = {
  BYTES: 0x100,
  /** The owner's id; 0 when the record is free. */
  OWNER: 0x00,
  /** Atoms. */
  COUNT: 0x04,
  /** The shortest frame it accepts: its length check and the end of its last atom. */
  LENGTH: 0x08,
  /** Frames it matched. */
  MATCHED: 0x0c,
  /** Frames copied into its ring. */
  DELIVERED: 0x10,
  /** Frames dropped because the next slot of its ring was full (or it has none). */
  OVERRUN: 0x14,
  /** Receive slots in its ring. */
  SLOTS: 0x18,
  /** The next slot the kernel fills. */
  NEXT: 0x1c,
  /** kseg0 address of its sandboxed ASH, 0 for none. */
  ASH: 0x20,
  /** kseg0 address of the ASH's page. */
  ASH_PAGE: 0x24,
  /** ASH runs. */
  ASH_RUNS: 0x28,
  /** ASH runs stopped (out of budget, or a load past the frame). */
  ASH_ABORTS: 0x2c,
  /** The length check as given. */
  MIN_LENGTH: 0x30,
  /** The slots: NET_SLOTS kseg0 addresses. */
  SLOT: 0x40,
  /** The atoms as given, three words each (offset | size << 16, mask, value). */
  ATOMS: 0x80,
} as const;

/** Cause.IP0, software interrupt 0: the revocation deadline's interrupt (aegis/revocation.ts). */
export const DEADLINE_INTERRUPT = 0x100;
