/**
 * The bare guest programs of tests/guest, run on the machine: each must print exactly its
 * expected console text (from gxemul's 5000/200, or from the R3000 rules for `exceptions`) and
 * halt cleanly through the PROM. The long benchmark variants (out/long/) are not run: each
 * takes hundreds of millions of instructions; only their recorded output is checked.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";

const dir = new URL("../guest/", import.meta.url);
const names = [...Deno.readDirSync(new URL("expected/", dir))]
  .filter((e) => e.isFile && e.name.endsWith(".txt"))
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

Deno.test("DECstation long guest variants have gxemul's output, which begins as the short one's", () => {
  const long = [...Deno.readDirSync(new URL("out/long/", dir))]
    .filter((e) => e.isFile && e.name.endsWith(".elf"))
    .map((e) => e.name.slice(0, -4))
    .sort();
  assert.deepEqual(long, ["hot_calls", "hot_mix", "hot_straight", "loop", "matrix"]);
  for (const name of long) {
    const text = Deno.readTextFileSync(new URL(`expected/long/${name}.txt`, dir));
    const short = Deno.readTextFileSync(new URL(`expected/${name}.txt`, dir));
    // The same program run longer: every line the short run prints before its checksum comes
    // first (matrix prints one line, of a larger product).
    const head = short.split("\n").filter((l) => l !== "" && !l.startsWith("checksum"));
    if (name === "matrix") assert.match(text, /^matrix 360x360: .*checksum [0-9a-f]+\n$/);
    else assert.ok(text.startsWith(head.join("\n") + "\n"), name);
  }
});
