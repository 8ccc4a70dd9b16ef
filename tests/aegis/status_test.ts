/**
 * Each environment's status register (E.STATUS): FPU_MOD makes coprocessor 1 usable or not,
 * a protected control transfer installs the callee's, and a COP1 instruction run with it usable
 * ends only that environment (no FPU is emulated), while on a bare machine it halts the run with
 * a message saying so.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { DECstation } from "../../machine/decstation.ts";
import { SR } from "../../machine/cp0.ts";
import { ERR, EXC, SYS } from "../../aegis/abi.ts";
import { E } from "../../aegis/layout.ts";
import { boot } from "./_aegis.ts";

/** mfc1 $t0, $f4: a coprocessor 1 instruction. */
const MFC1 = 0x44082000;

Deno.test("FPU_MOD sets coprocessor 1 usable or not in the environment's status", () => {
  const { aegis } = boot();
  const e = aegis.createEnv("fpu");
  assert.equal(aegis.field(e.id, E.STATUS) & SR.CU1, 0, "off by default");
  assert.equal(e.call(SYS.FPU_MOD, 1, 0).v0, 0);
  assert.notEqual(aegis.field(e.id, E.STATUS) & SR.CU1, 0);
  assert.equal(e.call(SYS.FPU_MOD, 0, 0).v0, 0);
  assert.equal(aegis.field(e.id, E.STATUS) & SR.CU1, 0);
  assert.equal(e.call(SYS.FPU_MOD, 2, 0).v0, ERR.INVAL);
  const other = aegis.createEnv("other");
  assert.equal(e.call(SYS.FPU_MOD, 1, other.id).v0, ERR.PERM, "only oneself or a child");
});

Deno.test("A COP1 instruction with the FPU off is a CpU exception for the environment's handler", () => {
  const { m, aegis } = boot();
  const e = aegis.createEnv("fpu");
  const p = e.load(asm`
        .set noreorder
go:     .word   ${MFC1}
        nop
handler:
        b       handler
        nop
`);
  e.sys.setHandler("CpU", p.symbols.handler);
  e.enter(p.symbols.go);
  m.run({ until: p.symbols.handler, maxInstructions: 1000 });
  assert.equal(m.cpu.pc, p.symbols.handler);
  assert.equal((m.cpu.regs[10] >>> 2) & 31, EXC.CpU, "t2 = Cause: CpU");
  assert.equal((m.cpu.regs[10] >>> 28) & 3, 1, "for coprocessor 1");
});

Deno.test("A COP1 instruction with the FPU on ends only that environment, saying why", () => {
  const { m, aegis } = boot({ clock: true });
  const fpu = aegis.createEnv("fpu");
  const fp = fpu.load(asm`
        .set noreorder
go:     .word   ${MFC1}
        b       go
        nop
`);
  fpu.call(SYS.FPU_MOD, 1, 0);
  fpu.enter(fp.symbols.go);
  fpu.sys.sliceAlloc(0);
  const other = aegis.createEnv("other");
  const op = other.load(asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
`);
  other.enter(op.origin);
  other.sys.sliceAlloc(1);
  m.run({ maxCycles: 4 * aegis.sliceCycles });
  assert.equal(fpu.alive, false);
  const exit = aegis.exits.find((x) => x.id === fpu.id)!;
  assert.match(
    exit.reason,
    /coprocessor 1 \(FPU\) instruction at 0x00400000: exolab does not emulate/,
  );
  assert.equal(exit.pc, fp.symbols.go);
  assert.ok(other.alive);
  assert.equal(m.halted, null, "the machine goes on");
});

Deno.test("A protected control transfer installs the callee's status register", () => {
  const { m, aegis } = boot();
  const callee = aegis.createEnv("callee");
  const cp = callee.load(
    asm`
        .set noreorder
entry:  .word   ${MFC1}                      # the callee has the FPU: ended, saying so
        nop
`,
    0x00500000,
  );
  callee.sys.setEntry("sync", cp.symbols.entry);
  callee.call(SYS.FPU_MOD, 1, 0);
  const caller = aegis.createEnv("caller");
  const p = caller.load(asm`
        .set noreorder
go:     li      $v0, ${SYS.SCALL}
        li      $a0, ${callee.id}
        syscall
        nop
`);
  caller.enter(p.symbols.go);
  m.run({ maxInstructions: 500 });
  assert.equal(callee.alive, false, "the callee ran with its own status: FPU on");
  assert.match(aegis.exits.at(-1)!.reason, /coprocessor 1/);
  assert.ok(caller.alive);
});

Deno.test("A COP1 instruction on a bare machine with the FPU on halts the run with a message", () => {
  const m = new DECstation();
  const p = asm`
        .set noreorder
        li      $t0, ${SR.CU1}
        mtc0    $t0, $status
        nop
        nop
        .word   ${MFC1}
        nop
`.at(0x80030000);
  m.bus.ram32.set(p.text, 0x30000 >>> 2);
  m.cpu.pc = 0x80030000;
  const r = m.run({ maxInstructions: 100 });
  assert.equal(r.reason, "halt");
  assert.match(m.halted!.message!, /uses coprocessor 1 \(the FPU\), which exolab does not emulate/);
  assert.equal(m.cpu.pc, 0x80030010, "stopped before the instruction");
});
