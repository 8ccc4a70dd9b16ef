/**
 * Snapshots of a lab (shell/snapshot.ts): one line when printed, written to a file and read back
 * into the same lab or a fresh one with the experiment repeating exactly, ExOS's processes
 * included (pipes, sleepers, signals, shared memory, console input), and clear refusals for what
 * a file cannot hold or a damaged file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { asm } from "../../machine/asm/mod.ts";
import { Lab } from "../../shell/lab.ts";
import { Snapshot } from "../../shell/snapshot.ts";
import { checkInvariants } from "../../aegis/invariants.ts";
import { call, elf } from "../exos/_unix.ts";

/** The expected console output of tests/guest/unix/NAME.c. */
const expected = (name: string) => new URL(`../guest/unix/expected/${name}.txt`, import.meta.url);

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
      /Environment 0x0081 has TypeScript exception handlers: functions cannot be written/,
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
    new Lab({ slices: 2 }).snapshot().save(path);
    const before = m.snapshot().summary;
    assert.throws(() => m.restore(path), /has 2 slice positions; this lab's has 16/);
    new Lab({ clockRate: 8 }).snapshot().save(path);
    assert.throws(() => m.restore(path), /slices are \d+ cycles; this lab's are \d+/);
    assert.deepEqual(m.snapshot().summary, before, "nothing changed");
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

// ---- ExOS processes ------------------------------------------------------------------------------

/** A pipeline whose writer sleeps while its reader waits on the pipe, then the one. */
const PIPELINE = ["sh", "-c", "sleep 0.001 | wc -w; echo hello world | wc -w; echo done"];

/** Runs `m`'s processes 100 instructions at a time until `ready()` holds; fails if they end first. */
function runUntil(m: Lab, ready: () => boolean): void {
  for (let i = 0; i < 10_000 && !ready(); i++) {
    assert.equal(m.exos.run(100).reason, "instructions", "the workload ended before the point");
  }
  assert.ok(ready(), "the point was reached");
}

/** `r` without its capabilities (fresh random bits for every page allocated after a restore). */
function withoutCapabilities(r: unknown): unknown {
  return JSON.parse(JSON.stringify(r, (k, v) => k === "capability" ? undefined : v));
}

/**
 * What running `m`'s processes to the end gives: why it stopped, the instructions and cycles,
 * the console, each process's state and wait status, the process table printed and as a record,
 * and the kernel's invariants.
 */
function finish(m: Lab) {
  const r = m.exos.run(50_000_000);
  return {
    reason: r.reason,
    instructions: r.instructions,
    cycles: m.cpu.cycles,
    console: m.console.text,
    statuses: m.exos.processes.map((p) => [p.pid, p.state, p.waitStatus]),
    table: inspect(m.exos.processes),
    record: withoutCapabilities(m.exos.record()),
    invariants: checkInvariants(m.aegis),
  };
}

/** A lab in the middle of PIPELINE: the writer asleep, the reader blocked on the pipe. */
function midPipeline(): Lab {
  const m = new Lab();
  m.exos.exec("/bin/sh", PIPELINE);
  runUntil(m, () => {
    const ps = m.exos.processes;
    return ps.some((p) => p.state === "sleeping") &&
      ps.some((p) => p.state === "reading" && p.blockedOn !== undefined);
  });
  return m;
}

Deno.test("Snapshot of ExOS mid-pipeline restores in this lab, twice, and goes on exactly", () => {
  const m = midPipeline();
  const s = m.snapshot();
  const record = m.exos.record();
  assert.equal(record.pipes.length, 1, "a pipe exists");
  assert.equal(record.processes.length, 3, "the shell, the sleeper and the reader");
  const first = finish(m);
  assert.equal(first.reason, "exited");
  assert.equal(first.console, "0\n2\ndone\n");
  assert.deepEqual(first.invariants, []);
  m.restore(s);
  assert.deepEqual(m.exos.record(), record, "the rebuilt table records what was saved");
  assert.equal(m.exos.processes.length, 3);
  assert.deepEqual(finish(m), first, "from the snapshot");
  m.restore(s);
  assert.deepEqual(finish(m), first, "from the same snapshot again");
});

Deno.test("Snapshot of ExOS mid-pipeline goes through a file into a fresh lab", () => {
  const m = midPipeline();
  const s = m.snapshot();
  const record = m.exos.record();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(other.exos.record(), record, "the record survives the file");
    assert.deepEqual(finish(other), first, "a fresh lab, from the file");
    m.restore(path);
    assert.deepEqual(finish(m), first, "this lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot prints as one line with ExOS's processes", () => {
  const m = midPipeline();
  assert.match(
    inspect(m.snapshot()),
    /^Snapshot · 32 MB · Aegis: 3 environments · ExOS: 3 processes, 3 live · [\d.]+ (us|ms) emulated · \d+ instructions · pc 0x[0-9a-f]{8}$/,
  );
  const n = new Lab();
  n.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w; echo done"]);
  n.exos.run();
  assert.match(inspect(n.snapshot()), / · Aegis: 0 environments · ExOS: 4 processes, 0 live · /);
});

Deno.test("Lab restores an older snapshot after more processes were made", () => {
  const m = new Lab();
  m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w; echo done"]);
  m.exos.run(2000);
  const early = m.snapshot();
  assert.equal(m.exos.processes.length, 1);
  const first = finish(m);
  assert.equal(m.exos.processes.length, 4);
  const late = m.snapshot();
  m.restore(early);
  assert.equal(m.exos.processes.length, 1, "the processes made later are gone");
  assert.deepEqual(m.aegis.envIds, [0x81]);
  assert.deepEqual(finish(m), first);
  m.restore(late);
  assert.equal(m.exos.processes.length, 4);
  assert.equal(m.exos.run().reason, "exited");
});

Deno.test("Snapshot covers signals pending and handlers installed (signals.elf mid-run)", () => {
  const m = new Lab();
  const elf = Deno.readFileSync(new URL("../guest/out/unix/signals.elf", import.meta.url));
  m.exos.exec(elf, ["signals"]);
  runUntil(m, () => {
    const r = m.exos.record();
    return r.processes.length >= 2 && r.processes.some((p) => p.signals.actions.some((a) => a > 1));
  });
  const s = m.snapshot();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    assert.equal(first.console, Deno.readTextFileSync(expected("signals")));
    assert.equal(m.exos.process(1)?.exitStatus, 0);
    m.restore(s);
    assert.deepEqual(finish(m), first, "in this lab");
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(finish(other), first, "in a fresh lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot covers every point of signals.elf where a signal is pending", () => {
  const m = new Lab();
  m.exos.exec(Deno.readFileSync(new URL("../guest/out/unix/signals.elf", import.meta.url)));
  runUntil(m, () => m.exos.processes.some((p) => p.signals.pending !== 0 && p.alive));
  const s = m.snapshot();
  const first = finish(m);
  m.restore(s);
  assert.ok(m.exos.processes.some((p) => p.signals.pending !== 0), "restored with it pending");
  assert.deepEqual(finish(m), first);
});

Deno.test("Snapshot covers shared memory (shm.elf mid-run, a segment attached in two processes)", () => {
  const m = new Lab();
  m.exos.exec(Deno.readFileSync(new URL("../guest/out/unix/shm.elf", import.meta.url)), ["shm"]);
  runUntil(m, () => m.exos.record().segments.some((g) => g.attached.length >= 2));
  const s = m.snapshot();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    assert.equal(first.console, Deno.readTextFileSync(expected("shm")));
    m.restore(s);
    assert.deepEqual(finish(m), first, "in this lab");
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(finish(other), first, "in a fresh lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot covers processes asleep in emulated time and console input not read yet", () => {
  const m = new Lab();
  m.exos.exec("/bin/sh", ["sh", "-c", "sleep 0.002 | sleep 0.001; cat; echo done"]);
  runUntil(m, () => m.exos.processes.filter((p) => p.state === "sleeping").length === 2);
  m.console.type("typed\n");
  m.exos.endInput();
  m.exos.run(100); // the input moves into ExOS's buffer
  const s = m.snapshot();
  assert.deepEqual(m.exos.record().input, [...new TextEncoder().encode("typed\n")]);
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    assert.equal(first.console, "typed\ndone\n");
    m.restore(s);
    assert.deepEqual(finish(m), first, "in this lab");
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(finish(other), first, "in a fresh lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot file carries programs added to m.exos.files; shipped ones go by name", () => {
  const m = new Lab();
  const hello = Deno.readFileSync(new URL("../guest/out/unix/hello.elf", import.meta.url));
  m.exos.files.set("/test/hello", hello);
  m.exos.exec("/bin/sh", ["sh", "-c", "/test/hello; echo done"]);
  m.exos.run(3000);
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    m.snapshot().save(path);
    const first = finish(m);
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(other.exos.files.get("/test/hello"), hello);
    assert.equal(other.exos.files.size, m.exos.files.size);
    assert.deepEqual(finish(other), first);
    assert.ok(Deno.statSync(path).size < 1 << 20, "shipped programs are not written");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot save refuses a TypeScript handler set by hand on a process's environment", () => {
  const m = midPipeline();
  const sh = m.exos.process(1)!;
  m.aegis.env(sh.path.id).onException("TLBL", () => "resume");
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    assert.throws(
      () => m.snapshot().save(path),
      /Environment 0x0081 has TypeScript exception handlers: functions cannot be written/,
    );
    assert.equal(Deno.statSync(path).size, 0);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Lab restore of a damaged ExOS record names what is wrong and changes nothing", () => {
  const m = midPipeline();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    m.snapshot().save(path);
    const bytes = Deno.readFileSync(path);
    const nl = bytes.indexOf(10), nl2 = bytes.indexOf(10, nl + 1);
    const dec = new TextDecoder(), enc = new TextEncoder();
    const header = JSON.parse(dec.decode(bytes.subarray(nl + 1, nl2)));
    const damage = (change: (h: typeof header) => void) => {
      const h = structuredClone(header);
      change(h);
      const head = enc.encode(`${dec.decode(bytes.subarray(0, nl))}\n${JSON.stringify(h)}\n`);
      const out = new Uint8Array(head.length + bytes.length - nl2 - 1);
      out.set(head);
      out.set(bytes.subarray(nl2 + 1), head.length);
      Deno.writeFileSync(path, out);
    };
    const now = () => ({ pc: m.cpu.pc, cycles: m.cpu.cycles, exos: m.exos.record() });
    const before = now();
    const same = () => assert.deepEqual(now(), before);
    damage((h) => h.exos.record.processes[1].parent = 9);
    assert.throws(
      () => m.restore(path),
      /ExOS record is damaged: processes\[1\]\.parent names process 9, which the record does not have/,
    );
    same();
    damage((h) => h.exos.record.processes[2].state = "dancing");
    assert.throws(() => m.restore(path), /processes\[2\]\.state is "dancing", not one of runnable/);
    same();
    damage((h) => delete h.exos.record.pipes[0].capability);
    assert.throws(() => m.restore(path), /pipes\[0\]\.capability is missing/);
    same();
    damage((h) => h.exos.files = [["/bin/nothing", null]]);
    assert.throws(() => m.restore(path), /names the program \/bin\/nothing that ships/);
    same();
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot covers processes queued for a slice position (a machine with 2 slices)", () => {
  const m = new Lab({ slices: 2 });
  m.exos.exec("/bin/sh", ["sh", "-c", "echo a | wc -c; echo b | wc -c; echo done"]);
  runUntil(m, () => m.exos.record().queue.length > 0);
  const s = m.snapshot();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    assert.equal(first.console, "2\n2\ndone\n");
    m.restore(s);
    assert.deepEqual(finish(m), first, "in this lab");
    const other = new Lab({ slices: 2 });
    other.restore(path);
    assert.deepEqual(finish(other), first, "in a fresh lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Snapshot covers a process armed for a signal sent between runs", () => {
  const m = new Lab();
  const spin = m.exos.exec("/bin/spin", ["spin"]);
  m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w"]);
  m.exos.run(30_000);
  m.exos.kill(spin.pid, "SIGTERM");
  const s = m.snapshot();
  assert.equal(m.exos.record().processes[0].signals.armed, true, "its next slice delivers it");
  const first = finish(m);
  assert.equal(m.exos.process(1)?.how, "exited (SIGTERM)");
  m.restore(s);
  assert.deepEqual(finish(m), first);
});

Deno.test("Snapshot covers a parent that exited while its child still shares its pages", () => {
  const m = new Lab();
  m.exos.exec(elf(asm`
        .set    noreorder
        ${call("FORK")}
        bnez    $v0, 1f
        nop
        move    $a0, $zero
        li      $a1, 1000000                 # the child sleeps 1 ms
        ${call("SLEEP")}
        li      $a0, 5
        ${call("EXIT")}
1:      li      $a0, 3
        ${call("EXIT")}
`));
  runUntil(m, () => m.exos.record().processes.some((p) => p.holding));
  const s = m.snapshot();
  const path = Deno.makeTempFileSync({ suffix: ".snap" });
  try {
    s.save(path);
    const first = finish(m);
    assert.deepEqual(first.statuses, [[1, "exited", 3 << 8], [2, "exited", 5 << 8]]);
    assert.deepEqual(m.aegis.envIds, [], "the holder ended with its last shared page");
    m.restore(s);
    assert.deepEqual(finish(m), first, "in this lab");
    const other = new Lab();
    other.restore(path);
    assert.deepEqual(finish(other), first, "in a fresh lab, from the file");
  } finally {
    Deno.removeSync(path);
  }
});
