/**
 * The translator against the interpreter on a DECstation whose clock interrupts: kernel code
 * in kseg0 sets the MC146818's periodic interrupt at 1024 Hz, then loops reading register A
 * (whose UIP bit depends on the cycle count) among ALU work; the handler reads register C to
 * acknowledge. Both machines run in lockstep (tests/machine/_engine_diff.ts) with seeded random
 * instruction limits, and after every run the CPUs' whole state must be equal, so each
 * interrupt lands on the same instruction and every clock read sees the same time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CP0, VECTOR } from "../../machine/cp0.ts";
import { DECstation } from "../../machine/decstation.ts";
import { raw } from "./_jit.ts";
import { EPOCH, lockstep, pair, runMachine } from "./_engine_diff.ts";

/** The program, at kseg0 0x80030000. */
const MAIN = raw`
        lui     $t0, 0xbfe8
        li      $t1, 0x26
        sw      $t1, 40($t0)
        li      $t1, 0x46
        sw      $t1, 44($t0)
        li      $t1, 0x801
        mtc0    $t1, $status
        li      $s1, 0
loop:   lw      $t2, 40($t0)
        addiu   $s2, $s2, 1
        andi    $t2, $t2, 0x80
        addu    $s1, $s1, $t2
        xor     $s3, $s3, $s2
        sll     $s4, $s3, 3
        b       loop
        addu    $s5, $s5, $s4`;

/** The interrupt handler, at the general vector. */
const HANDLER = raw`
        lui     $k0, 0xbfe8
        lw      $k1, 48($k0)
        addiu   $s7, $s7, 1
        mfc0    $k0, $epc
        nop
        jr      $k0
        rfe`;

/** A machine with the program loaded and pc at it, on `engine`. */
function machine(engine: "interp" | "jit"): DECstation {
  const m = new DECstation({ engine, epoch: EPOCH, mac: "08:00:2b:00:00:7e" });
  m.bus.ram32.set(MAIN.at(0x80030000).text, 0x30000 >> 2);
  m.bus.ram32.set(HANDLER.at(VECTOR.GENERAL).text, 0x80 >> 2);
  m.cpu.cp0[CP0.Status] = 0;
  m.cpu.pc = 0x80030000;
  return m;
}

Deno.test("jit: clock interrupts land on the same instruction, clock reads see the same time", () => {
  const [a, b] = pair(machine);
  lockstep(a, b, runMachine, { seed: 2026, budget: 20_000_000, label: "clock", maxRun: 200_000 });
  assert.ok(a.cpu.regs[23] > 100, `only ${a.cpu.regs[23]} interrupts`);
  assert.ok(b.cpu.jitStats().pagesTranslated > 0, "nothing was translated");
});
