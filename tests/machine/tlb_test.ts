/**
 * Tests for the R3000A's TLB and the CP0 registers around it: TLBR, TLBWI, TLBWR, TLBP, Random,
 * ASID and global matching, the V, D and N bits, the UTLB and general vectors, Context, EntryHi
 * and BadVAddr after a miss, and the interpreter's translation caches, which must never keep a
 * mapping the TLB, the ASID or the mode no longer grants.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC, SR, TLB, VECTOR } from "../../machine/cp0.ts";
import { TIMING } from "../../machine/timing.ts";
import {
  type Bench,
  bench,
  excCode,
  finish,
  load,
  mapPage,
  ORIGIN,
  R,
  run,
  runTo,
  u,
} from "./_cpu.ts";

const GENERAL = VECTOR.GENERAL >>> 0;
const UTLB = VECTOR.UTLB >>> 0;
const VA = 0x00400000;
/** Two physical pages the mappings point at, each filled with its own marker words. */
const PAGE_A = 0x50000, PAGE_B = 0x51000;
const VDG = TLB.V | TLB.D;

/** Fills pages A and B with distinct words (A: 0xa000_0000 + i, B: 0xb000_0000 + i). */
function fillPages({ bus }: Bench): void {
  for (let i = 0; i < 1024; i++) {
    bus.ram32[(PAGE_A >> 2) + i] = 0xa0000000 + i;
    bus.ram32[(PAGE_B >> 2) + i] = 0xb0000000 + i;
  }
}

/** EntryHi for `va` under `asid`. */
const hi = (va: number, asid: number) => (va & TLB.VPN_MASK) | (asid << TLB.ASID_SHIFT);

Deno.test("Cpu writes a TLB entry with tlbwi and reads it back with tlbr", () => {
  const { cpu } = finish(asm`
    li $t0, ${5 << 8 | 0xff}
    mtc0 $t0, $index
    li $t1, ${hi(VA, 3) | 0x3f}
    mtc0 $t1, $entryhi
    li $t2, ${PAGE_A | VDG | 0xff}
    mtc0 $t2, $entrylo
    tlbwi
    mtc0 $zero, $entryhi
    mtc0 $zero, $entrylo
    tlbr
    mfc0 $s0, $entryhi
    mfc0 $s1, $entrylo
    mfc0 $t3, $index
    break`);
  assert.equal(cpu.tlbHi[5], hi(VA, 3));
  assert.equal(cpu.tlbLo[5], PAGE_A | VDG);
  assert.equal(cpu.regs[R.s0], hi(VA, 3));
  assert.equal(cpu.regs[R.s1], PAGE_A | VDG);
  assert.equal(cpu.regs[R.t3], 5 << 8, "Index keeps bits 13:8 only");
  assert.equal(cpu.tlbHi.filter((h) => h !== 0).length, 1, "one entry written");
});

Deno.test("Cpu probes the TLB with tlbp: Index on a hit, P on a miss, ASID and G respected", () => {
  const cases: [number, number][] = [
    [hi(VA, 1), 9 << 8],
    [hi(VA, 2), TLB.P],
    [hi(VA + 0x1000, 1), TLB.P],
    [hi(0xc0000000, 63), 40 << 8],
    [hi(0xc0000000, 0), 40 << 8],
  ];
  for (const [entryHi, index] of cases) {
    const { cpu } = finish(
      `li $t0, ${entryHi}; mtc0 $t0, $entryhi; tlbp; mfc0 $t1, $index; break`,
      ({ cpu }) => {
        mapPage(cpu, 9, VA, 1, PAGE_A, VDG);
        mapPage(cpu, 40, 0xc0000000, 7, PAGE_B, VDG | TLB.G);
      },
    );
    const what = `EntryHi 0x${entryHi.toString(16)}`;
    assert.equal(cpu.regs[R.t1] & (TLB.P | 0x3f00), index | 0, what);
  }
});

Deno.test("Cpu reads Random in bits 13:8, counting down within 8..63", () => {
  const { cpu, bus } = finish(asm`
    .set noreorder
    mfc0 $t0, $random
    mfc0 $t1, $random
    li $a0, 0x80040000
    li $a1, 300
  1:
    mfc0 $t2, $random
    addiu $a1, $a1, -1
    sw $t2, 0($a0)
    bnez $a1, 1b
    addiu $a0, $a0, 4
    break`);
  const first = cpu.regs[R.t0] >> 8, second = cpu.regs[R.t1] >> 8;
  assert.equal(second, first === 8 ? 63 : first - 1);
  const seen = new Set<number>();
  for (const v of bus.ram32.subarray(0x40000 >> 2, (0x40000 >> 2) + 300)) {
    assert.equal(v & ~0x3f00, 0, "only bits 13:8");
    assert.ok((v >> 8) >= 8 && (v >> 8) <= 63, `Random ${v >> 8}`);
    seen.add(v >> 8);
  }
  assert.ok(seen.size > 1, "Random changes");
  for (let i = 0; i < 200; i++) {
    cpu.charge(i);
    assert.ok(cpu.random >= 8 && cpu.random <= 63, `Random ${cpu.random}`);
    assert.equal(cpu.readCp0(CP0.Random), cpu.random << 8);
  }
});

Deno.test("Cpu writes tlbwr entries only in 8..63, at Random", () => {
  const { cpu } = finish(asm`
    .set noreorder
    li $a0, 0x10000000
    li $a1, 500
    mtc0 $zero, $entrylo
  1:
    mtc0 $a0, $entryhi
    addiu $a1, $a1, -1
    tlbwr
    bnez $a1, 1b
    addiu $a0, $a0, 0x1000
    break`);
  for (let i = 0; i < 8; i++) assert.equal(cpu.tlbHi[i], 0, `entry ${i} is wired`);
  const written = new Set<number>();
  for (let i = 8; i < 64; i++) if (cpu.tlbHi[i] !== 0) written.add(i);
  assert.ok(written.size >= 8, `tlbwr spread over ${written.size} entries`);
});

Deno.test("Cpu reads and writes the physical page a TLB entry names, in kuseg and kseg2", () => {
  const { cpu, bus } = finish(
    asm`
    li $a0, ${VA}
    lw $t0, 16($a0)
    li $t1, 0x12345678
    sw $t1, 32($a0)
    sb $t1, 3($a0)
    li $a1, 0xc0001000
    lh $t2, 4($a1)
    sh $t1, 8($a1)
    break`,
    (b) => {
      fillPages(b);
      mapPage(b.cpu, 3, VA, 0, PAGE_A, VDG);
      mapPage(b.cpu, 4, 0xc0001000, 0, PAGE_B, VDG);
    },
  );
  assert.equal(u(cpu, R.t0), 0xa0000004);
  assert.equal(bus.ram32[(PAGE_A + 32) >> 2], 0x12345678);
  assert.equal(bus.ram8[PAGE_A + 3], 0x78);
  assert.equal(cpu.regs[R.t2], 1);
  assert.equal(bus.ram16[(PAGE_B + 8) >> 1], 0x5678);
});

Deno.test("Cpu switches mappings when the guest changes the ASID in EntryHi", () => {
  const { cpu, bus } = finish(
    asm`
    li $a0, ${VA}
    li $s0, ${1 << 6}
    li $s1, ${2 << 6}
    li $t9, 0x5555
    mtc0 $s0, $entryhi
    lw $t0, 0($a0)
    sw $t9, 4($a0)
    mtc0 $s1, $entryhi
    lw $t1, 0($a0)
    sw $t9, 8($a0)
    mtc0 $s0, $entryhi
    lw $t2, 0($a0)
    break`,
    (b) => {
      fillPages(b);
      mapPage(b.cpu, 10, VA, 1, PAGE_A, VDG);
      mapPage(b.cpu, 11, VA, 2, PAGE_B, VDG);
    },
  );
  assert.equal(u(cpu, R.t0), 0xa0000000);
  assert.equal(u(cpu, R.t1), 0xb0000000);
  assert.equal(u(cpu, R.t2), 0xa0000000);
  const words = (page: number) => [1, 2].map((i) => bus.ram32[(page >> 2) + i] >>> 0);
  assert.deepEqual(words(PAGE_A), [0x5555, 0xa0000002]);
  assert.deepEqual(words(PAGE_B), [0xb0000001, 0x5555]);
});

Deno.test("Cpu switches mappings when a script changes the ASID between runs", () => {
  const b = bench("li $a0, 0x00400000; lw $t0, 0($a0); sw $t0, 4($a0); break", (b) => {
    fillPages(b);
    mapPage(b.cpu, 10, VA, 1, PAGE_A, VDG);
    mapPage(b.cpu, 11, VA, 2, PAGE_B, VDG);
  });
  const { cpu, bus } = b;
  cpu.cp0[CP0.EntryHi] = 1 << 6;
  runTo(b, GENERAL);
  assert.equal(u(cpu, R.t0), 0xa0000000);
  cpu.cp0[CP0.EntryHi] = 2 << 6;
  cpu.pc = ORIGIN;
  runTo(b, GENERAL);
  assert.equal(u(cpu, R.t0), 0xb0000000);
  assert.equal(bus.ram32[(PAGE_B + 4) >> 2], 0xb0000000 | 0);
  assert.equal(bus.ram32[(PAGE_A + 4) >> 2], 0xa0000000 | 0);
});

Deno.test("Cpu refuses kseg0 to user mode set by a script after kernel code used it", () => {
  const b = bench("li $a0, 0x80031000; lw $t0, 0($a0); break");
  const { cpu } = b;
  runTo(b, GENERAL);
  assert.equal(excCode(cpu), EXC.Bp);
  // The same code and data, now in user mode: the fetch from kseg0 must fault.
  cpu.cp0[CP0.Status] = SR.KUc;
  cpu.pc = ORIGIN;
  runTo(b, GENERAL);
  assert.equal(excCode(cpu), EXC.AdEL);
  assert.equal(cpu.cp0[CP0.BadVAddr] >>> 0, ORIGIN);
  // User code in kuseg reading kseg0 data the kernel just read must fault too.
  mapPage(cpu, 0, ORIGIN & 0x7fffffff, 0, ORIGIN & 0x1fffffff, TLB.V | TLB.G);
  cpu.cp0[CP0.Status] = 0;
  cpu.pc = ORIGIN;
  runTo(b, GENERAL);
  cpu.cp0[CP0.Status] = SR.KUc;
  cpu.pc = ORIGIN & 0x7fffffff;
  runTo(b, GENERAL);
  assert.equal(excCode(cpu), EXC.AdEL);
  assert.equal(cpu.cp0[CP0.BadVAddr] >>> 0, 0x80031000);
  assert.equal(cpu.cp0[CP0.EPC], (ORIGIN & 0x7fffffff) + 8);
});

Deno.test("Cpu sees a rewritten TLB entry at once, for loads, stores and the D bit", () => {
  const b = run(
    asm`
    li $a0, ${VA}
    li $t0, ${9 << 8}
    mtc0 $t0, $index
    li $t1, ${VA}
    mtc0 $t1, $entryhi
    li $t2, ${PAGE_A | VDG}
    mtc0 $t2, $entrylo
    tlbwi
    lw $s0, 0($a0)
    sw $zero, 12($a0)
    li $t2, ${PAGE_B | VDG}
    mtc0 $t2, $entrylo
    tlbwi
    lw $s1, 0($a0)
    sw $zero, 16($a0)
    li $t2, ${PAGE_B | TLB.V}
    mtc0 $t2, $entrylo
    tlbwi
    lw $v0, 4($a0)
  store:
    sw $zero, 20($a0)
    break`,
    fillPages,
  );
  const { cpu, bus, p } = b;
  assert.equal(u(cpu, R.s0), 0xa0000000);
  assert.equal(u(cpu, R.s1), 0xb0000000);
  assert.equal(u(cpu, R.v0), 0xb0000001);
  assert.deepEqual(
    [3, 4, 5].map((i) => bus.ram32[(PAGE_A >> 2) + i] >>> 0),
    [0, 0xa0000004, 0xa0000005],
  );
  assert.deepEqual(
    [3, 4, 5].map((i) => bus.ram32[(PAGE_B >> 2) + i] >>> 0),
    [0xb0000003, 0, 0xb0000005],
  );
  assert.equal(excCode(cpu), EXC.Mod);
  assert.equal(cpu.cp0[CP0.EPC] >>> 0, p.symbols.store);
});

/** A faulting access, where its vector is, and the exception code. */
const MISSES: [string, string, number, number][] = [
  ["kuseg load miss", "lw $t0, 0($a0)", UTLB, EXC.TLBL],
  ["kuseg store miss", "sw $t0, 0($a0)", UTLB, EXC.TLBS],
  ["kuseg lwl miss", "lwl $t0, 0($a0)", UTLB, EXC.TLBL],
  ["kuseg swr miss", "swr $t0, 0($a0)", UTLB, EXC.TLBS],
  ["kseg2 load miss", "lbu $t0, 0($a1)", GENERAL, EXC.TLBL],
  ["kseg2 store miss", "sh $t0, 0($a1)", GENERAL, EXC.TLBS],
  ["load from an invalid kuseg entry", "lw $t0, 0($a2)", GENERAL, EXC.TLBL],
  ["store to an invalid kuseg entry", "sw $t0, 0($a2)", GENERAL, EXC.TLBS],
  ["store to a clean kuseg page", "sb $t0, 0($a3)", GENERAL, EXC.Mod],
  ["swl to a clean kuseg page", "swl $t0, 0($a3)", GENERAL, EXC.Mod],
];

Deno.test("Cpu raises TLB misses at the UTLB or general vector with Context, EntryHi, BadVAddr", () => {
  const bad = { a0: 0x7fffe000, a1: 0xc0345000, a2: 0x00ab3000, a3: 0x00ab4000 };
  for (const [what, access, vector, code] of MISSES) {
    const reg = /\(\$(a\d)\)/.exec(access)![1] as keyof typeof bad;
    const b = run(
      asm`
      li $a0, ${bad.a0}
      li $a1, ${bad.a1}
      li $a2, ${bad.a2}
      li $a3, ${bad.a3}
      li $t9, ${hi(0, 5)}
      mtc0 $t9, $entryhi
      li $t9, 0xffe0abcd
      mtc0 $t9, $context
      li $t0, 0x5a5a
    f:
      ${access}
      break`,
      ({ cpu }) => {
        mapPage(cpu, 20, bad.a2, 5, PAGE_A, TLB.D);
        mapPage(cpu, 21, bad.a3, 0, PAGE_B, TLB.V | TLB.G);
      },
      vector,
    );
    const { cpu, p } = b;
    const va = bad[reg];
    assert.equal(cpu.pc, vector, `${what}: vector`);
    assert.equal(excCode(cpu), code, `${what}: code`);
    assert.equal(cpu.cp0[CP0.EPC] >>> 0, p.symbols.f, `${what}: EPC`);
    assert.equal(cpu.cp0[CP0.BadVAddr] >>> 0, va, `${what}: BadVAddr`);
    assert.equal(cpu.cp0[CP0.EntryHi], hi(va, 5), `${what}: EntryHi VPN with ASID kept`);
    assert.equal(cpu.cp0[CP0.Context] >>> 0, (0xffe00000 | ((va >>> 10) & 0x1ffffc)) >>> 0, what);
    assert.equal(cpu.regs[R.t0], 0x5a5a, `${what}: destination unchanged`);
    assert.equal(cpu.exceptionCounts[code], 1, `${what}: counted`);
  }
});

Deno.test("Cpu raises TLBL at the UTLB vector for a fetch from an unmapped kuseg page", () => {
  const b = run("li $a0, 0x00402000; jr $a0", undefined, UTLB);
  assert.equal(excCode(b.cpu), EXC.TLBL);
  assert.equal(b.cpu.cp0[CP0.EPC], 0x00402000);
  assert.equal(b.cpu.cp0[CP0.BadVAddr], 0x00402000);
  assert.equal(b.cpu.cp0[CP0.Cause] >>> 31, 0, "BD clear");
});

Deno.test("Cpu matches a global entry under any ASID and a private one under its own only", () => {
  const src = "li $a0, 0x00400000; lw $t0, 0($a0); li $a1, 0x00401000; lw $t1, 0($a1); break";
  for (const asid of [0, 1, 7, 63]) {
    const b = run(src, (b) => {
      fillPages(b);
      b.cpu.cp0[CP0.EntryHi] = hi(0, asid);
      mapPage(b.cpu, 30, VA, 7, PAGE_A, TLB.V | TLB.G);
      mapPage(b.cpu, 31, VA + 0x1000, 7, PAGE_B, TLB.V);
    }, asid === 7 ? GENERAL : UTLB);
    assert.equal(u(b.cpu, R.t0), 0xa0000000, `ASID ${asid}: global entry`);
    if (asid === 7) assert.equal(u(b.cpu, R.t1), 0xb0000000);
    else assert.equal(excCode(b.cpu), EXC.TLBL, `ASID ${asid}: private entry misses`);
  }
});

Deno.test("Cpu charges uncached cycles for a TLB entry with N set", () => {
  const src = "li $a0, 0x00400000; lw $t0, 0($a0); lw $t0, 4($a0); sw $t0, 8($a0); break";
  const cached = finish(src, ({ cpu }) => mapPage(cpu, 8, VA, 0, PAGE_A, VDG)).cpu;
  const uncached = finish(src, ({ cpu }) => mapPage(cpu, 8, VA, 0, PAGE_A, VDG | TLB.N)).cpu;
  assert.equal(cached.cycles, 6 + TIMING.exception); // and the nop .set reorder puts before sw
  assert.equal(uncached.cycles - cached.cycles, 3 * TIMING.uncached);
});

Deno.test("Cpu refills the TLB from a page table through a UTLB handler and retries", () => {
  // Context's PTEBase is kseg0 0x80000000, so the PTE of page n sits at 0x80000000 + 4n.
  const b = bench(asm`
    li $a0, ${VA}
    lw $t0, 12($a0)
    li $t1, 0x777
    sw $t1, 16($a0)
    lw $t2, 16($a0)
    break`);
  load(
    b.bus,
    asm`
    .set noreorder
    mfc0 $k0, $context
    nop
    lw $k1, 0($k0)
    nop
    mtc0 $k1, $entrylo
    mfc0 $k0, $epc
    tlbwr
    jr $k0
    rfe`.at(UTLB),
  );
  fillPages(b);
  const { cpu, bus } = b;
  cpu.cp0[CP0.Context] = 0x80000000 | 0;
  bus.ram32[VA >>> 12] = PAGE_B | VDG;
  runTo(b, GENERAL);
  assert.equal(excCode(cpu), EXC.Bp);
  assert.equal(u(cpu, R.t0), 0xb0000003);
  assert.equal(u(cpu, R.t2), 0x777);
  assert.equal(bus.ram32[(PAGE_B + 16) >> 2], 0x777);
  assert.equal(cpu.exceptionCounts[EXC.TLBL], 1, "one refill");
  const i = cpu.tlbHi.findIndex((h) => h === VA);
  assert.ok(i >= 8, `refilled into entry ${i}`);
  assert.equal(cpu.tlbLo[i], PAGE_B | VDG);
});

Deno.test("Cpu translates for scripts without raising guest exceptions", () => {
  const { cpu } = bench("break", (b) => {
    fillPages(b);
    mapPage(b.cpu, 12, VA, 0, PAGE_A, TLB.V);
  });
  assert.equal(cpu.translate(VA + 8), PAGE_A + 8);
  assert.equal(cpu.translate(VA + 8, true), -1, "clean page");
  assert.equal(cpu.translate(0x80031000), 0x31000);
  assert.equal(cpu.readVirtual(VA + 4) >>> 0, 0xa0000001);
  assert.throws(() => cpu.readVirtual(0x00800000), /0x00800000 does not translate \(TLBL\)/);
  assert.equal(cpu.exceptionCounts.reduce((s, n) => s + n), 0);
});

Deno.test("Cpu reports the unaligned address itself when lwl, lwr, swl or swr miss the TLB", () => {
  for (const op of ["lwl", "lwr", "swl", "swr"]) {
    const { cpu } = run(
      asm`
    li $a0, ${VA + 0x1003}
    ${op} $t0, 0($a0)
    nop`,
      undefined,
      UTLB,
    );
    assert.equal(excCode(cpu), op[0] === "l" ? EXC.TLBL : EXC.TLBS, op);
    assert.equal(cpu.cp0[CP0.BadVAddr] >>> 0, VA + 0x1003, op);
  }
});
