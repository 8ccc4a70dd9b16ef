/**
 * Visible revocation and the abort protocol: an environment that answers gives its page back;
 * one that does not loses it by force, with its bindings gone from the TLB and the STLB, the page
 * in its repossession vector, and a repossession notice; pinned pages are never taken.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { DECstation } from "../../machine/decstation.ts";
import { TLB } from "../../machine/cp0.ts";
import { Aegis } from "../../aegis/kernel.ts";
import { capabilityWords, SYS } from "../../aegis/abi.ts";
import { E, K, PAGE_SHIFT, STLB } from "../../aegis/layout.ts";

/** A booted machine with one environment `a` running a loop that touches its data page. */
function setup() {
  const m = new DECstation();
  const aegis = new Aegis(m, { slices: 2 });
  const a = aegis.createEnv("a");
  const data = a.map(0x00500000);
  const loop = a.load(asm`
        .set noreorder
        lui     $s1, 0x0050
top:    lw      $t0, 0($s1)
        addiu   $s0, $s0, 1
        b       top
        nop
park:   b       park                      # where a goes once its page is gone
        nop
`);
  aegis.mem.w32(aegis.envRecordOf(a.id) + E.CONTEXT + 136, loop.origin);
  a.sys.sliceAlloc(0);
  const faults: number[] = [];
  a.onException("TLBL", (x) => (faults.push(x.badVAddr), loop.symbols.park));
  return { m, aegis, a, data, faults };
}

/** Whether any TLB or STLB entry still maps physical page `p`. */
function bound(m: DECstation, aegis: Aegis, p: number): boolean {
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((m.cpu.tlbLo[i] & TLB.V) !== 0 && m.cpu.tlbLo[i] >>> PAGE_SHIFT === p) return true;
  }
  for (let i = 0; i < STLB.ENTRIES; i++) {
    const lo = aegis.mem.r32(K.STLB + 8 * i + 4);
    if ((lo & TLB.V) !== 0 && lo >>> PAGE_SHIFT === p) return true;
  }
  return false;
}

Deno.test("Aegis revocation: an environment that never answers loses the page by force", () => {
  const { m, aegis, a, data, faults } = setup();
  m.run({ maxCycles: 3 * aegis.sliceCycles });
  assert.ok(bound(m, aegis, data.number), "the page is bound while a uses it");
  assert.deepEqual(faults, []);
  const seen: number[] = [];
  a.onException("Repossessed", (x) => (seen.push(x.badVAddr), "resume"));
  assert.equal(aegis.revoke(data.number, 200), true);
  assert.equal(aegis.ownerOf(data.number), a.id, "still a's during the grace period");
  m.run({ maxCycles: 300 * 25 });
  assert.equal(aegis.ownerOf(data.number), 0);
  assert.equal(aegis.capabilityOf(data.number), 0n);
  assert.equal(bound(m, aegis, data.number), false, "bindings gone from TLB and STLB");
  const rec = aegis.envRecordOf(a.id);
  assert.equal(aegis.mem.r32(rec + E.REPOSSESSED_COUNT), 1);
  assert.equal(aegis.mem.r32(rec + E.REPOSSESSED), data.number);
  m.run({ maxCycles: 3 * aegis.sliceCycles });
  assert.deepEqual(seen, [1], "the repossession notice reached a's handler");
  assert.ok(a.alive);
  assert.deepEqual(faults.slice(0, 1), [0x00500000], "a's next touch of the page faulted");
});

Deno.test("Aegis revocation: an environment that answers gives the page back and keeps running", () => {
  const { m, aegis, a, data } = setup();
  const [lo, hi] = capabilityWords(data.capability);
  const handler = a.load(asm`
        .set noreorder
        move    $s2, $t0                  # where the notice found us (a call may clear t0)
        li      $v0, ${SYS.REVOKE_ANSWER}
        move    $a0, $t1                  # the page asked for
        li      $a2, ${lo}                # its read-write capability
        li      $a3, ${hi}
        syscall
        lui     $s1, 0x0060               # stop touching the page given back
        jr      $s2                       # resume there
        nop
`);
  a.sys.setHandler("Revoke", handler.origin);
  const other = a.map(0x00600000);
  m.run({ maxCycles: 3 * aegis.sliceCycles });
  assert.equal(aegis.revoke(data.number, 5000), true);
  m.run({ maxCycles: 2 * aegis.sliceCycles });
  assert.equal(aegis.ownerOf(data.number), 0, "given back");
  assert.equal(aegis.revocations.length, 0);
  assert.equal(aegis.mem.r32(aegis.envRecordOf(a.id) + E.REPOSSESSED_COUNT), 0);
  const before = aegis.mem.r32(aegis.envRecordOf(a.id) + E.CONTEXT + 16 * 4);
  m.run({ maxCycles: 10 * aegis.sliceCycles });
  assert.ok(a.alive);
  assert.ok(aegis.mem.r32(aegis.envRecordOf(a.id) + E.CONTEXT + 16 * 4) > before, "a goes on");
  assert.equal(aegis.ownerOf(other.number), a.id);
});

Deno.test("Aegis revocation: a pinned page is never revoked or repossessed", () => {
  const { aegis, a, data } = setup();
  a.sys.pin(data);
  assert.equal(aegis.revoke(data.number, 10), false);
  assert.equal(aegis.repossess(data.number), false);
  assert.equal(aegis.ownerOf(data.number), a.id);
});

Deno.test("Aegis revocation: free and kernel pages cannot be revoked", () => {
  const { aegis } = setup();
  assert.equal(aegis.revoke(aegis.pages - 1, 10), false);
  assert.equal(aegis.revoke(0, 10), false);
});

Deno.test("Aegis delivers a notice through the save area's second half, leaving an exception's t0-t2", () => {
  const { m, aegis, a, data } = setup();
  const save = a.sys.allocPage();
  a.sys.setSaveArea(save, 0);
  const words = (off: number) => m.bus.ram32[(save.number * 4096 + off) >>> 2];
  for (let i = 0; i < 3; i++) m.bus.ram32[(save.number * 4096 + 4 * i) >>> 2] = 0x5a0 + i;
  const seen: number[] = [];
  a.onException("Revoke", (x) => (seen.push(x.badVAddr), "resume"));
  m.run({ maxCycles: 3 * aegis.sliceCycles });
  assert.equal(aegis.revoke(data.number, 5000), true);
  m.run({ maxCycles: 2 * aegis.sliceCycles });
  assert.deepEqual(seen, [data.number], "the notice reached the handler");
  assert.deepEqual([words(0), words(4), words(8)], [0x5a0, 0x5a1, 0x5a2], "first half untouched");
});
