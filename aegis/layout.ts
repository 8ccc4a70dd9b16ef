/**
 * Aegis's memory layout, defined once for the TypeScript and the assembly.
 *
 * Everything the kernel keeps lives in unmapped kernel memory (kseg0), so the exception paths
 * never take a TLB miss of their own:
 *
 *   0x80000000  UTLB-miss vector (the STLB refill)
 *   0x80000080  general exception vector (dispatch, forwarding), then the rest of the kernel
 *               text (system calls), assembled at boot in one piece
 *   0x8000ff00  the idle loop
 *   0x80010000  kernel globals (the current environment, ...)
 *   0x80011000  the system-call table
 *   0x80020000  the STLB: 4096 entries of 8 bytes (EntryHi, EntryLo), direct-mapped (exported)
 *   0x80028000  the free-page bitmap, one bit per physical page (exported)
 *   0x80030000  the trampoline page, mapped read-only in every environment
 *   0x80040000  environment records, one 4 KB page each (each exported to its own environment)
 *   0x800c0000  the page table: 16 bytes per physical page (owner, rights, capabilities)
 *   then        the pages environments may allocate
 *
 * Environments see the trampoline and the exported structures through guaranteed mappings at the
 * top of kuseg, which the kernel itself installs on a TLB miss; their own guaranteed mappings
 * (GUARANTEE) live below 0x10000.
 *
 * @module
 */

/** Bytes in a page. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;

/** Kernel addresses (kseg0). */
export const K = {
  UTLB_VECTOR: 0x80000000,
  GENERAL_VECTOR: 0x80000080,
  TEXT_END: 0x80010000,
  GLOBALS: 0x80010000,
  SYSCALL_TABLE: 0x80011000,
  STLB: 0x80020000,
  FREE_BITMAP: 0x80028000,
  TRAMPOLINE: 0x80030000,
  ENVS: 0x80040000,
  PAGE_TABLE: 0x800c0000,
} as const;

/** Offsets of the kernel globals from K.GLOBALS. */
export const G = {
  /** kseg0 address of the running environment's record. */
  CURENV: 0x0,
} as const;

/** The STLB's geometry. */
export const STLB = {
  ENTRIES: 4096,
  ENTRY_BYTES: 8,
} as const;

/** Environment records. */
export const ENV = {
  /** Environment slots; slot 0 is never used, so ids are never 0. */
  SLOTS: 128,
  /** Bytes per record: one page, so a record can be exported alone. */
  BYTES: PAGE_SIZE,
} as const;

/** Offsets of the fields of an environment record. */
export const E = {
  /** The environment's id (generation << 8 | slot); 0 when the slot is free. */
  ID: 0x000,
  /** Its address-space id, 1..63, or 0 when it has none at the moment. */
  ASID: 0x004,

  /** kseg0 address of its save area (three words: t0, t1, t2 at an exception). */
  SAVE: 0x008,
  /** Synchronous protected-entry point. */
  SYNC_ENTRY: 0x00c,
  /** Asynchronous protected-entry point. */
  ASYNC_ENTRY: 0x010,
  /** Start-of-slice entry point (0: resume where it was). */
  SLICE_START: 0x014,
  /** End-of-slice entry point (0: the kernel saves the context and switches). */
  SLICE_END: 0x018,
  /** Excess time owed, in cycles. */
  EXCESS: 0x01c,
  /** The pc the environment was interrupted at, for its start-of-slice handler. */
  RESUME_PC: 0x020,
  /** Number of entries in the repossession vector. */
  REPOSSESSED_COUNT: 0x024,
  /** The environment it donated its slices to by a synchronous call (id, or 0). */
  DONATED_TO: 0x028,
  /** The id of the environment that created it (0 for one the kernel made). */
  PARENT: 0x02c,
  /** Pages pinned against repossession: PINNED_MAX page numbers, -1 where unused. */
  PINNED: 0x030,
  /** Exception handlers, one word per handler code (code * 4 from here; HANDLER codes too). */
  HANDLERS: 0x040,
  /** The ASID in EntryHi form (ASID << 6), for the assembly; 0 when the ASID is. */
  ENTRYHI: 0x090,
  /** The default save area, used until the environment names one. */
  DEFAULT_SAVE: 0x0c0,
  /** The saved context: 32 registers, then hi, lo, pc. */
  CONTEXT: 0x100,
  /** How many guaranteed mappings the environment holds. */
  GUARANTEED_COUNT: 0x0a0,
  /** Its guaranteed mappings: (EntryHi VPN, EntryLo) pairs. */
  GUARANTEED: 0x400,
  /** The repossession vector: physical page numbers taken by force. */
  REPOSSESSED: 0x200,
  /** Room in the repossession vector. */
  REPOSSESSED_MAX: 128,
  /** The slot's generation: survives the record's reuse, so a stale id never matches. */
  GENERATION: 0xffc,
} as const;

/** Entries of the page table. */
export const PT = {
  ENTRY_BYTES: 16,
  /** Owner environment id, 0 when free. */
  OWNER: 0,
  /** Read-write capability. */
  CAP_RW: 4,
  /** Read-only capability. */
  CAP_RO: 8,
  /** Flags (PTF). */
  FLAGS: 12,
} as const;

/** Page-table flags. */
export const PTF = {
  /** The page belongs to the kernel and is never allocated. */
  KERNEL: 1,
  /** The page is being revoked. */
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
   * seeing this address, runs the TypeScript function with every register as the trap left it.
   */
  TS_HANDLER: 0x7fff1000,
  /** Never mapped: an entry point that means "the TypeScript entry function", likewise. */
  TS_ENTRY: 0x7fff2000,
  /** One past the end of kuseg. */
  END: 0x80000000,
} as const;

/** The trampoline's entry points, as offsets from its start. */
export const TRAMP = {
  /** `syscall` then a stop: TypeScript runs a system call for an environment from here. */
  SYSCALL: 0x000,
  /** Where such a system call returns to. */
  SYSCALL_DONE: 0x004,
  /** The default exception handler: reports the exception to the kernel, which ends the env. */
  UNHANDLED: 0x010,
  /** A loop that yields forever: where an environment goes after a TypeScript entry function. */
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

/** The page table's physical size for `ramBytes` of RAM, in bytes. */
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
