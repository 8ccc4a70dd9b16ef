/**
 * Tests for the R3000A interpreter's instructions: ALU results and their sign and zero extension,
 * loads and stores (lwl/lwr/swl/swr at every alignment against a byte model), the multiply and
 * divide unit against BigInt arithmetic, branch and jump delay slots and links, and the counters
 * and breakpoints of `execute`. Exceptions live in cpu_exceptions_test.ts, the TLB in
 * tlb_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC, VECTOR } from "../../machine/cp0.ts";
import { TIMING } from "../../machine/timing.ts";
import { bench, excCode, finish, ORIGIN, R, run, runTo, u } from "./_cpu.ts";

const INT_MIN = -0x80000000;

/** ALU programs and the value they leave in $t0 (unsigned). */
const ALU: [string, number][] = [
  ["li $t1, 0x7fffffff; li $t2, 1; addu $t0, $t1, $t2", 0x80000000],
  ["li $t1, 0x7fffffff; addiu $t0, $t1, 1", 0x80000000],
  ["li $t1, 0x80000000; addiu $t0, $t1, -1", 0x7fffffff],
  ["li $t1, 0x80000000; li $t2, 1; subu $t0, $t1, $t2", 0x7fffffff],
  ["li $t1, 5; li $t2, -7; add $t0, $t1, $t2", 0xfffffffe],
  ["li $t1, 0x7ffffffe; li $t2, 1; add $t0, $t1, $t2", 0x7fffffff],
  ["li $t1, 5; addi $t0, $t1, -7", 0xfffffffe],
  ["li $t1, 0x80000001; addi $t0, $t1, -1", 0x80000000],
  ["li $t1, 5; li $t2, 7; sub $t0, $t1, $t2", 0xfffffffe],
  ["li $t1, -1; li $t2, 0x7fffffff; sub $t0, $t1, $t2", 0x80000000],
  ["addiu $t0, $zero, -1", 0xffffffff],
  ["addiu $t0, $zero, -32768", 0xffff8000],
  ["ori $t0, $zero, 0xffff", 0x0000ffff],
  ["ori $t0, $zero, 0x8000", 0x00008000],
  ["li $t1, 0xf0000000; ori $t0, $t1, 0x8001", 0xf0008001],
  ["li $t1, -1; andi $t0, $t1, 0x8000", 0x00008000],
  ["li $t1, -1; xori $t0, $t1, 0xffff", 0xffff0000],
  ["li $t1, 0x0ff00ff0; li $t2, 0x00ffff00; and $t0, $t1, $t2", 0x00f00f00],
  ["li $t1, 0x0ff00ff0; li $t2, 0x00ffff00; or $t0, $t1, $t2", 0x0ffffff0],
  ["li $t1, 0x0ff00ff0; li $t2, 0x00ffff00; xor $t0, $t1, $t2", 0x0f0ff0f0],
  ["li $t1, 0x0ff00ff0; li $t2, 0x00ffff00; nor $t0, $t1, $t2", 0xf000000f],
  ["lui $t0, 0x8001", 0x80010000],
  ["li $t0, -1; lui $t0, 0x1234", 0x12340000],
  ["li $t1, -1; slti $t0, $t1, 0", 1],
  ["li $t1, 1; slti $t0, $t1, -1", 0],
  ["li $t1, 0x80000000; slti $t0, $t1, -32768", 1],
  ["li $t1, 5; sltiu $t0, $t1, -1", 1],
  ["li $t1, -2; sltiu $t0, $t1, -1", 1],
  ["li $t1, -1; sltiu $t0, $t1, -1", 0],
  ["li $t1, -1; sltiu $t0, $t1, 1", 0],
  ["li $t1, 0x8000; sltiu $t0, $t1, -32768", 1],
  ["li $t1, 0xffff7fff; sltiu $t0, $t1, -32768", 1],
  ["li $t1, -1; li $t2, 0; slt $t0, $t1, $t2", 1],
  ["li $t1, -1; li $t2, 0; sltu $t0, $t1, $t2", 0],
  ["li $t1, 0x80000000; li $t2, 0x7fffffff; slt $t0, $t1, $t2", 1],
  ["li $t1, 0x80000000; li $t2, 0x7fffffff; sltu $t0, $t1, $t2", 0],
  ["li $t1, 3; li $t2, 3; slt $t0, $t1, $t2", 0],
  ["li $t1, 0x80000001; sll $t0, $t1, 31", 0x80000000],
  ["li $t1, 0x80000001; sll $t0, $t1, 0", 0x80000001],
  ["li $t1, 0x80000000; srl $t0, $t1, 31", 1],
  ["li $t1, 0x80000000; sra $t0, $t1, 31", 0xffffffff],
  ["li $t1, 0x40000000; sra $t0, $t1, 30", 1],
  ["li $t1, 1; li $t2, 33; sllv $t0, $t1, $t2", 2],
  ["li $t1, 1; li $t2, 32; sllv $t0, $t1, $t2", 1],
  ["li $t1, 0x80000000; li $t2, -1; srlv $t0, $t1, $t2", 1],
  ["li $t1, 0x80000000; li $t2, 36; srlv $t0, $t1, $t2", 0x08000000],
  ["li $t1, 0x80000000; li $t2, 63; srav $t0, $t1, $t2", 0xffffffff],
  ["li $t1, 0x80000000; li $t2, 0x104; srav $t0, $t1, $t2", 0xf8000000],
];

Deno.test("Cpu computes every ALU instruction with MIPS I extension rules", () => {
  for (const [src, want] of ALU) {
    const { cpu } = finish(`${src}; break`);
    assert.equal(u(cpu, R.t0), want, src);
  }
});

Deno.test("Cpu keeps $zero at zero whatever writes it", () => {
  const { cpu } = finish(
    asm`
    .set noreorder
    addiu $zero, $zero, 5
    lui $zero, 0x1234
    lw $zero, 0($sp)
    la $t9, 1f
    jalr $zero, $t9
    nop
  1:
    or $t0, $zero, $zero
    addu $t1, $zero, $zero
    break`,
    ({ cpu }) => cpu.regs[29] = ORIGIN | 0,
  );
  assert.equal(cpu.regs[0], 0);
  assert.equal(cpu.regs[R.t0], 0);
  assert.equal(cpu.regs[R.t1], 0);
});

Deno.test("Cpu loads bytes and halfwords with sign or zero extension", () => {
  const { cpu } = finish(
    asm`
    li $a0, 0x80031000
    lb $t0, 0($a0)
    lbu $t1, 0($a0)
    lh $t2, 2($a0)
    lhu $t3, 2($a0)
    lw $t4, 0($a0)
    lb $s0, 1($a0)
    lh $s1, -2($a0)
    break`,
    ({ bus }) => {
      bus.ram32[0x31000 >> 2] = 0x8081_7f80 | 0;
      bus.ram32[(0x31000 >> 2) - 1] = 0x7ffe_0000;
    },
  );
  assert.equal(u(cpu, R.t0), 0xffffff80);
  assert.equal(u(cpu, R.t1), 0x80);
  assert.equal(u(cpu, R.t2), 0xffff8081);
  assert.equal(u(cpu, R.t3), 0x8081);
  assert.equal(u(cpu, R.t4), 0x80817f80);
  assert.equal(u(cpu, R.s0), 0x7f);
  assert.equal(u(cpu, R.s1), 0x7ffe);
});

Deno.test("Cpu stores bytes, halfwords and words little-endian, seen through kseg1 too", () => {
  const { cpu, bus } = finish(asm`
    li $a0, 0x80031000
    li $t0, 0x11223344
    sw $t0, 0($a0)
    sb $t0, 5($a0)
    sh $t0, 6($a0)
    li $a1, 0xa0031000
    lw $t1, 4($a1)
    break`);
  assert.deepEqual([...bus.ram8.subarray(0x31000, 0x31008)], [
    0x44,
    0x33,
    0x22,
    0x11,
    0,
    0x44,
    0x44,
    0x33,
  ]);
  assert.equal(u(cpu, R.t1), 0x33444400);
});

/** The byte model of the little-endian partial-word instructions. */
function partial(op: string, mem: number[], reg: number, a: number): number {
  const k = a & 3;
  const byte = (j: number) => (reg >>> (8 * j)) & 0xff;
  const set = (j: number, v: number) => (reg & ~(0xff << (8 * j))) | (v << (8 * j));
  for (let j = 0; j <= (op === "lwl" || op === "swl" ? k : 3 - k); j++) {
    if (op === "lwl") reg = set(3 - j, mem[a - j]);
    else if (op === "lwr") reg = set(j, mem[a + j]);
    else if (op === "swl") mem[a - j] = byte(3 - j);
    else mem[a + j] = byte(j);
  }
  return reg >>> 0;
}

Deno.test("Cpu runs lwl, lwr, swl and swr at every alignment as the byte model says", () => {
  const base = 0x80031000;
  for (const op of ["lwl", "lwr", "swl", "swr"]) {
    for (let a = 4; a < 8; a++) {
      const mem = Array.from({ length: 12 }, (_, i) => 0x10 + i);
      const { cpu, bus } = finish(
        `li $a0, ${base + a}; li $t0, 0xa1b2c3d4; ${op} $t0, 0($a0); break`,
        ({ bus }) => bus.ram8.set(mem, 0x31000),
      );
      const want = partial(op, mem, 0xa1b2c3d4, a);
      const what = `${op} at offset ${a}`;
      assert.equal(u(cpu, R.t0), want, what);
      assert.deepEqual([...bus.ram8.subarray(0x31000, 0x3100c)], mem, what);
    }
  }
});

Deno.test("Cpu loads and stores an unaligned word with the lwl/lwr and swl/swr pairs", () => {
  for (let a = 0; a < 4; a++) {
    const { cpu, bus } = finish(
      asm`
      li $a0, ${0x80031000 + a}
      lwl $t0, 3($a0)
      lwr $t0, 0($a0)
      li $t1, 0xcafef00d
      li $a1, ${0x80031010 + a}
      swl $t1, 3($a1)
      swr $t1, 0($a1)
      break`,
      ({ bus }) => bus.ram8.set([1, 2, 3, 4, 5, 6, 7, 8], 0x31000),
    );
    const want = new DataView(bus.ram8.buffer).getUint32(0x31000 + a, true);
    assert.equal(u(cpu, R.t0), want, `load at +${a}`);
    const got = new DataView(bus.ram8.buffer).getUint32(0x31010 + a, true);
    assert.equal(got, 0xcafef00d, `store at +${a}`);
    assert.equal(bus.ram8[0x31010 + a - 1] ?? 0, 0, `byte before the store at +${a}`);
    assert.equal(bus.ram8[0x31010 + a + 4], 0, `byte after the store at +${a}`);
  }
});

const OPERANDS = [
  0,
  1,
  -1,
  2,
  -2,
  7,
  -7,
  0x7fffffff,
  INT_MIN,
  0x12345678,
  -0x12345678,
  0xffff,
  0x10000,
];

Deno.test("Cpu multiplies and divides like BigInt arithmetic for every sign combination", () => {
  const b = bench(asm`
    mult $a0, $a1; mfhi $t0; mflo $t1
    multu $a0, $a1; mfhi $t2; mflo $t3
    div $a0, $a1; mfhi $t4; mflo $t5
    divu $a0, $a1; mfhi $t6; mflo $t7
    break`);
  const { cpu } = b;
  const s32 = (v: bigint) => Number(BigInt.asIntN(32, v));
  for (const x of OPERANDS) {
    for (const y of OPERANDS) {
      cpu.regs[R.a0] = x;
      cpu.regs[R.a1] = y;
      cpu.pc = ORIGIN;
      runTo(b, VECTOR.GENERAL);
      assert.equal(excCode(cpu), EXC.Bp);
      const got = Array.from(cpu.regs.subarray(8, 16));
      const sx = BigInt(x), sy = BigInt(y);
      const ux = BigInt(x >>> 0), uy = BigInt(y >>> 0);
      const want = [s32((sx * sy) >> 32n), s32(sx * sy), s32((ux * uy) >> 32n), s32(ux * uy)];
      if (y === 0) want.push(x, x >= 0 ? -1 : 1, x, -1);
      else want.push(s32(sx % sy), s32(sx / sy), s32(ux % uy), s32(ux / uy));
      assert.deepEqual(got, want, `${x} and ${y}`);
    }
  }
});

Deno.test("Cpu leaves HI 0, not -0, after a signed DIV of a negative multiple", () => {
  // JavaScript's -6 % 3 is -0; TypeScript reading cpu.hi (the REPL, snapshots) must see 0.
  const { cpu } = finish(asm`
    li $a0, -6
    li $a1, 3
    div $a0, $a1
    break`);
  assert.ok(Object.is(cpu.hi, 0), `HI is ${Object.is(cpu.hi, -0) ? "-0" : cpu.hi}`);
  assert.equal(cpu.lo, -2);
});

Deno.test("Cpu multiplies the corner cases exactly", () => {
  const { cpu } = finish(asm`
    li $a0, 0x80000000
    mult $a0, $a0; mfhi $t0; mflo $t1
    li $a1, -1
    mult $a1, $a1; mfhi $t2; mflo $t3
    multu $a1, $a1; mfhi $t4; mflo $t5
    div $a0, $a1; mfhi $t6; mflo $t7
    break`);
  assert.deepEqual(Array.from(cpu.regs.subarray(8, 16), (v) => v >>> 0), [
    0x40000000,
    0,
    0,
    1,
    0xfffffffe,
    1,
    0,
    0x80000000,
  ]);
});

Deno.test("Cpu moves values to and from HI and LO", () => {
  const { cpu } = finish(asm`
    li $t0, 0x12345678; li $t1, -5
    mthi $t0; mtlo $t1
    mfhi $t2; mflo $t3
    break`);
  assert.equal(u(cpu, R.t2), 0x12345678);
  assert.equal(cpu.regs[R.t3], -5);
  assert.equal(cpu.hi, 0x12345678);
  assert.equal(cpu.lo, -5);
});

Deno.test("Cpu interlocks MFLO on a busy multiply or divide: 13 and 36 cycles back to back", () => {
  // The result is ready `latency` cycles after the MULT/DIV issues; MFLO then takes its own cycle.
  for (const [op, latency] of [["mult", TIMING.multiply], ["div", TIMING.divide]] as const) {
    for (const gap of [0, 1, 5, latency - 2, latency - 1, latency, latency + 3]) {
      for (const stepwise of [false, true]) {
        const b = bench(`li $a0, 7; li $a1, 3; ${op} $a0, $a1;${" nop;".repeat(gap)} mflo $t0`);
        const { cpu } = b;
        cpu.execute(2);
        const before = cpu.cycles;
        if (stepwise) { for (let i = 0; i < gap + 2; i++) cpu.step(); }
        else assert.equal(cpu.execute(gap + 2), "limit");
        const what = `${op}, ${gap} nops, ${stepwise ? "step by step" : "one execute"}`;
        assert.equal(cpu.cycles - before, Math.max(latency + 1, gap + 2), what);
        assert.equal(cpu.regs[R.t0], op === "mult" ? 21 : 2, what);
      }
    }
  }
});

/** Branches, a register value, and whether the branch is taken. */
const BRANCHES: [string, (v: number) => boolean][] = [
  ["beq $a0, $zero", (v) => v === 0],
  ["bne $a0, $zero", (v) => v !== 0],
  ["blez $a0", (v) => v <= 0],
  ["bgtz $a0", (v) => v > 0],
  ["bltz $a0", (v) => v < 0],
  ["bgez $a0", (v) => v >= 0],
  ["bltzal $a0", (v) => v < 0],
  ["bgezal $a0", (v) => v >= 0],
];

Deno.test("Cpu runs the delay slot of every branch, taken or not, and links bltzal/bgezal", () => {
  for (const [br, taken] of BRANCHES) {
    for (const v of [INT_MIN, -1, 0, 1, 0x7fffffff]) {
      const { cpu, p } = finish(asm`
        .set noreorder
        li $a0, ${v}
      site:
        ${br}, there
        addiu $t1, $t1, 1
        addiu $t2, $zero, 1
        break
      there:
        addiu $t3, $zero, 1
        break`);
      const what = `${br} with ${v}`;
      assert.equal(cpu.regs[R.t1], 1, what);
      assert.equal(cpu.regs[R.t2], taken(v) ? 0 : 1, what);
      assert.equal(cpu.regs[R.t3], taken(v) ? 1 : 0, what);
      const links = br.includes("al ");
      assert.equal(cpu.regs[R.ra], links ? p.symbols.site + 8 | 0 : 0, what);
    }
  }
});

Deno.test("Cpu branches backwards and runs the delay slot on every trip", () => {
  const { cpu } = finish(asm`
    .set noreorder
    li $t0, 5
  1:
    addiu $t0, $t0, -1
    bnez $t0, 1b
    addiu $t1, $t1, 1
    break`);
  assert.equal(cpu.regs[R.t0], 0);
  assert.equal(cpu.regs[R.t1], 5);
});

Deno.test("Cpu jumps with j, jal, jr and jalr and links pc + 8", () => {
  const { cpu, p } = finish(asm`
    .set noreorder
    j 1f
    addiu $t0, $zero, 1
    break
  1:
  jal_at:
    jal sub
    addiu $t1, $zero, 1
    la $t9, sub2
  jalr_at:
    jalr $s0, $t9
    addiu $t2, $zero, 1
    break
  sub:
    addiu $v0, $v0, 1
    jr $ra
    addiu $v1, $v1, 1
  sub2:
    addiu $v0, $v0, 1
    jr $s0
    addiu $v1, $v1, 1`);
  assert.equal(cpu.regs[R.t0], 1);
  assert.equal(cpu.regs[R.t1], 1);
  assert.equal(cpu.regs[R.t2], 1);
  assert.equal(cpu.regs[R.v0], 2, "sub ran twice");
  assert.equal(cpu.regs[R.v1], 2, "the jr delay slot ran twice");
  assert.equal(u(cpu, R.ra), p.symbols.jal_at + 8, "jal links; jalr $s0 leaves $ra");
  assert.equal(u(cpu, R.s0), p.symbols.jalr_at + 8);
  assert.equal(cpu.cp0[CP0.EPC] >>> 0, p.symbols.jalr_at + 8);
});

Deno.test("Cpu takes the j and jal region bits from the delay slot's address", () => {
  // The same code run through kseg1 stays in kseg1: the target's top four bits come from pc.
  const b = bench(asm`
    .set noreorder
    jal 1f
    nop
    break
  1:
    break`);
  b.cpu.pc = ORIGIN + 0x20000000;
  runTo(b, VECTOR.GENERAL);
  assert.equal(b.cpu.cp0[CP0.EPC] >>> 0, ORIGIN + 0x2000000c);
  assert.equal(u(b.cpu, R.ra), ORIGIN + 0x20000008);
});

Deno.test("Cpu.execute counts one cycle per instruction, uncached fetches and exceptions", () => {
  const src = "li $t0, 1; addiu $t0, $t0, 1; addiu $t0, $t0, 1; sll $t0, $t0, 2; syscall";
  const cached = run(src).cpu;
  assert.equal(cached.instructions, 5);
  assert.equal(cached.cycles, 5 + TIMING.exception);
  const b = bench(src);
  b.cpu.pc = ORIGIN + 0x20000000;
  runTo(b, VECTOR.GENERAL);
  assert.equal(b.cpu.instructions, 5);
  assert.equal(b.cpu.cycles, 5 * (1 + TIMING.uncached) + TIMING.exception);
  const load = run("li $a0, 0xa0031000; lw $t0, 0($a0); lw $t0, 4($a0); break").cpu;
  assert.equal(load.cycles, 5 + 2 * TIMING.uncached + TIMING.exception);
});

Deno.test("Cpu.execute stops before the breakpoint, resumes past it and honours the limit", () => {
  const b = bench(asm`
    .set noreorder
    li $t0, 0
  loop:
    addiu $t0, $t0, 1
    b loop
    nop`);
  const { cpu, p } = b;
  assert.equal(cpu.execute(100, p.symbols.loop), "breakpoint");
  assert.equal(cpu.pc, p.symbols.loop);
  assert.equal(cpu.instructions, 1);
  assert.equal(cpu.regs[R.t0], 0);
  assert.equal(cpu.execute(100, p.symbols.loop), "breakpoint");
  assert.equal(cpu.instructions, 4);
  assert.equal(cpu.regs[R.t0], 1);
  assert.equal(cpu.execute(7), "limit");
  assert.equal(cpu.instructions, 11);
  assert.equal(cpu.cycles, 11);
  cpu.pc = p.symbols.loop;
  assert.equal(cpu.execute(100, p.symbols.loop), "breakpoint", "a pc set by hand is resumed");
  assert.equal(cpu.instructions, 14);
});

Deno.test("Cpu.execute stops at a breakpoint on an exception vector", () => {
  const { cpu } = run("li $t0, 1; syscall; nop");
  assert.equal(cpu.pc, VECTOR.GENERAL >>> 0);
  assert.equal(cpu.instructions, 2);
});

Deno.test("Cpu.execute stops at a breakpoint reached just as a slice ended", () => {
  // mtc0 ends the slice ("attention") with pc on the breakpoint; the next call must stop there.
  const b = bench("mtc0 $zero, $cause; here: addiu $t0, $zero, 1; break");
  const { cpu, p } = b;
  assert.equal(cpu.execute(100, p.symbols.here), "attention");
  assert.equal(cpu.pc, p.symbols.here);
  assert.equal(cpu.execute(100, p.symbols.here), "breakpoint");
  assert.equal(cpu.regs[R.t0], 0);
  assert.equal(cpu.execute(1), "limit");
  assert.equal(cpu.regs[R.t0], 1);
});
