/**
 * Tests for what Aegis does when asked properly: each system call's effect on the kernel's words
 * (page table, TLB, STLB, environment records) and on guest code running through it. Guest
 * programs are assembled into the environment (code at 0x00400000, a second env's at 0x00500000)
 * and run with the slice clock masked until a label, so every run is bounded by instructions.
 *
 * Protection (what is refused) lives in ./protection_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC, SR, TLB } from "../../machine/cp0.ts";
import {
  capabilityWords,
  type Environment,
  ERR,
  EXPORT,
  type Page,
  SYS,
  TLBVADELETE_MAX,
  TLBWR,
  U,
} from "../../aegis/mod.ts";
import { CTX, E, K, PAGE_SIZE, STLB, stlbOffset } from "../../aegis/layout.ts";
import {
  bindingsOf,
  boot,
  expectError,
  type Lab,
  physWord,
  setPhysWord,
  stlbEntry,
  tlbIndex,
  wipeTlb,
} from "./_aegis.ts";

/** Where the tests map data. */
const VA = 0x00600000;
/** Where a second environment's code goes, apart from the first's. */
const OTHER_CODE = 0x00500000;

const excOf = (cause: number) => (cause >>> 2) & 31;
const asidOf = (lab: Lab) => (lab.m.cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK) >>> TLB.ASID_SHIFT;

/** Runs the loaded machine until `until`; asserts that it got there within `max` instructions. */
function runUntil(lab: Lab, until: number, max = 2000): void {
  const r = lab.m.run({ until, maxInstructions: max });
  assert.equal(r.reason, "breakpoint", `did not reach 0x${until.toString(16)}: ${r.reason}`);
}

/**
 * Loads into `env` a program that loads the word at `va` into t4 (`load`) and stops at `done`;
 * a TLBL goes to its handler `miss`, which spins there.
 */
function loadProbe(env: Environment, va: number) {
  const prog = env.load(asm`
        .set noreorder
start:  li      $s0, ${va}
load:   lw      $t4, 0($s0)
done:   b       done
        nop
miss:   b       miss
        nop
`);
  env.sys.setHandler("TLBL", prog.symbols.miss);
  return prog;
}

/** A data page of `env` mapped writable at VA, its first word set to `value`. */
function dataPage(lab: Lab, env: Environment, value: number): Page {
  const p = env.sys.allocPage();
  env.sys.tlbWrite(VA, p, { writable: true });
  setPhysWord(lab, p.number, 0, value);
  return p;
}

// ---- calls that only answer ------------------------------------------------------------------

Deno.test("Aegis NULL returns 0 and GETID the caller's id and ASID", () => {
  const { aegis } = boot();
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  assert.equal(a.sys.null(), 0);
  assert.equal(a.call(SYS.NULL, 7, 8, 9, 10).v0, 0);
  assert.equal(a.sys.getid(), a.id);
  assert.equal(b.sys.getid(), b.id);
  assert.notEqual(a.id, b.id);
  assert.equal(a.call(SYS.GETID).v1, a.asid);
  assert.ok(a.asid >= 1 && a.asid <= 63);
  assert.notEqual(a.asid, b.asid);
});

Deno.test("Aegis system calls preserve s0-s7, gp, sp, fp and ra", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a");
  const p = a.sys.allocPage();
  const [lo, hi] = capabilityWords(p.capability);
  const kept = [16, 17, 18, 19, 20, 21, 22, 23, 28, 29, 30, 31];
  const sets = kept.map((r) => `li $${r}, ${0x1100 + r}`).join("\n");
  const argRegs = ["$a0", "$a1", "$a2", "$a3", "$t0"];
  const call = (n: number, ...args: number[]) =>
    args.map((v, i) => `li ${argRegs[i]}, ${v}`).join("\n") + `\nli $v0, ${n}\nsyscall\n`;
  const prog = a.load(asm`
        .set noreorder
start:  ${sets}
        ${call(SYS.NULL)}
        ${call(SYS.GETID)}
        ${call(SYS.TLBWR, VA | TLBWR.WRITABLE, p.number, lo, hi, 0)}
        move    $t8, $v0
        ${call(SYS.ALLOC, -1)}
        move    $t9, $v0
        ${call(SYS.TLBWR, VA, 1, 0, 0, 0)}
done:   b       done
        nop
`);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  const regs = lab.m.cpu.regs;
  for (const r of kept) assert.equal(regs[r], 0x1100 + r, `register ${r}`);
  assert.equal(regs[24], 0, "TLBWR succeeded");
  assert.ok(regs[25] >= lab.aegis.firstPage, "ALLOC succeeded");
  assert.equal(regs[2], ERR.CAP, "the last TLBWR failed");
});

// ---- pages -----------------------------------------------------------------------------------

Deno.test("Aegis ALLOC gives any free page or the one named, with a fresh capability", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const bit = (p: number) => (aegis.mem.r32(K.FREE_BITMAP + 4 * (p >>> 5)) >>> (p & 31)) & 1;
  const p = a.sys.allocPage();
  assert.ok(p.number >= aegis.firstPage && p.number < aegis.pages);
  assert.equal(aegis.ownerOf(p.number), a.id);
  assert.equal(aegis.capabilityOf(p.number), p.capability);
  assert.notEqual(p.capability, 0n);
  assert.equal(bit(p.number), 0);
  const want = aegis.pages - 7;
  assert.equal(bit(want), 1);
  const q = b.sys.allocPage(want);
  assert.equal(q.number, want);
  assert.equal(aegis.ownerOf(want), b.id);
  assert.equal(bit(want), 0);
  assert.notEqual(q.capability, p.capability);
  expectError(lab, a, SYS.ALLOC, [want], ERR.NOMEM);
  const r = a.sys.allocPage();
  assert.notEqual(r.number, p.number, "ALLOC any skips pages in use");
});

Deno.test("Aegis DEALLOC frees the page: no owner, no capability, no bindings, zeroed", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const p = dataPage(lab, a, 0x1234);
  const ro = a.sys.readonlyCapability(p);
  b.sys.tlbWrite(0x00700000, { number: p.number, capability: ro }); // shared read-only with b
  assert.notEqual(tlbIndex(lab, VA, a.asid), -1);
  assert.notEqual(tlbIndex(lab, 0x00700000, b.asid), -1);
  assert.equal(bindingsOf(lab, p.number), 4, "two TLB and two STLB entries");
  a.sys.dealloc(p);
  assert.equal(aegis.ownerOf(p.number), 0);
  assert.equal(aegis.capabilityOf(p.number), 0n);
  assert.equal(bindingsOf(lab, p.number), 0);
  assert.equal(tlbIndex(lab, VA, a.asid), -1);
  assert.equal(tlbIndex(lab, 0x00700000, b.asid), -1);
  assert.equal(physWord(lab, p.number, 0), 0, "the next owner sees zeros");
  assert.equal((aegis.mem.r32(K.FREE_BITMAP + 4 * (p.number >>> 5)) >>> (p.number & 31)) & 1, 1);
});

// ---- bindings ----------------------------------------------------------------------------------

Deno.test("Aegis TLBWR installs a binding that guest code stores and loads through", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = a.sys.allocPage();
  a.sys.tlbWrite(VA, p, { writable: true });
  const i = tlbIndex(lab, VA, a.asid);
  assert.notEqual(i, -1);
  assert.equal(m.cpu.tlbLo[i], (p.number << 12) | TLB.V | TLB.D);
  assert.deepEqual(stlbEntry(lab, VA, a.asid), [
    VA | (a.asid << 6),
    (p.number << 12) | TLB.V | TLB.D,
  ]);
  const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${VA}
        li      $t3, 0xcafe
        sw      $t3, 8($s0)
        lw      $t4, 8($s0)
done:   b       done
        nop
`);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  assert.equal(m.cpu.regs[12], 0xcafe);
  assert.equal(physWord(lab, p.number, 8), 0xcafe);
});

Deno.test("Aegis TLBWR UNCACHED sets EntryLo.N in the binding", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = a.sys.allocPage();
  a.sys.tlbWrite(VA, p, { writable: true, uncached: true });
  const i = tlbIndex(lab, VA, a.asid);
  assert.equal(m.cpu.tlbLo[i], (p.number << 12) | TLB.N | TLB.V | TLB.D);
});

Deno.test("Aegis TLBWR to the same page replaces the binding instead of adding one", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = a.sys.allocPage(), q = a.sys.allocPage();
  a.sys.tlbWrite(VA, p, { writable: true });
  a.sys.tlbWrite(VA, q);
  const tag = (VA | (a.asid << 6)) & TLB.HI_MASK;
  const hits = [...m.cpu.tlbHi].filter((h) => (h & TLB.HI_MASK) === tag).length;
  assert.equal(hits, 1, "one TLB entry for the page");
  assert.equal(m.cpu.tlbLo[tlbIndex(lab, VA, a.asid)], (q.number << 12) | TLB.V);
  assert.equal(bindingsOf(lab, p.number), 0);
});

Deno.test("Aegis TLBVADELETE removes the binding; the next access goes to the TLBL handler", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = dataPage(lab, a, 0x77);
  const prog = loadProbe(a, VA);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  assert.equal(m.cpu.regs[12], 0x77, "mapped: the load works");
  a.sys.tlbDelete(VA);
  assert.equal(tlbIndex(lab, VA, a.asid), -1);
  assert.notEqual(stlbEntry(lab, VA, a.asid)[0], VA | (a.asid << 6));
  assert.equal(bindingsOf(lab, p.number), 0);
  assert.equal(aegis.ownerOf(p.number), a.id, "the page is still a's");
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.miss);
  assert.equal(m.cpu.regs[8], prog.symbols.load, "t0 = EPC");
  assert.equal(m.cpu.regs[9], VA, "t1 = BadVAddr");
  assert.equal(excOf(m.cpu.regs[10]), EXC.TLBL);
});

Deno.test("Aegis refills a wiped TLB from the STLB without the env's miss handler", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = dataPage(lab, a, 0x51);
  const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${VA}
        lw      $t4, 0($s0)
        li      $t3, 0x52
        sw      $t3, 4($s0)
done:   b       done
        nop
miss:   b       miss
        nop
`);
  a.sys.setHandler("TLBL", prog.symbols.miss);
  a.sys.setHandler("TLBS", prog.symbols.miss);
  wipeTlb(lab);
  const counts = m.cpu.exceptionCounts.slice();
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  const taken = (code: number) => m.cpu.exceptionCounts[code] - counts[code];
  assert.equal(m.cpu.regs[12], 0x51);
  assert.equal(physWord(lab, p.number, 4), 0x52);
  assert.notEqual(tlbIndex(lab, VA, a.asid), -1, "refilled");
  assert.notEqual(tlbIndex(lab, prog.origin, a.asid), -1, "the code page too");
  assert.equal(taken(EXC.TLBL), 2, "two refills (code and data), no more");
  assert.equal(taken(EXC.TLBS), 0, "the store hit the refilled entry");
});

Deno.test("Aegis STLB refill keeps read-only read-only: a store after a refill raises Mod", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = a.sys.allocPage();
  a.sys.tlbWrite(VA, { number: p.number, capability: a.sys.readonlyCapability(p) });
  const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${VA}
store:  sw      $s0, 0($s0)
done:   b       done
        nop
h:      b       h
        nop
`);
  a.sys.setHandler("Mod", prog.symbols.h);
  a.sys.setHandler("TLBS", prog.symbols.h);
  wipeTlb(lab);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.h);
  assert.equal(excOf(m.cpu.regs[10]), EXC.Mod);
  assert.equal(m.cpu.regs[8], prog.symbols.store);
  assert.equal(physWord(lab, p.number, 0), 0);
});

Deno.test("Aegis STLB never refills one env with another's binding of the same address", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  dataPage(lab, a, 0xaaaa);
  const prog = loadProbe(a, VA);
  // The slot is hashed with the ASID, so b's binding of VA lands elsewhere; b binds instead an
  // address whose slot is the one a's VA uses, and takes it.
  let vb = VA + PAGE_SIZE;
  while (stlbOffset(vb, b.asid) !== stlbOffset(VA, a.asid)) vb += PAGE_SIZE;
  const pb = b.sys.allocPage();
  b.sys.tlbWrite(vb, pb, { writable: true });
  setPhysWord(lab, pb.number, 0, 0xbbbb);
  assert.deepEqual(stlbEntry(lab, VA, a.asid)[0], vb | (b.asid << 6));
  wipeTlb(lab);
  // a's code page must come back: map it again (its STLB slot is its own).
  a.sys.tlbWrite(prog.origin, a.pageAt(prog.origin)!, { writable: true });
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.miss);
  assert.equal(m.cpu.regs[9], VA, "a's miss goes to a's handler");
  assert.notEqual(m.cpu.regs[12], 0xbbbb, "a never saw b's page");
});

// ---- exceptions -------------------------------------------------------------------------------

/** Loads into `env` a program that sets t0-t2 to 0x10-0x12 and overflows at `ov`. */
function overflow(env: Environment) {
  return env.load(asm`
        .set noreorder
start:  li      $t0, 0x10
        li      $t1, 0x11
        li      $t2, 0x12
        li      $t3, 0x7fffffff
ov:     addi    $t3, $t3, 1
done:   b       done
        nop
h:      b       h
        nop
`);
}

Deno.test("Aegis forwards an exception: t0 = EPC, t1 = BadVAddr, t2 = Cause, old t0-t2 saved", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const prog = overflow(a);
  a.sys.setHandler("Ov", prog.symbols.h);
  const save = a.sys.allocPage();
  a.sys.setSaveArea(save, 0x40);
  a.enter(prog.origin);
  const badVAddr = m.cpu.cp0[CP0.BadVAddr];
  runUntil(lab, prog.symbols.h);
  const regs = m.cpu.regs;
  assert.equal(regs[8], prog.symbols.ov, "t0 = EPC");
  assert.equal(regs[9], badVAddr, "t1 = BadVAddr (untouched by Ov)");
  assert.equal(excOf(regs[10]), EXC.Ov, "t2 = Cause");
  assert.equal(regs[11], 0x7fffffff, "the destination is not written");
  assert.deepEqual(
    [physWord(lab, save.number, 0x40), physWord(lab, save.number, 0x44)],
    [0x10, 0x11],
  );
  assert.equal(physWord(lab, save.number, 0x48), 0x12);
  assert.equal(m.cpu.cp0[CP0.Status] & SR.KUc, SR.KUc, "the handler runs in user mode");
  assert.equal(asidOf(lab), a.asid);
});

Deno.test("Aegis forwards an exception in a delay slot with EPC at the branch and BD set", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const prog = a.load(asm`
        .set noreorder
start:  li      $t3, 0x7fffffff
br:     b       done
        addi    $t3, $t3, 1
done:   b       done
        nop
h:      b       h
        nop
`);
  a.sys.setHandler("Ov", prog.symbols.h);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.h);
  assert.equal(m.cpu.regs[8], prog.symbols.br);
  assert.equal(m.cpu.regs[10] >>> 31, 1, "Cause.BD");
});

Deno.test("Aegis ends an env whose exception has no handler, saying why", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const prog = overflow(a);
  const p = a.sys.allocPage();
  a.enter(prog.origin);
  m.run({ maxInstructions: 500 });
  assert.equal(a.alive, false);
  const exit = aegis.exits.at(-1)!;
  assert.equal(exit.id, a.id);
  assert.match(exit.reason, /^unhandled Ov at EPC 0x/);
  assert.ok(exit.reason.includes(`0x${prog.symbols.ov.toString(16).padStart(8, "0")}`));
  assert.equal(aegis.ownerOf(p.number), 0, "its pages are freed");
  assert.equal(aegis.current, 0, "the kernel idles");
});

Deno.test("Aegis TypeScript handler sees the exception and resumes where it says", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const prog = overflow(a);
  const seen: number[] = [];
  a.onException("Ov", (x) => {
    seen.push(x.code, x.epc);
    return prog.symbols.done;
  });
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  assert.deepEqual(seen, [EXC.Ov, prog.symbols.ov]);
  assert.deepEqual([m.cpu.regs[8], m.cpu.regs[9], m.cpu.regs[10]], [0x10, 0x11, 0x12]);
});

// ---- protected control transfer ------------------------------------------------------------

/** Registers a PCT test sets in the caller: all but zero, v0, a0, k0, k1. */
const PASSED = [...Array(32).keys()].filter((r) => ![0, 2, 4, 26, 27].includes(r));

/** Loads a caller into `a` that fills PASSED, hi and lo, then transfers (`number`) to `target`. */
function transferProgram(a: Environment, number: number, target: number) {
  const sets = PASSED.map((r) => `        li      $${r}, ${0x0a000000 + r * 0x111}`).join("\n");
  return a.load(asm`
        .set noreorder
        .set noat
start:
${sets}
        li      $a0, 0x4444
        mthi    $a0
        li      $a0, 0x5555
        mtlo    $a0
        li      $a0, ${target}
        li      $v0, ${number}
call:   syscall
after:  b       after
        nop
`);
}

/** Loads into `b` at OTHER_CODE an entry point that stops; returns its address. */
function entryProgram(b: Environment): number {
  return b.load(
    asm`
        .set noreorder
entry:  b       entry
        nop
`,
    OTHER_CODE,
  ).origin;
}

for (
  const [name, number, which] of [["SCALL", SYS.SCALL, "sync"], [
    "ACALL",
    SYS.ACALL,
    "async",
  ]] as const
) {
  Deno.test(`Aegis ${name} lands on the ${which} entry with v0 = caller, registers untouched`, () => {
    const lab = boot();
    const { m, aegis } = lab;
    const a = aegis.createEnv("a"), b = aegis.createEnv("b");
    const entry = entryProgram(b);
    b.sys.setEntry(which, entry);
    const prog = transferProgram(a, number, b.id);
    a.enter(prog.origin);
    runUntil(lab, entry);
    const cpu = m.cpu;
    assert.equal(cpu.regs[2], a.id, "v0 = the caller's id");
    assert.equal(cpu.regs[4], b.id, "a0 as the caller left it");
    for (const r of PASSED) assert.equal(cpu.regs[r], 0x0a000000 + r * 0x111, `register ${r}`);
    assert.deepEqual([cpu.hi, cpu.lo], [0x4444, 0x5555]);
    assert.equal(aegis.current, b.id);
    assert.equal(asidOf(lab), b.asid);
    assert.equal(cpu.cp0[CP0.Status] & SR.KUc, SR.KUc, "user mode");
    assert.equal(cpu.cp0[CP0.Status] & SR.IEc, SR.IEc, "interrupts on");
    assert.equal(aegis.field(a.id, E.DONATED_TO), number === SYS.SCALL ? b.id : 0);
    assert.equal(aegis.field(b.id, E.DONATED_TO), 0);
  });
}

Deno.test("Aegis SCALL gives a callee without an ASID one before it runs", () => {
  const lab = boot();
  const { aegis } = lab;
  const b = aegis.createEnv("b"), a = aegis.createEnv("a"); // b holds ASID 1, a ASID 2
  const entry = entryProgram(b);
  b.sys.setEntry("sync", entry);
  const others = Array.from({ length: 61 }, (_, i) => aegis.createEnv(`x${i}`));
  for (const x of others) x.sys.null();
  const prog = transferProgram(a, SYS.SCALL, b.id);
  aegis.createEnv("last"); // the 64th takes the ASID under the recycling clock hand: b's (1)
  assert.equal(b.asid, 0, "b lost its ASID");
  a.enter(prog.origin);
  runUntil(lab, entry);
  assert.equal(aegis.current, b.id);
  assert.ok(b.asid >= 1 && b.asid <= 63, `b has ASID ${b.asid}`);
  assert.equal(asidOf(lab), b.asid);
  const held = aegis.envIds.map((id) => aegis.field(id, E.ASID)).filter((x) => x !== 0);
  assert.equal(held.length, 63, "someone else gave theirs up");
  assert.equal(new Set(held).size, held.length, "no ASID held twice");
});

Deno.test("Aegis SCALL to a stale id gets NOENV even when its slot is live again", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), gone = aegis.createEnv("gone");
  const old = gone.id;
  aegis.destroyEnvironment(old, "test");
  const heir = aegis.createEnv("heir");
  assert.equal(heir.id & 0x7f, old & 0x7f);
  assert.notEqual(heir.id, old);
  expectError(lab, a, SYS.SCALL, [old], ERR.NOENV);
  expectError(lab, a, SYS.ACALL, [old], ERR.NOENV);
  expectError(lab, a, SYS.YIELD, [old], ERR.NOENV);
});

Deno.test("Aegis YIELD to a named env saves the caller's context and loads the target's", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const pa = a.load(asm`
        .set noreorder
start:  li      $s0, 0x1234
        li      $t0, 0x9999
        mthi    $t0
        li      $a0, ${b.id}
        li      $v0, ${SYS.YIELD}
ycall:  syscall
back:   b       back
        nop
`);
  const pb = b.load(
    asm`
        .set noreorder
bstart: li      $s0, 0x5678
        li      $a0, ${a.id}
        li      $v0, ${SYS.YIELD}
        syscall
bback:  b       bback
        nop
`,
    OTHER_CODE,
  );
  b.enter(pb.origin); // b's context: resume at bstart
  a.enter(pa.origin); // saves b's, puts a on the CPU
  runUntil(lab, pb.origin);
  const ctx = (env: Environment, r: number) => aegis.field(env.id, E.CONTEXT + 4 * r);
  assert.equal(aegis.current, b.id);
  assert.equal(asidOf(lab), b.asid);
  assert.equal(ctx(a, 2), 0, "a resumes with v0 = 0");
  assert.equal(ctx(a, 16), 0x1234, "a's s0 saved");
  assert.equal(ctx(a, 32), 0x9999, "a's hi saved");
  assert.equal(ctx(a, 34), pa.symbols.back, "a resumes after the syscall");
  assert.equal(m.cpu.regs[16], 0, "b's own s0, not a's");
  runUntil(lab, pa.symbols.back);
  assert.equal(aegis.current, a.id);
  assert.equal(asidOf(lab), a.asid);
  assert.equal(m.cpu.regs[2], 0);
  assert.equal(m.cpu.regs[16], 0x1234);
  assert.equal(m.cpu.hi, 0x9999);
  assert.equal(ctx(b, 16), 0x5678);
  assert.equal(ctx(b, 34), pb.symbols.bback);
});

// ---- exported structures ---------------------------------------------------------------------

Deno.test("Aegis EXPORT names the guaranteed mappings; guest code reads its record", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  assert.equal(a.sys.exported("stlb"), U.STLB);
  assert.equal(a.sys.exported("freeBitmap"), U.FREE_BITMAP);
  assert.equal(a.sys.exported("env"), U.ENV);
  assert.equal(a.call(SYS.EXPORT, EXPORT.ENV).v0 >>> 0, U.ENV);
  const p = dataPage(lab, a, 0);
  const slot = stlbOffset(VA, a.asid);
  const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${U.ENV}
        lw      $t4, ${E.ID}($s0)
        lw      $t5, ${E.ASID}($s0)
        li      $s1, ${U.STLB + slot}
        lw      $t6, 0($s1)
        lw      $t7, 4($s1)
        li      $s2, ${U.FREE_BITMAP + 4 * (p.number >>> 5)}
        lw      $t8, 0($s2)
done:   b       done
        nop
`);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  const r = m.cpu.regs;
  assert.equal(r[12], a.id);
  assert.equal(r[13], a.asid);
  assert.deepEqual([r[14], r[15]], stlbEntry(lab, VA, a.asid));
  assert.equal((r[24] >>> (p.number & 31)) & 1, 0, "its own page is not free");
});

for (const [what, first] of [["after a read", "lw $t4, 0($s0)"], ["first", "nop"]] as const) {
  Deno.test(`Aegis a store to the exported record (${what}) faults to the env`, () => {
    const lab = boot();
    const { m, aegis } = lab;
    const a = aegis.createEnv("a");
    const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${U.ENV + E.HANDLERS + 4 * EXC.Ov}
        li      $t3, 0x00400000
        ${first}
store:  sw      $t3, 0($s0)
done:   b       done
        nop
h:      b       h
        nop
`);
    for (const c of ["Mod", "TLBS"] as const) a.sys.setHandler(c, prog.symbols.h);
    const handler = aegis.field(a.id, E.HANDLERS + 4 * EXC.Ov);
    a.enter(prog.origin);
    runUntil(lab, prog.symbols.h);
    assert.equal(m.cpu.regs[8], prog.symbols.store);
    assert.equal(m.cpu.regs[9] >>> 0, U.ENV + E.HANDLERS + 4 * EXC.Ov);
    assert.ok([EXC.Mod, EXC.TLBS].includes(excOf(m.cpu.regs[10]) as 1 | 3));
    assert.equal(aegis.field(a.id, E.HANDLERS + 4 * EXC.Ov), handler, "the record is intact");
  });
}

Deno.test("Aegis guaranteed region holds nothing else: a load there is the env's TLBL", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const hole = U.ENV + PAGE_SIZE; // the page after the record
  const prog = loadProbe(a, hole);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.miss);
  assert.equal(m.cpu.regs[9] >>> 0, hole);
  assert.equal(excOf(m.cpu.regs[10]), EXC.TLBL);
});

// ---- environments ----------------------------------------------------------------------------

Deno.test("Aegis ENV_ALLOC from guest code makes a child the parent alone configures", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const prog = a.load(asm`
        .set noreorder
start:  li      $a0, 0x00400100
        li      $v0, ${SYS.ENV_ALLOC}
        syscall
        move    $s1, $v0
done:   b       done
        nop
`);
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  const child = m.cpu.regs[17];
  assert.ok(child > 0, `ENV_ALLOC returned ${child}`);
  assert.ok(aegis.slotOf(child) > 0);
  assert.equal(aegis.field(child, E.PARENT), a.id);
  assert.equal(aegis.field(child, E.CONTEXT + CTX.PC), 0x00400100, "it starts at a0");
  assert.equal(aegis.field(child, E.SYNC_ENTRY), 0, "no protected calls until it sets entries");
  assert.equal(aegis.field(child, E.ASYNC_ENTRY), 0);
  expectError(lab, b, SYS.SCALL, [child], ERR.NOENTRY);
  expectError(lab, b, SYS.ACALL, [child], ERR.NOENTRY);
  assert.equal(aegis.field(a.id, E.PARENT), 0, "made from TypeScript: no parent");
  assert.equal(a.call(SYS.SET_HANDLER, EXC.Ov, 0x00400200, child).v0, 0);
  assert.equal(aegis.field(child, E.HANDLERS + 4 * EXC.Ov), 0x00400200);
  assert.equal(a.call(SYS.SET_ENTRY, 0, 0x00400300, child).v0, 0);
  assert.equal(aegis.field(child, E.SYNC_ENTRY), 0x00400300);
  expectError(lab, b, SYS.SET_HANDLER, [EXC.Ov, 0x00400400, child], ERR.PERM);
  expectError(lab, b, SYS.ENV_FREE, [child], ERR.PERM);
  expectError(lab, child, SYS.SET_HANDLER, [EXC.Ov, 0x00400400, a.id], ERR.PERM);
});

Deno.test("Aegis ENV_FREE of a child frees its pages, bindings and slices", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a");
  const child = a.call(SYS.ENV_ALLOC, 0x00400000).v0;
  const page = aegis.call(child, SYS.ALLOC, [-1]);
  assert.ok(page.v0 > 0);
  assert.equal(aegis.ownerOf(page.v0), child);
  assert.equal(aegis.call(child, SYS.TLBWR, [VA | 1, page.v0, page.a2, page.a3, 0]).v0, 0);
  assert.equal(bindingsOf(lab, page.v0), 2);
  assert.equal(a.call(SYS.SLICE_ALLOC, 2, child).v0, 2);
  assert.equal(aegis.slices[2], child);
  assert.equal(a.call(SYS.ENV_FREE, child).v0, 0);
  assert.equal(aegis.slotOf(child), -1);
  assert.equal(aegis.ownerOf(page.v0), 0);
  assert.equal(aegis.capabilityOf(page.v0), 0n);
  assert.equal(bindingsOf(lab, page.v0), 0);
  assert.equal(aegis.slices[2], 0);
  assert.deepEqual(aegis.exits.at(-1), {
    id: child,
    name: "a.child",
    reason: `freed by 0x${a.id.toString(16)}`,
  });
  expectError(lab, a, SYS.ENV_FREE, [child], ERR.NOENV);
  assert.equal(a.alive, true);
});

Deno.test("Aegis recycles ASIDs past 63 envs without leaving a previous owner's bindings", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const code = asm`
        .set noreorder
start:  li      $s0, ${VA}
        li      $t4, 0
        lw      $t4, 0($s0)
done:   b       done
        nop
miss:   li      $t4, -1
        b       done
        nop
`;
  const marker = (i: number) => 0x10000 + i;
  const envs = Array.from({ length: 70 }, (_, i) => aegis.createEnv(`e${i}`));
  const progs = envs.map((e) => e.load(code));
  /** Runs env `i` from the start; returns what it loaded from VA (-1: its TLBL handler ran). */
  const look = (i: number) => {
    const e = envs[i];
    e.enter(progs[i].origin);
    runUntil(lab, progs[i].symbols.done);
    assert.equal(asidOf(lab), e.asid, `e${i} runs under its own ASID`);
    return m.cpu.regs[12];
  };
  /** Maps env `i`'s pages again, as its library OS would after losing its ASID. */
  const remap = (i: number) => {
    for (const [va, page] of envs[i].mappings) envs[i].sys.tlbWrite(va, page, { writable: true });
  };
  for (let i = 0; i < envs.length; i++) {
    remap(i);
    envs[i].sys.setHandler("TLBL", progs[i].symbols.miss);
    const asid = envs[i].asid;
    assert.ok(asid >= 1 && asid <= 63, `e${i} has ASID ${asid}`);
    // Nothing at VA yet: whoever held this ASID before must have left nothing behind.
    assert.equal(look(i), -1, `e${i} (ASID ${asid}) sees no one's page`);
    setPhysWord(lab, envs[i].map(VA).number, 0, marker(i));
    assert.equal(look(i), marker(i), `e${i} sees its own page`);
  }
  const held = envs.map((e) => e.asid).filter((x) => x !== 0);
  assert.equal(held.length, 63, "every ASID in use");
  assert.equal(new Set(held).size, held.length, "no ASID held twice");
  for (let i = 0; i < envs.length; i++) {
    remap(i);
    assert.equal(look(i), marker(i), `e${i} sees its own page the second time round`);
    assert.equal(aegis.field(envs[i].id, E.ASID), envs[i].asid);
  }
});

// Regression (fixed): a TypeScript entry point never learned who called (it was handed the
// trampoline stub's call number instead of v0). Reproduce: b.onEntry(fn); a's code `li a0, b.id;
// li v0, SCALL; syscall`; run 200 instructions: fn must be called with a's id.
Deno.test({
  name: "Aegis TypeScript entry point receives the caller's id",

  fn() {
    const lab = boot();
    const { m, aegis } = lab;
    const a = aegis.createEnv("a"), b = aegis.createEnv("b");
    const seen: number[] = [];
    b.onEntry((caller) => seen.push(caller));
    const prog = a.load(asm`
        .set noreorder
start:  li      $a0, ${b.id}
        li      $v0, ${SYS.SCALL}
        syscall
done:   b       done
        nop
`);
    a.enter(prog.origin);
    m.run({ maxInstructions: 200 });
    assert.deepEqual(seen, [a.id]);
  },
});

// ---- guaranteed mappings ------------------------------------------------------------------------

Deno.test("Aegis GUARANTEE keeps a mapping through TLB and STLB loss and ASID recycling", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const page = a.sys.allocPage();
  setPhysWord(lab, page.number, 0x10, 0x600d);
  const [lo, hi] = capabilityWords(page.capability);
  assert.equal(a.call(SYS.GUARANTEE, 0x3000 | TLBWR.WRITABLE, page.number, lo, hi, 0).v0, 0);
  const prog = a.load(asm`
        .set noreorder
start:  lw      $t4, 0x3010($zero)
done:   b       done
        nop
`);
  // Lose the binding everywhere: the hardware TLB, the STLB, and the ASID itself.
  wipeTlb(lab);
  for (let i = 0; i < STLB.ENTRIES; i++) aegis.mem.w32(K.STLB + 8 * i, 0);
  a.sys.tlbWrite(prog.origin, a.pageAt(prog.origin)!, { writable: true });
  a.enter(prog.origin);
  runUntil(lab, prog.symbols.done);
  assert.equal(m.cpu.regs[12], 0x600d);
  assert.equal(aegis.revoke(page.number, 10), false, "a guaranteed page is never repossessed");
  a.sys.dealloc(page);
  assert.equal(aegis.field(a.id, E.GUARANTEED_COUNT), 0, "the mapping dies with the page");
});

Deno.test("Aegis TLBVADELETE with a count removes a range's bindings in one call, and no others", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a");
  const pages = [0, 1, 2, 3].map((i) => {
    const p = a.sys.allocPage();
    a.sys.tlbWrite(VA + i * PAGE_SIZE, p, { writable: true });
    return p;
  });
  assert.equal(a.call(SYS.TLBVADELETE, VA, 3, 0).v0, 0);
  for (let i = 0; i < 3; i++) {
    assert.equal(tlbIndex(lab, VA + i * PAGE_SIZE, a.asid), -1, `page ${i} gone from the TLB`);
    assert.notEqual(
      stlbEntry(lab, VA + i * PAGE_SIZE, a.asid)[0],
      (VA + i * PAGE_SIZE) | (a.asid << 6),
    );
  }
  assert.notEqual(
    tlbIndex(lab, VA + 3 * PAGE_SIZE, a.asid),
    -1,
    "the fourth page keeps its binding",
  );
  assert.equal(stlbEntry(lab, VA + 3 * PAGE_SIZE, a.asid)[1] >>> 12, pages[3].number);
  // A range that reaches the guaranteed region or kernel space is refused, and so is a count
  // above TLBVADELETE_MAX (-1 included): long kernel operations are bounded.
  assert.equal(a.call(SYS.TLBVADELETE, U.GUARANTEED - PAGE_SIZE, 2, 0).v0, ERR.ADDR);
  assert.equal(a.call(SYS.TLBVADELETE, 0xfffff000 | 0, 2, 0).v0, ERR.ADDR);
  assert.equal(a.call(SYS.TLBVADELETE, VA, -1, 0).v0, ERR.INVAL);
  assert.equal(a.call(SYS.TLBVADELETE, VA, TLBVADELETE_MAX + 1, 0).v0, ERR.INVAL);
  assert.equal(a.call(SYS.TLBVADELETE, VA, TLBVADELETE_MAX, 0).v0, 0);
  assert.equal(tlbIndex(lab, VA + 3 * PAGE_SIZE, a.asid), -1, "the most a call may remove");
});
