/**
 * Tests for the R3000A's exceptions: every code with the Cause, EPC, BadVAddr and Status it
 * leaves, faults in and out of branch delay slots, the KU/IE stack and RFE, user-mode protection,
 * coprocessor usability, interrupts and the hypercall. TLB exceptions are in tlb_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CAUSE, CP0, EXC, SR, TLB, VECTOR } from "../../machine/cp0.ts";
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
  type Setup,
  u,
} from "./_cpu.ts";

const GENERAL = VECTOR.GENERAL >>> 0;

/**
 * A kernel routine that enters user mode at label `user`, run through its kuseg alias (bit 31
 * clear; `runUser` maps the page), with Status `sr` plus KUp and IEp: `jr; rfe` as kernels do.
 */
function toUser(sr = 0): string {
  return `
  .set noreorder
  la $a0, user
  sll $a0, $a0, 1
  srl $a0, $a0, 1
  li $t9, ${sr | SR.KUp | SR.IEp}
  mtc0 $t9, $status
  jr $a0
  rfe
  .set reorder
  user:`;
}

/** Runs `user` in user mode (Status extra bits `sr`) until its first exception. */
function runUser(user: string, sr = 0, setup?: Setup): Bench {
  return run(`${toUser(sr)} ${user}; nop; break`, (b) => {
    mapPage(b.cpu, 0, ORIGIN & 0x7fffffff, 0, ORIGIN & 0x1fffffff, TLB.V | TLB.G);
    b.cpu.regs[R.t0] = 0x5a5a;
    setup?.(b);
  });
}

/** What an exception should leave behind. */
interface Expect {
  code: number;
  /** The EPC, as a symbol of the program or an address. */
  epc: string | number;
  badVAddr?: number;
  bd?: boolean;
  /** The EPC symbol is in user code, run through its kuseg alias. */
  user?: boolean;
}

/** Checks Cause, EPC, BadVAddr and the vector after a run stopped on an exception. */
function expectException(b: Bench, e: Expect, what = ""): void {
  const { cpu, p } = b;
  const cause = cpu.cp0[CP0.Cause];
  assert.equal(cpu.pc, GENERAL, `${what}: pc is the general vector`);
  assert.equal(excCode(cpu), e.code, `${what}: exception code`);
  const epc = typeof e.epc === "number"
    ? e.epc
    : p.symbols[e.epc] & (e.user ? 0x7fffffff : 0xffffffff);
  assert.equal(cpu.cp0[CP0.EPC] >>> 0, epc >>> 0, `${what}: EPC`);
  assert.equal((cause & CAUSE.BD) !== 0, e.bd ?? false, `${what}: Cause.BD`);
  if (e.badVAddr !== undefined) {
    assert.equal(cpu.cp0[CP0.BadVAddr] >>> 0, e.badVAddr >>> 0, `${what}: BadVAddr`);
  }
  assert.equal(cpu.exceptionCounts[e.code], 1, `${what}: exceptionCounts`);
}

/** Programs that fault, what they leave, and $t0 preset to 0x5a5a so a clobber shows. */
const FAULTS: [string, string, Expect][] = [
  ["add overflow", "li $t1, 0x7fffffff; li $t2, 1; f: add $t0, $t1, $t2", {
    code: EXC.Ov,
    epc: "f",
  }],
  ["add overflow down", "li $t1, 0x80000000; f: add $t0, $t1, $t1", { code: EXC.Ov, epc: "f" }],
  ["addi overflow", "li $t1, 0x7fffffff; f: addi $t0, $t1, 1", { code: EXC.Ov, epc: "f" }],
  ["addi overflow down", "li $t1, 0x80000000; f: addi $t0, $t1, -1", { code: EXC.Ov, epc: "f" }],
  [
    "sub overflow",
    "li $t1, 0x80000000; li $t2, 1; f: sub $t0, $t1, $t2",
    { code: EXC.Ov, epc: "f" },
  ],
  ["sub overflow up", "li $t2, 0x80000000; f: sub $t0, $zero, $t2", { code: EXC.Ov, epc: "f" }],
  [
    "misaligned lw",
    "li $a0, 0x80031002; f: lw $t0, 0($a0)",
    { code: EXC.AdEL, epc: "f", badVAddr: 0x80031002 },
  ],
  [
    "misaligned lh",
    "li $a0, 0x80031000; f: lh $t0, 3($a0)",
    { code: EXC.AdEL, epc: "f", badVAddr: 0x80031003 },
  ],
  [
    "misaligned lhu",
    "li $a0, 0x80031000; f: lhu $t0, 1($a0)",
    { code: EXC.AdEL, epc: "f", badVAddr: 0x80031001 },
  ],
  [
    "misaligned sw",
    "li $a0, 0x80031000; f: sw $t0, 1($a0)",
    { code: EXC.AdES, epc: "f", badVAddr: 0x80031001 },
  ],
  [
    "misaligned sh",
    "li $a0, 0x80031000; f: sh $t0, -1($a0)",
    { code: EXC.AdES, epc: "f", badVAddr: 0x80030fff },
  ],
  [
    "fetch from a misaligned pc",
    "li $a0, 0x80030102; jr $a0",
    { code: EXC.AdEL, epc: 0x80030102, badVAddr: 0x80030102 },
  ],
  ["fetch where nothing answers", "li $a0, 0x9e000000; jr $a0", { code: EXC.IBE, epc: 0x9e000000 }],
  ["load where nothing answers", "li $a0, 0xbe000000; f: lw $t0, 0($a0)", {
    code: EXC.DBE,
    epc: "f",
  }],
  ["load beyond RAM in kseg0", "li $a0, 0x80100000; f: lbu $t0, 0($a0)", {
    code: EXC.DBE,
    epc: "f",
  }],
  ["syscall", "f: syscall 7", { code: EXC.Sys, epc: "f" }],
  ["break", "f: break 3", { code: EXC.Bp, epc: "f" }],
  ["reserved opcode", "f: .word 0x7c000000", { code: EXC.RI, epc: "f" }],
  ["reserved SPECIAL function", "f: .word 0x0000003f", { code: EXC.RI, epc: "f" }],
  ["reserved REGIMM", "f: .word 0x04050000", { code: EXC.RI, epc: "f" }],
  ["hcall with no handler", "f: hcall 5", { code: EXC.RI, epc: "f" }],
];

Deno.test("Cpu raises each exception with its Cause, EPC, BadVAddr, leaving rt alone", () => {
  for (const [what, src, e] of FAULTS) {
    const b = run(`${src}; nop; break`, ({ cpu }) => cpu.regs[R.t0] = 0x5a5a);
    expectException(b, e, what);
    assert.equal(b.cpu.regs[R.t0], 0x5a5a, `${what}: destination unchanged`);
    assert.equal(b.cpu.cp0[CP0.Status] & 0x3f, 0, `${what}: KU/IE pushed`);
  }
});

Deno.test("Cpu never traps on addu, addiu and subu overflow", () => {
  const { cpu } = finish(`li $t1, 0x7fffffff; addu $t0, $t1, $t1; addiu $t2, $t1, 1;
    li $t3, 0x80000000; subu $t4, $t3, $t1; break`);
  assert.equal(u(cpu, R.t0), 0xfffffffe);
  assert.equal(u(cpu, R.t2), 0x80000000);
  assert.equal(u(cpu, R.t4), 1);
});

Deno.test("Cpu reports a fault in a delay slot at the branch, with Cause.BD", () => {
  for (const br of ["beq $zero, $zero, 1f", "bne $zero, $zero, 1f", "jal 1f", "jr $s0"]) {
    const b = run(
      asm`
      .set noreorder
      li $a0, 0x80031001
    br:
      ${br}
      lw $t0, 0($a0)
      nop
    1:
      break`,
      ({ cpu, p }) => cpu.regs[R.s0] = p.symbols.br | 0,
    );
    expectException(b, { code: EXC.AdEL, epc: "br", badVAddr: 0x80031001, bd: true }, br);
  }
  const b = run(asm`
    .set noreorder
    b 1f
    syscall
  1:
    break`);
  expectException(b, { code: EXC.Sys, epc: ORIGIN, bd: true }, "syscall in a delay slot");
  const after = run(asm`
    .set noreorder
    b 1f
    nop
  1:
  f:
    syscall`);
  expectException(after, { code: EXC.Sys, epc: "f" }, "syscall at a branch target");
});

Deno.test("Cpu pushes the KU/IE stack on an exception and RFE pops it, keeping KUo/IEo", () => {
  const b = run("syscall", ({ cpu }) => cpu.cp0[CP0.Status] = SR.IM | 0b001101);
  assert.equal(b.cpu.cp0[CP0.Status], SR.IM | 0b110100);
  b.cpu.cp0[CP0.Status] = 0b111001;
  load(b.bus, asm`rfe; break`.at(GENERAL));
  b.cpu.execute(1);
  assert.equal(b.cpu.cp0[CP0.Status], 0b111110);
});

Deno.test("Cpu enters user mode with jr; rfe and returns from a system call with EPC + 4", () => {
  const b = bench(asm`
    ${toUser()}
    li $v0, 1
  call:
    syscall
    addiu $v0, $v0, 10
    break`);
  mapPage(b.cpu, 0, ORIGIN & 0x7fffffff, 0, ORIGIN & 0x1fffffff, TLB.V | TLB.G);
  load(
    b.bus,
    asm`
    .set noreorder
    addiu $v0, $v0, 1
    mfc0 $k0, $epc
    mfc0 $k1, $status
    addiu $k0, $k0, 4
    jr $k0
    rfe`.at(GENERAL),
  );
  const { cpu, p } = b;
  runTo(b, GENERAL);
  assert.equal(excCode(cpu), EXC.Sys);
  const call = p.symbols.call & 0x7fffffff;
  assert.equal(cpu.cp0[CP0.EPC], call);
  assert.equal(cpu.cp0[CP0.Status] & 0x3f, SR.KUp | SR.IEp, "user mode, interrupts on, pushed");
  assert.equal(cpu.kernelMode, true);
  runTo(b, GENERAL); // resumes from the vector: the handler returns, the program breaks
  assert.equal(excCode(cpu), EXC.Bp);
  assert.equal(cpu.regs[R.v0], 12);
  assert.equal(cpu.cp0[CP0.EPC], call + 8);
  assert.equal(cpu.regs[R.k1] & 0x3f, SR.KUp | SR.IEp, "the handler saw the pushed stack");
  assert.equal(cpu.exceptionCounts[EXC.Sys], 1);
  assert.equal(cpu.exceptionCounts[EXC.Bp], 1);
});

Deno.test("Cpu refuses user access above 0x80000000 with AdEL/AdES and BadVAddr", () => {
  const cases: [string, number, number][] = [
    ["li $a1, 0x80031000; f: lw $t0, 0($a1)", EXC.AdEL, 0x80031000],
    ["li $a1, 0xa0031000; f: lbu $t0, 3($a1)", EXC.AdEL, 0xa0031003],
    ["li $a1, 0xc0000000; f: lwl $t0, 0($a1)", EXC.AdEL, 0xc0000000],
    ["li $a1, 0x80031000; f: sw $t0, 8($a1)", EXC.AdES, 0x80031008],
    ["li $a1, 0xfffff000; f: sb $t0, 0($a1)", EXC.AdES, 0xfffff000],
  ];
  for (const [src, code, bad] of cases) {
    const b = runUser(src);
    expectException(b, { code, epc: "f", badVAddr: bad, user: true }, src);
    assert.equal(b.cpu.regs[R.t0], 0x5a5a, src);
    assert.equal(b.cpu.cp0[CP0.Status] & 0x3f, SR.KUp | SR.IEp, `${src}: came from user mode`);
  }
  // A kernel address reached by a jump faults on the fetch: EPC and BadVAddr are the target.
  const j = runUser("li $a1, 0x80031000; jr $a1");
  expectException(j, { code: EXC.AdEL, epc: 0x80031000, badVAddr: 0x80031000 }, "user fetch");
});

Deno.test("Cpu raises CpU naming the coprocessor in Cause.CE", () => {
  const cases: [string, number, number, string][] = [
    ["f: .word 0x44000000", SR.CU0, 1, "cop1 move with CU1 clear"],
    ["f: .word 0xc4000000", SR.CU0, 1, "lwc1 with CU1 clear"],
    ["f: .word 0x48000000", SR.CU0, 2, "cop2 with CU2 clear"],
    ["f: mfc0 $t0, $status", 0, 0, "mfc0 in user mode"],
    ["f: mtc0 $zero, $status", 0, 0, "mtc0 in user mode"],
    ["f: tlbwi", 0, 0, "tlbwi in user mode"],
    ["f: rfe", 0, 0, "rfe in user mode"],
  ];
  for (const [src, sr, ce, what] of cases) {
    const b = runUser(src, sr);
    expectException(b, { code: EXC.CpU, epc: "f", user: true }, what);
    assert.equal((b.cpu.cp0[CP0.Cause] >>> CAUSE.CE_SHIFT) & 3, ce, `${what}: CE`);
    assert.equal(b.cpu.regs[R.t0], 0x5a5a, `${what}: destination unchanged`);
  }
  const k = run("f: .word 0x44000000");
  expectException(k, { code: EXC.CpU, epc: "f" }, "cop1 in kernel mode");
  assert.equal((k.cpu.cp0[CP0.Cause] >>> CAUSE.CE_SHIFT) & 3, 1);
  // The next exception clears CE.
  load(k.bus, asm`syscall`.at(GENERAL));
  runTo(k, GENERAL, 1);
  assert.equal(excCode(k.cpu), EXC.Sys);
  assert.equal((k.cpu.cp0[CP0.Cause] >>> CAUSE.CE_SHIFT) & 3, 0);
});

Deno.test("Cpu lets user mode use CP0 when Status.CU0 is set", () => {
  const b = runUser("mfc0 $t0, $prid; mfc0 $t1, $status; break", SR.CU0);
  assert.equal(excCode(b.cpu), EXC.Bp);
  assert.equal(b.cpu.regs[R.t0], 0x0230);
  assert.equal(b.cpu.regs[R.t1] & 0x3f, SR.KUc | SR.IEc);
});

Deno.test("Cpu raises RI for hcall in user mode and runs the hypercall in kernel mode", () => {
  const user = runUser("f: hcall 9", 0, ({ cpu }) => cpu.hypercall = () => true);
  expectException(user, { code: EXC.RI, epc: "f", user: true }, "hcall in user mode");
  const codes: number[] = [];
  const b = bench("li $t0, 1; hcall 0x12345; addiu $t0, $t0, 1; break");
  b.cpu.hypercall = (code) => {
    codes.push(code);
    b.cpu.regs[R.v0] = 77;
    return true;
  };
  runTo(b, GENERAL);
  assert.equal(excCode(b.cpu), EXC.Bp);
  assert.deepEqual(codes, [0x12345]);
  assert.equal(b.cpu.regs[R.v0], 77);
  assert.equal(b.cpu.regs[R.t0], 2);
  assert.equal(b.cpu.instructions, 4);
  assert.equal(b.cpu.exceptionCounts[EXC.RI], 0);
});

/** Makes a bench whose program raises software interrupt IP0 with Status `sr`. */
function softInterrupt(sr: number): Bench {
  return bench(
    `li $t0, ${sr}; mtc0 $t0, $status; li $t1, ${1 << 8}; mtc0 $t1, $cause; after: nop; break`,
  );
}

Deno.test("Cpu takes a software interrupt at the next execute when IM and IEc allow it", () => {
  const b = softInterrupt((1 << 8) | SR.IEc);
  const { cpu, p } = b;
  assert.equal(cpu.execute(100), "attention", "mtc0 status ends the slice");
  assert.equal(cpu.execute(100), "attention", "mtc0 cause ends the slice");
  assert.equal(cpu.pc, p.symbols.after);
  assert.equal(cpu.interruptPending, true);
  const before = { i: cpu.instructions, c: cpu.cycles };
  assert.equal(cpu.execute(100, GENERAL), "breakpoint");
  expectException(b, { code: EXC.Int, epc: "after" }, "software interrupt");
  assert.equal(cpu.cp0[CP0.Cause] & CAUSE.IP, 1 << 8);
  assert.equal(cpu.cp0[CP0.Status] & 0x3f, SR.IEp);
  assert.equal(cpu.instructions, before.i, "no instruction ran");
  assert.equal(cpu.cycles - before.c, 2, "exception entry cycles");
});

Deno.test("Cpu leaves a masked or disabled interrupt pending", () => {
  for (const sr of [SR.IEc, (1 << 9) | SR.IEc, 1 << 8]) {
    const b = softInterrupt(sr);
    runTo(b, GENERAL);
    assert.equal(excCode(b.cpu), EXC.Bp, `Status 0x${sr.toString(16)}`);
    assert.equal(b.cpu.cp0[CP0.Cause] & CAUSE.IP, 1 << 8);
  }
});

Deno.test("Cpu takes a hardware interrupt line in Cause.IP2..IP7, in a delay slot at the branch", () => {
  const b = bench(asm`
    .set noreorder
  loop:
    b loop
    nop`);
  const { cpu } = b;
  cpu.cp0[CP0.Status] = (1 << 13) | SR.IEc;
  cpu.execute(1);
  assert.equal(cpu.inDelaySlot, true);
  cpu.setLine(3, true);
  cpu.setLine(0, true);
  assert.equal(cpu.cp0[CP0.Cause] & CAUSE.IP, (1 << 13) | (1 << 10));
  assert.equal(cpu.execute(10, GENERAL), "breakpoint");
  expectException(b, { code: EXC.Int, epc: "loop", bd: true }, "IP5 in a delay slot");
  cpu.setLine(3, false);
  assert.equal(cpu.cp0[CP0.Cause] & CAUSE.IP, 1 << 10);
  assert.throws(() => cpu.setLine(6, true), RangeError);
});

Deno.test("Cpu counts a faulting instruction and the exception entry", () => {
  const b = run("li $a0, 0x80031001; lw $t0, 0($a0)");
  assert.equal(b.cpu.instructions, 3);
  assert.equal(b.cpu.cycles, 3 + 2);
});
