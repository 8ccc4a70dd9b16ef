/**
 * Every bare guest program of tests/guest/out on both engines in lockstep: two DECstations, one
 * interpreting and one translating (hotness 1), run with the same seeded random instruction
 * limits; after every run the CPUs' whole state and the console text must be equal, and RAM at
 * the end, where both must have halted.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";
import { assertSameCpu, assertSameRam, rng } from "./_jit.ts";

const dir = new URL("../guest/out/", import.meta.url);
const names = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".elf"))
  .map((e) => e.name)
  .sort();

for (const name of names) {
  Deno.test(`jit: guest ${name} runs on both engines in lockstep`, () => {
    const elf = Deno.readFileSync(new URL(name, dir));
    const mac = "08:00:2b:00:00:7f"; // the same station address on both
    const [a, b] = [new DECstation({ mac }), new DECstation({ mac })];
    b.cpu.engine = "jit";
    b.cpu.jitHotness = 1;
    a.loadElf(elf, [name]);
    b.loadElf(elf, [name]);
    const next = rng(name.length * 7919);
    for (let i = 0; a.halted === null && i < 100_000; i++) {
      const r = next();
      const k = 1 + (r & 1 ? r % 1000 : r % 3_000_000);
      const ra = a.run({ maxInstructions: k }), rb = b.run({ maxInstructions: k });
      assert.deepEqual(rb, ra, `run ${i} (limit ${k})`);
      assertSameCpu(a.cpu, b.cpu, `${name}, run ${i} (limit ${k})`);
      assert.equal(b.console.text, a.console.text, `${name}, run ${i}: console`);
    }
    assert.notEqual(a.halted, null, `${name} did not halt`);
    assert.deepEqual(b.halted, a.halted);
    assertSameRam(a.bus.ram32, b.bus.ram32, name);
    assert.ok(b.cpu.jitStats().pagesTranslated > 0, "nothing was translated");
  });
}
