/**
 * The lab (a DECstation with Aegis): snapshots cover the kernel too, so an experiment with
 * environments, pages and slices repeats from the same state with the same numbers (all but the
 * capabilities, which are drawn fresh from `crypto.getRandomValues`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { Lab } from "../../shell/lab.ts";

Deno.test("Lab restore brings back environments, pages and time, and the experiment repeats", () => {
  const m = new Lab({ epoch: new Date(Date.UTC(2026, 0, 1)) });
  const e = m.aegis.createEnv("e");
  const prog = e.load(asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
`);
  e.sys.sliceAlloc(0);
  m.aegis.mem.w32(m.aegis.envRecordOf(e.id) + 0x100 + 136, prog.origin);
  const s = m.snapshot();
  const envsBefore = String(m.aegis);
  const run = () => {
    const page = e.sys.allocPage();
    const f = m.aegis.createEnv("f");
    const r = m.run({ maxCycles: 10 * m.aegis.sliceCycles });
    return {
      page: page.number,
      cap: page.capability,
      f: f.id,
      r,
      cycles: m.cpu.cycles,
      ints: m.cpu.exceptionCounts[0],
    };
  };
  const first = run();
  assert.notEqual(String(m.aegis), envsBefore);
  m.restore(s);
  assert.equal(String(m.aegis), envsBefore);
  assert.equal(
    m.aegis.ownerOf(first.page),
    0,
    "the page allocated after the snapshot is free again",
  );
  const second = run();
  // Capabilities come from a cryptographic source, not from the machine's state, so a restore
  // does not replay them: the same page comes back with a fresh one. Everything else repeats.
  assert.notEqual(second.cap, first.cap, "a fresh capability");
  assert.equal(m.aegis.capabilityOf(second.page), second.cap);
  assert.deepEqual({ ...second, cap: 0n }, { ...first, cap: 0n });
});

Deno.test("Lab restore of a snapshot taken before ExOS started brings back a machine without processes", () => {
  const m = new Lab();
  const s = m.snapshot();
  m.exos.exec("/bin/echo", ["echo", "hello from pid 1"]);
  m.exos.run({ maxInstructions: 5_000_000 });
  assert.match(m.console.text, /hello from pid 1/);
  assert.match(String(m.snapshot()), / · ExOS: 1 process, 0 live · /);
  m.restore(s);
  assert.equal(m.exos.processes.length, 0);
  assert.equal(m.console.text, "");
  m.exos.exec("/bin/echo", ["echo", "hello from pid 1"]);
  m.exos.run({ maxInstructions: 5_000_000 });
  assert.equal(m.console.text, "hello from pid 1\n");
});

Deno.test("Lab methods refuse bad arguments with a TypeError naming them, changing nothing", () => {
  const m = new Lab();
  const before = m.cpu.instructions;
  const bad: [() => unknown, RegExp][] = [
    [() => m.run(-1), /m\.run: the instruction count must be a whole number >= 0, not -1/],
    [() => m.run(1.5), /m\.run: the instruction count must be a whole number/],
    [
      () => m.run({ maxInstrucions: 5 } as never),
      /m\.run has no option maxInstrucions: its options are maxInstructions, maxCycles, until/,
    ],
    [
      () => m.run({ maxInstructions: "5" } as never),
      /m\.run: maxInstructions must be a whole number >= 0, not "5"/,
    ],
    [() => m.run({ maxCycles: -3 }), /maxCycles must be a whole number >= 0, not -3/],
    [
      () => m.run({ until: 2 ** 40 }),
      /until must be an address from 0 to 0xffffffff, not 1099511627776/,
    ],
    [() => m.run("100" as never), /m\.run takes an options object/],
    [() => m.run(5, 6 as never), /m\.run takes at most 1 argument, not 2/],
    [() => m.step(0), /m\.step: the instruction count must be a whole number >= 1, not 0/],
    [() => m.step("3" as never), /m\.step: the instruction count must be/],
    [() => m.next(1 as never), /m\.next takes at most 0 arguments/],
    [() => m.break(undefined as never), /m\.break takes an address, a symbol name/],
    [() => m.break(-4), /m\.break: the address must be an address from 0 to 0xffffffff, not -4/],
    [() => m.break("no_such_symbol"), /m\.break: no symbol "no_such_symbol"/],
    [() => m.break({ exception: "TLBX" }), /exception "TLBX" is not one of Int, Mod, TLBL/],
    [() => m.break({ syscall: "TLBWRITE" }), /system call "TLBWRITE" is not one of NULL/],
    [() => m.break({ exception: "TLBL", syscall: "NULL" } as never), /m\.break takes an address/],
    [() => m.watch("x" as never), /m\.watch: the address must be an address/],
    [
      () => m.watch(0x1000, { access: "rw" } as never),
      /m\.watch: access must be one of read, write, both, not "rw"/,
    ],
    [() => m.watch(0x1000, { bytes: 0 }), /m\.watch: bytes must be a whole number >= 1, not 0/],
    [() => m.watch(0x1000, { physical: 1 } as never), /physical must be true or false, not 1/],
    [() => m.watch(0x1000, { size: 4 } as never), /m\.watch has no option size/],
    [() => m.unbreak(42), /m\.unbreak: no breakpoint matches 42/],
    [() => m.trace(1 as never), /m\.trace takes true, false, a file path or a function, not 1/],
    [
      () => m.disasm(0x80000000, 0),
      /m\.disasm: the instruction count must be a whole number >= 1, not 0/,
    ],
    [() => m.disasm(0x80000000, 4, 0x999), /m\.disasm: 2457 is not a live environment/],
    [() => m.disasm({} as never), /m\.disasm: the address must be an address/],
    [() => m.dump(undefined as never), /m\.dump: the address must be an address/],
    [() => m.dump(0, -1), /m\.dump: the byte count must be a whole number >= 1, not -1/],
    [() => m.dump(0, 1 << 21), /more than a screen can hold/],
    [() => m.restore({} as never), /m\.restore takes a Snapshot/],
    [() => m.loadElf("hello.elf" as never), /m\.loadElf takes the ELF's bytes/],
    [() => m.loadElf(new Uint8Array(4), "prog" as never), /argv must be an array of strings/],
    [() => m.reset(true as never), /m\.reset takes at most 0 arguments/],
    [() => m.snapshot(1 as never), /m\.snapshot takes at most 0 arguments/],
    [
      () => m.exos.run(-5),
      /m\.exos\.run: the instruction count must be a whole number >= 0, not -5/,
    ],
    [
      () => m.exos.run({ maxCycles: 5 } as never),
      /m\.exos\.run has no option maxCycles: its options are maxInstructions/,
    ],
    [() => m.symbols.add(42 as never), /m\.symbols\.add takes an assembled program/],
    [
      () => new Lab({ memoryMb: 8 } as never),
      /new Lab has no option memoryMb: its options are memoryMB/,
    ],
  ];
  for (const [call, message] of bad) {
    assert.throws(
      call,
      (e: Error) => e instanceof TypeError && message.test(e.message),
      String(message),
    );
  }
  assert.equal(m.cpu.instructions, before, "no bad call ran anything");
  assert.equal(m.breakpoints.length, 0, "no bad call left a breakpoint");
});

Deno.test("Lab run takes a number as an instruction count", () => {
  const m = new Lab();
  const r = m.run(100);
  assert.equal(r.reason, "instructions");
  assert.equal(r.instructions, 100);
  assert.equal(m.run({ maxInstructions: 50 }).instructions, 50);
});

Deno.test("Lab reset reboots the machine and Aegis: environments, pages and processes are gone", () => {
  const m = new Lab();
  const fresh = String(m.aegis);
  const e = m.aegis.createEnv("e");
  e.sys.allocPage();
  m.exos.exec("/bin/true");
  m.run(10_000);
  m.reset();
  assert.equal(String(m.aegis), fresh);
  assert.equal(m.exos.processes.length, 0);
  assert.equal(m.cpu.instructions, 0);
  assert.equal(m.stats.toJSON().instructions, 0);
  assert.throws(
    () => e.sys.null(),
    /does not exist/,
    "the old environment is gone with its kernel",
  );
  m.exos.exec("/bin/true");
  assert.equal(m.exos.run(5_000_000).reason, "exited");
});

Deno.test("Lab loadElf replaces Aegis with a bare program, says so, and reset brings Aegis back", () => {
  const m = new Lab();
  const hello = Deno.readFileSync(new URL("../guest/out/hello.elf", import.meta.url));
  assert.throws(() => m.loadElf(new Uint8Array(8)), /Not an ELF/);
  assert.equal(m.aegis.envIds.length, 0, "a bad file changes nothing");
  m.loadElf(hello, ["hello"]);
  assert.match(String(m), /bare program hello/);
  assert.throws(() => m.aegis, /Aegis is not running: m\.loadElf booted the bare program hello/);
  const b = m.break("main");
  const r = m.run(1_000_000);
  assert.equal(r.reason, "breakpoint");
  assert.match(String(r), /<main>/);
  m.unbreak(b);
  assert.equal(m.run(10_000_000).reason, "halt");
  assert.match(m.console.text, /hello/i);
  m.reset();
  assert.equal(m.aegis.envIds.length, 0);
  assert.match(String(m), /Aegis: 0 environments/);
});

Deno.test("Lab prints environments in the singular and plural", () => {
  const m = new Lab();
  assert.match(String(m), /Aegis: 0 environments · /);
  m.aegis.createEnv("a");
  assert.match(String(m), /Aegis: 1 environment · /);
});

Deno.test("Lab loadElf of a program that does not fit leaves Aegis running", () => {
  const m = new Lab({ memoryMB: 1 });
  m.aegis.createEnv("kept");
  const elf = Deno.readFileSync(new URL("../guest/out/hello.elf", import.meta.url));
  const view = new DataView(elf.buffer);
  view.setUint32(view.getUint32(28, true) + 8, 0x80f00000, true); // the first segment: at 15 MB
  const pc = m.cpu.pc, clock = m.events.next;
  assert.throws(() => m.loadElf(elf), /beyond RAM/);
  assert.equal(m.aegis.envIds.length, 1);
  assert.equal(m.cpu.pc, pc, "the CPU was not reset");
  assert.equal(m.events.next, clock, "the slice clock still ticks");
});
