/**
 * The paper's AVM tables: every row for both structures, the paper's figures exactly as
 * PAPER.md gives them, executed work only, costs that add up, and the printed table.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AVM_NAMES,
  AVM_PAPER,
  type AvmRow,
  formatAvm,
  measureAvm,
} from "../../scripts/paper_avm.ts";

const rows = measureAvm();
const row = (structure: string, name: string): AvmRow =>
  rows.find((r) => r.structure === structure && r.name === name)!;

Deno.test("measureAvm gives the eight rows for linear, then for clustered", () => {
  assert.deepEqual(
    rows.map((r) => `${r.structure} ${r.name}`),
    ["linear", "clustered"].flatMap((s) => AVM_NAMES.map((n) => `${s} ${n}`)),
  );
});

Deno.test("measureAvm carries the paper's figures and no others", () => {
  const paper = (s: string) => AVM_NAMES.map((n) => row(s, n).paper);
  assert.deepEqual(paper("linear"), [9.8, 16.9, 16.9, 109, null, null, 34, 22]);
  assert.deepEqual(paper("clustered"), [null, 13, 13, 238, null, null, 25, 15]);
  assert.deepEqual(Object.keys(AVM_PAPER), ["linear", "clustered"]);
});

Deno.test("measureAvm counts executed work only, in consistent units", () => {
  for (const r of rows) {
    const what = `${r.structure} ${r.name}`;
    assert.ok(r.instructions > 0 && r.cycles >= r.instructions, what);
    assert.equal(r.modeledCycles, 0, what);
    assert.equal(r.note, undefined, what);
    assert.equal(r.us, r.cycles / 25, what);
    if (!r.name.startsWith("Appel")) assert.ok(Number.isInteger(r.instructions), what);
  }
});

Deno.test("measureAvm costs add up: a range over a page, a benchmark over a trap", () => {
  for (const s of ["linear", "clustered"]) {
    const us = (n: string) => row(s, n).us;
    assert.ok(us("Prot100") > 20 * us("Prot1"), `${s} Prot100`); // a system call per page
    assert.ok(us("Unprot100") > us("Unprot1"), `${s} Unprot100`);
    // A fault of Appel2 is a trap, an unprot and a hundredth of a prot of 100 pages, at least.
    assert.ok(us("Appel2") > us("Trap") + us("Prot100") / 100, `${s} Appel2`);
    // Appel1 adds a prot of one page to each fault.
    assert.ok(us("Appel1") > us("Appel2") - us("Prot100") / 100, `${s} Appel1`);
  }
});

Deno.test("measureAvm finds the clustered table faster per lookup, as the paper does", () => {
  for (const n of ["Dirty", "Prot1", "Unprot1", "Trap", "Appel1", "Appel2"]) {
    assert.ok(row("clustered", n).us < row("linear", n).us, n);
  }
});

Deno.test("formatAvm prints every benchmark, the paper, Ultrix and what was executed", () => {
  const text = formatAvm(rows);
  for (const n of AVM_NAMES) assert.match(text, new RegExp(`^${n} `, "m"));
  assert.match(text, /Appel1 .* 34 .* 25 +262$/m);
  assert.match(text, /Appel2 .* 22 .* 15 +232$/m);
  assert.match(text, /Executed:/);
  assert.match(text, /modeled: none/);
});
