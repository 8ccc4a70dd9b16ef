/**
 * The paper's application-level virtual memory tables, measured the way the paper measured them
 * (shared/PAPER.md, "Application-level virtual memory", and Appel and Li's vmpup.c): ExOS's
 * dirty, prot, unprot, trap and the two Appel-Li benchmarks on each page-table structure, and
 * Table 9's matrix multiply as an ExOS process and bare.
 *
 * Structures. linear (Table 10: a sorted vector searched by binary search, whose range operations
 * step to the next entry), clustered (the slides' "Extending AVM": 16-page nodes in a hash table)
 * and inverted (Table 13: a hash anchor table and one entry per mapped frame). The two hashed
 * tables look each page of a range up on its own, as the paper's ExOS did, which is why their
 * prot100 is the slower one. clustered-walk is exolab's own variant (pt_next steps through a
 * node); it is measured and shown, never under a paper figure (exos/page_table.ts).
 *
 * Each structure gets a fresh machine, one environment and an AddressSpace (exos/vm.ts) with 100
 * pages mmapped at R = USER.MMAP. A guest program (below) calls the library's routines with `jal`
 * and takes its faults through the library's guest handlers; the harness only starts it at a
 * label and stops it at another, and a row is what the CPU counted in between. The accesses are
 * writes (Appel and Li's are). The pages are visited in a random order, the same in every run: a
 * permutation of the 100 pages drawn with a 32-bit linear congruential generator from a fixed
 * seed (ORDER_SEED), as vmpup.c draws its own.
 *
 * - Dirty: one `jal dirty` on a mapped page, through the return.
 * - Prot1 / Unprot1: one `jal prot` (`jal unprot`) of one page, through the return; the page is
 *   bound (written) before each prot.
 * - Prot100 / Unprot100: the same over the 100 pages in one call, every page bound before.
 *   unprot only clears the protection in the table and lets the next access's miss rebind the
 *   page (exos/vm_asm.ts): the paper's unprot100 (143 us) is below what one rebinding system
 *   call per page would cost, so its ExOS did not rebind there either.
 * - Trap: from the faulting store, through Aegis's forwarding, the library's handler and the
 *   upcall to the application's handler (which counts the trap and returns), until the library
 *   has returned to the faulting store: one round of vmpup's "trap" loop, where the store faults
 *   again each time.
 * - Appel1 (prot1+trap+unprot): all pages protected but one; stores to the pages in the random
 *   order; the handler protects the page of the previous fault, then unprotects the faulting one,
 *   so every store faults (vmpup's order of the two). Per fault: a round divided by 100.
 * - Appel2 (protN+trap+unprot): prot of the 100 pages, then a store to each in the random order;
 *   the handler unprotects the faulting page. Per page: a round, the prot included, divided by
 *   100.
 * - Table 9: tests/guest's 150x150 integer matrix multiply (matmul.c), from the entry of `matmul`
 *   to its return: as an ExOS process (out/unix/matrix.elf, run by ExOS with the paper's 64 Hz,
 *   15.625 ms slice clock running), and the same code bare, from the PROM in kseg0
 *   (out/matrix.elf: no TLB, no kernel, no interrupts). Both must print the same product.
 *
 * Every VM row is taken warm (after the same work has run twice) and is the median of RUNS runs;
 * with the TLB's random replacement a run sometimes pays an STLB refill the next one does not.
 * The slice clock is masked while measuring the VM rows, and each span is checked to contain no
 * interrupt. Everything in a VM row is executed MIPS code: the program, ExOS's handlers and
 * routines, Aegis's forwarding, TLBWR and TLBVADELETE; no TypeScript runs inside a span, so
 * modeledCycles is 0 (a row says why in `note` if not). The ExOS matrix row includes the
 * clock's ticks, whose kernel TypeScript service is charged as aegis/costs.ts declares.
 *
 * Run it with `deno run -A scripts/paper_avm.ts`, or `exo paper avm [--json]`.
 *
 * @module
 */

import { asm, type AsmSource } from "../machine/asm/mod.ts";
import { EXC } from "../machine/cp0.ts";
import { parseElf } from "../machine/elf.ts";
import { formatTable } from "../machine/table.ts";
import { TIMING } from "../machine/timing.ts";
import { Lab } from "../shell/lab.ts";
import {
  AddressSpace,
  PAGE_SIZE,
  PAGE_TABLE_KINDS,
  type PageTableKind,
  type Routines,
} from "../exos/mod.ts";
import { measure, type Measurement } from "../shell/measure.ts";
import { cyclesToUs } from "../machine/timing.ts";

/** Which paper table a row belongs to. */
export type AvmTable = "10" | "slides" | "13" | "9";

/** One row: a benchmark on one page-table structure (or bare), and the paper's figures. */
export interface AvmRow extends Measurement {
  /** The page-table structure, or "bare" for Table 9's run without an operating system. */
  structure: PageTableKind | "bare";
  /** The benchmark (Dirty, Prot1, Unprot1, Prot100, Unprot100, Trap, Appel1, Appel2, Matrix). */
  name: string;
  /** The paper's figure in microseconds, or null where it publishes none. */
  paper: number | null;
  /** Ultrix 4.2's figure in microseconds (DEC5000), or null where the paper has none. */
  ultrix: number | null;
  /** us / paper, or null without a paper figure. */
  ratio: number | null;
  /** The paper table the figure is from: 10 (linear), slides (clustered), 13 (inverted), 9. */
  table: AvmTable | null;
  /** The machine of the paper's figure: DEC5000 (a 5000/125, 25 MHz) or DEC3100 (16.67 MHz). */
  paperMachine: "DEC5000" | "DEC3100" | null;
  /** Table 9 only: clock interrupts and TLB misses (refills included) the span took. */
  interrupts?: number;
  /** Table 9 only: TLB misses (refills included) the span took. */
  tlbMisses?: number;
  /** Why modeledCycles is not 0, when it is not. */
  note?: string;
}

/** The VM benchmarks, in table order. */
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

/**
 * The paper's figures (us) per structure: Table 10 for linear (the slides' (un)prot1 column for
 * Unprot1), the slides for clustered, Table 13 (DEC3100) for inverted.
 */
export const AVM_PAPER: Record<"linear" | "clustered" | "inverted", Record<string, number>> = {
  linear: {
    Dirty: 9.8,
    Prot1: 16.9,
    Unprot1: 16.9,
    Prot100: 109,
    Unprot100: 143,
    Trap: 4.8,
    Appel1: 34,
    Appel2: 22,
  },
  clustered: { Prot1: 13, Unprot1: 13, Prot100: 238, Appel1: 25, Appel2: 15 },
  inverted: {
    Dirty: 5.9,
    Prot1: 17.7,
    Prot100: 189,
    Unprot100: 243,
    Trap: 10.1,
    Appel1: 40.4,
    Appel2: 28.9,
  },
};

/** Table 13's "original" column: ExOS's linear table on the DEC3100 (us). */
export const DEC3100_LINEAR: Record<string, number> = {
  Dirty: 13.1,
  Prot1: 24.4,
  Prot100: 156,
  Unprot100: 206,
  Trap: 10.1,
  Appel1: 55.0,
  Appel2: 34.0,
};

/** Ultrix 4.2 on the DEC5000 (Table 10), us. */
export const ULTRIX: Record<string, number> = {
  Prot1: 32,
  Prot100: 102,
  Unprot100: 102,
  Trap: 161,
  Appel1: 262,
  Appel2: 232,
};

/** Table 9: the 150x150 matrix multiply on ExOS and on Ultrix, us. */
export const MATRIX_PAPER = { exos: 3_700_000, ultrix: 3_800_000 } as const;

/** The seed of the page order's generator. */
export const ORDER_SEED = 1995;

/** Pages the benchmarks sweep. */
const PAGES = 100;

/** Runs per row; the median is reported. */
const RUNS = 9;

/** Instructions a run between two labels may take before it counts as lost. */
const RUN_LIMIT = 400_000;

/** The paper's slice clock: RTC rate select 10, 64 Hz, a 15.625 ms quantum. */
const PAPER_CLOCK_RATE = 10;

/** Instructions the matrix programs may take. */
const MATRIX_LIMIT = 200_000_000;

/** Where the Table 9 programs are. */
const GUEST = new URL("../tests/guest/out/", import.meta.url);

/**
 * The order the Appel benchmarks visit the 100 pages in: a permutation of 0..99, Fisher-Yates
 * with x = x * 1664525 + 1013904223 (mod 2^32) from `seed`.
 */
export function pageOrder(seed: number = ORDER_SEED, pages: number = PAGES): number[] {
  const order = [...Array(pages).keys()];
  let x = seed >>> 0;
  for (let i = pages - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The benchmark program for routines `r` and the 100 pages at `R`. */
function program(r: Routines, R: number): AsmSource {
  const order = pageOrder().map((p) => R + p * PAGE_SIZE);
  return asm`
        .set    noreorder
touch:  li      $s0, ${R}                    # write every page: mapped, bound, dirty
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

one_go: li      $s0, ${R}
        sw      $s0, 0($s0)                  # bound again (unprot left that to a miss)
        move    $a0, $s0
        li      $a1, 1
prot1_call:
        jal     ${r.prot}
        nop
prot1_end:
        move    $a0, $s0
        li      $a1, 1
unprot1_call:
        jal     ${r.unprot}
        nop
unprot1_end:
        b       one_go
        nop

many_go:
        li      $s0, ${R}
        li      $s1, ${PAGES}
1:      sw      $s1, 0($s0)                  # every page bound again
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
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
        sw      $s0, 0($s0)                  # faults; the handler returns; it faults again
        b       trap_at
        nop

appel1_go:
        la      $s0, order
        li      $s1, ${PAGES}
1:      lw      $t0, 0($s0)
        addiu   $s1, $s1, -1
        sw      $s1, 0($t0)                  # a protected page: the handler swaps protections
        bnez    $s1, 1b
        addiu   $s0, $s0, 4
appel1_end:
        b       appel1_go
        nop

appel2_go:
        li      $a0, ${R}
        jal     ${r.prot}
        li      $a1, ${PAGES}
        la      $s0, order
        li      $s1, ${PAGES}
1:      lw      $t0, 0($s0)
        addiu   $s1, $s1, -1
        sw      $s1, 0($t0)                  # protected: the handler unprotects it
        bnez    $s1, 1b
        addiu   $s0, $s0, 4
appel2_end:
        b       appel2_go
        nop

# ---- the application's fault handlers: handler(a0 = address, a1 = kind, a2 = EPC, a3 = code) -
trap_handler:                                # vmpup's trap: count it, change nothing
        la      $t0, faults
        lw      $t1, 0($t0)
        sw      $a3, 4($t0)                  # the exception code: TLBS for a store
        addiu   $t1, $t1, 1
        jr      $ra
        sw      $t1, 0($t0)

unprot_handler:                              # Appel2: unprotect the faulting page
        la      $t0, faults
        lw      $t1, 0($t0)
        sw      $a3, 4($t0)
        addiu   $t1, $t1, 1
        sw      $t1, 0($t0)
        addiu   $sp, $sp, -8
        sw      $ra, 4($sp)
        jal     ${r.unprot}
        li      $a1, 1
        lw      $ra, 4($sp)
        addiu   $sp, $sp, 8
        jr      $ra
        nop

appel1_handler:                              # protect the previous page, unprotect this one
        la      $t0, faults
        lw      $t1, 0($t0)
        sw      $a3, 4($t0)
        addiu   $t1, $t1, 1
        sw      $t1, 0($t0)
        addiu   $sp, $sp, -8
        sw      $ra, 4($sp)
        sw      $a0, 0($sp)
        la      $t0, previous
        lw      $a0, 0($t0)
        jal     ${r.prot}
        li      $a1, 1
        lw      $a0, 0($sp)
        la      $t0, previous
        srl     $a0, $a0, 12
        sll     $a0, $a0, 12
        sw      $a0, 0($t0)                  # this page is the next fault's previous one
        jal     ${r.unprot}
        li      $a1, 1
        lw      $ra, 4($sp)
        addiu   $sp, $sp, 8
        jr      $ra
        nop

        .data
faults: .word   0                            # faults taken, and the last one's code
        .word   0
previous:
        .word   ${order[PAGES - 1]}
order:  ${order.map((a) => `.word ${a}`).join("\n        ")}
`;
}

/** Measures every structure and Table 9; throws if a span misses its end or an interrupt lands in it. */
export function measureAvm(): AvmRow[] {
  return [...PAGE_TABLE_KINDS.flatMap(measureStructure), ...measureMatrix()];
}

/** The paper's figure, Ultrix's and where they come from, for `name` on `structure`. */
function figures(structure: PageTableKind, name: string) {
  const paper = structure === "clustered-walk" ? null : AVM_PAPER[structure][name] ?? null;
  const table: AvmTable | null = structure === "linear"
    ? "10"
    : structure === "clustered"
    ? "slides"
    : structure === "inverted"
    ? "13"
    : null;
  const paperMachine = paper === null ? null : structure === "inverted" ? "DEC3100" : "DEC5000";
  const ultrix = structure === "inverted" ? null : ULTRIX[name] ?? null;
  return { paper, ultrix, table, paperMachine } as const;
}

/** A row from measurement `r`, with a note when part of it was modeled. */
function avmRow(
  structure: AvmRow["structure"],
  name: string,
  r: Measurement,
  f: Pick<AvmRow, "paper" | "ultrix" | "table" | "paperMachine">,
  extra: Partial<AvmRow> = {},
): AvmRow {
  const note = r.modeledCycles === 0
    ? undefined
    : `${r.modeledCycles} cycles of TypeScript work were charged on this path`;
  return {
    structure,
    name,
    ...r,
    paper: f.paper,
    ultrix: f.ultrix,
    ratio: f.paper === null ? null : r.us / f.paper,
    table: f.table,
    paperMachine: f.paperMachine,
    ...extra,
    ...(note ? { note } : {}),
  };
}

/** The eight rows for one page-table structure, on a fresh machine. */
function measureStructure(structure: PageTableKind): AvmRow[] {
  const m = new Lab();
  m.aegis.sliceClock(false); // runs bounded by instructions only
  const env = m.aegis.createEnv(`avm-${structure}`);
  const vm = new AddressSpace(env, { structure });
  const R = vm.mmap(PAGES * PAGE_SIZE);
  const s = vm.load(program(vm.routines, R)).symbols;
  const faults = () => vm.read32(s.faults);

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
    const ticks = m.cpu.exceptionCounts[EXC.Int];
    const r = measure(m, () => runTo(to));
    if (m.cpu.exceptionCounts[EXC.Int] !== ticks) {
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
  /** A round of `label`, checked to have taken exactly `n` faults, each a store's (TLBS). */
  const round = (label: string, end: string, n: number) => () => {
    go(label, label);
    const before = faults();
    const r = span(end);
    if (faults() - before !== n || vm.read32(s.faults + 4) !== EXC.TLBS) {
      throw new Error(
        `${label} (${structure}) took ${
          faults() - before
        } store faults, not ${n}: check the handler`,
      );
    }
    return r;
  };

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
  vm.setFaultHandler(s.trap_handler);
  go("trap_go", "trap_at");
  rows.Trap = median(() => {
    const before = faults();
    const r = span("trap_at"); // the store, its fault, the handler, and back to the store
    if (faults() - before !== 1) throw new Error(`Trap (${structure}) did not trap once`);
    return r;
  });
  vm.setFaultHandler(s.appel1_handler);
  vm.prot(R, PAGES);
  vm.unprot(vm.read32(s.previous)); // every page protected but the previous fault's
  rows.Appel1 = per(median(round("appel1_go", "appel1_end", PAGES)), PAGES);
  vm.setFaultHandler(s.unprot_handler);
  rows.Appel2 = per(median(round("appel2_go", "appel2_end", PAGES)), PAGES);

  return AVM_NAMES.map((name) => avmRow(structure, name, rows[name], figures(structure, name)));
}

/** The entry and size of `matmul` in ELF `bytes`; throws naming the file if it has none. */
function matmulOf(bytes: Uint8Array, file: string): { entry: number; size: number } {
  const sym = parseElf(bytes).symbols.find((x) => x.name === "matmul");
  if (sym === undefined) throw new Error(`${file} has no matmul symbol: run deno task guest`);
  return { entry: sym.value >>> 0, size: sym.size };
}

/** The words of `matmul` in ELF `bytes` (from its PT_LOAD segments). */
export function matmulWords(bytes: Uint8Array): number[] {
  const elf = parseElf(bytes), { entry, size } = matmulOf(bytes, "the ELF");
  const seg = elf.segments.find((g) => entry >= g.vaddr && entry + size <= g.vaddr + g.data.length);
  if (seg === undefined) throw new Error(`matmul at 0x${entry.toString(16)} is in no segment`);
  const view = new DataView(seg.data.buffer, seg.data.byteOffset + entry - seg.vaddr, size);
  return Array.from({ length: size / 4 }, (_, i) => view.getUint32(4 * i, true));
}

/**
 * Table 9: the multiply as an ExOS process (the paper's 64 Hz slice clock running) and bare;
 * throws if a run does not reach matmul and its return, or the two print different products.
 */
function measureMatrix(): AvmRow[] {
  const file = (name: string) => new URL(name, GUEST);
  const read = (name: string) => Deno.readFileSync(file(name));
  const unix = read("unix/matrix.elf"), bare = read("matrix.elf");

  /** Runs `m` with `run` from matmul's entry to its return; the span, interrupts and misses. */
  const span = (m: Lab, bytes: Uint8Array, what: string, run: () => { reason: string }) => {
    const { entry } = matmulOf(bytes, what);
    m.break(entry);
    const at = run();
    m.unbreak();
    if (m.cpu.pc !== entry) throw new Error(`${what} did not reach matmul: ${at.reason}`);
    const back = m.cpu.regs[31] >>> 0;
    m.break(back);
    const counts = m.cpu.exceptionCounts.slice();
    const r = measure(m, () => run());
    m.unbreak();
    if (m.cpu.pc !== back) throw new Error(`${what} did not return from matmul`);
    const c = m.cpu.exceptionCounts;
    const interrupts = c[EXC.Int] - counts[EXC.Int];
    const tlbMisses = c[EXC.TLBL] - counts[EXC.TLBL] + c[EXC.TLBS] - counts[EXC.TLBS];
    return { r, interrupts, tlbMisses };
  };

  const ex = new Lab({ clockRate: PAPER_CLOCK_RATE });
  const proc = ex.exos.exec(unix, ["matrix"]);
  const exRun = () => ex.exos.run(MATRIX_LIMIT);
  const exos = span(ex, unix, "unix/matrix.elf", exRun);
  const end = exRun();
  if (end.reason !== "exited" || proc.exitStatus !== 0) {
    throw new Error(`unix/matrix.elf did not exit with 0: ${end.reason}, ${proc.exitStatus}`);
  }

  const bm = new Lab();
  bm.loadElf(bare, ["matrix"]);
  const bmRun = () => bm.run({ maxInstructions: MATRIX_LIMIT });
  const alone = span(bm, bare, "matrix.elf", bmRun);
  if (bmRun().reason !== "halt") throw new Error("matrix.elf did not halt after its multiply");
  if (ex.console.text !== bm.console.text) {
    throw new Error(
      `The ExOS and bare multiplies disagree: ${JSON.stringify(ex.console.text)} against ` +
        JSON.stringify(bm.console.text),
    );
  }
  const f9 = { table: "9", paperMachine: "DEC5000" } as const;
  return [
    avmRow("linear", "Matrix", exos.r, {
      paper: MATRIX_PAPER.exos,
      ultrix: MATRIX_PAPER.ultrix,
      ...f9,
    }, { interrupts: exos.interrupts, tlbMisses: exos.tlbMisses }),
    avmRow(
      "bare",
      "Matrix",
      alone.r,
      { paper: null, ultrix: null, table: "9", paperMachine: null },
      {
        interrupts: alone.interrupts,
        tlbMisses: alone.tlbMisses,
      },
    ),
  ];
}

// ---- printing ----------------------------------------------------------------------------------

const num = (v: number | null | undefined) =>
  v === null || v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(1);
const usText = (r: AvmRow | undefined) => (r ? r.us.toFixed(2) : "-");
const ratioText = (r: AvmRow | undefined) => (r?.ratio == null ? "-" : r.ratio.toFixed(2));
const right = (header: string) => ({ header, right: true });

/** `text` in lines of at most 96 characters, broken at spaces. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > 96) lines.push(line), line = "";
    line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The tables as text: Table 10, the slides, Table 13 and Table 9, with the timing model under. */
export function formatAvm(rows: readonly AvmRow[]): string {
  const get = (k: AvmRow["structure"], name: string) =>
    rows.find((r) => r.structure === k && r.name === name);
  const vm = (k: PageTableKind) => AVM_NAMES.map((n) => get(k, n));
  const lin = vm("linear"), clu = vm("clustered"), walk = vm("clustered-walk");
  const inv = vm("inverted");

  const table10 = formatTable(
    ["benchmark", ...["instr", "cycles", "us", "paper", "ratio", "Ultrix"].map(right)],
    AVM_NAMES.map((n, i) => [
      n,
      num(lin[i]?.instructions),
      num(lin[i]?.cycles),
      usText(lin[i]),
      num(lin[i]?.paper),
      ratioText(lin[i]),
      num(lin[i]?.ultrix),
    ]),
  );
  const slides = formatTable(
    [
      "benchmark",
      ...["linear us", "paper", "clustered instr", "clustered us", "paper", "ratio"].map(right),
      right("clustered-walk us"),
    ],
    AVM_NAMES.map((n, i) => [
      n,
      usText(lin[i]),
      num(lin[i]?.paper),
      num(clu[i]?.instructions),
      usText(clu[i]),
      num(clu[i]?.paper),
      ratioText(clu[i]),
      usText(walk[i]),
    ]),
  );
  const table13 = formatTable(
    [
      "benchmark",
      ...["linear us", "DEC3100", "inverted instr", "inverted us", "DEC3100", "ratio"].map(right),
    ],
    AVM_NAMES.map((n, i) => [
      n,
      usText(lin[i]),
      num(DEC3100_LINEAR[n]),
      num(inv[i]?.instructions),
      usText(inv[i]),
      num(inv[i]?.paper),
      ratioText(inv[i]),
    ]),
  );
  const matrix = [get("linear", "Matrix"), get("bare", "Matrix")];
  const seconds = (us: number | null | undefined) => (us == null ? "-" : (us / 1e6).toFixed(2));
  const table9 = formatTable(
    [
      "run",
      ...["instr", "cycles", "modeled", "ints", "TLB", "s", "paper", "ratio", "Ultrix"].map(right),
    ],
    matrix.map((r, i) => [
      i === 0 ? "ExOS (linear)" : "bare (PROM)",
      num(r?.instructions),
      num(r?.cycles),
      num(r?.modeledCycles),
      num(r?.interrupts),
      num(r?.tlbMisses),
      seconds(r?.us),
      seconds(r?.paper),
      ratioText(r),
      seconds(r?.ultrix),
    ]),
  );
  const [ex, bare] = matrix;
  const overhead = ex && bare
    ? `ExOS against bare: ${((ex.cycles / bare.cycles - 1) * 100).toFixed(2)}% more cycles`
    : "";
  const modeled = rows.filter((r) => r.name !== "Matrix").reduce((s, r) => s + r.modeledCycles, 0);
  const notes = rows.filter((r) => r.note && r.name !== "Matrix").map((r) =>
    `${r.structure} ${r.name}: ${r.note}`
  );
  const far = rows.filter((r) => r.ratio !== null && (r.ratio > 2 || r.ratio < 0.5)).map((r) =>
    `${r.structure} ${r.name} ${r.ratio!.toFixed(2)}`
  );
  return [
    "ExOS application-level virtual memory on the emulated DECstation 5000/200 (R3000A, 25 MHz),",
    "measured as Appel and Li's vmpup.c measures (stores, pages in a seeded random order), beside",
    "the paper's figures. ratio = ours / paper.",
    "",
    "Table 10: ExOS's linear page table (binary search; ranges step entry to entry), DEC5000 us",
    "",
    table10,
    "",
    'Slides, "Extending AVM": the clustered page table (each page of a range looked up), DEC5000 us;',
    "clustered-walk is exolab's own range walk through a node, under no paper figure",
    "",
    slides,
    "",
    "Table 13: the inverted page table against the original linear one, the paper's figures from",
    "a DEC3100 (16.67 MHz: a cycle-for-cycle equal row shows a ratio of 0.67)",
    "",
    table13,
    "",
    "Table 9: 150x150 integer matrix multiply (tests/guest/matmul.c), from matmul's entry to its",
    "return: as an ExOS process with the paper's 15.625 ms slice clock, and the same code bare",
    "",
    table9,
    overhead,
    "",
    "Per call (Dirty, (Un)Prot1, (Un)Prot100), per trap (Trap: store, fault, handler, back to the",
    "store), per fault (Appel1) and per page (Appel2, the prot of 100 pages spread over its 100",
    "faults); medians of warm runs. unprot clears the protection in the table and leaves the",
    "rebinding to the page's next miss, which Appel1 and Appel2 pay.",
    `Timing model (machine/timing.ts): 1 cycle per instruction; MULT ${TIMING.multiply} and DIV ` +
    `${TIMING.divide} cycles with the`,
    "HI/LO interlock (MFHI/MFLO wait); no load interlock (the R3000A has none); " +
    `${TIMING.exception} cycles per exception`,
    `entry; ${TIMING.uncached} more per uncached access; no caches, write buffer or memory stalls ` +
    "(no memory-system",
    "model is on), where the paper's machines had 64 KB caches.",
    "Executed: the guest programs, ExOS's handlers and routines (page-table walks, TLBWR and",
    "TLBVADELETE calls) and Aegis's refills, forwarding and system calls, all MIPS code run by the",
    `emulated CPU. Modeled: ${modeled === 0 ? "none" : `${modeled} cycles`} in the VM rows; ` +
    `${num(ex?.modeledCycles)} cycles in Table 9's ExOS run, the`,
    "kernel's TypeScript service of its clock ticks (aegis/costs.ts). Table 9's ints and TLB",
    "columns count the clock interrupts and the TLB misses (Aegis's refills) in the span.",
    ...(far.length > 0 ? wrap(`More than 2x from the paper: ${far.join(", ")}.`) : []),
    ...notes,
  ].filter((l, i, all) => l !== "" || all[i - 1] !== "").join("\n");
}

if (import.meta.main) console.log(formatAvm(measureAvm()));
