/**
 * Aegis attacked as an attacker would, from user-mode guest code: one group of tests per class
 * of break that issue 9 names. Each attack must fail, change nothing it may not, and leave every
 * invariant of aegis/invariants.ts holding.
 *
 * 1. Secrets in registers: after a refused or granted call, and across a context switch.
 * 2. Predictable capabilities: a neighbour's capability computed from one's own.
 * 3. ASID theft: an ASID handed out while its owner is on the CPU or put aside.
 * 4. Events in the middle of the kernel: a revocation deadline at every cycle of TLBWR, the STLB
 *    refill and exception forwarding.
 * 5. Recycled identities: a generation that would wrap, and a dead parent's orphans.
 * 6. Stolen time: long kernel operations and end-of-slice upcalls that donate their time.
 * 7. Derailed environments: protected calls into an environment that takes none.
 * 8. Unrevocable memory: pins and guaranteed mappings past the per-environment and tree limits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, TLB } from "../../machine/cp0.ts";
import type { Environment, Page } from "../../aegis/env.ts";
import {
  capabilityWords,
  ERR,
  EXC,
  PINNED_MAX,
  SYS,
  TLBVADELETE_MAX,
  TLBWR,
  TREE_UNREVOCABLE_MAX,
  UNREVOCABLE_MAX,
} from "../../aegis/abi.ts";
import { checkInvariants } from "../../aegis/invariants.ts";
import { CTX, E, ENV, envRecord, G } from "../../aegis/layout.ts";
import { bindingsOf, boot, type Lab, physWord } from "./_aegis.ts";

/** Where the tests map data (code goes at 0x00400000). */
const DATA = 0x10000000;

/** Asserts that every invariant holds. */
function sound(lab: Lab, what: string): void {
  assert.deepEqual(checkInvariants(lab.aegis), [], `${what}: the kernel's invariants`);
}

/** A new environment with a data page at DATA, running `source`, entered. */
function attacker(lab: Lab, name: string, source: ReturnType<typeof asm>) {
  const e = lab.aegis.createEnv(name);
  const data = e.map(DATA);
  const prog = e.load(source);
  e.enter(prog.origin);
  return { e, data, prog };
}

/** The words of every capability of `pages` (read-write and read-only). */
function secretWords(e: Environment, pages: Page[]): Set<number> {
  const out = new Set<number>();
  for (const p of pages) {
    for (const c of [p.capability, e.sys.readonlyCapability(p)]) {
      for (const w of capabilityWords(c)) out.add(w);
    }
  }
  return out;
}

// ---- 1. secrets left in registers ------------------------------------------------------------

Deno.test("hostile 1: a refused TLBWR leaves no capability word in any register", () => {
  const lab = boot();
  const victim = lab.aegis.createEnv("victim");
  const pages = [victim.sys.allocPage(), victim.sys.allocPage()];
  const secrets = secretWords(victim, pages);
  // The attacker names the victim's page with a forged capability, then stores every register.
  const { e, prog } = attacker(
    lab,
    "attacker",
    asm`
        .set noreorder
        li      $v0, ${SYS.TLBWR}
        li      $a0, ${0x20000000 | TLBWR.WRITABLE}
        li      $a1, ${pages[0].number}
        li      $a2, 0x12345678
        li      $a3, 0x9abcdef0
        move    $t0, $zero
        syscall
after:  lui     $k0, ${DATA >>> 16}
${
      [...Array(32).keys()].filter((r) => r !== 26).map((r) =>
        `        sw      $${r}, ${4 * r}($k0)`
      ).join("\n")
    }
done:   b       done
        nop
`,
  );
  lab.m.run({ until: prog.symbols.done, maxInstructions: 10_000 });
  const regs = [...Array(32).keys()].map((r) => e.read32(DATA + 4 * r));
  assert.equal(regs[2], ERR.CAP, "v0: refused");
  for (let r = 1; r < 32; r++) {
    if (r === 26) continue;
    assert.ok(!secrets.has(regs[r]), `register ${r} holds a word of the victim's capability`);
  }
  for (const r of [8, 9, 10, 11, 12, 13, 14, 15]) assert.equal(regs[r], 0, `t${r - 8} is zero`);
  assert.equal(regs[27], 0, "k1 is zero");
  sound(lab, "after the refused TLBWR");
});

Deno.test("hostile 1: every kind of call leaves registers old, zero or a documented result", () => {
  const lab = boot();
  const { e, data } = attacker(lab, "caller", asm`1: b 1b`);
  const [lo, hi] = capabilityWords(data.capability);
  // Each call from the trampoline, registers poisoned with a pattern first.
  const calls: [number, number[]][] = [
    [SYS.NULL, []],
    [SYS.GETID, []],
    [SYS.ALLOC, [-1]],
    [SYS.CAP_READONLY, [data.number, 0, lo, hi]],
    [SYS.TLBWR, [DATA | TLBWR.WRITABLE, data.number, lo, hi, 0]],
    [SYS.TLBWR, [DATA, data.number, lo ^ 1, hi, 0]],
    [SYS.TLBVADELETE, [DATA, 4, 0]],
    [SYS.SET_HANDLER, [EXC.Ov, 0x00400000, 0]],
    [SYS.EXPORT, [0]],
    [SYS.PIN, [data.number, 0, lo, hi]],
    [999, []],
  ];
  for (const [n, args] of calls) {
    const r = lab.aegis.call(e.id, n, args);
    assert.ok(r.v1 === 0 || n === SYS.GETID, `${n}: v1 is a result or zero`);
    if (n !== SYS.ALLOC && n !== SYS.CAP_READONLY) {
      assert.equal(r.a2, args[2] ?? 0, `${n}: a2 is the argument or unchanged`);
    }
  }
  // From guest code, every other register checked after a call that fails deep in TLBWR.
  e.sys.tlbWrite(DATA, data, { writable: true }); // (the TLBVADELETE above unbound it)
  const probe = e.load(asm`
        .set noreorder
        li      $v0, ${SYS.TLBWR}
        li      $a0, ${DATA}
        li      $a1, ${data.number}
        li      $a2, ${lo ^ 0x10}
        li      $a3, ${hi}
        li      $s0, 0x5a5a5a5a
        move    $t0, $zero
        li      $t8, 0x77
        li      $t9, 0x99
        syscall
        lui     $k0, ${DATA >>> 16}
        sw      $t8, 0($k0)
        sw      $t9, 4($k0)
        sw      $s0, 8($k0)
        sw      $k1, 12($k0)
done:   b       done
        nop
`);
  e.enter(probe.origin);
  lab.m.run({ until: probe.symbols.done, maxInstructions: 10_000 });
  assert.deepEqual(
    [0, 4, 8, 12].map((o) => e.read32(DATA + o) >>> 0),
    [0x77, 0x99, 0x5a5a5a5a, 0],
    "t8, t9 and s0 untouched, k1 zero",
  );
  sound(lab, "after the calls");
});

Deno.test("hostile 1: the next environment's k0 and k1 carry nothing of the previous one", () => {
  const { m, aegis } = boot({ clock: true });
  // The victim spins at a recognisable pc; the spy records k0 and k1 at every slice start.
  const victim = aegis.createEnv("victim");
  const vp = victim.load(asm`
        .set noreorder
        li      $k1, 0x6b316b31
spin:   b       spin
        nop
`);
  victim.enter(vp.origin);
  victim.sys.sliceAlloc();
  const spy = aegis.createEnv("spy");
  spy.map(DATA);
  const sp = spy.load(asm`
        .set noreorder
start:  lui     $t1, ${DATA >>> 16}
        lw      $t2, 0($t1)
        nop
        sll     $t3, $t2, 3
        addu    $t3, $t3, $t1
        sw      $k0, 8($t3)
        sw      $k1, 12($t3)
        addiu   $t2, $t2, 1
        sw      $t2, 0($t1)
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
        b       start
        nop
`);
  spy.enter(sp.origin);
  spy.sys.sliceAlloc();
  spy.sys.setEntry("sliceStart", sp.symbols.start);
  m.run({ maxCycles: 12 * aegis.sliceCycles });
  const n = spy.read32(DATA);
  assert.ok(n >= 3, `the spy ran ${n} slices`);
  for (let i = 0; i < n; i++) {
    const k0 = spy.read32(DATA + 8 + 8 * i) >>> 0, k1 = spy.read32(DATA + 12 + 8 * i);
    assert.notEqual(k0, vp.symbols.spin, "k0 is not the victim's pc");
    assert.ok(k0 >= sp.origin && k0 < sp.origin + 0x1000, `k0 0x${k0.toString(16)} is the spy's`);
    assert.equal(k1, 0, "k1 is zero");
  }
});

// ---- 2. predictable capabilities -------------------------------------------------------------

Deno.test("hostile 2: capabilities say nothing of a neighbour's: each guess from one's own fails", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a"), b = lab.aegis.createEnv("b");
  const mine = a.sys.allocPage(), theirs = b.sys.allocPage();
  // What the old generator (xorshift32 over the last capability) would have made next, and
  // neighbours by arithmetic.
  const xorshift = (x: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x;
  };
  const [lo, hi] = capabilityWords(mine.capability);
  const guesses: [number, number][] = [
    [xorshift(lo), xorshift(hi)],
    [xorshift(xorshift(lo)), hi],
    [lo + 1, hi],
    [lo, hi + 1],
    [hi, lo],
    [xorshift(hi), xorshift(xorshift(hi))],
  ];
  for (const [glo, ghi] of guesses) {
    const r = a.call(SYS.TLBWR, DATA, theirs.number, glo, ghi, 0);
    assert.equal(r.v0, ERR.CAP, "a guessed capability is refused");
  }
  assert.equal(bindingsOf(lab, theirs.number), 0, "no binding of b's page exists");
  sound(lab, "after the guesses");
});

Deno.test("hostile 2: capabilities are 64 well-mixed bits, all different, never zero", () => {
  const lab = boot();
  const e = lab.aegis.createEnv("many");
  const caps = new Set<bigint>();
  let ones = 0;
  for (let i = 0; i < 600; i++) {
    const p = e.sys.allocPage();
    for (const c of [p.capability, e.sys.readonlyCapability(p)]) {
      assert.notEqual(c, 0n);
      caps.add(c);
      for (let b = 0n; b < 64n; b++) ones += Number((c >> b) & 1n);
    }
  }
  assert.equal(caps.size, 1200, "no capability repeats");
  const share = ones / (1200 * 64);
  assert.ok(share > 0.48 && share < 0.52, `bits are set half the time, not ${share}`);
});

// ---- 3. ASID theft ---------------------------------------------------------------------------

Deno.test("hostile 3: with every ASID in use, no call takes the ASID of the one on the CPU", () => {
  const lab = boot();
  const { m, aegis } = lab;
  // 62 idle environments, and the runner on the CPU storing into its own page.
  for (let i = 0; i < 62; i++) aegis.createEnv(`idle${i}`);
  const { e: runner, prog } = attacker(
    lab,
    "runner",
    asm`
        .set noreorder
        lui     $t1, ${DATA >>> 16}
top:    addiu   $s0, $s0, 1
        sw      $s0, 0($t1)
        b       top
        nop
`,
  );
  m.run({ maxInstructions: 200 });
  assert.equal(aegis.current, runner.id);
  const asid = runner.asid;
  // More environments than ASIDs, created, called and ended while the runner is on the CPU,
  // and the idle ones called again after losing their ASIDs.
  const idle = aegis.envIds.filter((id) => id !== runner.id).map((id) => aegis.env(id));
  for (let i = 0; i < 70; i++) {
    const x = aegis.createEnv(`late${i}`);
    x.sys.null();
    idle[i % idle.length].sys.null();
    aegis.destroyEnvironment(x.id, "done");
    const cpuAsid = (m.cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK) >>> 6;
    assert.equal(cpuAsid, runner.asid, "the CPU still runs the runner under its own ASID");
    assert.equal(aegis.mem.global(G.ASID_OWNER + 4 * cpuAsid), runner.id, "and nobody else has it");
  }
  assert.equal(runner.asid, asid, "the runner kept its ASID");
  const before = runner.read32(DATA);
  m.run({ maxInstructions: 400 });
  assert.ok(runner.read32(DATA) > before, "the runner goes on storing into its own page");
  assert.ok(prog.origin > 0);
  sound(lab, "after 70 environments");
});

// ---- 4. events in the middle of the kernel ---------------------------------------------------

/**
 * Runs `setup`'s environment to its `go` label, then for every deadline from 0 to `span` cycles
 * revokes page `page` and runs on: whatever the timing, the page ends unbound, zeroed and free,
 * and the kernel sound.
 */
function deadlineSweep(
  what: string,
  setup: (lab: Lab) => { prog: { symbols: Record<string, number> }; page: number },
  span: number,
) {
  const lab = boot();
  const { m, aegis } = lab;
  const { prog, page } = setup(lab);
  m.run({ until: prog.symbols.go, maxInstructions: 10_000 });
  const machine = m.snapshot(), kernel = aegis.snapshot();
  for (let d = 0; d <= span; d++) {
    m.restore(machine);
    aegis.restore(kernel);
    assert.ok(aegis.revoke(page, d / 25), `${what}: revoke with a deadline ${d} cycles on`);
    m.run({ maxInstructions: 600 });
    assert.equal(aegis.ownerOf(page), 0, `${what} at +${d}: the page was taken`);
    assert.equal(bindingsOf(lab, page), 0, `${what} at +${d}: no binding of it is left`);
    for (let w = 0; w < 1024; w++) {
      assert.equal(physWord(lab, page, 4 * w), 0, `${what} at +${d}: the page is zeroed`);
    }
    sound(lab, `${what} at +${d}`);
  }
}

Deno.test("hostile 4: a revocation deadline at any cycle of a TLBWR of the page", () => {
  deadlineSweep("TLBWR", (lab) => {
    const e = lab.aegis.createEnv("binder");
    const p = e.sys.allocPage();
    const [lo, hi] = capabilityWords(p.capability);
    const prog = e.load(asm`
        .set noreorder
go:     li      $v0, ${SYS.TLBWR}
        li      $a0, ${DATA | TLBWR.WRITABLE}
        li      $a1, ${p.number}
        li      $a2, ${lo}
        li      $a3, ${hi}
        move    $t0, $zero
        syscall
        lui     $t1, ${DATA >>> 16}
        sw      $s0, 0($t1)                  # (a store through the binding, if it stood)
        b       go
        addiu   $s0, $s0, 1
`);
    e.enter(prog.origin);
    return { prog, page: p.number };
  }, 110);
});

Deno.test("hostile 4: a revocation deadline at any cycle of the STLB refill of the page", () => {
  deadlineSweep("refill", (lab) => {
    const e = lab.aegis.createEnv("refiller");
    const p = e.map(DATA);
    const prog = e.load(asm`
        .set noreorder
        lui     $t1, ${DATA >>> 16}
go:     lw      $t2, 0($t1)                  # the TLB has lost it: the refill runs
        nop
        sw      $t2, 4($t1)
        b       go
        nop
`);
    e.enter(prog.origin);
    // The TLB loses the binding at every turn: the refill path runs each time.
    const cpu = lab.m.cpu;
    for (let i = 0; i < 64; i++) {
      if ((cpu.tlbHi[i] & TLB.VPN_MASK) >>> 0 === DATA) {
        cpu.tlbHi[i] = (0x80000000 | (i << 12)) | 0;
        cpu.tlbLo[i] = 0;
      }
    }
    cpu.invalidateCaches();
    return { prog, page: p.number };
  }, 40);
});

Deno.test("hostile 4: a deadline at any cycle of forwarding an exception into the save area's page", () => {
  deadlineSweep("forwarding", (lab) => {
    const e = lab.aegis.createEnv("saver");
    const save = e.sys.allocPage();
    e.sys.setSaveArea(save, 0);
    const prog = e.load(asm`
        .set noreorder
        li      $t0, 0x11111111
        li      $t1, 0x22222222
        li      $t2, 0x33333333
go:     break   1
        b       go
        nop
handler:
        addiu   $t0, $t0, 4
        jr      $t0
        nop
`);
    e.sys.setHandler("Bp", prog.symbols.handler);
    e.enter(prog.origin);
    return { prog, page: save.number };
  }, 40);
});

// ---- 5. recycled identities ------------------------------------------------------------------

Deno.test("hostile 5: a slot at its last generation retires instead of reusing an id", () => {
  const lab = boot();
  const { aegis } = lab;
  const first = aegis.createEnv("first");
  const slot = aegis.slotOf(first.id);
  aegis.destroyEnvironment(first.id, "test");
  // Fast-forward the slot to two generations before its last, as 2^24 lives of it would.
  aegis.mem.w32(envRecord(slot) + E.GENERATION, ENV.GENERATIONS - 3);
  const seen = new Set<number>([first.id]);
  let lives = 0;
  for (let i = 0; i < 4; i++) {
    const x = aegis.createEnv(`x${i}`);
    assert.ok(!seen.has(x.id), `id 0x${x.id.toString(16)} is new`);
    seen.add(x.id);
    if (aegis.slotOf(x.id) === slot) lives++;
    aegis.destroyEnvironment(x.id, "test");
  }
  assert.equal(lives, 2, "the slot lives its last two generations, then retires");
  assert.equal((ENV.GENERATIONS - 1) * ENV.SLOTS + slot, 0x7fffffff - (ENV.SLOTS - 1 - slot));
  assert.throws(() => first.call(SYS.NULL), /does not exist/, "a dead id names nothing");
});

Deno.test("hostile 5: a dead parent's id never controls its orphans", () => {
  const lab = boot();
  const { aegis } = lab;
  const parent = aegis.createEnv("parent");
  const child = parent.child(parent.call(SYS.ENV_ALLOC, 0x00400000).v0);
  const parentSlot = aegis.slotOf(parent.id);
  aegis.destroyEnvironment(parent.id, "test");
  assert.equal(aegis.field(child.id, E.PARENT), 0, "the orphan is owned by nobody");
  // Whoever takes the parent's slot has another id and no say over the orphan.
  let heir: Environment | undefined;
  for (let i = 0; i < ENV.SLOTS && heir === undefined; i++) {
    const x = aegis.createEnv(`x${i}`);
    if (aegis.slotOf(x.id) === parentSlot) heir = x;
  }
  assert.ok(heir !== undefined);
  assert.notEqual(heir.id, parent.id);
  assert.equal(heir.call(SYS.SET_HANDLER, EXC.Ov, 0x00400000, child.id).v0, ERR.PERM);
  assert.equal(heir.call(SYS.ENV_FREE, child.id).v0, ERR.PERM);
  assert.ok(child.alive);
  sound(lab, "after the heir's attempts");
});

// ---- 6. stolen time --------------------------------------------------------------------------

Deno.test("hostile 6: one TLBVADELETE is bounded; ranges beyond it are refused", () => {
  const lab = boot();
  const e = lab.aegis.createEnv("deleter");
  assert.equal(e.call(SYS.TLBVADELETE, 0, TLBVADELETE_MAX + 1, 0).v0, ERR.INVAL);
  assert.equal(e.call(SYS.TLBVADELETE, 0, 0x7fffffff, 0).v0, ERR.INVAL);
  assert.equal(e.call(SYS.TLBVADELETE, 0, TLBVADELETE_MAX, 0).v0, 0);
});

/**
 * Runs an honest environment and an attacker with one slice position each for `slices`
 * slices, sampling who is on the CPU; returns the honest one's share of the CPU time (the
 * attacker's children count as the attacker).
 */
function shareAgainst(attack: (lab: Lab) => Environment, slices: number): number {
  const lab = boot({ clock: true });
  const { m, aegis } = lab;
  const honest = aegis.createEnv("honest");
  const hp = honest.load(asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
`);
  honest.enter(hp.origin);
  honest.sys.sliceAlloc(0);
  const attacker = attack(lab);
  const tally = new Map<number, number>();
  const end = m.cpu.cycles + slices * aegis.sliceCycles;
  while (m.cpu.cycles < end) {
    const before = m.cpu.cycles;
    m.run({ maxInstructions: 64 });
    const cur = aegis.current;
    tally.set(cur, (tally.get(cur) ?? 0) + (m.cpu.cycles - before));
  }
  const total = [...tally].filter(([id]) => id !== 0).reduce((s, [, c]) => s + c, 0);
  assert.ok(attacker.id !== 0);
  return (tally.get(honest.id) ?? 0) / total;
}

Deno.test("hostile 6: an attacker of long TLBVADELETEs gets no more than its share", () => {
  const share = shareAgainst((lab) => {
    const e = lab.aegis.createEnv("deleter");
    const p = e.load(asm`
        .set noreorder
top:    li      $v0, ${SYS.TLBVADELETE}
        move    $a0, $zero
        li      $a1, ${TLBVADELETE_MAX}
        syscall
        b       top
        move    $a2, $zero
`);
    e.enter(p.origin);
    e.sys.sliceAlloc(1);
    return e;
  }, 200);
  assert.ok(Math.abs(share - 0.5) < 0.025, `the honest environment's share is ${share.toFixed(3)}`);
});

Deno.test("hostile 6: an end-of-slice upcall that donates its time to a child is charged", () => {
  let attackerId = 0;
  const share = shareAgainst((lab) => {
    const e = lab.aegis.createEnv("donor");
    attackerId = e.id;
    const p = e.load(asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
upcall: li      $v0, ${SYS.ACALL}            # give the rest of the tick to the child
        move    $a0, $s7
        syscall
        b       upcall
        nop
childEntry:                                  # the child spins most of a slice, then yields
        li      $t1, 5000
1:      addiu   $t1, $t1, -1
        bnez    $t1, 1b
        nop
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
        b       childEntry
        nop
`);
    const child = e.child(e.call(SYS.ENV_ALLOC, p.symbols.childEntry).v0);
    child.call(SYS.SET_ENTRY, 1, p.symbols.childEntry, 0);
    // The child shares the donor's code page (it is the donor's page: the donor binds it).
    const code = e.pageAt(p.origin)!;
    e.sys.tlbWrite(p.origin, code, { env: child });
    lab.aegis.mem.w32(envRecord(lab.aegis.slotOf(e.id)) + E.CONTEXT + 4 * 23, child.id); // s7
    e.enter(p.origin);
    e.sys.setEntry("sliceEnd", p.symbols.upcall);
    e.sys.sliceAlloc(1);
    return e;
  }, 200);
  assert.ok(Math.abs(share - 0.5) < 0.025, `the honest environment's share is ${share.toFixed(3)}`);
  assert.ok(attackerId !== 0);
});

// ---- 7. derailed environments ----------------------------------------------------------------

Deno.test("hostile 7: protected calls into an environment that takes none cannot stop it", () => {
  const { m, aegis } = boot({ clock: true });
  const worker = aegis.createEnv("worker");
  worker.map(DATA);
  const wp = worker.load(asm`
        .set noreorder
        lui     $t1, ${DATA >>> 16}
top:    addiu   $s0, $s0, 1
        sw      $s0, 0($t1)
        b       top
        nop
`);
  worker.enter(wp.origin);
  worker.sys.sliceAlloc(0);
  const caller = aegis.createEnv("caller");
  const cp = caller.load(asm`
        .set noreorder
top:    li      $v0, ${SYS.ACALL}
        li      $a0, ${worker.id}
        syscall
        li      $v0, ${SYS.SCALL}
        li      $a0, ${worker.id}
        syscall
        b       top
        nop
`);
  caller.enter(cp.origin);
  caller.sys.sliceAlloc(1);
  m.run({ maxCycles: 6 * aegis.sliceCycles });
  const first = worker.read32(DATA);
  m.run({ maxCycles: 6 * aegis.sliceCycles });
  assert.ok(worker.read32(DATA) > first, "the worker goes on counting");
  assert.equal(aegis.field(caller.id, E.DONATED_TO), 0, "no refused call donated anything");
  // With a TypeScript entry, a call runs it and the worker then resumes its own work.
  let calls = 0;
  worker.onEntry(() => calls++);
  const second = worker.read32(DATA);
  m.run({ maxCycles: 6 * aegis.sliceCycles });
  assert.ok(calls > 0, "the entry ran");
  assert.ok(worker.read32(DATA) > second, "and the worker still counts");
  const pc = aegis.field(worker.id, E.CONTEXT + CTX.PC) >>> 0;
  assert.ok(pc >= wp.origin && pc < wp.origin + 0x20, "its own context is its loop");
});

// ---- 8. unrevocable memory -------------------------------------------------------------------

Deno.test("hostile 8: pins and guaranteed mappings stop at the per-environment limit", () => {
  const lab = boot();
  const e = lab.aegis.createEnv("hoarder");
  const kept: Page[] = [];
  let refused = 0;
  for (let i = 0; i < PINNED_MAX + 15; i++) {
    const p = e.sys.allocPage();
    const [lo, hi] = capabilityWords(p.capability);
    const r = i < PINNED_MAX
      ? e.call(SYS.PIN, p.number, 0, lo, hi)
      : e.call(SYS.GUARANTEE, 0x1000 * (1 + i - PINNED_MAX), p.number, lo, hi, 0);
    if (r.v0 === 0) kept.push(p);
    else {
      assert.equal(r.v0, ERR.NOSLOT);
      refused++;
    }
  }
  assert.ok(refused > 0, "some were refused");
  assert.equal(kept.length, UNREVOCABLE_MAX, "exactly the limit was kept");
  // Everything else can be revoked, and is repossessed by force.
  const other = e.sys.allocPage();
  assert.ok(lab.aegis.revoke(other.number, 0));
  for (const p of kept) assert.equal(lab.aegis.revoke(p.number, 0), false, "kept pages are kept");
  lab.m.run({ maxInstructions: 100 });
  assert.equal(lab.aegis.ownerOf(other.number), 0, "the revocable page was taken");
  sound(lab, "after the hoard");
});

Deno.test("hostile 8: a tree of environments stops at the tree's limit", () => {
  const lab = boot({ memoryMB: 64 });
  const root = lab.aegis.createEnv("root");
  let held = 0, refused = 0;
  for (let c = 0; c < 40 && refused === 0; c++) {
    const child = root.child(root.call(SYS.ENV_ALLOC, 0x00400000).v0);
    for (let i = 0; i < UNREVOCABLE_MAX; i++) {
      const p = child.sys.allocPage();
      const [lo, hi] = capabilityWords(p.capability);
      const r = i < PINNED_MAX
        ? child.call(SYS.PIN, p.number, 0, lo, hi)
        : child.call(SYS.GUARANTEE, 0x1000 * (1 + i - PINNED_MAX), p.number, lo, hi, 0);
      if (r.v0 === 0) held++;
      else {
        assert.equal(r.v0, ERR.NOSLOT);
        refused++;
      }
    }
  }
  assert.ok(refused > 0, "the tree was stopped");
  assert.equal(held, TREE_UNREVOCABLE_MAX, "at exactly its limit");
  sound(lab, "after the tree's hoard");
});

Deno.test("hostile 8: a notice handler cannot keep a page past its deadline", () => {
  const lab = boot();
  const { aegis, m } = lab;
  const e = aegis.createEnv("stubborn");
  const p = e.map(DATA);
  const prog = e.load(asm`
        .set noreorder
top:    b       top
        nop
revoked:                                     # ignore the request and go on
        jr      $t0
        nop
`);
  e.sys.setHandler("Revoke", prog.symbols.revoked);
  e.enter(prog.origin);
  assert.ok(aegis.revoke(p.number, 10));
  m.run({ maxInstructions: 2000 });
  assert.equal(aegis.ownerOf(p.number), 0);
  assert.equal(aegis.field(e.id, E.REPOSSESSED_COUNT), 1);
  assert.equal(aegis.mem.r32(envRecord(aegis.slotOf(e.id)) + E.REPOSSESSED), p.number);
  sound(lab, "after the repossession");
});
