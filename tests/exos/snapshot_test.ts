/**
 * ExOS's state as plain data (exos/snapshot.ts): an address space adopted from its record over
 * the same environment with no system call, a record that survives JSON as it is, a damaged one
 * refused before anything is built, and the network stack refused by name.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { SyscallPath } from "../../aegis/abi.ts";
import { AddressSpace, checkRecord, ExOS, type ExosRecord } from "../../exos/mod.ts";
import { NetLab } from "../../shell/net.ts";
import { Lab } from "../../shell/lab.ts";
import { boot, proc, STRUCTURES } from "./_exos.ts";

/** `path` with every system call and handler installation counted in `count.n`. */
function counting(path: SyscallPath, count: { n: number }): SyscallPath {
  return {
    id: path.id,
    call: (...a) => (count.n++, path.call(...a)),
    read32: (va) => path.read32(va),
    write32: (va, v) => path.write32(va, v),
    onException: (code, h) => (count.n++, path.onException(code, h)),
    child: (id) => counting(path.child(id), count),
  };
}

Deno.test("AddressSpace.adopt takes its record back over the same environment, calling nothing", () => {
  for (const structure of STRUCTURES) {
    const m = boot();
    const { env, vm } = proc(m, "vm", { structure });
    const heap = vm.sbrk(2 * 4096);
    vm.write32(heap + 4096, 42);
    const mapped = vm.mmap(4096);
    const record = vm.record();
    assert.deepEqual(JSON.parse(JSON.stringify(record)), record, `${structure}: plain data`);
    const count = { n: 0 };
    const twin = AddressSpace.adopt(counting(env, count), record, { structure });
    assert.equal(count.n, 0, `${structure}: no system call, no handler`);
    assert.deepEqual(twin.record(), record);
    assert.deepEqual(twin.routines, vm.routines);
    assert.deepEqual(
      twin.entries(),
      vm.entries(),
      `${structure}: the same table, read from memory`,
    );
    assert.equal(twin.read32(heap + 4096), 42);
    assert.equal(twin.break, vm.break);
    assert.deepEqual(twin.code.text, vm.code.text, `${structure}: the code, assembled on demand`);
    assert.equal(twin.mmap(4096), mapped + 4096, "the next mmap goes where the original's would");
    assert.ok(count.n > 0, "and from then on it acts through its path");
  }
});

Deno.test("ExOS.record is plain data that survives JSON, and rebuilding records the same", () => {
  const m = new Lab();
  m.exos.exec("/bin/sh", ["sh", "-c", "sleep 0.001 | wc -w; echo done"]);
  const midway = () => {
    const r = m.exos.record();
    return r.processes.length === 3 && r.pipes.length === 1;
  };
  for (let i = 0; i < 1000 && !midway(); i++) m.exos.run(100);
  assert.ok(midway(), "mid-pipeline");
  const record = m.exos.record();
  assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
  m.restore(m.snapshot());
  assert.deepEqual(m.exos.record(), record);
});

Deno.test("ExOS.rebuild refuses a damaged record by name before it builds anything", () => {
  const m = new Lab();
  m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w"]);
  m.exos.run(2_000);
  const good = m.exos.record();
  const cases: [(r: ExosRecord) => void, RegExp][] = [
    [(r) => Object.assign(r, { structure: "btree" }), /structure is "btree", not one of linear/],
    [(r) => r.processes[0].signals.actions.pop(), /actions has 31 actions, not 32/],
    [(r) => r.processes[0].fds[1] = { pipe: 7, end: "read" }, /fds\[1\]\.pipe names pipe 7/],
    [(r) => Object.assign(r.processes[0], { fds: 3 }), /processes\[0\]\.fds is 3, not a list/],
    [(r) => r.queue.push(0), /queue\[0\] names process 0/],
    [(r) => Object.assign(r.processes[0].vm.lib[0], { capability: "0x12" }), /not a capability/],
  ];
  for (const [damage, message] of cases) {
    const r = structuredClone(good);
    damage(r);
    assert.throws(() => checkRecord(r), message);
    let adopted = 0;
    assert.throws(
      () =>
        ExOS.rebuild(m.exos.host, r, {}, () => {
          adopted++;
          throw new Error("not reached");
        }),
      message,
    );
    assert.equal(adopted, 0, "nothing was built");
  }
});

Deno.test("ExOS.record refuses a network stack, naming it", () => {
  const lab = new NetLab();
  const a = lab.add({ ip: "10.0.0.1", name: "a" });
  assert.throws(() => a.exos.record(), /Snapshots do not cover ExOS's network stack/);
});
