/**
 * Aegis and the R3000A's load delay: TypeScript acting for an environment (a system call through
 * the trampoline) while the environment stands between a load and its delay slot puts the
 * pending load back with the rest of the CPU state, so the delay-slot instruction still sees the
 * old value (machine/cpu.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsmSource, type AssembleOptions, type Program } from "../../machine/asm/mod.ts";
import { Lab } from "../../shell/lab.ts";

/** A program that reads a register in a load's delay slot on purpose: no hazard check. */
class Raw extends AsmSource {
  /** Assembles with the hazard check off. */
  override at(origin: number, options: Omit<AssembleOptions, "origin"> = {}): Program {
    return super.at(origin, { ...options, checkHazards: false });
  }
}

Deno.test("Aegis acting for an environment between a load and its delay slot keeps the delay", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("x");
  e.map(0x10000000);
  e.write32(0x10000000, 0x1234);
  const prog = e.load(
    new Raw(`
        .set noreorder
        li      $t0, 7
        lui     $a0, 0x1000
        lw      $t0, 0($a0)
delay:  move    $t1, $t0
        move    $t2, $t0
done:   b       done
        nop
`),
  );
  e.enter(prog.origin);
  assert.equal(m.run({ until: prog.symbols.delay, maxInstructions: 100 }).reason, "breakpoint");
  assert.equal(m.cpu.loadDelayReg, 8, "stopped in the load's delay slot");
  assert.equal(e.sys.null(), 0);
  assert.equal(m.cpu.loadDelayReg, 8, "the system call put the pending load back");
  assert.equal(m.run({ until: prog.symbols.done, maxInstructions: 100 }).reason, "breakpoint");
  assert.equal(m.cpu.regs[9], 7, "t1: the delay slot saw the old value");
  assert.equal(m.cpu.regs[10], 0x1234, "t2: the next instruction the loaded one");
});
