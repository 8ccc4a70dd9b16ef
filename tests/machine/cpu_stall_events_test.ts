/**
 * Interlock stalls and device time: the run loop sizes each burst of execution in cycles (to the
 * next device event), so the cycles MFHI/MFLO wait for a busy multiply or divide must count
 * against the burst, or a multiply-bound program would run far past a clock tick before the
 * interrupt could be taken (it once arrived 3x late under ExOS, which Aegis charged as excess).
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { DECstation } from "../../machine/decstation.ts";

const ORIGIN = 0x80030000;

for (const [op, latency] of [["mult", 12], ["div", 35]] as const) {
  Deno.test(`DECstation fires device events on time while ${op} stalls every few instructions`, () => {
    const m = new DECstation();
    const p = asm`
        .set    noreorder
        li      $t0, 7
        li      $t1, 3
1:      ${op}   $zero, $t0, $t1
        mflo    $t2                          # waits for the ${op} every time round
        addu    $t3, $t3, $t2
        b       1b
        nop
`.at(ORIGIN);
    m.bus.ram32.set(p.text, (ORIGIN & 0x1fffffff) >>> 2);
    m.loadProgram(p.entry);
    const due: number[] = [], late: number[] = [];
    for (let k = 1; k <= 20; k++) {
      const at = m.cpu.cycles + k * 10_007;
      due.push(at);
      m.events.at(at, () => late.push(m.cpu.cycles - at));
    }
    m.run({ maxCycles: 21 * 10_007 });
    assert.equal(late.length, due.length);
    // At most one instruction's stall late: the one that was waiting when the event fell due.
    assert.ok(late.every((d) => d >= 0 && d <= latency + 4), `late by ${late.join(", ")} cycles`);
    assert.ok(m.cpu.cycles > 2 * m.cpu.instructions, "the loop does stall");
  });
}
