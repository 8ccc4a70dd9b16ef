/**
 * The Aegis system-call interface: the only door into the kernel.
 *
 * Both sides import this module: the kernel's dispatch table is indexed by these numbers, and
 * library operating systems (exos/) call through them. Nothing else of aegis/ is visible to a
 * library OS.
 *
 * Calling convention (MIPS): the call number in v0, arguments in a0..a3, then `syscall`. Results
 * come back in v0 (a negative value is an error code from ERR) and, for some calls, v1. A system
 * call preserves s0-s7, gp, sp, fp and ra and may change at, v0, v1, a0-a3, t0-t9, hi and lo;
 * k0 and k1 belong to the kernel at all times.
 *
 * Protected control transfers (SCALL, ACALL) are the exception: every register reaches the callee
 * untouched, except v0, which carries the caller's environment id, and k0/k1.
 *
 * Calls that configure an environment take the target last: 0 for the caller itself, or the id
 * of an environment the caller created.
 *
 * A `syscall` in a branch delay slot is not supported: the kernel returns to EPC + 4, which is
 * the syscall itself, so the call runs again and the branch is lost. Only the caller suffers.
 *
 * Every environment has synchronous and asynchronous entry points (ENV_ALLOC and SET_ENTRY
 * refuse 0), so a protected call needs no check for a missing one.
 *
 * @module
 */

/** System-call numbers. */
export const SYS = {
  /** Does nothing; returns 0. */
  NULL: 0,
  /** Yield the rest of the slice: a0 = the environment to donate it to, or 0 for the next. */
  YIELD: 1,
  /** Synchronous protected call to environment a0: donates this slice and its future ones. */
  SCALL: 2,
  /** Asynchronous protected call to environment a0: donates the rest of this slice only. */
  ACALL: 3,
  /** TLBwr: map virtual page a0 to physical page a1 with capability a2; a3 = TLBWR flags. */
  TLBWR: 4,
  /**
   * TLBvadelete: remove the bindings of a2 virtual pages (0 or 1: one) from virtual page a0 on
   * (a1 = target env, 0 for self), from the TLB and the STLB; one call for a range.
   */
  TLBVADELETE: 5,
  /** Allocate a physical page: a0 = the page wanted, or -1 for any; v0 = page, v1 = capability. */
  ALLOC: 6,
  /** Free physical page a0, presenting its read-write capability a1. */
  DEALLOC: 7,
  /** The read-only capability of page a0, given its read-write capability a1, in v1. */
  CAP_READONLY: 8,
  /** Set the handler for exception code a0 (HANDLER codes too) to a1; a2 = target env. */
  SET_HANDLER: 9,
  /** Set the save area (SAVE_AREA_BYTES) to page a0 (capability a1), offset a2; a3 = target env. */
  SET_SAVE_AREA: 10,
  /** Set entry point a0 (ENTRY) to address a1; a2 = target env. */
  SET_ENTRY: 11,
  /** Create an environment whose entry points all start at a0 (a user address); v0 = its id. */
  ENV_ALLOC: 12,
  /** Destroy environment a0 (0 for oneself, or one's own child). */
  ENV_FREE: 13,
  /** Allocate time-slice position a0 (or -1 for any); a1 = target env; v0 = the position. */
  SLICE_ALLOC: 14,
  /** Free time-slice position a0; a1 = target env. */
  SLICE_FREE: 15,
  /** Answer a revocation: give back page a0, presenting capability a1. */
  REVOKE_ANSWER: 16,
  /** v0 = the user address where exported structure a0 (EXPORT) is mapped read-only. */
  EXPORT: 17,
  /** v0 = the caller's environment id, v1 = its ASID. */
  GETID: 18,
  /** Used by the trampoline: the environment had no handler for an exception (t0-t2 as saved). */
  UNHANDLED: 19,
  /** Pin page a0 (capability a1) so revocation never repossesses it; up to PINNED_MAX pages. */
  PIN: 20,
  /**
   * A guaranteed mapping: bind virtual page a0 (in OWN_GUARANTEED) to page a1 with capability a2,
   * a3 = TLBWR flags with the target; the kernel refills it on every miss, even after the STLB or
   * the ASID lost it, and never repossesses the page. Up to GUARANTEED_MAX per environment.
   */
  GUARANTEE: 21,
} as const;

/** How many system calls there are; a number at or above this gets ERR.NOSYS. */
export const SYSCALL_COUNT = 22;

/** Where an environment's own guaranteed mappings may go: [start, end) in kuseg. */
export const OWN_GUARANTEED = { start: 0x1000, end: 0x10000 } as const;

/**
 * The save area is six words: t0, t1, t2 as an exception found them, then t0, t1, t2 as a
 * notice (REVOKE, REPOSSESSED) found them, at this offset.
 */
export const NOTICE_SAVE = 12;

/** Bytes of a save area. */
export const SAVE_AREA_BYTES = 24;

/** How many guaranteed mappings an environment may hold. */
export const GUARANTEED_MAX = 15;

/** Names of the system calls, by number. */
export const SYS_NAMES: readonly string[] = Object.keys(SYS);

/** Error codes: every failed call returns one of these in v0 and changes nothing. */
export const ERR = {
  /** An argument is out of range. */
  INVAL: -1,
  /** The capability does not grant the page with the rights asked. */
  CAP: -2,
  /** No free physical page (or the named page is taken). */
  NOMEM: -3,
  /** No such environment (or a stale id). */
  NOENV: -4,
  /** The caller may not act on that environment or resource. */
  PERM: -5,
  /** No such system call. */
  NOSYS: -6,
  /** No free slot (environments, ASIDs, slices, pins). */
  NOSLOT: -7,
  /** An address the call may not use (kernel space, the guaranteed region, unowned memory). */
  ADDR: -8,
} as const;

/** Names of the error codes, by code. */
export function errorName(code: number): string {
  for (const [name, value] of Object.entries(ERR)) if (value === code) return name;
  return `error ${code}`;
}

/** What each error code means, and what to do about it, for messages. */
export const ERR_TEXT: Readonly<Record<number, string>> = {
  [ERR.INVAL]: "an argument is out of range (a page number, code, selector, offset or position)",
  [ERR.CAP]: "the capability does not grant that page with the rights asked: present the page's " +
    "read-write capability (the read-only one maps read-only only)",
  [ERR.NOMEM]: "no free physical page, or the page named is taken",
  [ERR.NOENV]: "no such environment: the id is wrong or stale",
  [ERR.PERM]: "not permitted: act on yourself, your own children, and pages you own",
  [ERR.NOSYS]: "no such system call",
  [ERR.NOSLOT]: "no free slot (environments, ASIDs, slices, pins or guaranteed mappings)",
  [ERR.ADDR]: "an address the call may not use: kernel space, the guaranteed region at " +
    "0x7ff00000 and up, or memory the caller does not own",
};

/** TLBWR flags (a3); the target environment's id sits above them (TLBWR_TARGET_SHIFT). */
export const TLBWR = {
  /** Map writable (EntryLo.D): needs the read-write capability. */
  WRITABLE: 1,
  /** Map uncached (EntryLo.N). */
  UNCACHED: 2,
} as const;

/** The target environment of a TLBWR: its id shifted left by this many bits, in a3. */
export const TLBWR_TARGET_SHIFT = 8;

/** Handler codes beyond the hardware's exception codes. */
export const HANDLER = {
  /** The kernel asks for a page back: t1 = the page number. */
  REVOKE: 16,
  /** The kernel took pages by force: see the repossession vector in the environment record. */
  REPOSSESSED: 17,
  /** One past the last handler code. */
  COUNT: 18,
} as const;

/** Entry points (SET_ENTRY a0). */
export const ENTRY = {
  /** Synchronous protected calls land here. */
  SYNC: 0,
  /** Asynchronous protected calls land here. */
  ASYNC: 1,
  /** Where the environment starts each slice (0: resume where it was). */
  SLICE_START: 2,
  /** Upcalled at the end of each slice (0: the kernel saves the context and switches). */
  SLICE_END: 3,
} as const;

/** Exported structures (EXPORT a0). */
export const EXPORT = {
  /** The STLB: 4096 entries of (EntryHi, EntryLo). */
  STLB: 0,
  /** The free-page bitmap: bit p set when physical page p is free. */
  FREE_BITMAP: 1,
  /** The caller's own environment record. */
  ENV: 2,
} as const;

/** How many pages an environment may pin against repossession. */
export const PINNED_MAX = 4;

/** What a TypeScript exception handler learns about an exception. */
export interface ExceptionInfo {
  /** Exception code (the hardware's, or HANDLER.REVOKE / HANDLER.REPOSSESSED). */
  code: number;
  /** Its name ("Ov", "TLBL", ..., "Revoke", "Repossessed"). */
  name: string;
  /** The exception PC. */
  epc: number;
  /** The faulting address (for REVOKE, the page; for REPOSSESSED, the vector's length). */
  badVAddr: number;
  /** The Cause register. */
  cause: number;
  /**
   * The environment's registers as the exception found them (t0-t2 included); changes made here
   * take effect when it resumes.
   */
  regs: Int32Array;
}

/**
 * A TypeScript exception handler: returns "resume" to go on at the exception PC, a number to go
 * on at that pc instead, "kill" to end the environment, or `{ exit: reason }` to end it with
 * that reason recorded (a library OS's own exit, say).
 */
export type TsHandler = (x: ExceptionInfo) => "resume" | "kill" | number | { exit: string };

/** The two result registers of a system call. */
export interface SyscallResult {
  /** v0: the result, or a negative error code. */
  v0: number;
  /** v1: a second result, where the call has one. */
  v1: number;
}

/**
 * The call path a library OS uses from TypeScript: system calls executed by the CPU in the
 * environment, and the environment's memory as its own bindings show it.
 */
export interface SyscallPath {
  /** The environment's id. */
  readonly id: number;
  /** Runs system call `number` with arguments a0..a3; returns v0 and v1. */
  call(number: number, a0?: number, a1?: number, a2?: number, a3?: number): SyscallResult;
  /** Reads the word at user address `va` through the environment's bindings; throws if unbound. */
  read32(va: number): number;
  /** Writes the word at user address `va` through a writable binding; throws if there is none. */
  write32(va: number, value: number): void;
  /** Handles exception `code` (a hardware code or HANDLER code) with a TypeScript function. */
  onException(code: number, handler: TsHandler): void;
  /** The call path of environment `id`, which this environment created (ENV_ALLOC). */
  child(id: number): SyscallPath;
}
