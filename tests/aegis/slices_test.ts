/**
 * Time slices: the clock drives the slice vector; environments share the CPU by the positions
 * they hold; the end-of-slice upcall, excess time and its repayment, and the end of an
 * environment that abuses its slices.
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
  const aegis = new Aegis(m, { seed: 7, slices });
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

Deno.test("Aegis upcalls the end-of-slice entry and an environment that yields in time owes nothing", () => {
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
  assert.ok(aegis.mem.r32(aegis.envRecordOf(a.id) + E.CONTEXT + 17 * 4) > 2, "upcalls happened");
  assert.ok(s0(aegis, a) > 0, "and the interrupted loop went on between them");
  assert.equal(aegis.field(a.id, E.EXCESS), 0);
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
  m.run({ maxCycles: 4.5 * aegis.sliceCycles });
  assert.equal(aegis.field(a.id, E.EXCESS), aegis.sliceCycles, "the overrun was charged");
  m.run({ maxCycles: (4 * EXCESS_LIMIT + 8) * aegis.sliceCycles });
  assert.equal(a.alive, false);
  assert.match(aegis.exits.at(-1)!.reason, /abused its time slices/);
  assert.ok(b.alive);
  const before = s0(aegis, b);
  m.run({ maxCycles: 4 * aegis.sliceCycles });
  assert.ok(s0(aegis, b) > before, "the other environment has the CPU");
});

Deno.test("Aegis repays excess time with the environment's next slices", () => {
  const { m, aegis, envs: [a, b] } = counters(2, 2);
  a.sys.sliceAlloc(0);
  b.sys.sliceAlloc(1);
  aegis.mem.w32(aegis.envRecordOf(a.id) + E.EXCESS, 2 * aegis.sliceCycles);
  m.run({ maxCycles: 4 * aegis.sliceCycles });
  assert.equal(s0(aegis, a), 0, "a's first two slices went to repaying its debt");
  assert.equal(aegis.field(a.id, E.EXCESS), 0);
  m.run({ maxCycles: 4 * aegis.sliceCycles });
  assert.ok(s0(aegis, a) > 0);
});
