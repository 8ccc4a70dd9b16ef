/**
 * The paper's AVM tables: every row for every structure and Table 9's two runs, the paper's and
 * Ultrix's figures exactly as PAPER.md gives them, rows measured from executed code in
 * consistent units, costs that follow from the benchmarks' definitions, the seeded page order,
 * the same multiply code on both sides of Table 9, and the printed tables. No test compares a
 * count with the paper's.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AVM_NAMES,
  type AvmRow,
  formatAvm,
  matmulWords,
  measureAvm,
  ORDER_SEED,
  pageOrder,
} from "../../scripts/paper_avm.ts";
import { PAGE_TABLE_KINDS } from "../../exos/mod.ts";

const rows = measureAvm();
const row = (structure: string, name: string): AvmRow =>
  rows.find((r) => r.structure === structure && r.name === name)!;
const vmRows = rows.filter((r) => r.name !== "Matrix");

Deno.test("measureAvm gives eight rows per structure, then Table 9's ExOS and bare runs", () => {
  assert.deepEqual(
    rows.map((r) => `${r.structure} ${r.name}`),
    [
      ...PAGE_TABLE_KINDS.flatMap((s) => AVM_NAMES.map((n) => `${s} ${n}`)),
      "linear Matrix",
      "bare Matrix",
    ],
  );
  assert.deepEqual(PAGE_TABLE_KINDS, ["linear", "clustered", "clustered-walk", "inverted"]);
});

Deno.test("measureAvm carries the paper's and Ultrix's figures and no others", () => {
  const col = (s: string, key: "paper" | "ultrix") => AVM_NAMES.map((n) => row(s, n)[key]);
  assert.deepEqual(col("linear", "paper"), [9.8, 16.9, 16.9, 109, 143, 4.8, 34, 22]);
  assert.deepEqual(col("clustered", "paper"), [null, 13, 13, 238, null, null, 25, 15]);
  assert.deepEqual(col("clustered-walk", "paper"), AVM_NAMES.map(() => null));
  assert.deepEqual(col("inverted", "paper"), [5.9, 17.7, null, 189, 243, 10.1, 40.4, 28.9]);
  const ultrix = [null, 32, null, 102, 102, 161, 262, 232];
  for (const s of ["linear", "clustered", "clustered-walk"]) {
    assert.deepEqual(col(s, "ultrix"), ultrix);
  }
  assert.deepEqual(col("inverted", "ultrix"), AVM_NAMES.map(() => null)); // a DEC3100 table
  assert.deepEqual(
    [row("linear", "Matrix").paper, row("linear", "Matrix").ultrix],
    [3_700_000, 3_800_000],
  );
  assert.deepEqual([row("bare", "Matrix").paper, row("bare", "Matrix").ultrix], [null, null]);
  const tables = { linear: "10", clustered: "slides", "clustered-walk": null, inverted: "13" };
  for (const r of vmRows) {
    assert.equal(r.table, tables[r.structure as keyof typeof tables], `${r.structure} ${r.name}`);
    const machine = r.paper === null ? null : r.structure === "inverted" ? "DEC3100" : "DEC5000";
    assert.equal(r.paperMachine, machine, `${r.structure} ${r.name}`);
  }
  assert.deepEqual(rows.filter((r) => r.name === "Matrix").map((r) => r.table), ["9", "9"]);
});

Deno.test("measureAvm rows keep the JSON keys, add ultrix and ratio, and are executed work", () => {
  for (const r of rows) {
    const what = `${r.structure} ${r.name}`;
    for (const k of ["structure", "name", "instructions", "cycles", "modeledCycles", "us"]) {
      assert.ok(k in r, `${what} has ${k}`);
    }
    assert.ok("paper" in r && "ultrix" in r && "ratio" in r, what);
    assert.equal(r.ratio, r.paper === null ? null : r.us / r.paper, what);
    assert.ok(r.instructions > 0 && r.cycles >= r.instructions, what);
    assert.equal(r.us, r.cycles / 25, what);
    if (!r.name.startsWith("Appel")) assert.ok(Number.isInteger(r.instructions), what);
  }
  for (const r of vmRows) {
    assert.equal(r.modeledCycles, 0, `${r.structure} ${r.name}: nothing modeled`);
    assert.equal(r.note, undefined);
  }
  const ex = row("linear", "Matrix");
  assert.equal(ex.note !== undefined, ex.modeledCycles > 0, "a note says what was modeled");
  assert.equal(row("bare", "Matrix").modeledCycles, 0);
  assert.ok(JSON.parse(JSON.stringify(rows)).every((r: AvmRow) => r.ratio !== undefined));
});

Deno.test("measureAvm costs follow from the benchmarks' definitions", () => {
  for (const s of PAGE_TABLE_KINDS) {
    const us = (n: string) => row(s, n).us;
    assert.ok(us("Prot100") > 10 * us("Prot1"), `${s}: a range is a walk over 100 pages`);
    assert.ok(us("Unprot100") > us("Unprot1"), `${s} Unprot100`);
    // A fault of Appel2 is a trap, an unprot, the rebinding miss and a hundredth of a prot100.
    assert.ok(us("Appel2") > us("Trap") + us("Unprot1") + us("Prot100") / 100, `${s} Appel2`);
    // Appel1 adds a prot of another page to each fault and has no prot100 to spread.
    assert.ok(us("Appel1") > us("Appel2") - us("Prot100") / 100 + us("Prot1") / 2, `${s} Appel1`);
  }
  // The hashed tables look a range's pages up one by one: slower ranges, faster single lookups.
  for (const s of ["clustered", "inverted"]) {
    assert.ok(row(s, "Prot100").us > row("clustered-walk", "Prot100").us, `${s} Prot100`);
    for (const n of ["Dirty", "Trap"]) assert.ok(row(s, n).us < row("linear", n).us, `${s} ${n}`);
  }
});

Deno.test("pageOrder is a seeded permutation: the same every run, another for another seed", () => {
  const order = pageOrder();
  assert.deepEqual([...order].sort((a, b) => a - b), [...Array(100).keys()]);
  assert.deepEqual(pageOrder(ORDER_SEED), order);
  assert.notDeepEqual(order, [...Array(100).keys()]);
  assert.notDeepEqual(pageOrder(ORDER_SEED + 1), order);
});

Deno.test("Table 9 times the same matmul words bare and as a process, the clock live in one", () => {
  const read = (p: string) => Deno.readFileSync(new URL(`../guest/out/${p}`, import.meta.url));
  const bare = matmulWords(read("matrix.elf")), unix = matmulWords(read("unix/matrix.elf"));
  assert.ok(bare.length > 10);
  assert.deepEqual(unix, bare);
  const ex = row("linear", "Matrix"), alone = row("bare", "Matrix");
  assert.ok(ex.interrupts! > 0, "the slice clock ticked during the ExOS multiply");
  assert.deepEqual([alone.interrupts, alone.tlbMisses], [0, 0], "bare: no kernel at all");
  assert.ok(ex.instructions > alone.instructions, "the process's refills and ticks add to it");
});

Deno.test("formatAvm prints every table, the paper, Ultrix and the timing model", () => {
  const text = formatAvm(rows);
  for (const t of ["Table 10", '"Extending AVM"', "Table 13", "Table 9"]) {
    assert.ok(text.includes(t));
  }
  for (const n of AVM_NAMES) assert.equal(text.match(new RegExp(`^${n} `, "gm"))?.length, 3, n);
  assert.match(text, /^Appel1 .* 34 .* 262$/m);
  assert.match(text, /^ExOS \(linear\) .* 3\.70 .* 3\.80$/m);
  assert.match(text, /^bare \(PROM\) /m);
  assert.match(text, /Timing model \(machine\/timing\.ts\): 1 cycle per instruction/);
  assert.match(text, /no caches, write buffer or memory stalls/);
  assert.match(text, /Modeled: none in the VM rows/);
  for (const line of text.split("\n")) assert.ok(line.length <= 100, line);
});
