/**
 * Tests for Aegis's protection: what an environment may not do. Every refused request must
 * return its exact error code from aegis/abi.ts and leave the kernel as it was (the page table,
 * the free bitmap, the STLB, every environment record, the TLB and the slice vector: see
 * ./_aegis.ts), and every forbidden access by guest code must reach the environment's own handler
 * as the R3000 raised it.
 *
 * The first half attacks the capability checks (forged, stale, read-only, someone else's), the
 * save area and handlers, and kernel memory from user mode. The second half is a table: every
 * system call with each argument out of range.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC, EXC_NAMES, TLB } from "../../machine/cp0.ts";
import {
  type Capability,
  capabilityOf,
  capabilityWords,
  E,
  ENTRY,
  ERR,
  GUARANTEED_MAX,
  HANDLER,
  PINNED_MAX,
  SAVE_AREA_BYTES,
  SYS,
  SYS_NAMES,
  SYSCALL_COUNT,
  TLBVADELETE_MAX,
  TLBWR,
  U,
} from "../../aegis/mod.ts";
import type { Environment, Page } from "../../aegis/mod.ts";
import { ENV, envRecord } from "../../aegis/layout.ts";
import {
  assertUnchanged,
  boot,
  expectError,
  kernelState,
  type Lab,
  physWord,
  setPhysWord,
  stlbEntry,
  tlbIndex,
} from "./_aegis.ts";

/** A user page the tests map data at (code goes at 0x00400000). */
const VA = 0x00600000;

/** The exception code in a Cause value. */
const excOf = (cause: number) => (cause >>> 2) & 31;

/** The name of exception code `code`. */
const excName = (code: number) => EXC_NAMES[code] ?? String(code);

/** A page given by number and capability. */
const pageOf = (n: number, capability: Capability) => ({ number: n, capability });

/** TLBWR's (and GUARANTEE's) arguments: a0 = va | flags, a1 = page, a2:a3 = capability, t0. */
function bindArgs(va: number, page: number, cap: Capability, flags = 0, target = 0): number[] {
  return [va | flags, page, ...capabilityWords(cap), target];
}

/** The arguments of a call that names a page by capability: a0 = page, a2:a3 = capability. */
function pageArgs(page: number, cap: Capability): number[] {
  return [page, 0, ...capabilityWords(cap)];
}

/** SET_SAVE_AREA's arguments: a0 = page, a1 = offset, a2:a3 = capability, t0 = target. */
function saveArgs(page: number, cap: Capability, offset = 0, target = 0): number[] {
  return [page, offset, ...capabilityWords(cap), target];
}

/** `cap` with its high word changed: the kernel must compare both words. */
const highWrong = (cap: Capability) => cap ^ (1n << 40n);

// ---- capabilities ----------------------------------------------------------------------------

Deno.test("Aegis TLBWR refuses a page without its capability (someone else's, zero, free)", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const pa = a.sys.allocPage(), pb = b.sys.allocPage();
  const free = pb.number + 1;
  assert.equal(aegis.ownerOf(free), 0);
  for (const flags of [0, TLBWR.WRITABLE]) {
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, pb.number, 0n, flags), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, pb.number, pa.capability, flags), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, pa.number, 0n, flags), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, pa.number, pb.capability, flags), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, free, 0n, flags), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, free, pa.capability, flags), ERR.CAP);
    expectError(
      lab,
      a,
      SYS.TLBWR,
      bindArgs(VA, aegis.firstPage - 1, pa.capability, flags),
      ERR.CAP,
    );
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, 0, 0n, flags), ERR.CAP);
  }
  // The same call with the right capability succeeds: the refusals were about the capability.
  a.sys.tlbWrite(VA, pa, { writable: true });
  assert.notEqual(tlbIndex(lab, VA, a.asid), -1);
  assert.equal(stlbEntry(lab, VA, a.asid)[1] >>> 12, pa.number);
});

Deno.test("Aegis TLBWR refuses forged capabilities: random words and near misses", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a");
  const p = a.sys.allocPage();
  const ro = a.sys.readonlyCapability(p);
  const rw = p.capability;
  const [rwLo, rwHi] = capabilityWords(rw), [roLo, roHi] = capabilityWords(ro);
  const near = [rw + 1n, rw - 1n, rw ^ (1n << 31n), rw ^ (1n << 32n), rw ^ (1n << 63n), ~rw];
  near.push(ro + 1n, ro - 1n, ro ^ (1n << 63n), -1n, 1n);
  // Each word right on its own is not enough, nor the words swapped, nor the two mixed.
  near.push(capabilityOf(rwLo, 0), capabilityOf(0, rwHi), capabilityOf(rwHi, rwLo));
  near.push(capabilityOf(rwLo, roHi), capabilityOf(roLo, rwHi));
  const forged = near.map((c) => BigInt.asUintN(64, c));
  let x = 0x2545f491; // xorshift32: the same "random" words on every run
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x;
  };
  for (let i = 0; i < 64; i++) forged.push(capabilityOf(next(), next()));
  for (const cap of forged) {
    if (cap === rw || cap === ro) continue;
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, p.number, cap), ERR.CAP);
    expectError(lab, a, SYS.TLBWR, bindArgs(VA, p.number, cap, TLBWR.WRITABLE), ERR.CAP);
  }
});

Deno.test("Aegis capabilities die with the page: a stale one is refused everywhere", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const old = a.sys.allocPage();
  const oldRo = a.sys.readonlyCapability(old);
  a.sys.dealloc(old);
  const now = b.sys.allocPage(old.number); // the same page, named, for someone else
  assert.equal(now.number, old.number);
  assert.equal(aegis.ownerOf(old.number), b.id);
  assert.notEqual(now.capability, old.capability);
  const n = old.number;
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, n, old.capability, TLBWR.WRITABLE), ERR.CAP);
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, n, oldRo), ERR.CAP);
  expectError(lab, a, SYS.DEALLOC, pageArgs(n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.CAP_READONLY, pageArgs(n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.PIN, pageArgs(n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.REVOKE_ANSWER, pageArgs(n, old.capability), ERR.CAP);
  // Given back and taken again by the first owner, the page has new capabilities still.
  b.sys.dealloc(now);
  const again = a.sys.allocPage(n);
  assert.notEqual(again.capability, old.capability);
  assert.notEqual(again.capability, now.capability);
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, n, old.capability), ERR.CAP);
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, n, now.capability), ERR.CAP);
});

Deno.test("Aegis read-only capability maps read-only only; a store through it raises Mod", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const p = a.sys.allocPage();
  const ro = a.sys.readonlyCapability(p);
  assert.notEqual(ro, 0n);
  assert.notEqual(ro, p.capability);
  expectError(lab, a, SYS.TLBWR, bindArgs(VA, p.number, ro, TLBWR.WRITABLE), ERR.CAP);
  expectError(
    lab,
    a,
    SYS.TLBWR,
    bindArgs(VA, p.number, ro, TLBWR.WRITABLE | TLBWR.UNCACHED),
    ERR.CAP,
  );
  // Nor may the read-only capability stand in for the read-write one anywhere else.
  expectError(lab, a, SYS.DEALLOC, pageArgs(p.number, ro), ERR.CAP);
  expectError(lab, a, SYS.CAP_READONLY, pageArgs(p.number, ro), ERR.CAP);
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(p.number, ro), ERR.CAP);
  expectError(lab, a, SYS.PIN, pageArgs(p.number, ro), ERR.CAP);
  a.sys.tlbWrite(VA, pageOf(p.number, ro));
  const i = tlbIndex(lab, VA, a.asid);
  assert.notEqual(i, -1);
  assert.equal(m.cpu.tlbLo[i] & (TLB.V | TLB.D), TLB.V);
  assert.equal(stlbEntry(lab, VA, a.asid)[1] & (TLB.V | TLB.D), TLB.V);
  setPhysWord(lab, p.number, 0, 0x600d);
  const prog = a.load(asm`
        .set noreorder
start:  li      $s0, ${VA}
        li      $t5, 0x5555
        lw      $t4, 0($s0)
store:  sw      $t5, 0($s0)
done:   b       done
        nop
mod:    b       mod
        nop
`);
  a.sys.setHandler("Mod", prog.symbols.mod);
  a.enter(prog.origin);
  const r = m.run({ until: prog.symbols.mod, maxInstructions: 1000 });
  assert.equal(r.reason, "breakpoint");
  const regs = m.cpu.regs;
  assert.equal(regs[12], 0x600d, "the load through the read-only mapping works");
  assert.equal(regs[8], prog.symbols.store, "t0 = EPC, the store");
  assert.equal(regs[9], VA, "t1 = BadVAddr");
  assert.equal(excOf(regs[10]), EXC.Mod);
  assert.equal(physWord(lab, p.number, 0), 0x600d, "the page is not written");
});

// ---- handlers and the save area ----------------------------------------------------------------

Deno.test("Aegis SET_HANDLER refuses kernel addresses and the kernel's own exception codes", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a");
  for (const va of [0x80000000, 0x80000080, 0x80001000, 0xa0000000, 0xbfc00000, 0xfffffffc]) {
    expectError(lab, a, SYS.SET_HANDLER, [EXC.Ov, va | 0, 0], ERR.ADDR);
  }
  for (const code of [EXC.Int, EXC.Sys]) {
    expectError(lab, a, SYS.SET_HANDLER, [code, 0x00400000, 0], ERR.INVAL);
  }
  a.sys.setHandler("Ov", 0x00400000);
  assert.equal(lab.aegis.field(a.id, E.HANDLERS + 4 * EXC.Ov), 0x00400000);
});

Deno.test("Aegis SET_SAVE_AREA refuses kernel pages and pages the env does not own", () => {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const pa = a.sys.allocPage(), pb = b.sys.allocPage();
  for (const k of [0, 1, aegis.firstPage - 1]) {
    expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(k, pa.capability), ERR.INVAL);
  }
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(pb.number, 0n), ERR.CAP);
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(pb.number, pa.capability), ERR.CAP);
  // Even the right capability does not make another's page one's save area.
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(pb.number, pb.capability), ERR.PERM);
  a.sys.setSaveArea(pa, 16);
  assert.equal(aegis.field(a.id, E.SAVE) >>> 0, 0x80000000 + pa.number * 4096 + 16);
});

/** Loads a program that overflows (t0-t2 = 0x10, 0x11, 0x12 first) and stops in its handler. */
function overflowProgram(env: Environment) {
  const prog = env.load(asm`
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
  env.sys.setHandler("Ov", prog.symbols.h);
  return prog;
}

Deno.test("Aegis exceptions never write a save area in a page freed and given to another", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const prog = overflowProgram(a);
  const save = a.sys.allocPage();
  a.sys.setSaveArea(save, 0);
  a.sys.dealloc(save);
  const home = envRecord(a.id & 0x7f) + E.DEFAULT_SAVE;
  assert.equal(aegis.field(a.id, E.SAVE) >>> 0, home, "back to the default");
  const taken = b.sys.allocPage(save.number);
  for (let off = 0; off < 16; off += 4) setPhysWord(lab, taken.number, off, 0x0b0b0b0b);
  // A refused request to name b's page keeps the default too.
  expectError(lab, a, SYS.SET_SAVE_AREA, saveArgs(taken.number, taken.capability), ERR.PERM);
  a.enter(prog.origin);
  assert.equal(m.run({ until: prog.symbols.h, maxInstructions: 1000 }).reason, "breakpoint");
  for (let off = 0; off < 16; off += 4) {
    assert.equal(physWord(lab, taken.number, off), 0x0b0b0b0b, `b's page word +${off}`);
  }
  assert.equal(aegis.field(a.id, E.DEFAULT_SAVE), 0x10, "saved in the default area instead");
});

// ---- kernel memory from user mode --------------------------------------------------------------

for (
  const [op, address, code] of [
    ["lw", 0x80000000, EXC.AdEL],
    ["sw", 0x80000000, EXC.AdES],
    ["lw", 0x80040000, EXC.AdEL],
    ["sb", 0x80040000, EXC.AdES],
    ["lw", 0xa0000000, EXC.AdEL],
    ["sw", 0xa0000000, EXC.AdES],
    ["lw", 0xc0000000, EXC.AdEL],
    ["sh", 0xfffffffe, EXC.AdES],
  ] as const
) {
  const name = `${op} 0x${address.toString(16)}`;
  Deno.test(`Aegis user ${name} raises ${excName(code)} to the env's handler`, () => {
    const lab = boot();
    const { m, aegis } = lab;
    const a = aegis.createEnv("a");
    const phys = (address & 0x1fffffff) >>> 2;
    const word = m.bus.ram32[phys];
    const prog = a.load(asm`
        .set noreorder
start:  li      $t3, ${address}
        li      $t4, 0x5a5a5a5a
access: ${op}   $t4, 0($t3)
done:   b       done
        nop
h:      b       h
        nop
`);
    a.sys.setHandler(code, prog.symbols.h);
    const before = kernelState(lab);
    a.enter(prog.origin);
    assert.equal(m.run({ until: prog.symbols.h, maxInstructions: 1000 }).reason, "breakpoint");
    assert.equal(m.cpu.regs[8], prog.symbols.access, "t0 = EPC");
    assert.equal(m.cpu.regs[9] >>> 0, address, "t1 = BadVAddr");
    assert.equal(excOf(m.cpu.regs[10]), code);
    if (op === "lw") assert.equal(m.cpu.regs[12], 0x5a5a5a5a, "nothing loaded");
    assert.equal(m.bus.ram32[phys], word, "nothing stored");
    assertUnchanged(lab, before, name, ["pageTable", "stlb", "freeBitmap", "slices"]);
  });
}

Deno.test("Aegis user jump into the kernel raises AdEL at the kernel address", () => {
  const lab = boot();
  const { m, aegis } = lab;
  const a = aegis.createEnv("a");
  const prog = a.load(asm`
        .set noreorder
start:  li      $t3, 0x80000080
jump:   jr      $t3
        nop
h:      b       h
        nop
`);
  a.sys.setHandler("AdEL", prog.symbols.h);
  a.enter(prog.origin);
  assert.equal(m.run({ until: prog.symbols.h, maxInstructions: 1000 }).reason, "breakpoint");
  assert.equal(m.cpu.regs[8] >>> 0, 0x80000080, "t0 = EPC, the kernel address");
  assert.equal(m.cpu.regs[9] >>> 0, 0x80000080, "t1 = BadVAddr");
  assert.equal(excOf(m.cpu.regs[10]), EXC.AdEL);
});

for (
  const [what, instr, code] of [
    ["mtc0", "mtc0 $zero, $status", EXC.CpU],
    ["mfc0", "mfc0 $t4, $status", EXC.CpU],
    ["tlbwr", "tlbwr", EXC.CpU],
    ["rfe", "rfe", EXC.CpU],
    ["hcall", "hcall 0x100", EXC.RI],
  ] as const
) {
  Deno.test(`Aegis user ${what} raises ${excName(code)} to the env's handler`, () => {
    const lab = boot();
    const { m, aegis } = lab;
    const a = aegis.createEnv("a");
    const prog = a.load(asm`
        .set noreorder
start:  li      $t4, 0x77
priv:   ${instr}
done:   b       done
        nop
h:      b       h
        nop
`);
    a.sys.setHandler(code, prog.symbols.h);
    const before = kernelState(lab);
    a.enter(prog.origin);
    assert.equal(m.run({ until: prog.symbols.h, maxInstructions: 1000 }).reason, "breakpoint");
    assert.equal(m.cpu.regs[8], prog.symbols.priv, "t0 = EPC");
    assert.equal(excOf(m.cpu.regs[10]), code);
    assert.equal(m.cpu.regs[12], 0x77);
    assertUnchanged(lab, before, what, ["pageTable", "stlb", "freeBitmap", "tlbHi", "tlbLo"]);
  });
}

// ---- every system call with each argument out of range ----------------------------------------

/** The cast of the table: two unrelated environments, a's children, and ids that name no one. */
interface World {
  lab: Lab;
  /** The caller. */
  a: Environment;
  /** An environment a did not create. */
  b: Environment;
  /** a's page, its read-only capability, and b's page. */
  pa: Page;
  paRo: Capability;
  pb: Page;
  /** A page nobody holds. */
  free: number;
  /** A child of a (it starts at 0x00400000 and has set no entry points). */
  child: number;
  /** b's child. */
  bChild: number;
  /** An id whose environment was destroyed; its slot now holds another. */
  stale: number;
  /** An id in a slot never used. */
  absent: number;
  /** A slice position b holds, and one nobody holds. */
  bSlice: number;
  freeSlice: number;
  /** a's filter (with aRx as a receive page) and b's; a page of a's holding bad filters. */
  fa: number;
  fb: number;
  aRx: Page;
  bad: Page;
}

/** Where world() writes each bad filter in page `bad`, and what NET_FILTER must say of it. */
const BAD_FILTERS: [note: string, offset: number, words: number[]][] = [
  ["no atoms", 0x000, [0]],
  ["nine atoms", 0x100, [9]],
  ["size 3", 0x200, [1, 12 | (3 << 16), 0xffffff, 0]],
  ["an atom past the longest frame", 0x300, [1, 1513 | (2 << 16), 0xffff, 0]],
  ["a zero mask", 0x400, [1, 12 | (2 << 16), 0, 0]],
  ["a mask wider than its size", 0x500, [1, 12 | (1 << 16), 0x1ff, 0]],
  ["a value outside its mask", 0x600, [1, 12 | (2 << 16), 0xff00, 0x00ff]],
  ["contradicting atoms", 0x700, [2, 12 | (2 << 16), 0xffff, 1, 13 | (1 << 16), 0xff, 2]],
  ["a length check past the longest frame", 0x800, [1 | (1515 << 16), 12 | (2 << 16), -1, 1]],
  ["b's filter again", 0x900, [2, 12 | (2 << 16), 0xffff, 0x88b5, 14 | (2 << 16), 0xffff, 2]],
  ["a subset of b's", 0xa00, [1, 12 | (2 << 16), 0xffff, 0x88b5]],
  ["an encoding running off the page", 0xffc, [4]],
];

/** An ASH that is fine but for one word: [note, words, reason]. */
const BAD_ASHES: [note: string, words: number[]][] = [
  ["a syscall", [0x0000000c, 0]],
  ["addi (it traps on overflow)", [0x21080001, 0]],
  ["mult (HI/LO)", [0x01090018, 0]],
  ["a write to $sp", [0x27bd0004, 0]],
  ["a load based on $gp", [0x8f880000, 0]],
  ["j (a jump)", [0x08000000, 0]],
  ["jalr", [0x0100f809, 0]],
  ["jr $t0", [0x01000008, 0]],
  ["jal to no helper", [0x0c000040, 0]],
  ["a branch out of the handler", [0x1000ff00, 0]],
  ["a load in a delay slot", [0x10000001, 0x8d080000, 0]],
  ["a branch at the end (no delay slot)", [0, 0x1000fffe]],
  ["mfc0", [0x40086000, 0]],
  ["lwl", [0x89080000, 0]],
];

function world(): World {
  const lab = boot();
  const { aegis } = lab;
  const a = aegis.createEnv("a"), b = aegis.createEnv("b");
  const pa = a.sys.allocPage(), pb = b.sys.allocPage();
  const paRo = a.sys.readonlyCapability(pa);
  const child = a.call(SYS.ENV_ALLOC, 0x00400000).v0;
  assert.equal(a.call(SYS.ENV_ALLOC, 0).v0, ERR.ADDR, "a child starts somewhere: 0 is refused");
  const bChild = b.call(SYS.ENV_ALLOC, 0x00400000).v0;
  assert.ok(child > 0 && bChild > 0, "ENV_ALLOC works");
  const gone = aegis.createEnv("gone");
  const stale = gone.id;
  aegis.destroyEnvironment(stale, "made stale by the test");
  const heir = aegis.createEnv("heir");
  assert.equal(heir.id & 0x7f, stale & 0x7f, "the stale id's slot is live again");
  const bSlice = b.sys.sliceAlloc(3);
  const fa = a.installFilter("[12:2] == 0x88b5 && [14:2] == 1");
  const fb = b.installFilter("[12:2] == 0x88b5 && [14:2] == 2");
  const [aRx] = a.receivePages(fa, 1);
  const bad = a.sys.allocPage();
  for (const [, offset, words] of BAD_FILTERS) {
    words.forEach((v, i) => setPhysWord(lab, bad.number, offset + 4 * i, v));
  }
  BAD_ASHES.forEach(([, words], k) => {
    words.forEach((v, i) => setPhysWord(lab, bad.number, 0xc00 + 0x20 * k + 4 * i, v));
  });
  const w: World = {
    lab,
    a,
    b,
    pa,
    paRo,
    pb,
    free: pb.number + 10,
    child,
    bChild,
    stale,
    absent: (1 << 8) | 100,
    bSlice,
    freeSlice: 5,
    fa,
    fb,
    aRx,
    bad,
  };
  assert.equal(aegis.ownerOf(w.free), 0);
  return w;
}

/** One refused call: what it tries, its arguments, the error expected. */
type Row = [note: string, args: number[], err: number];

/** Rows for a target argument: ids that are not the caller's to configure. */
function badTargets(w: World): [string, number, number][] {
  return [
    ["a nonexistent env", w.absent, ERR.NOENV],
    ["a stale id", w.stale, ERR.NOENV],
    ["id -1", -1, ERR.NOENV],
    ["another's env", w.b.id, ERR.PERM],
    ["another's child", w.bChild, ERR.PERM],
  ];
}

/** Rows for a page argument that names no page an env may hold. */
function badPages(w: World): [string, number][] {
  const { aegis } = w.lab;
  return [
    ["page -1", -1],
    ["page past RAM", aegis.pages],
    ["a huge page", 0x7fffffff],
    ["a negative page", 0x80000000 | 0],
    ["kernel page 0", 0],
    ["the last kernel page", aegis.firstPage - 1],
  ];
}

const kernelPage = (w: World, p: number) => p >= 0 && p < w.lab.aegis.firstPage;

const e4 = ERR.NOENV, e8 = ERR.ADDR;

/** The refusals of each system call that takes arguments, by number. */
const TABLE: Record<number, (w: World) => Row[]> = {
  [SYS.YIELD]: (w) => [
    ...badTargets(w).filter(([, , e]) => e === ERR.NOENV).map(([n, id]): Row => [n, [id], e4]),
    ["0x80 (slot 0)", [0x80], ERR.NOENV],
  ],
  [SYS.SCALL]: (w) => [
    ["id 0", [0], ERR.NOENV],
    ...badTargets(w).filter(([, , e]) => e === ERR.NOENV).map(([n, id]): Row => [n, [id], e4]),
    ["an env with no entry point", [w.b.id], ERR.NOENTRY],
    ["a child with no entry point", [w.child], ERR.NOENTRY],
  ],
  [SYS.ACALL]: (w) => [
    ["id 0", [0], ERR.NOENV],
    ...badTargets(w).filter(([, , e]) => e === ERR.NOENV).map(([n, id]): Row => [n, [id], e4]),
    ["an env with no entry point", [w.b.id], ERR.NOENTRY],
    ["a child with no entry point", [w.child], ERR.NOENTRY],
  ],
  [SYS.TLBWR]: (w) => [
    ...[U.GUARANTEED, U.ENV, U.TRAMPOLINE, 0x7ffff000, 0x80000000, 0xa0000000, 0xfffff000].map(
      (va): Row => [`va 0x${va.toString(16)}`, bindArgs(va, w.pa.number, w.pa.capability, 1), e8],
    ),
    ...[0x123, 0x4, 0x800, 0xffc].map((off): Row => [
      `va with offset 0x${off.toString(16)}`,
      bindArgs(VA + off, w.pa.number, w.pa.capability),
      ERR.INVAL,
    ]),
    ...badPages(w).map(([n, p]): Row => [
      n,
      bindArgs(VA, p, w.pa.capability, 1),
      kernelPage(w, p) ? ERR.CAP : ERR.INVAL,
    ]),
    ["capability 0", bindArgs(VA, w.pa.number, 0n), ERR.CAP],
    ["the high word wrong", bindArgs(VA, w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability, writable", bindArgs(VA, w.pa.number, w.paRo, 1), ERR.CAP],
    ["another's page", bindArgs(VA, w.pb.number, w.pa.capability), ERR.CAP],
    ["a free page", bindArgs(VA, w.free, w.pa.capability), ERR.CAP],
    ...badTargets(w).map(([n, id, e]): Row => [
      `for ${n}`,
      bindArgs(VA, w.pa.number, w.pa.capability, 1, id),
      e,
    ]),
    [
      "for a child, va in the guaranteed region",
      bindArgs(U.GUARANTEED, w.pa.number, w.pa.capability, 0, w.child),
      ERR.ADDR,
    ],
    [
      "for a child, va with an offset",
      bindArgs(VA + 0x10, w.pa.number, w.pa.capability, 0, w.child),
      ERR.INVAL,
    ],
    ["for a child, page -1", bindArgs(VA, -1, w.pa.capability, 0, w.child), ERR.INVAL],
    ["for a child, capability 0", bindArgs(VA, w.pa.number, 0n, 0, w.child), ERR.CAP],
    [
      "for a child, another's page",
      bindArgs(VA, w.pb.number, w.pa.capability, 0, w.child),
      ERR.CAP,
    ],
    [
      "for a child, read-only capability, writable",
      bindArgs(VA, w.pa.number, w.paRo, 1, w.child),
      ERR.CAP,
    ],
  ],
  [SYS.TLBVADELETE]: (w) => [
    ...[U.GUARANTEED, U.TRAMPOLINE, 0x80000000, 0xfffff000].map(
      (va): Row => [`va 0x${va.toString(16)}`, [va | 0, 0, 0], e8],
    ),
    ["a range reaching the guaranteed region", [U.GUARANTEED - 0x1000, 2, 0], e8],
    ...[TLBVADELETE_MAX + 1, 0x7fffffff, -1].map(
      (n): Row => [`count ${n}`, [VA, n, 0], ERR.INVAL],
    ),
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [VA, 1, id], e]),
  ],
  [SYS.ALLOC]: (w) => [
    ["page -2", [-2], ERR.INVAL],
    ["page past RAM", [w.lab.aegis.pages], ERR.INVAL],
    ["a huge page", [0x7fffffff], ERR.INVAL],
    ["a negative page", [0x80000000 | 0], ERR.INVAL],
    ["kernel page 0", [0], ERR.NOMEM],
    ["the last kernel page", [w.lab.aegis.firstPage - 1], ERR.NOMEM],
    ["one's own page", [w.pa.number], ERR.NOMEM],
    ["another's page", [w.pb.number], ERR.NOMEM],
  ],
  [SYS.DEALLOC]: (w) => deallocRows(w),
  [SYS.REVOKE_ANSWER]: (w) => deallocRows(w),
  [SYS.CAP_READONLY]: (w) => [
    ...badPages(w).map(([n, p]): Row => [n, pageArgs(p, w.pa.capability), ERR.INVAL]),
    ["capability 0", pageArgs(w.pa.number, 0n), ERR.CAP],
    ["capability + 1", pageArgs(w.pa.number, w.pa.capability + 1n), ERR.CAP],
    ["the high word wrong", pageArgs(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability", pageArgs(w.pa.number, w.paRo), ERR.CAP],
    ["another's page", pageArgs(w.pb.number, w.pa.capability), ERR.CAP],
    ["a free page", pageArgs(w.free, w.pa.capability), ERR.CAP],
  ],
  [SYS.SET_HANDLER]: (w) => [
    ...[-1, HANDLER.COUNT, 32, 1000, EXC.Int, EXC.Sys].map(
      (c): Row => [`code ${c}`, [c, 0x00400000, 0], ERR.INVAL],
    ),
    ...[0, 2, 0x00400001, 0x80000000, 0x80000080, 0xfffffffc].map(
      (va): Row => [`handler 0x${va.toString(16)}`, [EXC.Ov, va | 0, 0], e8],
    ),
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [EXC.Ov, 0x00400000, id], e]),
    ["for a child, a kernel handler", [EXC.Ov, 0x80000080 | 0, w.child], e8],
  ],
  [SYS.SET_SAVE_AREA]: (w) => [
    ...badPages(w).map(([n, p]): Row => [n, saveArgs(p, w.pa.capability), ERR.INVAL]),
    ...[-4, -1, 2, 4085, 4096 - SAVE_AREA_BYTES + 4, 4088, 4096, 0x7ffffffc].map(
      (o): Row => [`offset ${o}`, saveArgs(w.pa.number, w.pa.capability, o), ERR.INVAL],
    ),
    ["capability 0", saveArgs(w.pa.number, 0n), ERR.CAP],
    ["capability + 1", saveArgs(w.pa.number, w.pa.capability + 1n), ERR.CAP],
    ["the high word wrong", saveArgs(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability", saveArgs(w.pa.number, w.paRo), ERR.CAP],
    ["another's page, wrong capability", saveArgs(w.pb.number, w.pa.capability), ERR.CAP],
    ["another's page, its capability", saveArgs(w.pb.number, w.pb.capability), ERR.PERM],
    ["a free page", saveArgs(w.free, w.pa.capability), ERR.CAP],
    ...badTargets(w).map(([n, id, e]): Row => [
      `for ${n}`,
      saveArgs(w.pa.number, w.pa.capability, 0, id),
      e,
    ]),
    [
      "for a child, the parent's page",
      saveArgs(w.pa.number, w.pa.capability, 0, w.child),
      ERR.PERM,
    ],
  ],
  [SYS.SET_ENTRY]: (w) => [
    ...[-1, 4, 1000].map((n): Row => [`entry ${n}`, [n, 0x00400000, 0], ERR.INVAL]),
    ...[ENTRY.SYNC, ENTRY.ASYNC, ENTRY.SLICE_START, ENTRY.SLICE_END].flatMap((n) =>
      [0x80000000, 0x80001000, 0xfffffffc, 0x00400002].map(
        (va): Row => [`entry ${n} at 0x${va.toString(16)}`, [n, va | 0, 0], e8],
      )
    ),
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [ENTRY.SYNC, 0x00400000, id], e]),
  ],
  [SYS.ENV_ALLOC]: () =>
    [U.GUARANTEED, U.TRAMPOLINE, 0x80000000, 0x80000080, 0xfffffffc, 0x00400002].map(
      (va): Row => [`entry 0x${va.toString(16)}`, [va | 0], e8],
    ),
  [SYS.ENV_FREE]: (w) => badTargets(w).map(([n, id, e]): Row => [n, [id], e]),
  [SYS.SLICE_ALLOC]: (w) => [
    ...[-2, w.lab.aegis.sliceCount, 1000, 0x80000000 | 0].map(
      (p): Row => [`position ${p}`, [p, 0], ERR.INVAL],
    ),
    ["another's position", [w.bSlice, 0], ERR.NOSLOT],
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [w.freeSlice, id], e]),
  ],
  [SYS.FPU_MOD]: (w) => [
    ...[-1, 2, 0x100].map((on): Row => [`usable ${on}`, [on, 0], ERR.INVAL]),
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [1, id], e]),
  ],
  [SYS.SLICE_FREE]: (w) => [
    ...[-1, w.lab.aegis.sliceCount, 1000].map(
      (p): Row => [`position ${p}`, [p, 0], ERR.INVAL],
    ),
    ["another's position", [w.bSlice, 0], ERR.PERM],
    ["a free position", [w.freeSlice, 0], ERR.PERM],
    ...badTargets(w).map(([n, id, e]): Row => [`for ${n}`, [w.bSlice, id], e]),
  ],
  [SYS.EXPORT]: () =>
    [-1, 3, 1000, 0x80000000 | 0].map((x): Row => [`structure ${x}`, [x], ERR.INVAL]),
  [SYS.PIN]: (w) => [
    ...badPages(w).map(([n, p]): Row => [n, pageArgs(p, w.pa.capability), ERR.INVAL]),
    ["capability 0", pageArgs(w.pa.number, 0n), ERR.CAP],
    ["the high word wrong", pageArgs(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability", pageArgs(w.pa.number, w.paRo), ERR.CAP],
    ["another's page, wrong capability", pageArgs(w.pb.number, w.pa.capability), ERR.CAP],
    ["another's page, its capability", pageArgs(w.pb.number, w.pb.capability), ERR.PERM],
  ],
  [SYS.GUARANTEE]: (w) => [
    ...[0, 0x0fff, 0x10000, 0x00400000, 0x80000000 | 0].map(
      (va): Row => [
        `va 0x${(va >>> 0).toString(16)}`,
        bindArgs(va, w.pa.number, w.pa.capability, 1),
        e8,
      ],
    ),
    ...[-1, w.lab.aegis.pages, 0x7fffffff].map(
      (p): Row => [`page ${p}`, bindArgs(0x2000, p, w.pa.capability, 1), ERR.INVAL],
    ),
    ["va with an offset", bindArgs(0x2000 + 0x10, w.pa.number, w.pa.capability), ERR.INVAL],
    ["capability 0", bindArgs(0x2000, w.pa.number, 0n, 1), ERR.CAP],
    ["the high word wrong", bindArgs(0x2000, w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability, writable", bindArgs(0x2000, w.pa.number, w.paRo, 1), ERR.CAP],
    [
      "another's page, wrong capability",
      bindArgs(0x2000, w.pb.number, w.pa.capability),
      ERR.CAP,
    ],
    ...badTargets(w).map(([n, id, e]): Row => [
      `for ${n}`,
      bindArgs(0x2000, w.pa.number, w.pa.capability, 1, id),
      e,
    ]),
  ],
};

Object.assign(TABLE, {
  [SYS.NET_FILTER]: (w: World): Row[] => [
    ...badPages(w).map(([n, p]): Row => [n, pageArgs(p, w.pa.capability), ERR.INVAL]),
    ...[2, -4, 4096, 0x7ffffffc].map(
      (
        o,
      ): Row => [`offset ${o}`, [w.bad.number, o, ...capabilityWords(w.bad.capability)], ERR.INVAL],
    ),
    ["capability 0", pageArgs(w.pa.number, 0n), ERR.CAP],
    ["the high word wrong", pageArgs(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["another's page, wrong capability", pageArgs(w.pb.number, w.pa.capability), ERR.CAP],
    ["another's page, its capability", pageArgs(w.pb.number, w.pb.capability), ERR.PERM],
    ["a free page", pageArgs(w.free, w.pa.capability), ERR.CAP],
    ...BAD_FILTERS.map(([note, offset]): Row => [
      note,
      [w.bad.number, offset, ...capabilityWords(w.bad.capability)],
      note.startsWith("b's") || note.startsWith("a subset")
        ? ERR.BUSY
        : note.startsWith("an encoding")
        ? ERR.INVAL
        : ERR.REFUSED,
    ]),
  ],
  [SYS.NET_UNFILTER]: (w: World): Row[] => [
    ...[-1, 32, 1000, 0x80000000 | 0].map((id): Row => [`filter ${id}`, [id], ERR.INVAL]),
    ["a free filter", [31], ERR.INVAL],
    ["another's filter", [w.fb], ERR.PERM],
  ],
  [SYS.NET_RXPAGE]: (w: World): Row[] => {
    const rx = (id: number, p: number, cap: Capability) => [id, p, ...capabilityWords(cap)];
    return [
      ...[-1, 32, 31].map(
        (id): Row => [`filter ${id}`, rx(id, w.pa.number, w.pa.capability), ERR.INVAL],
      ),
      ["another's filter", rx(w.fb, w.pa.number, w.pa.capability), ERR.PERM],
      ...badPages(w).map(([n, p]): Row => [n, rx(w.fa, p, w.pa.capability), ERR.INVAL]),
      ["capability 0", rx(w.fa, w.pa.number, 0n), ERR.CAP],
      ["the read-only capability", rx(w.fa, w.pa.number, w.paRo), ERR.CAP],
      ["another's page, its capability", rx(w.fa, w.pb.number, w.pb.capability), ERR.PERM],
      ["a page in the ring already", rx(w.fa, w.aRx.number, w.aRx.capability), ERR.INVAL],
    ];
  },
  [SYS.NET_SEND]: (w: World): Row[] => {
    const send = (p: number, cap: Capability, offset = 0, length = 60) => [
      p,
      offset,
      ...capabilityWords(cap),
      length,
    ];
    return [
      ...badPages(w).map(([n, p]): Row => [
        n,
        send(p, w.pa.capability),
        kernelPage(w, p) ? ERR.CAP : ERR.INVAL,
      ]),
      ...[2, -4, 4096, 4040].map(
        (o): Row => [`offset ${o}`, send(w.pa.number, w.pa.capability, o), ERR.INVAL],
      ),
      ...[0, 13, 1515, -1].map(
        (n): Row => [`${n} bytes`, send(w.pa.number, w.pa.capability, 0, n), ERR.INVAL],
      ),
      ["capability 0", send(w.pa.number, 0n), ERR.CAP],
      ["the high word wrong", send(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
      ["another's page, wrong capability", send(w.pb.number, w.pa.capability), ERR.CAP],
      ["another's page, its capability", send(w.pb.number, w.pb.capability), ERR.PERM],
      ["a free page", send(w.free, w.pa.capability), ERR.CAP],
    ];
  },
  [SYS.NET_ASH]: (w: World): Row[] => {
    const ash = (id: number, p: number, cap: Capability, offset: number, count: number) => [
      id,
      p,
      ...capabilityWords(cap),
      (offset & 0xffff) | (count << 16),
    ];
    return [
      ...[-1, 32, 31].map(
        (id): Row => [`filter ${id}`, ash(id, w.bad.number, w.bad.capability, 0xc00, 2), ERR.INVAL],
      ),
      ["another's filter", ash(w.fb, w.bad.number, w.bad.capability, 0xc00, 2), ERR.PERM],
      ...badPages(w).map(([n, p]): Row => [n, ash(w.fa, p, w.pa.capability, 0, 2), ERR.INVAL]),
      ["a misaligned offset", ash(w.fa, w.bad.number, w.bad.capability, 0xc02, 2), ERR.INVAL],
      ["code running off the page", ash(w.fa, w.bad.number, w.bad.capability, 0xff8, 4), ERR.INVAL],
      ["the read-only capability", ash(w.fa, w.pa.number, w.paRo, 0, 2), ERR.CAP],
      ["another's page, its capability", ash(w.fa, w.pb.number, w.pb.capability, 0, 2), ERR.PERM],
      ["257 instructions", ash(w.fa, w.bad.number, w.bad.capability, 0, 257), ERR.REFUSED],
      ...BAD_ASHES.map(([note, words], k): Row => [
        note,
        ash(w.fa, w.bad.number, w.bad.capability, 0xc00 + 0x20 * k, words.length),
        ERR.REFUSED,
      ]),
    ];
  },
  [SYS.NET_INFO]: (): Row[] =>
    [-1, 2, 1000, 0x80000000 | 0].map((x): Row => [`selector ${x}`, [x], ERR.INVAL]),
});

/** DEALLOC and REVOKE_ANSWER refuse the same things. */
function deallocRows(w: World): Row[] {
  return [
    ...badPages(w).map(([n, p]): Row => [n, pageArgs(p, w.pa.capability), ERR.INVAL]),
    ["capability 0", pageArgs(w.pa.number, 0n), ERR.CAP],
    ["capability + 1", pageArgs(w.pa.number, w.pa.capability + 1n), ERR.CAP],
    ["the high word wrong", pageArgs(w.pa.number, highWrong(w.pa.capability)), ERR.CAP],
    ["the read-only capability", pageArgs(w.pa.number, w.paRo), ERR.CAP],
    ["another's page, wrong capability", pageArgs(w.pb.number, w.pa.capability), ERR.CAP],
    ["another's page, its capability", pageArgs(w.pb.number, w.pb.capability), ERR.PERM],
    ["a free page", pageArgs(w.free, w.pa.capability), ERR.CAP],
  ];
}

for (const [number, rows] of Object.entries(TABLE)) {
  const name = SYS_NAMES[Number(number)];
  Deno.test(`Aegis ${name} refuses each argument out of range and changes nothing`, () => {
    const w = world();
    const table = rows(w);
    assert.ok(table.length > 0);
    for (const [note, args, err] of table) {
      try {
        expectError(w.lab, w.a, Number(number), args, err);
      } catch (e) {
        throw new Error(`${name} with ${note}: ${(e as Error).message}`);
      }
    }
  });
}

Deno.test("Aegis unknown system-call numbers get NOSYS and change nothing", () => {
  const w = world();
  for (const n of [SYSCALL_COUNT, SYSCALL_COUNT + 1, 1000, 0x7fffffff, -1, 0x80000000 | 0]) {
    expectError(w.lab, w.a, n, [1, 2, 3, 4], ERR.NOSYS);
  }
});

Deno.test("Aegis table covers every system call an env makes with arguments", () => {
  const noArgs = [SYS.NULL, SYS.GETID, SYS.GETID_STACK, SYS.UNHANDLED, SYS.CLOCK];
  for (let n = 0; n < SYSCALL_COUNT; n++) {
    if (noArgs.includes(n as typeof noArgs[number])) continue;
    assert.ok(TABLE[n] !== undefined, `no rows for ${SYS_NAMES[n]}`);
  }
});

// Regression (fixed): E.ENTRYHI (0x03c) is E.PINNED[3] (0x030 + 4 * 3): the fourth pin slot holds the ASID in
// EntryHi form, so it is never free and PIN takes only three pages. See "record fields do not
// overlap" below for the minimal reproduction and what the overlap lets a guest do.
Deno.test({
  name: "Aegis PIN takes PINNED_MAX pages, then refuses one more with NOSLOT",

  fn() {
    const w = world();
    const pages = [w.pa];
    for (let i = 1; i < PINNED_MAX; i++) pages.push(w.a.sys.allocPage());
    for (const p of pages) w.a.sys.pin(p);
    const extra = w.a.sys.allocPage();
    expectError(w.lab, w.a, SYS.PIN, pageArgs(extra.number, extra.capability), ERR.NOSLOT);
  },
});

Deno.test("Aegis ALLOC of any page gets NOMEM once memory is exhausted", () => {
  const lab = boot({ memoryMB: 1 });
  const { aegis } = lab;
  const a = aegis.createEnv("a");
  const count = aegis.pages - aegis.firstPage;
  for (let i = 0; i < count; i++) a.sys.allocPage();
  expectError(lab, a, SYS.ALLOC, [-1], ERR.NOMEM);
  expectError(lab, a, SYS.ALLOC, [aegis.pages - 1], ERR.NOMEM);
});

// ---- regressions: holes found and closed (each comment says what was wrong) ------------------

// Regression (fixed): a protected call or directed yield into an environment made with `createEnv` that has
// not set its entry points killed it: its default entries ran a trampoline stub whose `break`
// went to the default handler, so any guest could end any such environment. Now an environment
// accepts no protected calls until it sets entry points: SCALL and ACALL to it are refused with
// NOENTRY (the caller goes on), and a directed yield resumes its own context (the trampoline's
// yield loop). Reproduce: a = createEnv, b = createEnv; a's code `li a0, b.id; li v0, SCALL;
// syscall`; run 200 instructions: b must be alive.
for (const [name, number] of [["SCALL", SYS.SCALL], ["ACALL", SYS.ACALL], ["YIELD", SYS.YIELD]]) {
  Deno.test({
    name: `Aegis ${name} into an env with no entry points leaves it alive`,

    fn() {
      const lab = boot();
      const { m, aegis } = lab;
      const a = aegis.createEnv("a"), b = aegis.createEnv("b");
      const prog = a.load(asm`
        .set noreorder
start:  li      $a0, ${b.id}
        li      $v0, ${number}
        syscall
done:   b       done
        nop
`);
      a.enter(prog.origin);
      if (number === SYS.YIELD) {
        m.run({ maxInstructions: 200 });
      } else {
        assert.equal(
          m.run({ until: prog.symbols.done, maxInstructions: 200 }).reason,
          "breakpoint",
        );
        assert.equal(m.cpu.regs[2], ERR.NOENTRY, "the caller is refused and goes on");
        assert.equal(aegis.current, a.id);
      }
      assert.equal(aegis.exits.length, 0, String(aegis.exits));
      assert.equal(b.alive, true);
    },
  });
}

// Regression (fixed): a system call run from TypeScript for one environment can take the ASID of the
// environment that is on the CPU, and `Aegis.call` then puts back the old EntryHi, so that
// environment resumes under an ASID another one now holds and reads that one's pages.
// `#giveAsid` excludes only `current`, which `call` has switched to the callee. Reproduce:
// a = createEnv, a.load(code), a.map(VA); b0..b61 = createEnv; a.enter(code); x = createEnv;
// b_i.sys.null() for each, then x.sys.null() (x takes a's ASID); x maps its own page at VA;
// m.run: a's `lw VA` returns x's word.
Deno.test({
  name: "Aegis call for one env never hands out the ASID of the env on the CPU",

  fn() {
    const lab = boot();
    const { m, aegis } = lab;
    const code = asm`
        .set noreorder
start:  li      $s0, ${VA}
        li      $t4, 0
        lw      $t4, 0($s0)
done:   b       done
        nop
`;
    const a = aegis.createEnv("a");
    const prog = a.load(code);
    setPhysWord(lab, a.map(VA).number, 0, 0xaaaa);
    const others = Array.from({ length: 62 }, (_, i) => aegis.createEnv(`b${i}`));
    a.enter(prog.origin);
    const x = aegis.createEnv("x");
    for (const b of others) b.sys.null();
    x.sys.null();
    x.load(code);
    setPhysWord(lab, x.map(VA).number, 0, 0xbbbb);
    m.run({ until: prog.symbols.done, maxInstructions: 2000 });
    assert.notEqual(m.cpu.regs[12], 0xbbbb, "a read x's page");
    if (a.alive && aegis.current === a.id) {
      assert.equal((m.cpu.cp0[CP0.EntryHi] >>> 6) & 63, a.asid, "a runs under its own ASID");
    }
  },
});

// Regression (fixed): when a system call run from TypeScript destroys the environment that is on the CPU
// (a parent's ENV_FREE of its child, say), `Aegis.call` puts the dead environment's registers,
// pc and user-mode Status back with CURENV = 0. The CPU goes on running the dead code; its
// first TLB miss takes the forwarding path with record address 0, which reads handler and save
// area words out of the kernel's text and loops in kernel mode for good. Reproduce: p =
// createEnv; c = p.call(ENV_ALLOC, 0x00400000).v0; c allocates and maps a page of `b .` at
// 0x00400000; aegis.enter(c, 0x00400000); p.call(ENV_FREE, c); m.run({maxInstructions: 2000}):
// pc ends at 0x8000009c in kernel mode, not in the idle loop.
Deno.test({
  name: "Aegis call that frees the env on the CPU leaves the kernel idle",

  fn() {
    const lab = boot();
    const { m, aegis } = lab;
    const p = aegis.createEnv("p");
    const child = p.call(SYS.ENV_ALLOC, 0x00400000).v0;
    const page = aegis.call(child, SYS.ALLOC, [-1]);
    const code = [0x00400000 | TLBWR.WRITABLE, page.v0, page.a2, page.a3, 0];
    assert.equal(aegis.call(child, SYS.TLBWR, code).v0, 0);
    setPhysWord(lab, page.v0, 0, 0x1000ffff); // b .
    aegis.enter(child, 0x00400000);
    assert.equal(p.call(SYS.ENV_FREE, child).v0, 0);
    m.run({ maxInstructions: 2000 });
    assert.equal(aegis.current, 0);
    const idle = aegis.symbols.idle;
    assert.ok(m.cpu.pc === idle || m.cpu.pc === idle + 4, `pc 0x${(m.cpu.pc >>> 0).toString(16)}`);
  },
});

/** How many bytes each field of an environment record spans (4 unless listed). */
const FIELD_BYTES: Partial<Record<keyof typeof E, number>> = {
  PINNED: 4 * PINNED_MAX,
  HANDLERS: 4 * HANDLER.COUNT,
  DEFAULT_SAVE: SAVE_AREA_BYTES,
  NAME: E.NAME_BYTES,
  CONTEXT: 4 * 35,
  REPOSSESSED: 4 * E.REPOSSESSED_MAX,
  GUARANTEED: 8 * GUARANTEED_MAX,
  NOTICES: 8 * E.NOTICES_MAX,
};

/** The members of E that are sizes, not offsets. */
const E_SIZES = ["REPOSSESSED_MAX", "NAME_BYTES", "NOTICES_MAX"];

// Regression (fixed): E.ENTRYHI = 0x03c lies inside E.PINNED (0x030, PINNED_MAX = 4 words). Reproduce: sort the
// fields by offset; PINNED ends at 0x040 but ENTRYHI starts at 0x03c. Consequences, each through
// guest system calls only: (1) freeing page number ASID << 6 clears every record whose PINNED
// slot holds that number, so one env's DEALLOC sets another's ENTRYHI to -1 and its protected
// entries then run under ASID 63; (2) with that slot "free", an env that pins four pages writes
// the fourth page number into its own ENTRYHI, choosing the address space SCALL/ACALL/YIELD put
// it in (allocate page victimAsid << 6 by name, pin it). The two tests after this one show both.
Deno.test({
  name: "Aegis environment record fields do not overlap and fit in the record",

  fn() {
    const fields = Object.entries(E)
      .filter(([name]) => !E_SIZES.includes(name))
      .map(([name, at]) => ({ name, at, end: at + (FIELD_BYTES[name as keyof typeof E] ?? 4) }))
      .sort((x, y) => x.at - y.at);
    for (let i = 1; i < fields.length; i++) {
      const [p, q] = [fields[i - 1], fields[i]];
      assert.ok(p.end <= q.at, `${p.name} (to 0x${p.end.toString(16)}) overlaps ${q.name}`);
    }
    assert.ok(fields.at(-1)!.end <= 4096);
  },
});

/** Makes `n` environments nobody uses, so the next ones get ASIDs above `n`. */
function fillers(lab: Lab, n: number): void {
  for (let i = 0; i < n; i++) lab.aegis.createEnv(`filler${i}`);
}

/** Loads into `env` at 0x00500000 a protected entry that stops; returns its address. */
function stopEntry(env: Environment): number {
  const entry = env.load(
    asm`
        .set noreorder
entry:  b       entry
        nop
`,
    0x00500000,
  ).origin;
  env.sys.setEntry("sync", entry);
  return entry;
}

/** Makes `caller` SCALL `callee` and runs to `entry`; returns the ASID in EntryHi there. */
function scallAsid(lab: Lab, caller: Environment, callee: Environment, entry: number): number {
  const prog = caller.load(asm`
        .set noreorder
start:  li      $a0, ${callee.id}
        li      $v0, ${SYS.SCALL}
        syscall
done:   b       done
        nop
`);
  caller.enter(prog.origin);
  assert.equal(lab.m.run({ until: entry, maxInstructions: 500 }).reason, "breakpoint");
  assert.equal(lab.aegis.current, callee.id);
  return (lab.m.cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK) >>> TLB.ASID_SHIFT;
}

// Regression (fixed): see "record fields do not overlap". Reproduce: four filler envs, then a (ASID 5) and b;
// b.sys.dealloc(b.sys.allocPage(a.asid << 6)); a's E.ENTRYHI is now -1, and a SCALL into a
// lands with EntryHi ASID 63.
Deno.test({
  name: "Aegis one env's DEALLOC changes no other env's record",

  fn() {
    const lab = boot();
    const { aegis } = lab;
    fillers(lab, 4);
    const a = aegis.createEnv("a"), b = aegis.createEnv("b"), c = aegis.createEnv("c");
    const entry = stopEntry(a);
    const before = kernelState(lab).envs.slice(envIndex(a), envIndex(a) + 1024);
    b.sys.dealloc(b.sys.allocPage(a.asid << 6));
    const after = kernelState(lab).envs.slice(envIndex(a), envIndex(a) + 1024);
    assert.deepEqual(after, before, "a's record changed");
    assert.equal(scallAsid(lab, c, a, entry), a.asid);
  },
});

/** Index of `env`'s record in the `envs` region of a KernelState. */
const envIndex = (env: Environment) => (env.id & 0x7f) * 1024;

// Regression (fixed): see "record fields do not overlap". Reproduce: four fillers, then a, v (the victim), c;
// a frees page a.asid << 6 (allocated by name) to clear its fourth pin slot, pins three pages,
// then pins page v.asid << 6 (allocated by name): a's E.ENTRYHI = v.asid << 6, and c's SCALL
// into a lands with EntryHi ASID = v's: a runs in v's address space.
Deno.test({
  name: "Aegis PIN cannot choose the address space an env's protected entry runs in",

  fn() {
    const lab = boot();
    const { aegis } = lab;
    fillers(lab, 4);
    const a = aegis.createEnv("a"), v = aegis.createEnv("victim"), c = aegis.createEnv("c");
    const entry = stopEntry(a);
    a.sys.dealloc(a.sys.allocPage(a.asid << 6));
    for (let i = 0; i < 3; i++) a.sys.pin(a.sys.allocPage());
    try {
      a.sys.pin(a.sys.allocPage(v.asid << 6));
    } catch {
      // Refusing the fourth pin is one way to be safe.
    }
    const asid = scallAsid(lab, c, a, entry);
    assert.notEqual(asid, v.asid, "a runs in the victim's address space");
    assert.equal(asid, a.asid);
  },
});

// Regression (ABI, fixed): TLBWR named its target environment as `id << 8` in a3 beside the flags, which
// truncated the ids of slots reused 65536 times, so their children could no longer be named (or,
// were the truncated id live, the call would act on the wrong environment). The target is now a
// whole register (t0). Reproduce: set the GENERATION word of the next free slot to the last one
// a slot reaches; child = a.call(ENV_ALLOC, ...); TLBWR for the child must return 0.
Deno.test({
  name: "Aegis TLBWR can name any child as its target",

  fn() {
    const lab = boot();
    const { aegis } = lab;
    const a = aegis.createEnv("a");
    const slot = (a.id & 0x7f) + 1;
    aegis.mem.w32(envRecord(slot) + E.GENERATION, ENV.GENERATIONS - 2);
    const child = a.call(SYS.ENV_ALLOC, 0x00400000).v0;
    assert.equal(child & 0x7f, slot);
    assert.equal(child >>> 7, ENV.GENERATIONS - 1, "the highest id the slot will ever carry");
    const p = a.sys.allocPage();
    const r = a.call(SYS.TLBWR, ...bindArgs(VA, p.number, p.capability, 0, child));
    assert.equal(r.v0, 0, `TLBWR for child 0x${child.toString(16)}: ${r.v0}`);
  },
});
