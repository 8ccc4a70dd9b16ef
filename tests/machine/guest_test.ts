/**
 * The bare guest programs of tests/guest, run on the machine: each must print exactly its
 * expected console text (from gxemul's 5000/200, or from the R3000 rules for `exceptions`) and
 * halt cleanly through the PROM.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";

const dir = new URL("../guest/", import.meta.url);
const names = [...Deno.readDirSync(new URL("expected/", dir))]
  .map((e) => e.name.replace(/\.txt$/, ""))
  .sort();

for (const name of names) {
  Deno.test(`DECstation runs guest ${name}.elf and prints the expected console text`, () => {
    const elf = Deno.readFileSync(new URL(`out/${name}.elf`, dir));
    const expected = Deno.readTextFileSync(new URL(`expected/${name}.txt`, dir));
    const m = new DECstation();
    m.loadElf(elf, [name]);
    const r = m.run({ maxInstructions: 200_000_000 });
    assert.equal(r.reason, "halt");
    assert.equal(m.halted?.status, 0);
    assert.equal(m.console.text, expected);
  });
}

Deno.test("DECstation guest programs are all present", () => {
  assert.ok(names.length >= 7, `only ${names.length} expected outputs in tests/guest/expected`);
});
