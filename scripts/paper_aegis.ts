/**
 * The paper's Aegis tables, measured the way the paper measured them (shared/PAPER.md, "Aegis
 * primitives"): Table 4 (null procedure call, system call without and with a stack), Table 5
 * (exception dispatch for unalign, overflow, coproc and prot), Table 6 (protected control
 * transfer one way, as half of a call and reply), the STLB hit and miss, and what a guess at a
 * capability costs, with the brute-force estimate it gives.
 *
 * Every row is guest code run by the emulated CPU: a loop in an environment, stopped at labels.
 * A kernel row counts the kernel's instructions for one primitive: everything from the first
 * instruction at the exception vector through the `rfe` that leaves the kernel (the trapping user
 * instruction is the user's and is not counted). The rows the paper timed with the user's part
 * (the null procedure call, the one-way transfer, the STLB miss with its upcall) say so and count
 * it. Cycles are one per instruction plus what the timing model adds (machine/timing.ts: 2 per
 * exception entry); no TypeScript runs inside a measured span unless a row's note says so.
 *
 * Each row is taken warm and repeated until two runs in a row agree; a run in which another
 * exception got in (a TLB entry the refill's random replacement evicted) is redone.
 *
 * Run it with `deno run -A scripts/paper_aegis.ts`, or `exo paper aegis [--json]`.
 *
 * @module
 */

import { asm, DECstation, EXC, TLB } from "../machine/mod.ts";
import type { AsmSource, Program } from "../machine/asm/mod.ts";
import { Aegis, capabilityWords, type Environment, SYS, TLBWR } from "../aegis/mod.ts";
import { formatTable } from "../machine/table.ts";
import { less, measure, type Measurement, same } from "../shell/measure.ts";

/** A figure the paper reports: microseconds, instructions, a range of microseconds more. */
export interface PaperFigure {
  /** Microseconds on the paper's DECstation 5000/125 (25 MHz R3000). */
  us?: number;
  /** Instructions on the kernel's path. */
  instructions?: number;
  /** Microseconds more than another row (the STLB miss: 3 to 6 more than a hit). */
  moreUs?: [number, number];
}

/** One row of the table: what the emulated kernel took, and what the paper reports. */
export interface AegisRow extends Measurement {
  /** The primitive. */
  name: string;
  /** The table of the paper it belongs to ("4", "5", "6", "text"), or "-" for exolab's own. */
  table: string;
  /** The paper's figure, or null where it publishes none. */
  paper: PaperFigure | null;
  /** Ultrix's microseconds on the same machine, or null where the paper has none. */
  ultrix: number | null;
  /** Our microseconds over the paper's, or null where the paper has no microseconds. */
  ratio: number | null;
  /** What the span covers, when it is more than the kernel's path; what was modeled. */
  note?: string;
  /** For the capability guess: emulated years to find one of a page's capabilities. */
  bruteForceYears?: number;
}

const DISPATCH: PaperFigure = { us: 1.5, instructions: 18 };

/** Addresses the rows map pages at. */
const RO_VA = 0x10000000, DATA_VA = 0x10001000, MISS_VA = 0x10002000, TLBWR_VA = 0x10003000;

/** Instructions a guest run may take before it counts as lost. */
const RUN_LIMIT = 20_000;

/** Tries allowed before a row is declared unsteady. */
const TRIES = 20;

/** Seconds in an emulated year. */
const YEAR = 365.25 * 24 * 3600;

/** Measures every row on a freshly booted machine; throws if a row never settles. */
export function measureAegis(): AegisRow[] {
  const m = new DECstation();
  const aegis = new Aegis(m);
  aegis.sliceClock(false); // runs bounded by instructions: no tick lands in a span
  const rows: AegisRow[] = [];
  const add = (
    name: string,
    table: string,
    paper: PaperFigure | null,
    ultrix: number | null,
    r: Measurement,
    note?: string,
  ) => {
    const modeled = r.modeledCycles === 0
      ? undefined
      : `${r.modeledCycles} cycles of TypeScript work were charged on this path`;
    const notes = [note, modeled].filter(Boolean).join("; ");
    rows.push({
      name,
      ...r,
      paper,
      ultrix,
      ratio: paper?.us === undefined ? null : r.us / paper.us,
      table,
      ...(notes ? { note: notes } : {}),
    });
  };
  add("null procedure call", "4", { us: 0.28 }, 0.28, procedureCall(aegis), "user code: jal, jr");
  add("system call (no stack)", "4", { us: 1.6 }, 21.3, syscall(aegis, SYS.GETID));
  add("system call (with stack)", "4", { us: 2.3 }, 21.3, syscall(aegis, SYS.GETID_STACK));
  add("null syscall", "-", null, null, syscall(aegis, SYS.NULL));
  add("exception dispatch (unalign)", "5", DISPATCH, null, dispatch(aegis, "unalign"));
  add("exception dispatch (overflow)", "5", DISPATCH, 130, dispatch(aegis, "overflow"));
  add("exception dispatch (coproc)", "5", DISPATCH, null, dispatch(aegis, "coproc"));
  add("exception dispatch (protection)", "5", DISPATCH, 154, dispatch(aegis, "protection"));
  add(
    "protected control transfer (one way)",
    "6",
    { us: 1.4 },
    null,
    oneWay(aegis),
    "half a call and reply, with a counter increment and a branch each way, user code " +
      "included (the paper's comparison is L3 on a 486, 9.3 us normalized)",
  );
  add(
    "protected control transfer (sync)",
    "text",
    { instructions: 30 },
    null,
    transfer(aegis, SYS.SCALL),
  );
  add("protected control transfer (async)", "-", null, null, transfer(aegis, SYS.ACALL));
  const hit = stlbHit(aegis);
  add("STLB hit", "text", { instructions: 18 }, null, hit);
  const miss = stlbMiss(aegis);
  add(
    "STLB miss",
    "text",
    { moreUs: [3, 6] },
    null,
    miss,
    `the upcall to the environment's handler and its TLBWR, user code included: ` +
      `${(miss.us - hit.us).toFixed(2)} us more than a hit`,
  );
  add("TLBwr", "-", null, null, tlbwr(aegis));
  const guess = capabilityGuess(aegis);
  const years = 2 ** 62 * guess.cycles / 25e6 / YEAR;
  rows.push({
    name: "capability guess (a failed TLBWR)",
    ...guess,
    paper: null,
    ultrix: null,
    ratio: null,
    table: "-",
    note: "the guessing loop's whole iteration, user code included",
    bruteForceYears: years,
  });
  return rows;
}

// ---- measuring guest code ----------------------------------------------------------------------

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
 * Measures `run`; undefined unless it succeeded and the exceptions taken during it were exactly
 * `expected` (by code; another one means a TLB eviction got in the way).
 */
function exactly(
  m: DECstation,
  expected: Partial<Record<number, number>>,
  run: () => boolean,
): Measurement | undefined {
  const before = m.cpu.exceptionCounts.slice();
  let ok = false;
  const r = measure(m, () => ok = run());
  const after = m.cpu.exceptionCounts;
  for (let c = 0; c < after.length; c++) {
    if (after[c] - before[c] !== (expected[c] ?? 0)) return undefined;
  }
  return ok ? r : undefined;
}

/**
 * A guest loop in environment `e`, program `p`: runs to label `from`, then measures the run to
 * label `to`, expecting the exceptions `expected`, taking `user` instructions off; `before` runs
 * with the CPU stopped at `from`.
 */
function span(
  m: DECstation,
  e: Environment,
  p: Program,
  from: string,
  to: string,
  expected: Partial<Record<number, number>>,
  user: number,
  before = () => {},
): Measurement {
  const start = p.symbols.go ?? p.origin, at = p.symbols[from], stop = p.symbols[to];
  e.enter(start);
  return steady(`${e.name} ${from}..${to}`, () => {
    if (
      m.cpu.pc !== at && m.run({ until: at, maxInstructions: RUN_LIMIT }).reason !== "breakpoint"
    ) {
      e.enter(start);
      return undefined;
    }
    before();
    const r = exactly(m, expected, () => {
      return m.run({ until: stop, maxInstructions: RUN_LIMIT }).reason === "breakpoint";
    });
    if (r === undefined) e.enter(start);
    return r && less(r, user);
  });
}

/** A new environment running `source`, with a save area of its own and handler `code` set. */
function guest(aegis: Aegis, name: string, source: AsmSource, code?: number) {
  const e = aegis.createEnv(name);
  const p = e.load(source);
  if (code !== undefined) e.sys.setHandler(code, p.symbols.handler);
  e.sys.setSaveArea(e.sys.allocPage(), 0);
  return { e, p };
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

// ---- the rows ----------------------------------------------------------------------------------

/** Table 4's null procedure call: a `jal` to a function that returns at once. */
function procedureCall(aegis: Aegis): Measurement {
  const { e, p } = guest(
    aegis,
    "procedure",
    asm`
        .set noreorder
go:
call:   jal     f
        nop
back:   b       go
        nop
f:      jr      $ra
        nop
`,
  );
  return span(aegis.machine, e, p, "call", "back", {}, 0);
}

/** A system call from guest code: the kernel's path from the vector to the return. */
function syscall(aegis: Aegis, number: number): Measurement {
  const { e, p } = guest(
    aegis,
    `syscall ${number}`,
    asm`
        .set noreorder
go:     li      $v0, ${number}
trap:   syscall
next:   b       go
        nop
`,
  );
  return span(aegis.machine, e, p, "trap", "next", { [EXC.Sys]: 1 }, 1);
}

/** Table 5: exception dispatch, from the vector to the handler's first instruction. */
function dispatch(aegis: Aegis, kind: "unalign" | "overflow" | "coproc" | "protection") {
  const trap = {
    unalign: { code: EXC.AdEL, setup: `li      $t4, ${DATA_VA + 1}`, op: "lw      $t5, 0($t4)" },
    overflow: { code: EXC.Ov, setup: "li      $t4, 0x7fffffff", op: "addi    $t4, $t4, 1" },
    coproc: { code: EXC.CpU, setup: "nop", op: ".word   0x44082000   # mfc1 $t0, $f4" },
    protection: { code: EXC.Mod, setup: `li      $t4, ${RO_VA}`, op: "sw      $zero, 0($t4)" },
  }[kind];
  const { e, p } = guest(
    aegis,
    kind,
    asm`
        .set noreorder
go:     ${trap.setup}
        nop
trap:   ${trap.op}
        b       go
        nop
handler:
        b       go
        nop
`,
    trap.code,
  );
  if (kind === "protection") {
    const page = e.sys.allocPage();
    e.sys.tlbWrite(RO_VA, { number: page.number, capability: e.sys.readonlyCapability(page) });
  }
  if (kind === "unalign") e.map(DATA_VA);
  return span(aegis.machine, e, p, "trap", "handler", { [trap.code]: 1 }, 1);
}

/** A protected control transfer's kernel path: from the vector to the callee's entry. */
function transfer(aegis: Aegis, number: number): Measurement {
  const callee = aegis.createEnv(`callee ${number}`);
  const entry = callee.load(
    asm`
        .set noreorder
entry:  b       entry
        nop
`,
    0x00500000,
  ).origin;
  callee.sys.setEntry(number === SYS.SCALL ? "sync" : "async", entry);
  const { e, p } = guest(
    aegis,
    `caller ${number}`,
    asm`
        .set noreorder
go:     li      $v0, ${number}
        li      $a0, ${callee.id}
trap:   syscall
        nop
`,
  );
  const m = aegis.machine;
  e.enter(p.symbols.go);
  return steady(`transfer ${number}`, () => {
    e.enter(p.symbols.go);
    if (m.run({ until: p.symbols.trap, maxInstructions: RUN_LIMIT }).reason !== "breakpoint") {
      return undefined;
    }
    const r = exactly(m, { [EXC.Sys]: 1 }, () => {
      return m.run({ until: entry, maxInstructions: RUN_LIMIT }).reason === "breakpoint";
    });
    return r && less(r, 1);
  });
}

/**
 * Table 6's one-way transfer, as the paper measured it: two environments call each other with
 * SCALL, each incrementing a counter and branching; half the round trip.
 */
function oneWay(aegis: Aegis): Measurement {
  const a = aegis.createEnv("ping"), b = aegis.createEnv("pong");
  const pb = b.load(
    asm`
        .set noreorder
pong:   addiu   $s2, $s2, 1                  # the counter
        bnez    $s2, 1f                      # and a branch
        move    $a0, $v0                     # reply to the caller
1:      li      $v0, ${SYS.SCALL}
        syscall
        b       pong
        nop
`,
    0x00500000,
  ); // (not where ping is: a stop address names no environment)
  b.sys.setEntry("sync", pb.symbols.pong);
  const pa = a.load(asm`
        .set noreorder
go:
ping:   addiu   $s0, $s0, 1                  # the counter
        bnez    $s0, 1f                      # and a branch
        li      $a0, ${b.id}
1:      li      $v0, ${SYS.SCALL}
        syscall
        b       ping
        nop
`);
  a.sys.setEntry("sync", pa.symbols.ping);
  const m = aegis.machine;
  a.enter(pa.symbols.go);
  const round = steady("one-way transfer", () => {
    if (m.run({ until: pa.symbols.ping, maxInstructions: RUN_LIMIT }).reason !== "breakpoint") {
      return undefined;
    }
    return exactly(m, { [EXC.Sys]: 2 }, () => {
      return m.run({ until: pa.symbols.ping, maxInstructions: RUN_LIMIT }).reason === "breakpoint";
    });
  });
  return half(round);
}

/** Half of measurement `r` (a round trip, for one way). */
function half(r: Measurement): Measurement {
  return {
    instructions: r.instructions / 2,
    cycles: r.cycles / 2,
    modeledCycles: r.modeledCycles / 2,
    us: r.us / 2,
  };
}

/** The STLB hit: a load whose binding the TLB lost and the STLB kept, refilled, to the load. */
function stlbHit(aegis: Aegis): Measurement {
  const { e, p } = guest(
    aegis,
    "hit",
    asm`
        .set noreorder
go:     li      $t6, ${DATA_VA}
trap:   lw      $t5, 0($t6)
next:   b       go
        nop
`,
  );
  e.map(DATA_VA);
  const m = aegis.machine;
  // The load issues, misses, and runs again after the refill: two user instructions.
  return span(m, e, p, "trap", "next", { [EXC.TLBL]: 1 }, 2, () => forget(m, DATA_VA, e.asid));
}

/**
 * The STLB miss: a load whose binding is in neither the TLB nor the STLB, so the kernel
 * forwards it to the environment's handler, which inserts the binding with TLBWR and returns to
 * the load. From the miss to the load's second try, the handler and its call included.
 */
function stlbMiss(aegis: Aegis): Measurement {
  const e = aegis.createEnv("miss");
  const page = e.sys.allocPage();
  const [lo, hi] = capabilityWords(page.capability);
  const p = e.load(asm`
        .set noreorder
go:     li      $s1, ${MISS_VA}              # (s registers: the handler's call keeps them)
trap:   lw      $s2, 0($s1)
next:   b       go
        nop
handler:                                     # t0 = EPC, t1 = BadVAddr; bind the page, retry
        move    $s0, $t0
        move    $t0, $zero                   # (TLBWR's t0: for itself)
        li      $v0, ${SYS.TLBWR}
        li      $a0, ${MISS_VA | TLBWR.WRITABLE}
        li      $a1, ${page.number}
        li      $a2, ${lo}
        li      $a3, ${hi}
        syscall
        jr      $s0
        nop
`);
  e.sys.setHandler(EXC.TLBL, p.symbols.handler);
  e.sys.setSaveArea(e.sys.allocPage(), 0);
  const m = aegis.machine;
  // Unbound before each try: the binding leaves the TLB and the STLB both.
  return span(m, e, p, "trap", "next", { [EXC.TLBL]: 1, [EXC.Sys]: 1 }, 2, () => {
    e.sys.tlbDelete(MISS_VA);
    m.cpu.pc = p.symbols.trap;
  });
}

/** TLBWR from guest code, of a page not in the TLB: the whole call. */
function tlbwr(aegis: Aegis): Measurement {
  const e = aegis.createEnv("binder");
  const page = e.sys.allocPage();
  const [lo, hi] = capabilityWords(page.capability);
  const p = e.load(asm`
        .set noreorder
go:     li      $v0, ${SYS.TLBWR}
        li      $a0, ${TLBWR_VA | TLBWR.WRITABLE}
        li      $a1, ${page.number}
        li      $a2, ${lo}
        li      $a3, ${hi}
        move    $t0, $zero
trap:   syscall
next:   b       go
        nop
`);
  const m = aegis.machine;
  return span(m, e, p, "trap", "next", { [EXC.Sys]: 1 }, 1, () => forget(m, TLBWR_VA, e.asid));
}

/** One turn of a loop guessing a page's capability: a TLBWR that fails, and the next guess. */
function capabilityGuess(aegis: Aegis): Measurement {
  const victim = aegis.createEnv("victim");
  const page = victim.sys.allocPage();
  const { e, p } = guest(
    aegis,
    "guesser",
    asm`
        .set noreorder
go:     li      $s1, ${page.number}
loop:   addiu   $s0, $s0, 1                  # the next guess
        li      $v0, ${SYS.TLBWR}
        li      $a0, ${TLBWR_VA}
        move    $a1, $s1
        move    $a2, $s0
        move    $a3, $s0
        move    $t0, $zero
        syscall
        b       loop
        nop
`,
  );
  return span(aegis.machine, e, p, "loop", "loop", { [EXC.Sys]: 1 }, 0);
}

// ---- the table ---------------------------------------------------------------------------------

/** A number as the table prints it. */
const fixed = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(digits);

/** The paper's figure as the table prints it. */
function paperUs(p: PaperFigure | null): string {
  if (p?.us !== undefined) return String(p.us);
  if (p?.moreUs !== undefined) return `+${p.moreUs[0]}-${p.moreUs[1]}`;
  return "-";
}

/** The table as text: the rows beside the paper's and Ultrix's figures, the model under it. */
export function formatAegis(rows: readonly AegisRow[]): string {
  const table = formatTable(
    [
      "primitive",
      { header: "table", right: true },
      ...[
        "instructions",
        "cycles",
        "modeled",
        "us",
        "paper us",
        "paper instr",
        "Ultrix us",
        "ratio",
      ]
        .map((header) => ({ header, right: true })),
    ],
    rows.map((r) => [
      r.name,
      r.table,
      fixed(r.instructions, 1),
      fixed(r.cycles, 1),
      r.modeledCycles,
      r.us.toFixed(2),
      paperUs(r.paper),
      r.paper?.instructions ?? "-",
      r.ultrix ?? "-",
      r.ratio === null ? "-" : r.ratio.toFixed(2),
    ]),
  );
  const modeled = rows.reduce((sum, r) => sum + r.modeledCycles, 0);
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  const guess = rows.find((r) => r.bruteForceYears !== undefined);
  return [
    "Aegis primitives: emulated DECstation 5000/200 (R3000A, 25 MHz) beside the paper's 5000/125",
    "",
    table,
    "",
    "Executed: kernel MIPS code from the vector through the rfe, run by the emulated CPU (the " +
    "trapping user instruction not counted) unless a note says the user's part is in the span.",
    "Timing model: 1 cycle per instruction, MULT/DIV with the HI/LO interlock, 2 cycles per " +
    "exception entry, 5 per uncached access; no caches and no write buffer (the paper's machine " +
    "paid for both). Modeled (TypeScript services at their declared costs): " +
    `${modeled === 0 ? "none" : `${modeled} cycles`}.`,
    ...notes,
    ...(guess
      ? [
        "",
        `Brute force: one guess costs ${fixed(guess.cycles, 0)} cycles (a failed TLBWR and the ` +
        `loop around it); finding either of a page's two 64-bit capabilities takes 2^62 guesses ` +
        `on average: ${guess.bruteForceYears!.toExponential(2)} emulated years of the whole CPU.`,
      ]
      : []),
  ].join("\n");
}

if (import.meta.main) console.log(formatAegis(measureAegis()));
