/**
 * The paper's application-level virtual memory tables, measured: ExOS's prot, unprot, dirty, trap
 * and the Appel-Li benchmarks on the emulated DECstation, for both page-table structures, beside
 * the figures the exokernel slides report (shared/PAPER.md, "Application-level virtual memory").
 *
 * Each structure gets a fresh machine, one environment and an AddressSpace (exos/vm.ts) with 100
 * pages mmapped at R = USER.MMAP. A guest program (below) calls the library's routines with `jal`
 * and takes its faults through the library's guest handlers; the harness only starts it at a
 * label and stops it at another, and a row is what the CPU counted in between:
 *
 * - Dirty: one `jal dirty` on a mapped page, through the return.
 * - Prot1 / Unprot1: one `jal prot` (`jal unprot`) of one bound page, through the return.
 * - Prot100 / Unprot100: the same over 100 pages in one call.
 * - Trap: from the load of a protected page (not counted) to the first instruction of the
 *   application's handler: Aegis's forwarding, the library's handler and its upcall.
 * - Appel1 (prot1+trap+unprot): loads sweep the 100 pages, each protected; the handler unprotects
 *   the faulting page and protects the page before it (wrapping), so every load faults. Per fault:
 *   a sweep divided by 100.
 * - Appel2 (protN+trap+unprot): prot of all 100 pages, then a store to each in turn; the handler
 *   unprotects the faulting page. Per page: the whole round divided by 100.
 *
 * Every row is taken warm (after the same work has run twice) and is the median of several runs;
 * with the TLB's random replacement a run sometimes pays an STLB refill the next one does not.
 * The slice clock is masked while measuring and each span is checked to contain no interrupt.
 * Everything measured is executed MIPS code: the program, ExOS's handlers and routines, Aegis's
 * forwarding, TLBWR and TLBVADELETE. No TypeScript runs inside a span, so modeledCycles is 0 (a
 * row says why in `note` if not).
 *
 * Run it with `deno run -A scripts/paper_avm.ts`.
 *
 * @module
 */

import { asm, type AsmSource } from "../machine/asm/mod.ts";
import { CP0 } from "../machine/cp0.ts";
import { formatTable } from "../machine/table.ts";
import { Lab } from "../shell/lab.ts";
import { AddressSpace, PAGE_SIZE, type PageTableKind, type Routines } from "../exos/mod.ts";
import { measure, type Measurement } from "../shell/measure.ts";
import { cyclesToUs } from "../machine/timing.ts";

/** One row: a benchmark on one page-table structure, and the paper's figure. */
export interface AvmRow extends Measurement {
  /** The page-table structure. */
  structure: PageTableKind;
  /** The benchmark (Dirty, Prot1, Unprot1, Prot100, Unprot100, Trap, Appel1, Appel2). */
  name: string;
  /** The paper's figure in microseconds, or null where it publishes none. */
  paper: number | null;
  /** Why modeledCycles is not 0, when it is not. */
  note?: string;
}

/** The benchmarks, in table order. */
export const AVM_NAMES = [
  "Dirty",
  "Prot1",
  "Unprot1",
  "Prot100",
  "Unprot100",
  "Trap",
  "Appel1",
  "Appel2",
] as const;

/** The paper's figures (us), per structure; the (un)Prot1 column applies to both. */
export const AVM_PAPER: Partial<Record<PageTableKind, Record<string, number>>> = {
  linear: { Dirty: 9.8, Prot1: 16.9, Unprot1: 16.9, Prot100: 109, Appel1: 34, Appel2: 22 },
  clustered: { Prot1: 13, Unprot1: 13, Prot100: 238, Appel1: 25, Appel2: 15 },
};

/** Ultrix 4.2 on the same machine (PAPER.md): Appel1 and Appel2 in us. */
export const ULTRIX: Record<string, number> = { Appel1: 262, Appel2: 232 };

/** Pages the benchmarks sweep. */
const PAGES = 100;

/** Runs per single-call row; the median is reported. */
const RUNS = 9;

/** Instructions a run between two labels may take before it counts as lost. */
const RUN_LIMIT = 200_000;

/** The benchmark program for routines `r` and the 100 pages at `R`. */
function program(r: Routines, R: number): AsmSource {
  const last = R + (PAGES - 1) * PAGE_SIZE;
  return asm`
        .set    noreorder
touch:  li      $s0, ${R}                    # write every page once: mapped, bound, dirty
        li      $s1, ${PAGES}
1:      sw      $s1, 0($s0)
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
touch_end:
        b       touch_end
        nop

dirty_go:
        li      $a0, ${R}
dirty_call:
        jal     ${r.dirty}
        nop
dirty_end:
        b       dirty_go
        nop

one_go: li      $a0, ${R}
        li      $a1, 1
prot1_call:
        jal     ${r.prot}
        nop
prot1_end:
        li      $a0, ${R}
        li      $a1, 1
unprot1_call:
        jal     ${r.unprot}
        nop
unprot1_end:
        b       one_go
        nop

many_go:
        li      $a0, ${R}
        li      $a1, ${PAGES}
prot100_call:
        jal     ${r.prot}
        nop
prot100_end:
        li      $a0, ${R}
        li      $a1, ${PAGES}
unprot100_call:
        jal     ${r.unprot}
        nop
unprot100_end:
        b       many_go
        nop

trap_go:
        li      $a0, ${R}
        jal     ${r.prot}
        li      $a1, 1
        li      $s0, ${R}
trap_at:
        lw      $t0, 0($s0)                  # faults: the handler (unprot_handler) unprotects
        b       trap_go
        nop

appel1_go:                                   # every page protected but the one before the next
        li      $s0, ${R}
        li      $s1, ${PAGES}
1:      lw      $t0, 0($s0)
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
appel1_end:
        b       appel1_go
        nop

appel2_go:
        li      $a0, ${R}
        jal     ${r.prot}
        li      $a1, ${PAGES}
        li      $s0, ${R}
        li      $s1, ${PAGES}
1:      sw      $s1, 0($s0)
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
appel2_end:
        b       appel2_go
        nop

# ---- the application's fault handlers: handler(a0 = address, a1 = kind, ...) ---------------
unprot_handler:                              # Appel2 and Trap: unprotect the faulting page
        addiu   $sp, $sp, -8
        sw      $ra, 4($sp)
        jal     ${r.unprot}
        li      $a1, 1
        lw      $ra, 4($sp)
        addiu   $sp, $sp, 8
        jr      $ra
        nop

appel1_handler:                              # unprotect the faulting page, protect the one before
        addiu   $sp, $sp, -8
        sw      $ra, 4($sp)
        sw      $a0, 0($sp)
        jal     ${r.unprot}
        li      $a1, 1
        lw      $a0, 0($sp)
        li      $t0, ${R}
        srl     $a0, $a0, 12
        sll     $a0, $a0, 12
        bne     $a0, $t0, 1f
        addiu   $a0, $a0, ${-PAGE_SIZE}
        li      $a0, ${last}
1:      jal     ${r.prot}
        li      $a1, 1
        lw      $ra, 4($sp)
        addiu   $sp, $sp, 8
        jr      $ra
        nop
`;
}

/** Measures both structures; throws if a span misses its end or an interrupt lands in it. */
export function measureAvm(): AvmRow[] {
  return [...measureStructure("linear"), ...measureStructure("clustered")];
}

/** The eight rows for one page-table structure, on a fresh machine. */
function measureStructure(structure: PageTableKind): AvmRow[] {
  const m = new Lab();
  m.cpu.writeCp0(CP0.Status, m.cpu.cp0[CP0.Status] & ~(1 << 11)); // mask the slice clock
  const env = m.aegis.createEnv(`avm-${structure}`);
  const vm = new AddressSpace(env, { structure });
  const R = vm.mmap(PAGES * PAGE_SIZE);
  const s = vm.load(program(vm.routines, R)).symbols;

  /** Starts the program at `label` (through the start stub) and runs to `until`. */
  const go = (label: string, until: string) => {
    env.enter(vm.entry(s[label]));
    runTo(until);
  };
  const runTo = (label: string) => {
    const r = m.run({ until: s[label], maxInstructions: RUN_LIMIT });
    if (r.reason !== "breakpoint") {
      throw new Error(`AVM benchmark (${structure}) did not reach ${label}: ${r.reason}`);
    }
  };
  /** Measures running to `to` from where the CPU is; throws if the clock interrupted. */
  const span = (to: string): Measurement => {
    const ticks = m.cpu.exceptionCounts[0];
    const r = measure(m, () => runTo(to));
    if (m.cpu.exceptionCounts[0] !== ticks) {
      throw new Error(`An interrupt landed in the ${to} span: mask the clock and measure again`);
    }
    return r;
  };
  /** The median of RUNS runs of `one` (after two warm-up runs). */
  const median = (one: () => Measurement): Measurement => {
    one(), one();
    const runs = Array.from({ length: RUNS }, one).sort((a, b) => a.cycles - b.cycles);
    return runs[RUNS >> 1];
  };
  const per = (r: Measurement, n: number): Measurement => ({
    instructions: r.instructions / n,
    cycles: r.cycles / n,
    modeledCycles: r.modeledCycles / n,
    us: cyclesToUs(r.cycles / n),
  });

  go("touch", "touch_end");
  const rows: Record<string, Measurement> = {};
  rows.Dirty = median(() => (go("dirty_go", "dirty_call"), span("dirty_end")));
  const pairs: [string, string][] = [["one_go", "1"], ["many_go", "100"]];
  for (const [start, n] of pairs) {
    const runs = { prot: [] as Measurement[], unprot: [] as Measurement[] };
    for (let i = 0; i < RUNS + 2; i++) {
      go(start, `prot${n}_call`);
      runs.prot.push(span(`prot${n}_end`));
      runTo(`unprot${n}_call`);
      runs.unprot.push(span(`unprot${n}_end`));
    }
    const mid = (xs: Measurement[]) => xs.slice(2).sort((a, b) => a.cycles - b.cycles)[RUNS >> 1];
    rows[`Prot${n}`] = mid(runs.prot);
    rows[`Unprot${n}`] = mid(runs.unprot);
  }
  vm.setFaultHandler(s.unprot_handler);
  rows.Trap = median(() => {
    go("trap_go", "trap_at");
    const r = span("unprot_handler");
    runTo("trap_go"); // let the handler finish: the library's frames are free again
    return {
      ...r,
      instructions: r.instructions - 1,
      cycles: r.cycles - 1,
      us: cyclesToUs(r.cycles - 1),
    };
  });
  vm.setFaultHandler(s.appel1_handler);
  vm.prot(R, PAGES);
  vm.unprot(R + (PAGES - 1) * PAGE_SIZE);
  rows.Appel1 = per(median(() => (go("appel1_go", "appel1_go"), span("appel1_end"))), PAGES);
  vm.setFaultHandler(s.unprot_handler);
  rows.Appel2 = per(median(() => (go("appel2_go", "appel2_go"), span("appel2_end"))), PAGES);

  return AVM_NAMES.map((name) => {
    const r = rows[name];
    const note = r.modeledCycles === 0
      ? undefined
      : `${r.modeledCycles} cycles of TypeScript work were charged on this path`;
    return {
      structure,
      name,
      ...r,
      paper: AVM_PAPER[structure]?.[name] ?? null,
      ...(note ? { note } : {}),
    };
  });
}

/** The tables as text: both structures side by side, the paper's figures and Ultrix's beside. */
export function formatAvm(rows: readonly AvmRow[]): string {
  const get = (k: PageTableKind, name: string) =>
    rows.find((r) => r.structure === k && r.name === name);
  const num = (v: number | undefined) =>
    v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(1);
  const cells = (k: PageTableKind, name: string) => {
    const r = get(k, name);
    return [num(r?.instructions), r ? r.us.toFixed(2) : "-", r?.paper ?? "-"];
  };
  const right = (header: string) => ({ header, right: true });
  const table = formatTable(
    [
      "benchmark",
      ...["linear instr", "linear us", "paper"].map(right),
      ...["clustered instr", "clustered us", "paper"].map(right),
      right("Ultrix us"),
    ],
    AVM_NAMES.map((name) => [
      name,
      ...cells("linear", name),
      ...cells("clustered", name),
      ULTRIX[name] ?? "-",
    ]),
  );
  const modeled = rows.reduce((sum, r) => sum + r.modeledCycles, 0);
  const notes = rows.filter((r) => r.note).map((r) => `${r.structure} ${r.name}: ${r.note}`);
  return [
    "ExOS application-level virtual memory: emulated DECstation 5000/200 (R3000A, 25 MHz) beside",
    "the paper's 5000/125 (ExOS linear and clustered page tables; Ultrix 4.2 for Appel1/Appel2)",
    "",
    table,
    "",
    "Per call (Dirty, (Un)Prot1, (Un)Prot100), per trap (Trap), per fault (Appel1) and per page",
    "(Appel2, the prot of 100 pages spread over its 100 faults); medians of warm runs.",
    "Executed: the guest program, ExOS's handlers and routines (page-table walk, TLBWR and",
    "TLBVADELETE calls) and Aegis's forwarding and system calls, all MIPS code run by the emulated",
    `CPU; cycles include 2 per exception entry; modeled: ${
      modeled === 0 ? "none" : `${modeled} cycles`
    }.`,
    ...notes,
  ].join("\n");
}

if (import.meta.main) console.log(formatAvm(measureAvm()));
