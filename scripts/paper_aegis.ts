/**
 * The paper's Aegis table, measured: how many instructions and cycles the kernel's hot paths take
 * on the emulated DECstation, beside the figures the exokernel paper reports (shared/PAPER.md,
 * "Aegis primitives").
 *
 * Every path here is MIPS assembly from aegis/ (exceptions.ts, syscalls.ts, pct.ts, bindings.ts),
 * executed by the emulated CPU; no TypeScript runs inside a measured span, so modeledCycles is 0
 * (a row says why in `note` if not).
 * A row counts the kernel's instructions for one primitive: everything the CPU executes from the
 * first instruction at the exception vector through the `rfe` that leaves the kernel, which is
 * all that runs between the user instruction that trapped and the next user instruction. The
 * trapping instruction itself (a `syscall`, an `addi`, a `sw`, a `lw`) belongs to the user and is
 * not counted, although the CPU counts it as issued. Cycles are one per instruction plus the two
 * cycles the timing model charges to enter an exception (machine/timing.ts).
 *
 * - null syscall: SYS.NULL from the trampoline: vector, dispatch, sys_null, the return to the
 *   instruction after `syscall`.
 * - exception dispatch (overflow): a user `addi` that overflows: vector, save t0-t2 in the save
 *   area, load EPC, BadVAddr and Cause, up to (not including) the handler's first instruction.
 * - exception dispatch (protection): a user `sw` to a page mapped read-only (Mod): the same span.
 * - protected control transfer (sync): SYS.SCALL from the trampoline: vector, dispatch,
 *   sys_scall, up to (not including) the callee's synchronous entry (a guest loop it set with
 *   SET_ENTRY: an environment takes no protected calls until it does), in the callee's ASID.
 * - protected control transfer (async): SYS.ACALL likewise, up to the asynchronous entry.
 * - STLB refill: a user `lw` of a page whose binding is in the STLB but not in the TLB: the UTLB
 *   vector's refill, up to the load's reexecution (not counted either).
 * - TLBwr: SYS.TLBWR of a writable binding with the page's read-write capability, for a virtual
 *   page not in the TLB (so `tlbp` misses and `tlbwr` installs it): the whole call.
 *
 * Each row is taken warm and repeated until two runs in a row agree; a run in which any other
 * exception was taken (the clock, or a TLB entry the refill's random replacement evicted) is
 * thrown away and redone.
 *
 * Run it with `deno run -A scripts/paper_aegis.ts`, or `exo paper aegis [--json]`.
 *
 * @module
 */

import { asm, DECstation, EXC, TLB } from "../machine/mod.ts";
import type { Program } from "../machine/asm/mod.ts";
import { Aegis, type Environment, SYS } from "../aegis/mod.ts";
import { formatTable } from "../machine/table.ts";
import { less, measure, type Measurement, same } from "../shell/measure.ts";

/** A figure the paper reports: microseconds, instructions, or both. */
export interface PaperFigure {
  /** Microseconds on the paper's DECstation 5000/125 (25 MHz R3000). */
  us?: number;
  /** Instructions on the kernel's path. */
  instructions?: number;
}

/** One row of the table: what the emulated kernel took, and what the paper reports. */
export interface AegisRow extends Measurement {
  /** The primitive. */
  name: string;
  /** The paper's figure, or null where it publishes none. */
  paper: PaperFigure | null;
  /** Why modeledCycles is not 0, when it is not. */
  note?: string;
}

const DISPATCH: PaperFigure = { us: 1.5, instructions: 18 };

/** Where the protection row's read-only page and the refill and TLBwr rows' pages are mapped. */
const RO_VA = 0x10000000, DATA_VA = 0x10001000, TLBWR_VA = 0x10002000;

/** Instructions a guest run may take before it counts as lost (to the idle loop, say). */
const RUN_LIMIT = 10_000;

/** Tries allowed before a row is declared unsteady. */
const TRIES = 20;

/** Measures the Aegis primitives on a freshly booted machine; throws if a row never settles. */
export function measureAegis(): AegisRow[] {
  const m = new DECstation();
  const aegis = new Aegis(m);
  const caller = aegis.createEnv("caller");
  const callee = aegis.createEnv("callee");
  const entry = callee.load(asm`
        .set noreorder
entry:  b       entry
        nop
`).origin;
  callee.sys.setEntry("sync", entry);
  callee.sys.setEntry("async", entry);
  const page = caller.sys.allocPage();
  const call = (name: string, work: () => void, before = () => {}) =>
    steady(name, () => {
      before();
      const r = onlyOne(m, EXC.Sys, () => (work(), true));
      return r && less(r, 1); // the trampoline's syscall
    });
  return [
    row("null syscall", null, call("null syscall", () => caller.sys.null())),
    row("exception dispatch (overflow)", DISPATCH, overflow(aegis)),
    row("exception dispatch (protection)", DISPATCH, protection(aegis)),
    row(
      "protected control transfer (sync)",
      { us: 1.4, instructions: 30 },
      call("sync transfer", () => caller.call(SYS.SCALL, callee.id)),
    ),
    row(
      "protected control transfer (async)",
      null,
      call("async transfer", () => caller.call(SYS.ACALL, callee.id)),
    ),
    row("STLB refill", { instructions: 18 }, refill(aegis)),
    row(
      "TLBwr",
      null,
      call(
        "TLBwr",
        () => caller.sys.tlbWrite(TLBWR_VA, page, { writable: true }),
        () => forget(m, TLBWR_VA, caller.asid),
      ),
    ),
  ];
}

/** A row from a measurement, with a note when part of it was modeled. */
function row(name: string, paper: PaperFigure | null, r: Measurement): AegisRow {
  const note = r.modeledCycles === 0
    ? undefined
    : `${r.modeledCycles} cycles of TypeScript work were charged on this path`;
  return { name, ...r, paper, ...(note ? { note } : {}) };
}

/** Repeats `take` until two results in a row agree; throws if that does not happen in TRIES. */
function steady(name: string, take: () => Measurement | undefined): Measurement {
  let last: Measurement | undefined;
  for (let i = 0; i < TRIES; i++) {
    const r = take();
    if (r !== undefined && last !== undefined && same(r, last)) return r;
    last = r;
  }
  throw new Error(`${name} gave no steady measurement in ${TRIES} runs: check the kernel path`);
}

/**
 * Measures `work`; returns undefined unless it reports success and exactly one exception, `code`,
 * was taken during it (another one means the clock or a TLB eviction got in the way).
 */
function onlyOne(m: DECstation, code: number, work: () => boolean): Measurement | undefined {
  const before = m.cpu.exceptionCounts.slice();
  let ok = false;
  const r = measure(m, () => ok = work());
  const after = m.cpu.exceptionCounts;
  for (let c = 0; c < after.length; c++) {
    if (after[c] - before[c] !== (c === code ? 1 : 0)) return undefined;
  }
  return ok ? r : undefined;
}

/** Drops the TLB entry of `va` in address space `asid`, leaving its STLB binding in place. */
function forget(m: DECstation, va: number, asid: number): void {
  const cpu = m.cpu, hi = (va & TLB.VPN_MASK) | (asid << 6);
  for (let i = 0; i < cpu.tlbHi.length; i++) {
    if ((cpu.tlbHi[i] & TLB.HI_MASK) === hi) {
      cpu.tlbHi[i] = (0x80000000 | (i << 12)) | 0; // a kseg0 VPN: never matched
      cpu.tlbLo[i] = 0;
    }
  }
  cpu.invalidateCaches();
}

/**
 * Measures a guest loop in environment `e`: labels `go` (the loop's start) and `trap` (the user
 * instruction that raises exception `code`). Each run stops at `stop`; `user` is how many user
 * instructions the span executes (taken off); `before` runs with the CPU stopped at `trap`.
 */
function guestTrap(
  m: DECstation,
  e: Environment,
  p: Program,
  code: number,
  stop: number,
  user: number,
  before = () => {},
): Measurement {
  const { go, trap } = p.symbols;
  e.enter(go);
  return steady(`${e.name} trap`, () => {
    if (
      m.cpu.pc !== trap &&
      m.run({ until: trap, maxInstructions: RUN_LIMIT }).reason !== "breakpoint"
    ) {
      e.enter(go); // the clock took the CPU away: start over
      return undefined;
    }
    before();
    const r = onlyOne(m, code, () => {
      return m.run({ until: stop, maxInstructions: RUN_LIMIT }).reason === "breakpoint";
    });
    if (r === undefined) e.enter(go);
    return r && less(r, user);
  });
}

/** A new environment running `source` with `code`'s handler at its label `handler` (if any). */
function guest(aegis: Aegis, name: string, source: ReturnType<typeof asm>, code: number) {
  const e = aegis.createEnv(name);
  const p = e.load(source);
  if (p.symbols.handler !== undefined) e.sys.setHandler(code, p.symbols.handler);
  e.sys.setSaveArea(e.sys.allocPage(), 0);
  return { e, p };
}

/** Exception dispatch for an overflowing `addi`, to the handler's first instruction. */
function overflow(aegis: Aegis): Measurement {
  const { e, p } = guest(
    aegis,
    "overflow",
    asm`
        .set noreorder
go:     li      $t3, 0x7fffffff
trap:   addi    $t3, $t3, 1
        b       go
        nop
handler:
        b       go
        nop
`,
    EXC.Ov,
  );
  return guestTrap(aegis.machine, e, p, EXC.Ov, p.symbols.handler, 1);
}

/** Exception dispatch for a store to a read-only page (Mod), to the handler's first instruction. */
function protection(aegis: Aegis): Measurement {
  const { e, p } = guest(
    aegis,
    "protection",
    asm`
        .set noreorder
go:     li      $t4, ${RO_VA}
trap:   sw      $zero, 0($t4)
        b       go
        nop
handler:
        b       go
        nop
`,
    EXC.Mod,
  );
  const page = e.sys.allocPage();
  e.sys.tlbWrite(RO_VA, { number: page.number, capability: e.sys.readonlyCapability(page) });
  return guestTrap(aegis.machine, e, p, EXC.Mod, p.symbols.handler, 1);
}

/** The STLB refill for a load whose binding is in the STLB only, back to the load. */
function refill(aegis: Aegis): Measurement {
  const { e, p } = guest(
    aegis,
    "refill",
    asm`
        .set noreorder
go:     li      $t6, ${DATA_VA}
trap:   lw      $t5, 0($t6)
next:   b       go
        nop
`,
    EXC.TLBL,
  );
  e.map(DATA_VA);
  const m = aegis.machine;
  // The load issues, misses, and runs again after the refill: two user instructions.
  return guestTrap(m, e, p, EXC.TLBL, p.symbols.next, 2, () => forget(m, DATA_VA, e.asid));
}

/** The table as text: aligned columns, the paper's figures beside, and what was executed. */
export function formatAegis(rows: readonly AegisRow[]): string {
  const table = formatTable(
    [
      "primitive",
      ...["instructions", "cycles", "modeled", "us", "paper us", "paper instructions"].map((
        header,
      ) => ({ header, right: true })),
    ],
    rows.map((r) => [
      r.name,
      r.instructions,
      r.cycles,
      r.modeledCycles,
      r.us.toFixed(2),
      r.paper?.us ?? "-",
      r.paper?.instructions ?? "-",
    ]),
  );
  const modeled = rows.reduce((sum, r) => sum + r.modeledCycles, 0);
  const notes = rows.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`);
  return [
    "Aegis primitives: emulated DECstation 5000/200 (R3000A, 25 MHz) beside the paper's 5000/125",
    "",
    table,
    "",
    "Executed: kernel MIPS code from the vector through the rfe, run by the emulated CPU (the " +
    "trapping user instruction not counted); cycles include 2 per exception entry; modeled: " +
    `${modeled === 0 ? "none" : `${modeled} cycles`}.`,
    ...notes,
  ].join("\n");
}

if (import.meta.main) console.log(formatAegis(measureAegis()));
