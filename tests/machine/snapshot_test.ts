/**
 * Snapshots: a machine restored from a snapshot repeats the same run exactly: the same console
 * output, the same instruction and cycle counts, the same clock interrupts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";

const elf = (name: string) =>
  Deno.readFileSync(new URL(`../guest/out/${name}.elf`, import.meta.url));

Deno.test("DECstation restore repeats a run from the snapshot exactly", () => {
  const m = new DECstation({ epoch: new Date(Date.UTC(2026, 0, 1)) });
  m.loadElf(elf("calls"));
  m.run({ maxInstructions: 20_000 });
  const s = m.snapshot();
  const textAtSnapshot = m.console.text;
  const first = m.run({ maxInstructions: 50_000_000 });
  const firstText = m.console.text;
  const firstCycles = m.cpu.cycles;
  assert.equal(first.reason, "halt");
  m.restore(s);
  assert.equal(m.console.text, textAtSnapshot);
  assert.equal(m.halted, null);
  const second = m.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(second, first);
  assert.equal(m.console.text, firstText);
  assert.equal(m.cpu.cycles, firstCycles);
});

Deno.test("DECstation restore refuses a snapshot of a machine with other memory", () => {
  const a = new DECstation({ memoryMB: 8 }), b = new DECstation({ memoryMB: 16 });
  assert.throws(() => b.restore(a.snapshot()), /8 MB/);
});
