/**
 * The paper's Aegis table: the rows exist, count only executed kernel instructions, match the
 * kernel's code paths instruction for instruction, and print through `exo paper`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation, TIMING } from "../../machine/mod.ts";
import { Aegis, K } from "../../aegis/mod.ts";
import { type AegisRow, formatAegis, measureAegis } from "../../scripts/paper_aegis.ts";
import { less, measure } from "../../shell/measure.ts";

const NAMES = [
  "null procedure call",
  "system call (no stack)",
  "system call (with stack)",
  "null syscall",
  "exception dispatch (unalign)",
  "exception dispatch (overflow)",
  "exception dispatch (coproc)",
  "exception dispatch (protection)",
  "protected control transfer (one way)",
  "protected control transfer (sync)",
  "protected control transfer (async)",
  "STLB hit",
  "STLB miss",
  "TLBwr",
  "capability guess (a failed TLBWR)",
];

const rows = measureAegis();
const row = (name: string): AegisRow => rows.find((r) => r.name === name)!;

Deno.test("measureAegis gives the rows of Tables 4, 5 and 6 and the rest by their exact names", () => {
  assert.deepEqual(rows.map((r) => r.name), NAMES);
});

Deno.test("measureAegis counts positive instructions and cycles, none of them modeled", () => {
  for (const r of rows) {
    assert.ok(r.instructions > 0 && r.cycles >= r.instructions, r.name);
    assert.equal(r.modeledCycles, 0, r.name);
    assert.equal(r.us, r.cycles / 25, r.name);
  }
});

Deno.test("measureAegis charges a kernel path one cycle per instruction and one exception entry", () => {
  for (const name of NAMES.filter((n) => /^(system call|null syscall|exception|TLBwr)/.test(n))) {
    const r = row(name);
    assert.equal(r.cycles, r.instructions + TIMING.exception, name);
  }
});

Deno.test("measureAegis carries the paper's and Ultrix's figures, and the ratio where both are", () => {
  assert.deepEqual(row("exception dispatch (overflow)").paper, { us: 1.5, instructions: 18 });
  assert.equal(row("exception dispatch (overflow)").ultrix, 130);
  assert.equal(row("exception dispatch (protection)").ultrix, 154);
  assert.equal(row("exception dispatch (unalign)").ultrix, null);
  assert.deepEqual(row("system call (no stack)").paper, { us: 1.6 });
  assert.equal(row("system call (with stack)").ultrix, 21.3);
  assert.deepEqual(row("protected control transfer (one way)").paper, { us: 1.4 });
  assert.deepEqual(row("protected control transfer (sync)").paper, { instructions: 30 });
  assert.deepEqual(row("STLB miss").paper, { moreUs: [3, 6] });
  assert.equal(row("TLBwr").paper, null);
  for (const r of rows) {
    if (r.paper?.us === undefined) assert.equal(r.ratio, null, r.name);
    else assert.equal(r.ratio, r.us / r.paper.us, r.name);
  }
});

Deno.test("measureAegis counts exactly the instructions on each kernel path", () => {
  const m = new DECstation();
  const s = new Aegis(m).symbols;
  const words = (from: string, to: string) => (s[to] - s[from]) / 4;
  // The general vector tells a system call in its first seven: mfc0 cause, lui, lw (the
  // record), andi, addiu, beqz and the addiu in its delay slot; then the table dispatch, from
  // `syscall` to `bad_syscall`. Calls leave through sys_return (move, jr, rfe) or, when they
  // used temporaries, through sys_clear first.
  const entry = 7 + words("syscall", "bad_syscall");
  const leave = words("sys_return", "sys_tlbwr");
  const clearAndLeave = words("sys_clear", "sys_tlbwr");
  // A forwarded exception runs the whole general vector, from `general` through its rfe.
  for (const kind of ["unalign", "overflow", "coproc", "protection"]) {
    const r = row(`exception dispatch (${kind})`);
    assert.equal(r.instructions, words("general", "utlb_miss"), kind);
  }
  assert.equal(row("null syscall").instructions, entry + words("sys_null", "sys_getid") + leave);
  assert.equal(
    row("system call (no stack)").instructions,
    entry + words("sys_getid", "sys_getid_stack") + leave,
  );
  assert.equal(
    row("system call (with stack)").instructions,
    entry + words("sys_getid_stack", "sys_ts") + leave,
  );
  // The transfers run straight through to their rfe; the ASID fix-up after it is not taken.
  const sync = entry + words("sys_scall", "scall_asid");
  assert.equal(row("protected control transfer (sync)").instructions, sync);
  assert.equal(
    row("protected control transfer (async)").instructions,
    entry + words("sys_acall", "acall_asid"),
  );
  // One way: half of two transfers and each side's five user instructions (the counter, the
  // branch, the argument, the call number, the syscall).
  assert.equal(row("protected control transfer (one way)").instructions, (2 * sync + 10) / 2);
  // TLBwr of a page not in the TLB runs its whole text but the replace branch (b, tlbwi), then
  // clears the temporaries and returns.
  assert.equal(
    row("TLBwr").instructions,
    entry + words("sys_tlbwr", "tlbwr_addr") - 2 + clearAndLeave,
  );
  // The refill runs straight from the UTLB vector to its first rfe.
  const utlb = m.bus.ram32.subarray(0, (K.GENERAL_VECTOR & 0x1fffffff) >>> 2);
  assert.equal(row("STLB hit").instructions, utlb.indexOf(0x42000010) + 1);
  // A guess: the failed TLBWR's path to its capability check, and the guessing loop.
  assert.ok(row("capability guess (a failed TLBWR)").instructions > entry);
  assert.ok(row("capability guess (a failed TLBWR)").bruteForceYears! > 1);
});

Deno.test("formatAegis prints every row beside the paper's figures and says what was modeled", () => {
  const text = formatAegis(rows);
  for (const name of NAMES) {
    assert.match(text, new RegExp(`^${name.replace(/[()]/g, "\\$&")} `, "m"));
  }
  const ov = row("exception dispatch (overflow)");
  assert.match(
    text,
    new RegExp(
      `^exception dispatch \\(overflow\\) +5 +${ov.instructions} +${ov.cycles} +0 +` +
        `${ov.us.toFixed(2).replace(".", "\\.")} +1\\.5 +18 +130 +${ov.ratio!.toFixed(2)}$`,
      "m",
    ),
  );
  assert.match(text, /Modeled \(TypeScript services at their declared costs\): none\.$/m);
  assert.match(text, /^Brute force: .* emulated years/m);
});

Deno.test("less takes user instructions off a span and refuses more than it holds", () => {
  const m = new DECstation();
  const r = measure(m, () => m.cpu.charge(10));
  assert.deepEqual(r, { instructions: 0, cycles: 10, modeledCycles: 10, us: 0.4 });
  assert.throws(() => less(r, 1), RangeError);
  assert.deepEqual(less({ instructions: 3, cycles: 5, modeledCycles: 0, us: 0.2 }, 1), {
    instructions: 2,
    cycles: 4,
    modeledCycles: 0,
    us: 0.16,
  });
});

const mainTs = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `exo ARGS`; returns status, stdout and stderr. */
async function exo(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainTs, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("exo paper aegis --json prints one array of rows with their keys", async () => {
  const r = await exo(["paper", "aegis", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  assert.deepEqual(parsed.map((x: AegisRow) => x.name), NAMES);
  for (const x of parsed) {
    assert.deepEqual(Object.keys(x).slice(0, 8), [
      "name",
      "instructions",
      "cycles",
      "modeledCycles",
      "us",
      "paper",
      "ultrix",
      "ratio",
    ]);
  }
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(rows)));
});

Deno.test("exo paper all prints the Aegis table first", async () => {
  const r = await exo(["paper", "all", "--rounds", "2", "--figure-rounds", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith(formatAegis(rows) + "\n\n"), "the Aegis table, then a blank line");
  assert.match(r.stdout, /^ExOS application-level virtual memory/m, "then the AVM tables");
});
