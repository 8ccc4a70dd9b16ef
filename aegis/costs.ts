/**
 * What Aegis's TypeScript services cost in emulated cycles.
 *
 * The hot paths are executed MIPS code and cost what they execute. The management services
 * (allocation, environment creation, revocation, slice bookkeeping) run in TypeScript behind a
 * hypercall; each is charged the figure below, an estimate of the instructions a MIPS
 * implementation of the same work would execute. Every figure printed next to the paper's says
 * how much of it came from this table ("modeled").
 *
 * @module
 */

/** Declared cost of each TypeScript service, in cycles. */
export const COSTS = {
  /** Find a free page, make two capabilities, record the owner: a bitmap scan and a few stores. */
  alloc: 60,
  /** Check the capability, clear the page's bindings from the TLB (64 entries) and mark it free. */
  dealloc: 120,
  /** Derive the read-only capability: one check, one load. */
  capReadonly: 15,
  /** Validate and store a handler, an entry point or a save area. */
  setHandler: 20,
  /** Create an environment: clear a record page, set its defaults, find an ASID. */
  envAlloc: 400,
  /** Destroy an environment: free its pages and slices, purge its ASID from TLB and STLB. */
  envFree: 800,
  /** Take or release a slice position. */
  slice: 25,
  /** Remove one mapping from the TLB and the STLB. */
  tlbVaDelete: 30,
  /** Install a guaranteed mapping. */
  guaranteed: 25,
  /** Give an environment an ASID (more when one has to be taken back from another). */
  asid: 40,
  /** Purge an ASID's entries from the 4096-entry STLB and the TLB when recycling it. */
  asidRecycle: 4200,
  /** The clock tick: acknowledge the clock, advance the slice vector, pick who runs. */
  tick: 60,
  /** Save one context and load another on a preemption (two passes over 32 registers). */
  contextSwitch: 80,
  /** Answer one of the small queries (GETID, EXPORT) or report an unhandled exception. */
  query: 10,
  /** Start a revocation or repossess a page by force, breaking its bindings. */
  revoke: 200,
  /** A network call's checks: the page's capability and owner, the filter's record. */
  netCall: 40,
  /** Check a new filter against one installed already for overlap (byte constraints). */
  filterCheck: 60,
  /**
   * Emit one instruction of compiled filter code: the paper says VCODE, which DPF uses, emits
   * about 10 instructions per instruction it generates.
   */
  dpfInstruction: 10,
  /** Inspect and rewrite one instruction of an ASH: decode, check registers, emit its sandbox. */
  ashInstruction: 20,
} as const;
