/**
 * The paper's IPC tables (scripts/paper_ipc.ts): the five rows by name with the paper's figures
 * exactly as PAPER.md gives them, executed work only for the raw rows, costs the mechanisms
 * explain (pipe' is pipe without the calls and the byte loop, tlrpc is lrpc without the register
 * saves), every UNIX exchange dearer than its raw one, and the printed table.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatIpc, IPC_NAMES, type IpcRow, measureIpc } from "../../scripts/paper_ipc.ts";

const rows = measureIpc();
const row = (name: string): IpcRow => rows.find((r) => r.name === name)!;

Deno.test("measureIpc gives pipe, pipe', shm, lrpc and tlrpc with the paper's figures", () => {
  assert.deepEqual(rows.map((r) => r.name), [...IPC_NAMES]);
  assert.deepEqual(rows.map((r) => r.paper), [14.2, 10.7, 5.7, 6.3, 2.9]);
  assert.deepEqual(rows.map((r) => r.ultrix), [199.0, null, 118.0, null, null]);
  assert.deepEqual(rows.map((r) => r.per), [
    "one way",
    "one way",
    "one way",
    "round trip",
    "round trip",
  ]);
  for (const r of rows) {
    assert.equal(r.ratio, Number((r.us / r.paper).toFixed(2)));
    assert.equal(r.speedup, r.ultrix === null ? null : Number((r.ultrix / r.us).toFixed(1)));
  }
});

Deno.test("measureIpc's raw rows are executed guest code only, in consistent units", () => {
  for (const r of rows) {
    assert.ok(r.instructions > 0 && r.cycles >= r.instructions, r.name);
    assert.equal(r.modeledCycles, 0, r.name);
    assert.equal(r.note, undefined, r.name);
    assert.equal(r.us, r.cycles / 25, r.name);
  }
});

Deno.test("measureIpc: tlrpc is lrpc less the 11 saves and 11 restores, plus sp's own two", () => {
  assert.equal(row("lrpc").instructions - row("tlrpc").instructions, 22 - 2);
  assert.ok(row("pipe'").instructions < row("pipe").instructions, "inlined: no call, no loop");
  // A one-way pipe message costs at least the shm exchange: both end in a directed yield.
  assert.ok(row("shm").instructions < row("pipe'").instructions);
});

Deno.test("measureIpc: every exchange through the UNIX personality costs more than the raw one", () => {
  for (const r of rows) {
    assert.ok(r.unix.us > r.us, `${r.name}: ${r.unix.us} > ${r.us}`);
    assert.ok(r.unix.modeledCycles > 0, `${r.name}: the library's TypeScript is charged`);
    assert.equal(r.unix.us, r.unix.cycles / 25);
  }
  assert.equal(row("lrpc").unix.us, 2 * row("pipe").unix.us, "a round trip of two pipes");
  assert.equal(row("pipe'").unix.us, row("pipe").unix.us, "the personality cannot inline");
});

Deno.test("formatIpc prints every row beside the paper's, Ultrix's and the UNIX personality's", () => {
  const text = formatIpc(rows);
  for (const r of rows) {
    const name = r.name.replace("'", "'");
    assert.match(
      text,
      new RegExp(
        `^${name} +${r.per} +${r.instructions} +${r.cycles} +0 +${r.us.toFixed(2)} +${r.paper} `,
        "m",
      ),
    );
  }
  assert.match(text, /modeled: none\./);
  assert.match(text, /KILL, SIGSUSPEND and a handler/);
});
