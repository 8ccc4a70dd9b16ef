/**
 * The Aegis system-call interface: the whole contract a library operating system sees.
 *
 * Both sides import this module: the kernel's one dispatch table is indexed by these numbers, and
 * library operating systems (exos/) call through them. Nothing else of aegis/ is visible to a
 * library OS. It holds the call numbers and, in each call's documentation, the errors it can
 * return (as JOS's kern/syscall.c lists them); the exception and handler codes with their names;
 * the capability format; and the error type.
 *
 * Calling convention (MIPS). The call number in v0, arguments in a0..a3 and, for the calls that
 * take five, t0; then `syscall`. Results come back in v0 (a negative value is an error code from
 * ERR), v1 for some calls, and a capability in a2 (low word) and a3 (high word) for the calls that
 * return one. A system call preserves s0-s7, gp, sp, fp and ra. It may change at, v0, v1, a0-a3,
 * t0-t9, hi and lo, and every one of them is afterwards either a documented result, its old value
 * or zero: no value of the kernel's own survives into user mode. k0 and k1 belong to the kernel;
 * on the way back to user mode k0 holds the address the kernel returned to (the environment's own
 * pc) and k1 is zero.
 *
 * Protected control transfers (SCALL, ACALL) are the exception: every register reaches the callee
 * untouched, except v0, which carries the caller's environment id, and k0 (the callee's entry
 * point) and k1 (zero).
 *
 * Capabilities are 64 random bits from a cryptographic source (`crypto.getRandomValues`), one
 * read-write and one read-only per allocated page, dying when the page is freed. Brute force is
 * made impractical by their length, not by a penalty: each guess costs at least one failed
 * TLBWR, and finding either of a page's two capabilities takes 2^62 guesses on average, which at
 * the measured cost of a failed TLBWR is far more than an emulated year of the whole CPU
 * (`exo paper aegis` measures the call and prints the estimate). Only the host can ask for
 * reproducible capabilities instead (AegisOptions.insecureSeed, for the fuzzer's reproductions);
 * no guest can see or choose the source.
 *
 * Calls that configure an environment take the target last: 0 for the caller itself, or the id
 * of an environment the caller created (its child). Environment ids are never reused: an id
 * names one environment forever, and a call naming a dead one gets ERR.NOENV. When an environment
 * ends, its children become owned by nobody: they live on, configure themselves, and no other
 * environment can configure them.
 *
 * A `syscall` in a branch delay slot is not supported: the kernel returns to EPC + 4, which is
 * the syscall itself, so the call runs again and the branch is lost. Only the caller suffers.
 *
 * @module
 */

import { EXC } from "../machine/cp0.ts";

/** System-call numbers; each one's documentation lists its arguments, results and errors. */
export const SYS = {
  /** Does nothing; returns 0. Errors: none. */
  NULL: 0,
  /**
   * Yields the rest of the slice: a0 = the environment to run now (its saved context resumes),
   * or 0 to let the next slice position's owner run. Returns 0 when the yielder runs again.
   * Errors: NOENV (a0 names no live environment).
   */
  YIELD: 1,
  /**
   * Synchronous protected call to environment a0, at its synchronous entry point: donates this
   * slice and its future instances. Errors: NOENV (no such environment), NOENTRY (it has set no
   * synchronous entry point).
   */
  SCALL: 2,
  /**
   * Asynchronous protected call to environment a0, at its asynchronous entry point: donates the
   * rest of this slice only. Errors: NOENV, NOENTRY.
   */
  ACALL: 3,
  /**
   * TLBwr: binds virtual page a0 (page-aligned, with TLBWR flags in its low bits) to physical
   * page a1, presenting capability a2:a3; t0 = the target (0, or a child). Errors: ADDR (a0 in
   * kernel space or the guaranteed region), INVAL (a1 is no page of RAM, or a0 has bits other
   * than the flags below the page), CAP (the capability does not grant the page with the rights
   * asked), NOENV and PERM (t0 names no live child).
   */
  TLBWR: 4,
  /**
   * TLBvadelete: removes the bindings of a1 virtual pages (0 or 1: one; at most
   * TLBVADELETE_MAX) from virtual page a0 on, from the TLB and the STLB; a2 = the target.
   * Errors: INVAL (a count above TLBVADELETE_MAX), ADDR (the range reaches the guaranteed region
   * or wraps), NOENV, PERM.
   */
  TLBVADELETE: 5,
  /**
   * Allocates a physical page: a0 = the page wanted, or -1 for any. v0 = the page, a2:a3 = its
   * read-write capability. Errors: INVAL (a0 is no page of RAM), NOMEM (no free page, or the
   * page named is taken or the kernel's).
   */
  ALLOC: 6,
  /**
   * Frees physical page a0, presenting its read-write capability a2:a3. Errors: INVAL, CAP,
   * PERM (the caller does not own the page).
   */
  DEALLOC: 7,
  /**
   * The read-only capability of page a0, given its read-write capability a2:a3; returned in
   * a2:a3. Errors: INVAL, CAP.
   */
  CAP_READONLY: 8,
  /**
   * Sets the handler for exception code a0 (HANDLER codes too) to user address a1; a2 = the
   * target. Errors: INVAL (no such code, or Int or Sys, which are the kernel's), ADDR (a1 is 0,
   * misaligned or not a user address), NOENV, PERM.
   */
  SET_HANDLER: 9,
  /**
   * Sets the save area (SAVE_AREA_BYTES) to offset a1 of page a0, owned by the target and
   * presented with its read-write capability a2:a3; t0 = the target. Errors: INVAL (no page of
   * RAM, or an offset that is misaligned or leaves no room), CAP, PERM (the target does not own
   * the page, or is no child), NOENV.
   */
  SET_SAVE_AREA: 10,
  /**
   * Sets entry point a0 (ENTRY) to user address a1 (0: none: protected calls are refused, and
   * the slice entries fall back to the kernel's defaults); a2 = the target. Errors: INVAL (no
   * such entry), ADDR (a misaligned or kernel address), NOENV, PERM.
   */
  SET_ENTRY: 11,
  /**
   * Creates a child environment that starts at user address a0 in its first slice; it accepts
   * no protected calls until it sets entry points. v0 = its id. Errors: ADDR (a0 is 0,
   * misaligned or not a user address), NOSLOT (no free environment slot).
   */
  ENV_ALLOC: 12,
  /**
   * Destroys environment a0 (0 for oneself, or one's child): its pages are freed, its bindings
   * and slices go. Errors: NOENV, PERM.
   */
  ENV_FREE: 13,
  /**
   * Allocates time-slice position a0 (or -1 for any) for the target a1; v0 = the position.
   * Errors: INVAL (no such position), NOSLOT (taken, or none free), NOENV, PERM.
   */
  SLICE_ALLOC: 14,
  /** Frees time-slice position a0 of the target a1. Errors: INVAL, PERM (not the target's), NOENV. */
  SLICE_FREE: 15,
  /**
   * Answers a revocation: gives back page a0, presenting its read-write capability a2:a3.
   * Errors: INVAL, CAP, PERM.
   */
  REVOKE_ANSWER: 16,
  /** v0 = the user address where exported structure a0 (EXPORT) is mapped. Errors: INVAL. */
  EXPORT: 17,
  /** v0 = the caller's environment id, v1 = its ASID. Errors: none. */
  GETID: 18,
  /** Used by the trampoline: the environment had no handler for an exception; it is ended. */
  UNHANDLED: 19,
  /**
   * Pins page a0 (read-write capability a2:a3), owned by the caller, so revocation never takes
   * it. Errors: INVAL, CAP, PERM (not the caller's page), NOSLOT (PINNED_MAX pins, or the
   * unrevocable limits: UNREVOCABLE_MAX, TREE_UNREVOCABLE_MAX).
   */
  PIN: 20,
  /**
   * A guaranteed mapping: binds virtual page a0 (in OWN_GUARANTEED, TLBWR flags in its low bits)
   * to page a1, owned by the target, presenting capability a2:a3; t0 = the target. The kernel
   * refills it on every miss, even after the STLB or the ASID lost it, and never repossesses the
   * page. Errors: ADDR (a0 outside OWN_GUARANTEED), INVAL, CAP, PERM (the target does not own the
   * page), NOENV, NOSLOT (GUARANTEED_MAX mappings, or the unrevocable limits).
   */
  GUARANTEE: 21,
  /**
   * FPUmod: coprocessor 1 (the FPU) usable (a0 = 1) or not (a0 = 0) for the target a1; a
   * transfer installs it with the rest of the callee's status register. exolab does not emulate
   * the FPU: an environment that runs a COP1 instruction with it usable is ended, saying so.
   * Errors: INVAL (a0 is neither 0 nor 1), NOENV, PERM.
   */
  FPU_MOD: 22,
  /**
   * GETID through the kernel's stack path (a frame on the kernel stack, the body called as a
   * kernel written in C calls it), where GETID takes the path without one: the paper's Table 4
   * "system call with stack" against "without". Results and errors as GETID.
   */
  GETID_STACK: 23,
  /**
   * Installs a packet filter (DPF): the filter's encoding (FILTER) lies at byte offset a1 of
   * page a0, which the caller owns, presented with either of its capabilities a2:a3. v0 = the
   * filter's id; from then on every frame the filter matches goes to the caller (NET_RXPAGE,
   * NET_ASH) and to no one else. Errors: INVAL (no page of RAM, a misaligned offset, or an
   * encoding that runs off the page), CAP, PERM (not the caller's page), REFUSED (the filter
   * breaks a rule: v1 = FILTER_REFUSAL reason << 16 | the atom's index, 0xffff for none), BUSY
   * (some frame would match both it and filter v1, installed already: filters never overlap),
   * NOSLOT (NET_FILTERS filters, NET_FILTERS_PER_ENV of the caller's, or no room for the
   * compiled code).
   */
  NET_FILTER: 24,
  /**
   * Removes filter a0 with its receive slots and its ASH. Errors: INVAL (no such filter), PERM
   * (another environment's).
   */
  NET_UNFILTER: 25,
  /**
   * Gives filter a0 the receive page a1 (the caller's, read-write capability a2:a3): two
   * receive slots (NET_SLOT) join the filter's ring, their status words cleared. Errors: INVAL
   * (no such filter, no page of RAM, or the page is in the ring already), CAP, PERM (another's
   * filter or page), NOSLOT (NET_SLOTS slots already).
   */
  NET_RXPAGE: 26,
  /**
   * Transmits the frame of t0 bytes (14 to 1514: destination, source, type, data; the LANCE adds
   * the FCS and pads to 60) at byte offset a1 (word-aligned) of page a0, which the caller owns,
   * presented with either capability a2:a3. Errors: INVAL (no page of RAM, a misaligned offset,
   * a length out of range, or a frame that runs off the page), CAP, PERM (not the caller's page),
   * NOSLOT (every transmit buffer is busy: try again).
   */
  NET_SEND: 27,
  /**
   * Downloads an ASH for filter a0: t0 = byte offset (word-aligned) | instruction count << 16 of
   * its code in page a1, which becomes the handler's memory (ASH), read-write capability a2:a3.
   * A count of 0 removes the filter's ASH. The code is inspected and sandboxed now; from then on
   * it runs in the kernel on each matching frame. Errors: INVAL (no such filter, no page of RAM,
   * a misaligned offset or code that runs off the page), CAP, PERM (another's filter or page),
   * REFUSED (v1 = ASH_REFUSAL reason << 16 | the instruction's index), NOSLOT (no room for the
   * sandboxed code).
   */
  NET_ASH: 28,
  /**
   * The network's numbers: a0 = NET_INFO selector. MAC: v0 = the station address's bytes 0-3
   * (byte 0 lowest), v1 = bytes 4-5. COUNTS: v0 = frames received, v1 = frames no filter claimed
   * (dropped). Errors: INVAL (no such selector).
   */
  NET_INFO: 29,
  /**
   * The slice clock: v0 = ticks since boot (modulo 2^32), v1 = nanoseconds per tick. Errors:
   * none.
   */
  CLOCK: 30,
} as const;

/** How many system calls there are; a number at or above this gets ERR.NOSYS. */
export const SYSCALL_COUNT = 31;

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
  /** No such environment (or a dead one's id). */
  NOENV: -4,
  /** The caller may not act on that environment or resource. */
  PERM: -5,
  /** No such system call. */
  NOSYS: -6,
  /** No free slot (environments, slices, pins, guaranteed mappings, unrevocable pages). */
  NOSLOT: -7,
  /** An address the call may not use (kernel space, the guaranteed region, unowned memory). */
  ADDR: -8,
  /** The callee of a protected call has set no entry point for it. */
  NOENTRY: -9,
  /** The kernel's inspection refused a packet filter or an ASH; v1 says which rule and where. */
  REFUSED: -10,
  /** The packet filter overlaps one installed already (v1): some frame would match both. */
  BUSY: -11,
} as const;

/** Names of the error codes, by code ("error -12" for one that is not). */
export function errorName(code: number): string {
  for (const [name, value] of Object.entries(ERR)) if (value === code) return name;
  return `error ${code}`;
}

/** What each error code means, and what to do about it, for messages. */
export const ERR_TEXT: Readonly<Record<number, string>> = {
  [ERR.INVAL]: "an argument is out of range (a page number, code, selector, offset, count or " +
    "position)",
  [ERR.CAP]: "the capability does not grant that page with the rights asked: present the page's " +
    "read-write capability (the read-only one maps read-only only)",
  [ERR.NOMEM]: "no free physical page, or the page named is taken",
  [ERR.NOENV]: "no such environment: the id is wrong or its environment has ended",
  [ERR.PERM]: "not permitted: act on yourself, your own children, and pages you own",
  [ERR.NOSYS]: "no such system call",
  [ERR.NOSLOT]: "no free slot (environments, slices, pins, guaranteed mappings or unrevocable " +
    "pages)",
  [ERR.ADDR]: "an address the call may not use: kernel space, the guaranteed region at " +
    "0x7ff00000 and up, or memory the caller does not own",
  [ERR.NOENTRY]: "the callee has set no entry point for that protected call (SET_ENTRY)",
  [ERR.REFUSED]: "the kernel's inspection refused the filter or handler (v1 names the rule and " +
    "where)",
  [ERR.BUSY]: "the filter overlaps a filter installed already: some frame would match both; " +
    "make it more specific",
};

/** A system call that failed: the call, its arguments and the kernel's error code. */
export class AegisError extends Error {
  /** Builds the error for `call` (with its arguments) failing with `code`. */
  constructor(
    readonly call: string,
    readonly code: number,
    readonly args: readonly number[] = [],
    detail?: string,
  ) {
    const shown = args.map((a) => (a < 0 && a > -1000 ? String(a) : "0x" + (a >>> 0).toString(16)));
    super(
      `${call}(${shown.join(", ")}) failed: ${errorName(code)} (${code}): ` +
        (detail ?? ERR_TEXT[code] ?? "an error code this library does not know"),
    );
    this.name = "AegisError";
  }
}

/** A capability: 64 bits, presented and returned in a2 (low word) and a3 (high word). */
export type Capability = bigint;

/** The two words of capability `c`, as the registers carry them: [a2 (low), a3 (high)]. */
export function capabilityWords(c: Capability): [number, number] {
  return [Number(BigInt.asIntN(32, c)), Number(BigInt.asIntN(32, c >> 32n))];
}

/** The capability in words `lo` (a2) and `hi` (a3). */
export function capabilityOf(lo: number, hi: number): Capability {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** A capability as 16 hex digits, as the REPL prints it. */
export function formatCapability(c: Capability): string {
  return "0x" + c.toString(16).padStart(16, "0");
}

/** TLBWR and GUARANTEE flags, in the low bits of the virtual address (a0). */
export const TLBWR = {
  /** Map writable (EntryLo.D): needs the read-write capability. */
  WRITABLE: 1,
  /** Map uncached (EntryLo.N). */
  UNCACHED: 2,
} as const;

/** The most pages one TLBVADELETE removes: long kernel operations are bounded. */
export const TLBVADELETE_MAX = 256;

/** Where an environment's own guaranteed mappings may go: [start, end) in kuseg. */
export const OWN_GUARANTEED = { start: 0x1000, end: 0x10000 } as const;

/** How many guaranteed mappings an environment may hold. */
export const GUARANTEED_MAX = 15;

/** How many pages an environment may pin against repossession. */
export const PINNED_MAX = 4;

/**
 * The most distinct pages one environment may hold beyond revocation's reach (pinned, or behind
 * its guaranteed mappings).
 */
export const UNREVOCABLE_MAX = 16;

/**
 * The most unrevocable pages an environment tree may hold: an environment the host created
 * and every environment descended from it. Revocation can always take every other page.
 */
export const TREE_UNREVOCABLE_MAX = 512;

/**
 * The save area is six words: t0, t1, t2 as an exception found them, then t0, t1, t2 as a
 * notice (REVOKE, REPOSSESSED) found them, at this offset.
 */
export const NOTICE_SAVE = 12;

/** Bytes of a save area. */
export const SAVE_AREA_BYTES = 24;

/** The R3000's exception codes (Cause.ExcCode), as handlers are set for them: the machine's. */
export { EXC };

/** Handler codes beyond the hardware's exception codes. */
export const HANDLER = {
  /** The kernel asks for a page back: t1 = the page number. */
  REVOKE: 16,
  /** The kernel took pages by force: see the repossession vector in the environment record. */
  REPOSSESSED: 17,
  /** One past the last handler code. */
  COUNT: 18,
} as const;

/** The name of handler code `code`: "Ov", "TLBL", ..., "Revoke", "Repossessed". */
export function handlerName(code: number): string {
  if (code === HANDLER.REVOKE) return "Revoke";
  if (code === HANDLER.REPOSSESSED) return "Repossessed";
  for (const [name, value] of Object.entries(EXC)) if (value === code) return name;
  return `code ${code}`;
}

/** A handler code by name ("Ov", "Mod", ..., "Revoke", "Repossessed"), or -1. */
export function handlerCode(name: string): number {
  if (name === "Revoke") return HANDLER.REVOKE;
  if (name === "Repossessed") return HANDLER.REPOSSESSED;
  return (EXC as Record<string, number>)[name] ?? -1;
}

/** Entry points (SET_ENTRY a0). */
export const ENTRY = {
  /** Synchronous protected calls land here (0: refused). */
  SYNC: 0,
  /** Asynchronous protected calls land here (0: refused). */
  ASYNC: 1,
  /** Where the environment starts each slice (0: resume where it was). */
  SLICE_START: 2,
  /** Upcalled at the end of each slice (0: the kernel saves the context and switches). */
  SLICE_END: 3,
} as const;

/**
 * Words a library may read in its own exported environment record (EXPORT.ENV), by offset. The
 * start- and end-of-slice entries need RESUME_PC: it is the only way such an entry learns where
 * the environment was when its slice ended or was taken.
 */
export const ENV_RECORD = {
  /** The environment's id. */
  ID: 0x000,
  /** Where the environment was: the pc its start- or end-of-slice entry is to go back to. */
  RESUME_PC: 0x020,
} as const;

/** Exported structures (EXPORT a0), mapped read-only at the top of kuseg. */
export const EXPORT = {
  /** The STLB: 4096 entries of (EntryHi, EntryLo). */
  STLB: 0,
  /** The free-page bitmap: bit p set when physical page p is free. */
  FREE_BITMAP: 1,
  /** The caller's own environment record. */
  ENV: 2,
} as const;

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
 * that reason recorded (a library OS's own exit, say). A handler that throws ends the
 * environment with the error as the reason.
 */
export type TsHandler = (x: ExceptionInfo) => "resume" | "kill" | number | { exit: string };

/** The result registers of a system call. */
export interface SyscallResult {
  /** v0: the result, or a negative error code. */
  v0: number;
  /** v1: a second result, where the call has one. */
  v1: number;
  /** a2: a returned capability's low word, where the call returns one. */
  a2: number;
  /** a3: a returned capability's high word. */
  a3: number;
}

/**
 * The call path a library OS uses from TypeScript: system calls executed by the CPU in the
 * environment, and the environment's memory as its own bindings show it.
 */
export interface SyscallPath {
  /** The environment's id. */
  readonly id: number;
  /** Runs system call `number` with arguments a0..a3 and t0; returns the result registers. */
  call(
    number: number,
    a0?: number,
    a1?: number,
    a2?: number,
    a3?: number,
    t0?: number,
  ): SyscallResult;
  /** Reads the word at user address `va` through the environment's bindings; throws if unbound. */
  read32(va: number): number;
  /** Writes the word at user address `va` through a writable binding; throws if there is none. */
  write32(va: number, value: number): void;
  /** Handles exception `code` (a hardware code or HANDLER code) with a TypeScript function. */
  onException(code: number, handler: TsHandler): void;
  /** The call path of environment `id`, which this environment created (ENV_ALLOC). */
  child(id: number): SyscallPath;
}

// ---- the network ------------------------------------------------------------------------------

/**
 * One comparison of a packet filter: the big-endian number of `size` bytes at byte `offset` of
 * the frame (counted from the destination address; the FCS is not part of the frame), ANDed with
 * `mask`, equals `value`. A filter is a conjunction of atoms and a length check.
 */
export interface FilterAtom {
  /** Byte offset in the frame. */
  offset: number;
  /** Bytes compared: 1, 2 or 4. */
  size: 1 | 2 | 4;
  /** The bits compared (within `size` bytes); all of them by default. */
  mask?: number;
  /** What those bits must be. */
  value: number;
}

/** A packet filter: every atom holds, and the frame has at least `minLength` bytes. */
export interface Filter {
  /** The comparisons, all of which must hold (1 to FILTER_MAX_ATOMS). */
  atoms: readonly FilterAtom[];
  /** The shortest frame the filter accepts, in bytes (default 0: as long as the atoms reach). */
  minLength?: number;
}

/**
 * The encoding of a filter, as NET_FILTER reads it from the caller's page: word 0 = the atom
 * count | minLength << 16, then per atom three words: offset | size << 16, mask, value.
 */
export const FILTER = {
  /** The most atoms a filter may have. */
  MAX_ATOMS: 8,
  /** The longest frame there is (no FCS): no atom may reach past it. */
  MAX_FRAME: 1514,
  /** Bytes of an encoding with `n` atoms: 4 + 12 n. */
  bytes: (n: number) => 4 + 12 * n,
} as const;

/** The most filters Aegis holds. */
export const NET_FILTERS = 32;
/** The most filters of one environment. */
export const NET_FILTERS_PER_ENV = 16;
/** The most receive slots a filter's ring may have (two per page). */
export const NET_SLOTS = 16;

/**
 * A receive slot: 2048 bytes, two per receive page (offsets 0 and 2048). Word 0 is the status:
 * 0 while the slot is the kernel's to fill, the frame's length in bytes once it holds a frame
 * (the frame itself follows, from byte 4, without its FCS). The library writes 0 to give the
 * slot back. The kernel fills the slots of a ring in order and drops a frame (counting an
 * overrun) when the next slot is still full.
 */
export const NET_SLOT = { BYTES: 2048, STATUS: 0, FRAME: 4 } as const;

/** Why NET_FILTER refused a filter (v1 >> 16). */
export const FILTER_REFUSAL = {
  /** No atoms, or more than FILTER.MAX_ATOMS. */
  COUNT: 1,
  /** An atom's size is not 1, 2 or 4. */
  SIZE: 2,
  /** An atom reaches past the longest frame (FILTER.MAX_FRAME bytes). */
  OFFSET: 3,
  /** An atom's mask is zero or has bits beyond its size. */
  MASK: 4,
  /** An atom's value has bits outside its mask. */
  VALUE: 5,
  /** The length check asks for more than FILTER.MAX_FRAME bytes. */
  LENGTH: 6,
  /** Two atoms contradict each other: no frame could match. */
  NEVER: 7,
} as const;

/** Why NET_ASH refused a handler (v1 >> 16). */
export const ASH_REFUSAL = {
  /** No instructions, or more than ASH.MAX_INSTRUCTIONS. */
  LENGTH: 1,
  /** An instruction the sandbox does not allow (traps, HI/LO, coprocessors, system calls). */
  OPCODE: 2,
  /** An instruction names a register the sandbox keeps (ASH.RESERVED). */
  REGISTER: 3,
  /** A branch whose target lies outside the handler. */
  BRANCH: 4,
  /** A delay slot holding a load, store, branch or jump, or a branch with no delay slot. */
  DELAY: 5,
  /** A jump other than `jal` to a helper (ASH_HELPER) or the return, `jr $ra`. */
  JUMP: 6,
} as const;

/** The explanation of each refusal, for messages: [filter reasons, ASH reasons]. */
export const REFUSAL_TEXT = {
  filter: {
    [FILTER_REFUSAL.COUNT]: `a filter has 1 to ${FILTER.MAX_ATOMS} atoms`,
    [FILTER_REFUSAL.SIZE]: "an atom compares 1, 2 or 4 bytes",
    [FILTER_REFUSAL.OFFSET]: `an atom must end within the longest frame, ${FILTER.MAX_FRAME} bytes`,
    [FILTER_REFUSAL.MASK]: "an atom's mask must be nonzero and fit its size",
    [FILTER_REFUSAL.VALUE]: "an atom's value must have no bits outside its mask",
    [FILTER_REFUSAL.LENGTH]: `the length check may ask for at most ${FILTER.MAX_FRAME} bytes`,
    [FILTER_REFUSAL.NEVER]: "two atoms contradict each other, so no frame could match",
  } as Record<number, string>,
  ash: {
    [ASH_REFUSAL.LENGTH]: "a handler has 1 to 256 instructions",
    [ASH_REFUSAL.OPCODE]: "the sandbox allows only ALU instructions that cannot trap, loads and " +
      "stores (lb, lbu, lh, lhu, lw, sb, sh, sw), branches, jal to a helper and jr $ra",
    [ASH_REFUSAL.REGISTER]: "at, k0, k1, gp, sp, fp and ra belong to the sandbox",
    [ASH_REFUSAL.BRANCH]: "a branch must land inside the handler (or just past its end)",
    [ASH_REFUSAL.DELAY]: "a delay slot must hold an ALU instruction (a nop will do)",
    [ASH_REFUSAL.JUMP]: "the only jumps are jal to a helper (ASH_HELPER) and jr $ra to return",
  } as Record<number, string>,
} as const;

/**
 * Application-specific handlers (ASHs): a handler is MIPS code run by the kernel when a frame
 * matches its filter, with interrupts off, sandboxed. It sees two segments, addressed modulo
 * 8 KB: its page at DATA (read and write) and the frame at MESSAGE (read only, as long as the
 * frame; a load beyond it aborts the handler). Stores always land in its page. At entry a0 =
 * the frame's length (no FCS) and a1 = the filter's id; it returns (jr $ra, or by running off
 * its end) with v0 = 0 when it consumed the frame, anything else to have the frame delivered
 * to the filter's ring as well. A handler that runs out of its budget (BUDGET cycles of work:
 * each backward branch and each helper call spends some) or reads past the frame is stopped and
 * the frame delivered; both count as aborts.
 */
export const ASH = {
  /** Where its page starts, in its own addresses. */
  DATA: 0x0000,
  /** Where the frame starts. */
  MESSAGE: 0x1000,
  /** The most instructions a handler may have. */
  MAX_INSTRUCTIONS: 256,
  /** The work a run may do, in cycles, before it is stopped. */
  BUDGET: 25000,
  /** The registers the sandbox keeps: at, k0, k1, gp, sp, fp, ra. */
  RESERVED: [1, 26, 27, 28, 29, 30, 31] as readonly number[],
} as const;

/**
 * The helpers a handler may call with `jal` (the addresses are the handler's own; the kernel
 * links them). Each takes arguments in a0-a2, returns v0, and may change v0, v1, a0-a3 and
 * t0-t9.
 */
export const ASH_HELPER = {
  /**
   * copy(a0 = offset in its page, a1 = offset in the frame, a2 = bytes): copies frame bytes
   * into its page, adding them up as the Internet checksum does while it copies; v0 = their
   * 16-bit ones'-complement sum (not complemented), or -1 when a range falls outside the frame or
   * the page or an offset is odd.
   */
  COPY: 0x0fff0000,
  /**
   * send(a0 = offset in its page, word-aligned; a1 = bytes, 14 to 1514): transmits those bytes
   * as a frame; v0 = 0, -1 for a bad range, -2 when every transmit buffer is busy.
   */
  SEND: 0x0fff0010,
} as const;

/** NET_INFO selectors. */
export const NET_INFO = {
  /** The station address. */
  MAC: 0,
  /** Frames received, and frames no filter claimed. */
  COUNTS: 1,
} as const;

/** The encoding of `filter` as NET_FILTER reads it (see FILTER), as words. */
export function encodeFilter(filter: Filter): Int32Array {
  const out = new Int32Array(1 + 3 * filter.atoms.length);
  out[0] = (filter.atoms.length & 0xffff) | ((filter.minLength ?? 0) << 16);
  filter.atoms.forEach((a, i) => {
    const full = a.size === 4 ? -1 : (1 << (8 * a.size)) - 1;
    out[1 + 3 * i] = (a.offset & 0xffff) | (a.size << 16);
    out[2 + 3 * i] = a.mask ?? full;
    out[3 + 3 * i] = a.value;
  });
  return out;
}
