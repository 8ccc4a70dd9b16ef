/**
 * Tests for the R3000A's load delay (machine/cpu.ts), one or more per rule, each from guest code
 * the CPU executes: the instruction after a load or MFC0 sees the old value and the one after
 * that the new; a delay-slot instruction that writes the register keeps its own value; LWL and
 * LWR merge with a pending load of their register; a load in a load's delay slot; exceptions,
 * interrupts, hypercalls, stops of `execute`, snapshots and a pc set by hand in between; no
 * stall cycles for loads while MFHI/MFLO keep their interlock.
 *
 * The programs read registers in load delay slots on purpose, so they are assembled with
 * `.set noreorder` and the assembler's hazard check off.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsmSource, type AssembleOptions, type Program } from "../../machine/asm/mod.ts";
import { CP0, EXC, SR, VECTOR } from "../../machine/cp0.ts";
import { TIMING } from "../../machine/timing.ts";
import { bench, excCode, finish, load, R, runTo, u } from "./_cpu.ts";

/** Assembly that reads registers in load delay slots on purpose: no hazard check. */
class Raw extends AsmSource {
  /** Assembles with the hazard check off. */
  override at(origin: number, options: Omit<AssembleOptions, "origin"> = {}): Program {
    return super.at(origin, { ...options, checkHazards: false });
  }
}

/** A noreorder program, unchecked: `raw\`...\``, with numbers or text interpolated. */
function raw(strings: TemplateStringsArray, ...values: (number | string)[]): Raw {
  let s = "        .set noreorder\n" + strings[0];
  values.forEach((v, i) => s += String(v) + strings[i + 1]);
  return new Raw(s);
}

/** The word the tests load, and where (kseg0 0x80040000, physical 0x40000). */
const DATA = 0x80040000, WORD = 0x11223344;

/** Puts WORD at DATA and 0x55667788 after it, and a0 = DATA. */
function data({ cpu, bus }: { cpu: { regs: Int32Array }; bus: { ram32: Int32Array } }) {
  bus.ram32[0x40000 >> 2] = WORD;
  bus.ram32[(0x40000 >> 2) + 1] = 0x55667788;
  cpu.regs[R.a0] = DATA | 0;
}

/** t0 = 7, a load of WORD into t0, then t1 = t0 (the delay slot) and t2 = t0 (after it). */
const PAIR = raw`
        li $t0, 7
        lw $t0, 0($a0)
        move $t1, $t0
        move $t2, $t0
        break`;

Deno.test("Cpu: the instruction after a load sees the old value, the next one the new", () => {
  const cases: [string, number][] = [
    ["lw $t0, 0($a0)", WORD],
    ["lb $t0, 3($a0)", 0x11],
    ["lbu $t0, 0($a0)", 0x44],
    ["lh $t0, 2($a0)", 0x1122],
    ["lhu $t0, 0($a0)", 0x3344],
    ["lwl $t0, 3($a0)", WORD],
    ["lwr $t0, 0($a0)", WORD],
  ];
  for (const [load, want] of cases) {
    const { cpu } = finish(
      raw`
        li $t0, 7
        ${load}
        move $t1, $t0
        move $t2, $t0
        break`,
      data,
    );
    assert.equal(u(cpu, R.t1), 7, `${load}: the delay slot sees the old value`);
    assert.equal(u(cpu, R.t2), want, `${load}: the next instruction the loaded one`);
    assert.equal(u(cpu, R.t0), want, load);
  }
});

Deno.test("Cpu: MFC0 behaves like a load", () => {
  const { cpu } = finish(raw`
        li $t0, 7
        mfc0 $t0, $prid
        move $t1, $t0
        move $t2, $t0
        break`);
  assert.equal(u(cpu, R.t1), 7);
  assert.equal(u(cpu, R.t2), 0x0230);
});

Deno.test("Cpu: the delay slot reads the old value as a store, a branch, a base and a jump", () => {
  const { cpu, bus } = finish(
    raw`
        li $t0, 0
        lw $t0, 0($a0)
        sw $t0, 8($a0)           # stores the old 0
        lw $t1, 4($a0)
        beqz $t1, 1f             # the old t1 (0): taken
        nop
        li $s0, 1                # (skipped)
1:      lw $a1, 4($a0)
        lw $t2, 0($a1)           # the base is still DATA: loads WORD
        la $t3, 2f
        lw $t3, 4($a0)
        jr $t3                   # jumps to 2f, the old t3
        nop
        li $s1, 1                # (skipped)
2:      break`,
    (b) => {
      data(b);
      b.cpu.regs[R.a1] = DATA | 0;
    },
  );
  assert.equal(bus.ram32[(0x40000 >> 2) + 2], 0);
  assert.equal(u(cpu, R.s0), 0);
  assert.equal(u(cpu, R.t2), WORD);
  assert.equal(u(cpu, R.s1), 0);
  assert.equal(u(cpu, R.t3), 0x55667788);
});

Deno.test("Cpu: a delay-slot instruction that writes the register keeps its own value", () => {
  const { cpu, p } = finish(
    raw`
        lw $t0, 0($a0)
        addiu $t0, $zero, 5      # its write stays
        lw $t1, 0($a0)
        lui $t1, 0x7777
        lw $t2, 0($a0)
        mfhi $t2                 # (hi = 9)
        lw $ra, 0($a0)
        bltzal $zero, after      # not taken, but it links
        nop
after:  lw $t3, 0($a0)
        addiu $t3, $t3, 1        # reads the old t3 (3), writes 4
        move $s0, $t3
        break`,
    (b) => {
      data(b);
      b.cpu.hi = 9;
      b.cpu.regs[R.t3] = 3;
    },
  );
  assert.equal(u(cpu, R.t0), 5);
  assert.equal(u(cpu, R.t1), 0x77770000);
  assert.equal(u(cpu, R.t2), 9);
  assert.equal(u(cpu, R.ra), p.symbols.after, "ra: bltzal's link");
  assert.equal(u(cpu, R.t3), 4);
  assert.equal(u(cpu, R.s0), 4);
});

Deno.test("Cpu: lwr; lwl merge with each other's pending value, at every alignment", () => {
  for (let a = 0; a < 4; a++) {
    const { cpu, bus } = finish(
      raw`
        li $t0, 0x5a5a5a5a
        lwr $t0, ${a}($a0)
        lwl $t0, ${a + 3}($a0)
        move $t1, $t0            # lwr's value: the lwl is pending
        move $t2, $t0            # the merged word
        lw $t3, 4($a0)
        lwl $t3, ${a + 3}($a0)   # merges with the pending lw's value
        nop
        break`,
      ({ cpu, bus }) => {
        bus.ram8.set([1, 2, 3, 4, 5, 6, 7, 8], 0x40000);
        cpu.regs[R.a0] = DATA | 0;
      },
    );
    const mem = [...bus.ram8.subarray(0x40000, 0x40008)];
    const word = new DataView(bus.ram8.buffer).getUint32(0x40000 + a, true);
    assert.equal(u(cpu, R.t2), word, `lwr; lwl at +${a}`);
    assert.equal(u(cpu, R.t1), lwr(mem, a, 0x5a5a5a5a), `the lwr alone at +${a}`);
    assert.equal(u(cpu, R.t3), lwl(mem, a + 3, 0x08070605), `lw; lwl at +${a}`);
  }
});

/** LWL of the little-endian bytes `mem` at `addr` into `reg`: the bytes up to addr, high first. */
function lwl(mem: number[], addr: number, reg: number): number {
  for (let j = 0; j <= (addr & 3); j++) {
    const shift = 8 * (3 - j);
    reg = (reg & ~(0xff << shift)) | (mem[addr - j] << shift);
  }
  return reg >>> 0;
}

/** LWR of the little-endian bytes `mem` at `addr` into `reg`: the bytes from addr, low first. */
function lwr(mem: number[], addr: number, reg: number): number {
  for (let j = 0; j <= 3 - (addr & 3); j++) {
    reg = (reg & ~(0xff << (8 * j))) | (mem[addr + j] << (8 * j));
  }
  return reg >>> 0;
}

Deno.test("Cpu: a load in the delay slot of a load to the same register lands after it", () => {
  const { cpu } = finish(
    raw`
        li $t0, 7
        lw $t0, 0($a0)
        lw $t0, 4($a0)
        move $t1, $t0            # the first load's value
        move $t2, $t0            # the second's
        break`,
    data,
  );
  assert.equal(u(cpu, R.t1), WORD);
  assert.equal(u(cpu, R.t2), 0x55667788);
});

Deno.test("Cpu: a load whose delay-slot instruction traps has completed in the handler", () => {
  const traps: [string, number][] = [
    ["syscall", EXC.Sys],
    ["break", EXC.Bp],
    ["add $t1, $s7, $s7", EXC.Ov],
    ["lw $t1, 1($a0)", EXC.AdEL],
    ["move $t1, $t0", -1], // no trap: the old value, for contrast
  ];
  for (const [slot, code] of traps) {
    const b = bench(
      raw`
        li $t0, 7
        lw $t0, 0($a0)
        ${slot}
        break`,
      (b) => {
        data(b);
        b.cpu.regs[23] = 0x7fffffff;
      },
    );
    runTo(b, VECTOR.GENERAL);
    if (code < 0) {
      assert.equal(u(b.cpu, R.t1), 7, slot);
      continue;
    }
    assert.equal(excCode(b.cpu), code, slot);
    assert.equal(u(b.cpu, R.t0), WORD, `${slot}: the handler sees the loaded value`);
    assert.equal(b.cpu.loadDelayReg, 0, slot);
  }
});

Deno.test("Cpu: a stop between a load and its delay slot changes nothing the guest computes", () => {
  const whole = finish(PAIR, data).cpu;
  // The same program, one instruction per execute: regs show the load done at each stop.
  const b = bench(PAIR, data);
  const { cpu } = b;
  cpu.execute(2);
  assert.equal(u(cpu, R.t0), WORD, "at the stop regs hold the loaded value");
  assert.equal(cpu.loadDelayReg, R.t0);
  assert.equal(cpu.loadDelayOld, 7);
  assert.deepEqual(cpu.snapshot().loadReg, R.t0);
  while (cpu.pc !== VECTOR.GENERAL >>> 0) cpu.step();
  assert.equal(u(cpu, R.t1), u(whole, R.t1));
  assert.equal(u(cpu, R.t1), 7);
  assert.equal(u(cpu, R.t2), WORD);
  assert.equal(cpu.cycles, whole.cycles);
  assert.equal(cpu.loadDelayReg, 0);
});

Deno.test("Cpu: TypeScript writing the register at a stop sets what lands, not the delay slot", () => {
  const b = bench(PAIR, data);
  b.cpu.execute(2);
  b.cpu.regs[R.t0] = 99;
  runTo(b, VECTOR.GENERAL);
  assert.equal(u(b.cpu, R.t1), 7, "the delay slot still sees the old value");
  assert.equal(u(b.cpu, R.t2), 99, "and after it the value TypeScript wrote");
});

Deno.test("Cpu: snapshot and restore keep a load in its delay slot", () => {
  const b = bench(PAIR, data);
  b.cpu.execute(2);
  const s = b.cpu.snapshot();
  runTo(b, VECTOR.GENERAL);
  const first = [u(b.cpu, R.t1), u(b.cpu, R.t2)];
  b.cpu.regs.fill(0);
  b.cpu.restore(s);
  assert.equal(b.cpu.loadDelayReg, R.t0);
  runTo(b, VECTOR.GENERAL);
  assert.deepEqual([u(b.cpu, R.t1), u(b.cpu, R.t2)], first);
  assert.deepEqual(first, [7, WORD]);
});

Deno.test("Cpu: an interrupt between a load and its delay slot lets the load complete first", () => {
  const b = bench(
    raw`
        li $t0, 7
        lw $t0, 0($a0)
delay:  move $t1, $t0
        move $t2, $t0
        break`,
    (b) => {
      data(b);
      b.cpu.cp0[CP0.Status] = SR.IEc | (1 << 10); // IM2
    },
  );
  const { cpu } = b;
  load(
    b.bus,
    raw`
        mfc0 $k0, $epc
        move $s0, $t0            # what the handler sees
        jr $k0
        rfe`.at(VECTOR.GENERAL),
  );
  cpu.execute(2);
  cpu.setLine(0, true);
  cpu.execute(1); // takes the interrupt, then runs the handler's first instruction
  assert.equal(excCode(cpu), EXC.Int);
  assert.equal(cpu.cp0[CP0.EPC] >>> 0, b.p.symbols.delay);
  cpu.setLine(0, false);
  runTo(b, VECTOR.GENERAL);
  assert.equal(excCode(cpu), EXC.Bp);
  assert.equal(u(cpu, R.s0), WORD, "the handler sees the loaded value");
  assert.equal(u(cpu, R.t1), WORD, "and so does the delay-slot instruction, run after it");
});

Deno.test("Cpu: a hypercall in a load's delay slot runs after the load, and may overwrite it", () => {
  let seen = 0;
  const b = bench(
    raw`
        li $t0, 7
        lw $t0, 0($a0)
        hcall 0x123
        move $t1, $t0
        break`,
    (b) => {
      data(b);
      b.cpu.hypercall = () => {
        seen = b.cpu.regs[R.t0];
        b.cpu.regs[R.t0] = 42;
        return true;
      };
    },
  );
  runTo(b, VECTOR.GENERAL);
  assert.equal(seen, WORD);
  assert.equal(u(b.cpu, R.t1), 42);
});

Deno.test("Cpu: setting pc by hand completes a pending load", () => {
  const b = bench(
    raw`
        li $t0, 7
        lw $t0, 0($a0)
again:  move $t1, $t0
        break`,
    data,
  );
  b.cpu.execute(2);
  b.cpu.pc = b.p.symbols.again;
  assert.equal(b.cpu.loadDelayReg, 0);
  runTo(b, VECTOR.GENERAL);
  assert.equal(u(b.cpu, R.t1), WORD);
});

Deno.test("Cpu: loads add no stall cycles, and MFHI still waits for the multiply", () => {
  const { cpu } = finish(
    raw`
        lw $t0, 0($a0)
        addu $t1, $t0, $t0
        lw $t2, 4($a0)
        nop
        lw $t2, 0($t2)
        multu $t0, $t0
        mflo $t3
        break`,
    (b) => {
      data(b);
      b.bus.ram32[(0x40000 >> 2) + 1] = DATA | 0;
    },
  );
  assert.equal(cpu.instructions, 8);
  assert.equal(u(cpu, R.t2), WORD);
  // Every instruction one cycle; only mflo waits, for the multiply's 12 less the one it issued in.
  assert.equal(cpu.cycles, 8 + TIMING.multiply - 1 + TIMING.exception);
});

Deno.test("Cpu: LWL reading its pending register as the base still merges with the pending value", () => {
  const { cpu } = finish(
    raw`
        lw $t0, 4($a0)           # t0 := 0x55667788, pending
        lwl $t0, 3($t0)          # base: the old t0 (DATA); merges into the pending value
        move $t1, $t0            # the lw's value: the lwl is pending
        move $t2, $t0
        break`,
    (b) => {
      data(b);
      b.cpu.regs[R.t0] = DATA | 0;
    },
  );
  assert.equal(u(cpu, R.t1), 0x55667788);
  assert.equal(u(cpu, R.t2), WORD, "lwl at +3 takes the whole word at DATA");
});

Deno.test("Cpu: a delay-slot instruction that uses the register and traps sees it loaded after", () => {
  for (
    const [slot, code] of [["add $t0, $s7, $s7", EXC.Ov], ["sw $t0, 1($a0)", EXC.AdES]] as const
  ) {
    const b = bench(
      raw`
        li $t0, 7
        lw $t0, 0($a0)
        ${slot}
        break`,
      (b) => {
        data(b);
        b.cpu.regs[23] = 0x7fffffff;
      },
    );
    runTo(b, VECTOR.GENERAL);
    assert.equal(excCode(b.cpu), code, slot);
    assert.equal(u(b.cpu, R.t0), WORD, `${slot}: the handler sees the loaded value`);
  }
});

Deno.test("Cpu: a breakpoint on the delay-slot instruction stops with the load pending", () => {
  const b = bench(
    raw`
        li $t0, 7
        lw $t0, 0($a0)
slot:   move $t1, $t0
        move $t2, $t0
        break`,
    data,
  );
  assert.equal(b.cpu.execute(100, b.p.symbols.slot), "breakpoint");
  assert.equal(b.cpu.loadDelayReg, R.t0);
  assert.equal(u(b.cpu, R.t0), WORD);
  runTo(b, VECTOR.GENERAL);
  assert.deepEqual([u(b.cpu, R.t1), u(b.cpu, R.t2)], [7, WORD]);
});

Deno.test("Cpu: an MTC0 to Status in the delay slot writes the old value and ends the run", () => {
  const b = bench(
    raw`
        li $t0, 0
        lw $t0, 0($a0)
        mtc0 $t0, $status        # the old 0: interrupts stay off
        move $t1, $t0
        break`,
    data,
  );
  assert.equal(b.cpu.execute(100), "attention");
  assert.equal(b.cpu.cp0[CP0.Status] & 0xffff, 0);
  assert.equal(u(b.cpu, R.t0), WORD, "the load landed at the stop");
  assert.equal(b.cpu.loadDelayReg, 0);
  runTo(b, VECTOR.GENERAL);
  assert.equal(u(b.cpu, R.t1), WORD);
});

Deno.test("Cpu: the delay slot is wherever the next instruction is: a branch target, the next page", () => {
  const { cpu } = finish(
    raw`
        li $t0, 7
        beq $zero, $zero, far
        lw $t0, 0($a0)           # in the branch's delay slot: the target is its successor
        .space 0xff0
far:    move $t1, $t0            # (on the next page)
        move $t2, $t0
        break`,
    data,
  );
  assert.deepEqual([u(cpu, R.t1), u(cpu, R.t2)], [7, WORD]);
  const { cpu: cross } = finish(
    raw`
        li $t0, 7
        .space 0xff4
        lw $t0, 0($a0)           # the last word of the page
        move $t1, $t0            # the first of the next
        move $t2, $t0
        break`,
    data,
  );
  assert.deepEqual([u(cross, R.t1), u(cross, R.t2)], [7, WORD]);
});

Deno.test("Cpu: a load before a fetch that faults has completed in the handler", () => {
  const b = bench(
    raw`
        li $t9, 0x00400000       # kuseg, not mapped
        jr $t9
        lw $t0, 0($a0)`,
    data,
  );
  runTo(b, VECTOR.UTLB);
  assert.equal(excCode(b.cpu), EXC.TLBL);
  assert.equal(b.cpu.cp0[CP0.BadVAddr] >>> 0, 0x00400000);
  assert.equal(u(b.cpu, R.t0), WORD);
});
