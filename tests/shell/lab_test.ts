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

Deno.test("Lab snapshot refuses while ExOS has processes, and restore brings back a machine without them", () => {
  const m = new Lab();
  const s = m.snapshot();
  m.exos.exec("/bin/hello");
  m.exos.run({ maxInstructions: 5_000_000 });
  assert.match(m.console.text, /hello from pid 1/);
  assert.throws(() => m.snapshot(), /ExOS processes/);
  m.restore(s);
  assert.equal(m.exos.processes.length, 0);
  assert.equal(m.console.text, "");
  m.exos.exec("/bin/hello");
  m.exos.run({ maxInstructions: 5_000_000 });
  assert.equal(m.console.text, "hello from pid 1\n");
});
