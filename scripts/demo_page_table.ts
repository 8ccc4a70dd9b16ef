/**
 * Demo: a custom page-table policy written in a few lines, beside ExOS's general one.
 *
 * Aegis has no page tables. A TLB miss its software TLB cannot refill goes to the environment,
 * and what the environment keeps to answer it is its own business. Here an application that
 * knows its memory is one region of 64 pages brings the simplest table there is: an array, one
 * entry per page (physical page, capability), filled from TypeScript with pages allocated up
 * front. Its miss handler is some thirty lines of guest assembly: index the array with the
 * faulting address, TLBwr the entry, go back to the faulting instruction. Handler, table and
 * save area live in two low pages bound with GUARANTEE, so the handler never misses on itself,
 * and it reaches them with `$zero`-relative addresses. Like any handler it gives back every
 * register but k0 and k1: it keeps the ones a system call may change, and hi and lo.
 *
 * The same guest walk (a store, then a load, per page; each page touched for the first time, not
 * in the TLB or the STLB) runs over the custom region and over 64 fresh sbrk pages of ExOS's
 * AddressSpace, with its linear and with its clustered page table, each on a fresh machine. A
 * fault's cost is what the CPU counts from the store that misses to the same store retried (the
 * retry not counted): Aegis's forwarding, the handler, its TLBwr, and any refill of the
 * handler's own pages. The TLB replaces at random, so a few faults also pay a refill the others
 * do not; the table shows the median fault.
 *
 * The walk checks itself: it reads back every word it stored and the harness checks that no
 * register changed under it. Last, the program loads from an address outside the region: the
 * custom handler does not loop on it but stops at a `break`, which a TypeScript handler reports.
 *
 * Run it with `deno run -A scripts/demo_page_table.ts`.
 *
 * @module
 */

import { asm, EXC } from "../machine/mod.ts";
import { capabilityWords, type Environment, errorName, SYS, TLBWR } from "../aegis/mod.ts";
import { formatTable, hex } from "../machine/table.ts";
import { Lab } from "../shell/lab.ts";
import { less, measure, type Measurement } from "../shell/measure.ts";
import { AddressSpace, PAGE_SIZE, type PageTableKind } from "../exos/mod.ts";

const PAGES = 64, REGION = 0x00400000, OUTSIDE = 0x00500000, PROGRAM = 0x00600000;
/** The handler's code page, and its data page: Aegis's save area (t0-t2) at offset 0. */
const CODE = 0x1000, DATA = 0x2000;
/** The registers a system call may change besides t0-t2, which Aegis keeps in the save area. */
const KEPT = ["at", "v0", "v1", "a0", "a1", "a2", "a3", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
/** In the data page: the kept registers, then hi, lo and the faulting pc; the table at 0x100. */
const KEEP = DATA + 0x10, HI = KEEP + 4 * KEPT.length, LO = HI + 4, EPC = LO + 4;
const TABLE = DATA + 0x100;

// The handler. Aegis enters it with t0 = the faulting pc, t1 = the faulting address, t2 = Cause.
const handlerSource = asm`
        .set    noreorder
        .set    noat
${KEPT.map((r, i) => `        sw      $${r}, ${KEEP + 4 * i}($zero)`).join("\n")}
        mfhi    $t3
        sw      $t3, ${HI}($zero)
        mflo    $t3
        sw      $t3, ${LO}($zero)
        sw      $t0, ${EPC}($zero)
        srl     $t3, $t1, 12
        addiu   $t3, $t3, ${-(REGION >>> 12)}   # the page's index in the region
        sltiu   $t4, $t3, ${PAGES}
        beqz    $t4, outside
        sll     $t3, $t3, 4                     # 16 bytes an entry
        lw      $a1, ${TABLE}($t3)              # the physical page
        lw      $a2, ${TABLE + 4}($t3)          # and its capability (low word,
        lw      $a3, ${TABLE + 8}($t3)          # high word)
        srl     $a0, $t1, 12
        sll     $a0, $a0, 12
        ori     $a0, $a0, ${TLBWR.WRITABLE}     # the faulting page, writable,
        move    $t0, $zero                      # for this environment itself
        li      $v0, ${SYS.TLBWR}
        syscall
        bltz    $v0, refused
        lw      $t3, ${HI}($zero)
        lw      $t4, ${LO}($zero)
        mthi    $t3
        mtlo    $t4
${KEPT.map((r, i) => `        lw      $${r}, ${KEEP + 4 * i}($zero)`).join("\n")}
        lw      $t0, ${DATA}($zero)             # the program's t0-t2, from the save area
        lw      $t1, ${DATA + 4}($zero)
        lw      $t2, ${EPC}($zero)
        lw      $t2, ${DATA + 8}($zero)         # (lands after the jump, which sees the pc)
        jr      $t2                             # run the faulting instruction again
        nop
outside:
        break   1
refused:
        break   2
`;

// The walk: s0 = the first page (set by the harness); s3 counts the words that read back right.
const walkSource = asm`
        .set    noreorder
go:     li      $s1, ${PAGES}
        move    $s3, $zero
touch:  sw      $s0, 0($s0)
        lw      $s2, 0($s0)
        addiu   $s1, $s1, -1
        xor     $s2, $s2, $s0
        sltiu   $s2, $s2, 1
        addu    $s3, $s3, $s2
        bnez    $s1, touch
        addiu   $s0, $s0, ${PAGE_SIZE}
done:   b       done
        nop
stray:  lui     $s0, ${OUTSIDE >>> 16}
        lw      $s2, 0($s0)
        b       done
        nop
`;

/** What one walk found and cost. */
interface Walk {
  name: string;
  /** Each fault's cost, in page order. */
  faults: Measurement[];
  /** TLB misses during the walk that Aegis refilled itself (not forwarded). */
  refills: number;
  /** Words read back right. */
  readBack: number;
  /** Whether every register but k0, k1 and the walk's s0-s3 (and hi, lo) came back unchanged. */
  intact: boolean;
}

/** Runs the walk of `env` (program `s`) over the pages at `base`; throws if it goes astray. */
function walk(
  name: string,
  m: Lab,
  env: Environment,
  s: Record<string, number>,
  base: number,
): Walk {
  const runTo = (pc: number) => {
    const r = m.run({ until: pc, maxInstructions: 100_000 });
    if (r.reason !== "breakpoint") throw new Error(`${name}: the walk missed ${hex(pc)}`);
  };
  const counts = m.cpu.exceptionCounts, misses = () => counts[EXC.TLBL] + counts[EXC.TLBS];
  env.enter(s.go);
  const regs = m.cpu.regs, mark = (r: number) => 0x5e000000 + r;
  for (let r = 1; r < 32; r++) regs[r] = mark(r);
  [regs[16], m.cpu.hi, m.cpu.lo] = [base, mark(32), mark(33)];
  const before = misses(), faults: Measurement[] = [];
  for (let i = 0; i < PAGES; i++) {
    runTo(s.touch);
    const stores = counts[EXC.TLBS];
    const cost = less(measure(m, () => runTo(s.touch + 4)), 1);
    if (counts[EXC.TLBS] > stores) faults.push(cost);
  }
  runTo(s.done);
  const kept = (v: number, r: number) => v === mark(r) || [0, 16, 17, 18, 19, 26, 27].includes(r);
  const intact = regs.every(kept) && m.cpu.hi === mark(32) && m.cpu.lo === mark(33);
  return { name, faults, refills: misses() - before - faults.length, readBack: regs[19], intact };
}

/** The custom policy on a fresh machine: its walk, and what the stray load did. */
function custom(): Walk & { stray: string } {
  const m = new Lab({ clockRate: 15 });
  const e = m.aegis.createEnv("custom");
  const handler = e.load(handlerSource, CODE);
  e.map(DATA);
  for (const va of [CODE, DATA]) {
    const p = e.pageAt(va)!, [lo, hi] = capabilityWords(p.capability);
    const r = e.call(SYS.GUARANTEE, va | TLBWR.WRITABLE, p.number, lo, hi, 0);
    if (r.v0 < 0) throw new Error(`GUARANTEE ${hex(va)} failed: ${errorName(r.v0)}`);
  }
  e.sys.setSaveArea(e.pageAt(DATA)!, 0);
  e.onException("TLBL", handler.origin);
  e.onException("TLBS", handler.origin);
  for (let i = 0; i < PAGES; i++) { // the table: every page allocated up front, none bound
    const p = e.sys.allocPage();
    const [lo, hi] = capabilityWords(p.capability);
    e.write32(TABLE + 16 * i, p.number);
    e.write32(TABLE + 16 * i + 4, lo);
    e.write32(TABLE + 16 * i + 8, hi);
  }
  let stray = "not reported";
  e.onException("Bp", (x) => {
    const why = x.epc === handler.symbols.outside ? "outside the region" : "refused by TLBwr";
    const at = hex(x.regs[9]); // t1: the faulting address Aegis gave the handler
    stray = `the handler stopped at a break (${at}: ${why}), the environment was killed`;
    return "kill";
  });
  const s = e.load(walkSource, PROGRAM).symbols;
  e.sys.sliceAlloc();
  const result = walk("custom array", m, e, s, REGION);
  e.enter(s.stray);
  m.run({ maxInstructions: 10_000 });
  return { ...result, stray: `${stray} (alive: ${e.alive})` };
}

/** ExOS's AddressSpace with `structure` on a fresh machine, walking 64 fresh sbrk pages. */
function exos(structure: PageTableKind): Walk {
  const m = new Lab({ clockRate: 15 });
  const env = m.aegis.createEnv(`exos-${structure}`);
  const vm = new AddressSpace(env, { structure });
  const s = vm.load(walkSource).symbols;
  const heap = vm.sbrk(PAGES * PAGE_SIZE);
  env.sys.sliceAlloc();
  return walk(`ExOS ${structure}`, m, env, s, heap);
}

const mine = custom();
const walks = [mine, exos("linear"), exos("clustered")];
/** The median fault of a walk (by cycles). */
const median = (w: Walk) => [...w.faults].sort((a, b) => a.cycles - b.cycles)[w.faults.length >> 1];
const rows = walks.map((w) => {
  const n = w.faults.map((f) => f.instructions);
  return { ...median(w), name: w.name, range: `${Math.min(...n)}-${Math.max(...n)}` };
});

console.log(`A custom page-table policy: an array for one region, and its miss handler

Each policy's walk stores to and loads from ${PAGES} pages touched for the first time.
${
  formatTable(
    ["page table", "faults", "other misses", "read back", "registers kept"],
    walks.map((w) => [
      w.name,
      w.faults.length,
      w.refills,
      `${w.readBack}/${PAGES}`,
      w.intact ? "yes" : "no",
    ]),
  )
}
(Other misses: TLB misses Aegis refilled itself, e.g. a handler page pushed out of the TLB.)

The median fault, from the store that misses to its retry (and the range over all faults):
${
  formatTable(
    ["page table", "instructions", "cycles", "modeled", "us", "range"].map((h, i) => ({
      header: h,
      right: i > 0,
    })),
    rows.map((r) => [r.name, r.instructions, r.cycles, r.modeledCycles, r.us.toFixed(2), r.range]),
  )
}

What differs: the custom handler knows its one region, so it indexes an array and binds every
page writable. ExOS's handler serves any address space: it saves a frame (ra too) and calls the
table's lookup routine (the linear table is a sorted vector searched by binary search, so its
cost varies with the page; the clustered one a hash table of 16-page blocks), checks the
protection and copy-on-write bits, and marks the page dirty on a store. Both keep the registers
a system call may change. Modeled cycles would be kernel work done in TypeScript (aegis/costs.ts);
the rest is MIPS code the emulated CPU executed.

A load from ${hex(OUTSIDE)}, outside the custom region:
  ${mine.stray}.
`);

const [own, ...theirs] = rows;
const best = theirs.reduce((a, b) => b.cycles < a.cycles ? b : a);
const change = Math.round(100 * (own.cycles / best.cycles - 1));
console.log(
  `Conclusion: a fault through the custom table costs ${own.instructions} instructions ` +
    `(${own.us.toFixed(2)} us), ${Math.abs(change)}% ${change <= 0 ? "less" : "more"} time ` +
    `than through ExOS's cheaper table, the ${best.name.replace("ExOS ", "")} one ` +
    `(${best.instructions} instructions, ${best.us.toFixed(2)} us).`,
);
