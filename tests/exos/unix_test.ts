/**
 * The UNIX personality against the guest programs: every program in tests/guest/out/unix prints
 * exactly its expected output and exits with its expected status, forktree's 64 processes pass
 * each status to its parent, and a blocked read waits for typed input without running anything.
 *
 * @module
 */

import assert from "node:assert/strict";
import { call, elf, lab, programs, UNIX_PROGRAMS, unixElf, unixExpected } from "./_unix.ts";
import { asm } from "../../machine/asm/mod.ts";
import { STRUCTURES } from "./_exos.ts";

const LIMIT = { maxInstructions: 50_000_000 };

Deno.test("unix programs: the table here names every built program", () => {
  assert.deepEqual(Object.keys(UNIX_PROGRAMS).sort(), programs());
});

for (const [name, { input, status, host }] of Object.entries(UNIX_PROGRAMS)) {
  if (host === false) continue; // the network's programs: tests/exos/net_test.ts runs them
  Deno.test(`unix ${name} prints exactly its expected output and exits ${status}`, () => {
    for (const structure of STRUCTURES) {
      const m = lab(structure);
      if (input !== undefined) m.console.type(input);
      const p = m.exos.exec(unixElf(name), [name]);
      const r = m.exos.run(LIMIT);
      assert.equal(r.reason, "exited", structure);
      assert.equal(m.console.text, unixExpected(name), structure);
      assert.equal(p.exitStatus, status, structure);
      assert.deepEqual(m.aegis.envIds, [], `${structure}: every environment ended`);
    }
  });
}

Deno.test("unix forktree: 64 processes, each exit status delivered to its parent", () => {
  const m = lab();
  const root = m.exos.exec("/bin/forktree");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  const procs = m.exos.processes;
  assert.equal(procs.length, 64);
  assert.ok(procs.every((p) => p.state === "exited" && p.exitStatus !== undefined));
  const children = procs.filter((p) => p.parent === root);
  assert.equal(children.length, 6, "one child per round");
  assert.equal(children.reduce((n, p) => n + p.exitStatus!, 0), 299, "the checksum it printed");
  assert.ok(procs.slice(1).every((p) => p.parent !== undefined), "no parent left before a child");
});

Deno.test("unix read blocks until input is typed, and returns 0 once input has ended", () => {
  const m = lab();
  const p = m.exos.exec(elf(asm`
        .set    noreorder
        addiu   $sp, $sp, -32
        move    $a0, $zero
        move    $a1, $sp
        li      $a2, 8
        ${call("READ")}
        move    $s0, $v0                     # what the first read got
        move    $a0, $zero
        move    $a1, $sp
        li      $a2, 8
        ${call("READ")}
        sll     $a0, $s0, 4
        or      $a0, $a0, $v0                # first << 4 | second
        ${call("EXIT")}
`));
  const r = m.exos.run(LIMIT);
  assert.equal(r.reason, "input");
  assert.equal(p.state, "reading");
  assert.equal(m.exos.run(LIMIT).instructions, 0, "nothing runs while it waits");
  m.console.type("abc");
  assert.equal(m.exos.run(LIMIT).reason, "input");
  m.exos.endInput();
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.exitStatus, 3 << 4);
});
