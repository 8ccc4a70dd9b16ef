/**
 * Environments from TypeScript: handlers written as TypeScript functions, which may themselves
 * make system calls for the environment, and the tables Aegis prints.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { Lab } from "../../shell/lab.ts";
import { checkInvariants } from "../../aegis/invariants.ts";

Deno.test("Environment TypeScript handler may make system calls and resume the guest past the trap", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("x");
  const prog = e.load(asm`
        .set noreorder
        li      $s0, 5
        break   7
        addiu   $s0, $s0, 1
1:      b       1b
        nop
`);
  let page = -1;
  e.onException("Bp", (x) => {
    assert.equal(x.name, "Bp");
    assert.equal(x.epc, prog.origin + 4);
    page = e.sys.allocPage().number;
    return x.epc + 4;
  });
  e.enter(prog.origin);
  const r = m.run({ maxInstructions: 300 });
  assert.equal(r.reason, "instructions", "the run goes on after the handler's own system call");
  assert.equal(m.aegis.ownerOf(page), e.id);
  assert.equal(m.cpu.regs[16], 6);
  assert.equal(m.aegis.exits.length, 0, String(m.aegis.exits));
});

Deno.test("Environment TypeScript handler that says kill ends the environment with a reason", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("x");
  const prog = e.load(asm`
        lw      $t0, 0($zero)
`);
  e.onException("TLBL", () => "kill");
  e.enter(prog.origin);
  m.run({ maxInstructions: 300 });
  assert.equal(e.alive, false);
  assert.match(m.aegis.exits[0].reason, /TypeScript handler for TLBL/);
});

Deno.test("Aegis prints its environments, TLB, STLB and page owners as tables", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("demo");
  const p = e.sys.allocPage();
  e.sys.tlbWrite(0x00400000, p, { writable: true });
  const text = String(m.aegis);
  assert.match(text, /1 environment\b/);
  assert.match(text, /demo\s+1\s+1/);
  assert.match(String(m.aegis.tlb()), /0x00400000\s+1\s+0x[0-9a-f]+\s+-DV-/);
  assert.match(String(m.aegis.stlb()), /0x00400000\s+1/);
  assert.match(String(m.aegis.page(p.number)), /owner demo/);
  assert.match(String(m.aegis.page(0)), /owner the kernel/);
  assert.match(String(p), /^Page 0x[0-9a-f]{4} rw, owner demo, capability 0x[0-9a-f]{16}$/);
  assert.match(String(m), /Aegis: 1 environment · /);
});

Deno.test("Environment TypeScript handler sees the registers as the trap found them and may set them", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("x");
  const prog = e.load(asm`
        .set noreorder
        li      $v0, 1234
        li      $t0, 10
        li      $t1, 11
        li      $t2, 12
        li      $a0, 77
        break   0x3c0
        move    $s0, $v0                  # the handler's answer
        move    $s1, $t0
1:      b       1b
        nop
`);
  const seen: number[] = [];
  e.onException("Bp", (x) => {
    seen.push(x.regs[2], x.regs[8], x.regs[9], x.regs[10], x.regs[4]);
    x.regs[2] = x.regs[4] * 2;
    return x.epc + 4;
  });
  e.enter(prog.origin);
  m.run({ maxInstructions: 400 });
  assert.deepEqual(seen, [1234, 10, 11, 12, 77]);
  assert.equal(m.cpu.regs[16], 154);
  assert.equal(m.cpu.regs[17], 10, "t0 is the program's again");
});

Deno.test("Environment TypeScript handler that throws ends its environment, and the next run works", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("thrower");
  const p = e.load(asm`
        .set noreorder
        li      $t0, 0x7fffffff
        addi    $t0, $t0, 1
1:      b       1b
        nop
`);
  e.onException("Ov", () => {
    throw new Error("boom in my handler");
  });
  e.enter(p.origin);
  assert.throws(
    () => m.run(100),
    /boom in my handler/,
    "the error reaches whoever ran the machine",
  );
  assert.equal(e.alive, false);
  const exit = m.aegis.exits.at(-1)!;
  assert.match(exit.reason, /its TypeScript handler for Ov threw: boom in my handler/);
  assert.equal(exit.pc, p.origin + 8);
  assert.match(String(m.aegis.exits), /^0x0081 thrower: its TypeScript handler/);
  assert.deepEqual(checkInvariants(m.aegis), [], "the kernel is consistent");
  const next = m.aegis.createEnv("next");
  assert.equal(next.sys.null(), 0);
  assert.equal(m.run(100).reason, "instructions", "and the machine runs on");
});

Deno.test("Environment TypeScript handler that returns nothing ends its environment, saying what to return", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("silent");
  const p = e.load(asm`
        .set noreorder
        li      $t0, 0x7fffffff
        addi    $t0, $t0, 1
1:      b       1b
        nop
`);
  // deno-lint-ignore no-explicit-any
  e.onException("Ov", (() => {}) as any);
  e.enter(p.origin);
  assert.throws(() => m.run(100), /returned undefined: return "resume", a word-aligned user pc/);
  assert.equal(e.alive, false);
  assert.match(m.aegis.exits.at(-1)!.reason, /returned undefined/);
});
