/**
 * Snapshots of a lab (shell/snapshot.ts): one line when printed, written to a file and read back
 * into the same lab or a fresh one with the experiment repeating exactly, and clear refusals for
 * what a file cannot hold.
 *
 * @module
 */

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { asm } from "../../machine/asm/mod.ts";
import { Lab } from "../../shell/lab.ts";
import { Snapshot } from "../../shell/snapshot.ts";

/** A lab with one environment spinning in guest code (assembly handlers only). */
function setUp() {
  const m = new Lab({ epoch: new Date(Date.UTC(2026, 0, 1)) });
  const e = m.aegis.createEnv("saved");
  const handler = e.load(asm`
        addiu   $s1, $s1, 1
        addiu   $t0, $t0, 4
        jr      $t0
        nop`);
  e.onException("Ov", handler.origin);
  const prog = e.load(asm`
        .set noreorder
top:    li      $t3, 0x7fffffff
        addi    $t3, $t3, 1
        addiu   $s0, $s0, 1
        b       top
        nop`);
  e.sys.sliceAlloc();
  e.enter(prog.origin);
  m.run(5000);
  return { m, e };
}

/**
 * What an experiment from here produces: counts, registers, the kernel's table (not the new
 * page's capability: capabilities are fresh random bits every time).
 */
function experiment(m: Lab) {
  const page = [...m.aegis.environments.values()][0].sys.allocPage();
  const r = m.run({ maxCycles: 3 * m.aegis.sliceCycles });
  return {
    page: page.number,
    reason: r.reason,
    instructions: r.instructions,
    cycles: m.cpu.cycles,
    s0: m.cpu.regs[16],
    s1: m.cpu.regs[17],
    aegis: String(m.aegis),
  };
}

Deno.test("Snapshot prints as one line: memory, environments, time, instructions, pc", () => {
  const { m } = setUp();
  const s = m.snapshot();
  assert.match(
    inspect(s),
    /^Snapshot · 32 MB · Aegis: 1 environment · [\d.]+ (us|ms) emulated · \d+ instructions · pc 0x[0-9a-f]{8}$/,
  );
});

Deno.test("Snapshot save and m.restore(path) repeat the experiment in this lab and in a fresh one", () => {
  const { m } = setUp();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    assert.equal(m.snapshot().save(path), path);
    const first = experiment(m);
    m.restore(path);
    assert.deepEqual(experiment(m), first, "the same lab, from the file");
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(experiment(other), first, "another lab, from the file");
    assert.equal(other.aegis.environments.get(0x81)?.name, "saved");
    assert.match(inspect(Snapshot.read(path)), / · from .*\.snap$/);
    assert.ok(Deno.statSync(path).size < 1 << 20, "only the pages in use are written");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot save refuses TypeScript handlers, naming the environment, and writes nothing", () => {
  const { m, e } = setUp();
  e.onException("Bp", () => "resume");
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    assert.throws(
      () => m.snapshot().save(path),
      /Environment 0x81 has TypeScript exception handlers: functions cannot be written/,
    );
    assert.equal(Deno.statSync(path).size, 0);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Lab restore refuses another lab's live snapshot, a file of another size and a non-snapshot", () => {
  const { m } = setUp();
  const other = new Lab();
  assert.throws(() => other.restore(m.snapshot()), /taken of another lab: save it to a file/);
  const small = new Lab({ memoryMB: 8 });
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    small.snapshot().save(path);
    assert.throws(() => m.restore(path), /machine with 8 MB; this one has 32 MB/);
    Deno.writeTextFileSync(path, "hello\n");
    assert.throws(() => m.restore(path), /is not an exolab snapshot/);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Lab snapshot of a bare program restores into a lab running Aegis", () => {
  const m = new Lab();
  m.loadElf(Deno.readFileSync(new URL("../guest/out/hello.elf", import.meta.url)), ["hello"]);
  m.run(1000);
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    const s = m.snapshot();
    assert.match(inspect(s), /a bare program/);
    s.save(path);
    const other = new Lab();
    other.restore(path);
    assert.throws(() => other.aegis, /Aegis is not running/);
    assert.equal(other.run(10_000_000).reason, "halt");
    assert.match(other.console.text, /hello/i);
  } finally {
    Deno.removeSync(path);
  }
});
