/**
 * Time slices: the clock drives the slice vector; environments share the CPU by the positions
 * they hold; the end-of-slice upcall, excess time and its repayment, and the end of an
 * environment that abuses its slices.
 *
 * The first tick comes one slice after boot, so slice position 0 runs from 1 to 2 slices of
 * emulated time, position 1 from 2 to 3, and so on; the tests look at the kernel in the middle of
 * a slice, never at a tick.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { DECstation } from "../../machine/decstation.ts";
import { Aegis, EXCESS_LIMIT } from "../../aegis/kernel.ts";
import { E } from "../../aegis/layout.ts";
import type { Environment } from "../../aegis/env.ts";

/** A machine with Aegis and `n` environments each counting in s0 forever. */
function counters(n: number, slices = 4) {
  const m = new DECstation();
  const aegis = new Aegis(m, { slices });
  const envs: Environment[] = [];
  const loop = asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
`;
  for (let i = 0; i < n; i++) {
    const e = aegis.createEnv(`counter${i}`);
    const p = e.load(loop);
    aegis.mem.w32(aegis.envRecordOf(e.id) + E.CONTEXT + 136, p.origin);
    envs.push(e);
  }
  return { m, aegis, envs };
}

/** The s0 an environment has saved in its context. */
const s0 = (aegis: Aegis, e: Environment) =>
  aegis.mem.r32(aegis.envRecordOf(e.id) + E.CONTEXT + 16 * 4);

Deno.test("Aegis slices share the CPU by the positions each environment holds", () => {
  const { m, aegis, envs: [a, b] } = counters(2, 4);
  a.sys.sliceAlloc(0);
  a.sys.sliceAlloc(1);
  a.sys.sliceAlloc(2);
  b.sys.sliceAlloc(3);
  m.run({ maxCycles: 40 * aegis.sliceCycles });
  const ca = s0(aegis, a), cb = s0(aegis, b);
  assert.ok(ca > 0 && cb > 0, `both ran: ${ca}, ${cb}`);
  const ratio = ca / cb;
  assert.ok(ratio > 2.5 && ratio < 3.5, `three slices to one should give about 3x, got ${ratio}`);
});

Deno.test("Aegis with no slices held runs the idle loop and no environment", () => {
  const { m, aegis, envs: [a] } = counters(1);
  m.run({ maxCycles: 5 * aegis.sliceCycles });
  assert.equal(s0(aegis, a), 0);
  assert.equal(aegis.current, 0);
  assert.ok(m.cpu.kernelMode);
});

Deno.test("Aegis upcalls the end-of-slice entry and charges one that yields in time only the upcall", () => {
  const { m, aegis, envs: [a, b] } = counters(2, 2);
  const end = a.load(asm`
        .set noreorder
        addiu   $s1, $s1, 1          # count the upcalls
        li      $v0, 1               # YIELD to whoever is next
        li      $a0, 0
        syscall
        lui     $t0, 0x7ff2          # back in a later slice: the own record, exported
        lw      $t0, ${E.RESUME_PC}($t0)
        nop
        jr      $t0                  # to where the slice ended
        nop
`);
  a.sys.setEntry("sliceEnd", end.origin);
  a.sys.sliceAlloc(0);
  b.sys.sliceAlloc(1);
  m.run({ maxCycles: 20 * aegis.sliceCycles });
  const upcalls = aegis.mem.r32(aegis.envRecordOf(a.id) + E.CONTEXT + 17 * 4);
  assert.ok(upcalls > 2, "upcalls happened");
  assert.ok(s0(aegis, a) > 0, "and the interrupted loop went on between them");
  // The upcall's own time is excess (it runs after the slice ended), and no more than that: a
  // few instructions and a yield each, far from the half slice that would cost a's next one.
  const excess = aegis.field(a.id, E.EXCESS);
  assert.ok(excess > 0, "the upcalls' time was charged");
  assert.ok(excess < upcalls * aegis.sliceCycles / 100, `${excess} cycles for ${upcalls} upcalls`);
  assert.equal(aegis.field(a.id, E.STRIKES), 0, "every upcall yielded in time");
  assert.ok(a.alive && b.alive);
});

Deno.test("Aegis charges excess time to an environment that ignores its end-of-slice upcall, then ends it", () => {
  const { m, aegis, envs: [a, b] } = counters(2, 2);
  const end = a.load(asm`
        .set noreorder
spin:   b       spin                 # never yields
        nop
`);
  a.sys.setEntry("sliceEnd", end.origin);
  a.sys.sliceAlloc(0);
  b.sys.sliceAlloc(1);
  // a's slice ends at 2 slices; its upcall spins through to the tick at 3: an overrun. Its
  // balance: one slice entitled, its slice and the whole upcall charged.
  m.run({ maxCycles: 3.5 * aegis.sliceCycles });
  const balance = aegis.field(a.id, E.EXCESS);
  assert.ok(Math.abs(balance - aegis.sliceCycles) < 200, `one slice owed, not ${balance}`);
  assert.equal(aegis.field(a.id, E.STRIKES), 1);
  assert.equal(aegis.current, b.id, "the CPU was taken from the upcall");
  m.run({ maxCycles: (4 * EXCESS_LIMIT + 8) * aegis.sliceCycles });
  assert.equal(a.alive, false);
  assert.match(aegis.exits.at(-1)!.reason, /abused its time slices/);
  assert.ok(b.alive);
  const before = s0(aegis, b);
  m.run({ maxCycles: 4 * aegis.sliceCycles });
  assert.ok(s0(aegis, b) > before, "the other environment has the CPU");
});

Deno.test("Aegis repays excess time by giving the debtor's turn to the one owed most", () => {
  const { m, aegis, envs: [a, b] } = counters(2, 2);
  a.sys.sliceAlloc(0);
  b.sys.sliceAlloc(1);
  aegis.mem.w32(aegis.envRecordOf(a.id) + E.EXCESS, 2 * aegis.sliceCycles);
  // The tick at 1 slice starts a's turn: a still owes a slice after it, so b runs in it, and
  // again in its own turn at 2.
  m.run({ maxCycles: 2.5 * aegis.sliceCycles });
  assert.equal(s0(aegis, a), 0, "a's turn went to repaying its debt");
  assert.ok(s0(aegis, b) > 0, "b ran in it");
  m.run({ maxCycles: 2 * aegis.sliceCycles });
  assert.ok(s0(aegis, a) > 0, "out of debt, a runs again");
  const gap = aegis.field(a.id, E.EXCESS) - aegis.field(b.id, E.EXCESS);
  assert.ok(Math.abs(gap) <= aegis.sliceCycles, `the two balances are within a slice: ${gap}`);
});
