/**
 * The bench's debugger through the lab (shell/debugger.ts, shell/lab.ts): breakpoints on
 * addresses, symbols, exceptions and system calls; watchpoints; stepping and `next`; the
 * trace; Ctrl-C; deaths reported by the run; and statistics that are the same whether the CPU
 * runs fast or one instruction at a time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { EXC } from "../../machine/cp0.ts";
import { SYS } from "../../aegis/abi.ts";
import { Lab, type LabOptions } from "../../shell/lab.ts";
import type { Engine } from "../../machine/cpu.ts";
import { ctrlC } from "../../shell/interrupt.ts";

/** A lab with environment "bench" entered at a program that counts down, faults, then spins. */
function bench(options: LabOptions = {}) {
  const m = new Lab(options);
  const e = m.aegis.createEnv("bench");
  const prog = e.load(asm`
        .set noreorder
        li      $t0, 3
loop:   addiu   $t0, $t0, -1
        bnez    $t0, loop
        nop
        jal     leaf
        nop
        lui     $t4, 0x2000
        sw      $t0, 0($t4)          # no binding yet: TLBS, the handler maps it
        lw      $t5, 0($t4)
        li      $v0, ${SYS.GETID}
        syscall
spin:   b       spin
        nop
leaf:   jr      $ra
        addiu   $s1, $s1, 1
`);
  m.symbols.add(prog, e);
  e.onException("TLBS", (x) => {
    e.sys.tlbWrite(x.badVAddr, e.sys.allocPage(), { writable: true });
    return "resume";
  });
  e.sys.sliceAlloc();
  e.enter(prog.origin);
  return { m, e, prog, s: prog.symbols };
}

/** Captures what `fn` prints with console.log. */
function printed(fn: () => unknown): { out: string; value: unknown } {
  const log = console.log, lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const value = fn();
    return { out: lines.join("\n"), value };
  } finally {
    console.log = log;
  }
}

Deno.test("Lab break stops before the instruction at a symbol, and a run continues past it", () => {
  const { m, s } = bench();
  const b = m.break("loop");
  assert.equal(b.condition.kind, "pc");
  const r1 = m.run(10_000);
  assert.equal(r1.reason, "breakpoint");
  assert.equal(r1.pc, s.loop);
  assert.equal(r1.instructions, 1, "li ran, the addiu at loop did not");
  assert.match(
    String(r1),
    /^Breakpoint 1 \(pc 0x[0-9a-f]{8} <loop>\) · pc 0x[0-9a-f]{8} <loop> in 0x0081 bench/,
  );
  const r2 = m.run(10_000);
  assert.equal(r2.reason, "breakpoint", "the loop comes back to it");
  assert.equal(r2.instructions, 3);
  assert.equal(m.cpu.regs[8], 2);
  assert.equal(b.hits, 2);
  assert.equal(m.unbreak("loop"), 1);
  assert.equal(m.run(200).reason, "instructions");
});

Deno.test("Lab break on an exception stops at its vector, before the handler", () => {
  const { m, s } = bench();
  m.break({ exception: "TLBS" });
  const r = m.run(10_000);
  assert.equal(r.reason, "exception");
  assert.equal(r.stop?.epc, s.loop + 0x18, "the sw");
  assert.equal(r.stop?.badVAddr, 0x20000000);
  assert.equal(r.pc, 0x80000000, "the UTLB vector: a kuseg miss");
  assert.match(
    String(r),
    /Breakpoint 1 \(exception TLBS\): EPC 0x[0-9a-f]{8}, BadVAddr 0x20000000/,
  );
  assert.ok(m.cpu.kernelMode);
});

Deno.test("Lab break on a system call stops at the general vector with v0 the call", () => {
  const { m, s } = bench();
  m.break({ syscall: "GETID" });
  const sys = m.cpu.exceptionCounts[EXC.Sys];
  const r = m.run(100_000);
  assert.equal(r.reason, "syscall");
  assert.equal(r.stop?.epc, s.spin - 4, "the guest's syscall");
  assert.equal(m.cpu.pc, 0x80000080);
  assert.equal(m.cpu.regs[2], SYS.GETID);
  assert.ok(m.cpu.exceptionCounts[EXC.Sys] > sys + 1, "the handler's TLBWR ran through");
  assert.match(String(r), /^Breakpoint 1 \(system call GETID\): EPC 0x[0-9a-f]{8} · /);
});

Deno.test("Lab system calls made from TypeScript run through breakpoints", () => {
  const { m, e } = bench();
  m.break({ syscall: "NULL" });
  m.break({ exception: "Sys" });
  assert.equal(e.sys.null(), 0, "e.sys.* is not stopped halfway");
});

Deno.test("Lab watch stops after the store, the load, or either, virtual or physical", () => {
  {
    const { m, s } = bench();
    m.watch(0x20000000);
    const r = m.run(100_000);
    assert.equal(r.reason, "watchpoint");
    assert.equal(r.stop?.access, "write");
    assert.equal(r.stop?.accessPc, s.loop + 0x18);
    assert.equal(r.pc, s.loop + 0x1c, "after the store");
    assert.ok(r.stop!.physical! >= 0);
  }
  {
    const { m, s } = bench();
    m.watch(0x20000000, { access: "read" });
    const r = m.run(100_000);
    assert.equal(r.stop?.access, "read");
    assert.equal(r.stop?.accessPc, s.loop + 0x1c, "the lw, not the sw");
  }
  {
    const { m, e } = bench();
    m.watch(0x20000000);
    const pa = m.run(100_000).stop!.physical!;
    assert.equal(pa, m.aegis.physicalFor(e.id, 0x20000000));
    const again = bench();
    // Physical: the same page number comes out of the same seed and the same allocations.
    again.m.watch(pa, { physical: true, access: "both", bytes: 4 });
    const r = again.m.run(100_000);
    assert.equal(r.reason, "watchpoint");
    assert.equal(r.stop?.physical, pa);
  }
});

Deno.test("Lab step prints each instruction with the registers it changed; next steps over a call", () => {
  const { m, s } = bench();
  m.break("loop");
  m.run(1000);
  m.unbreak();
  const { out, value } = printed(() => m.step(3));
  assert.match(out, /^loop:$/m);
  assert.match(out, /^[0-9a-f]{8} {2}addiu \$t0, \$t0, -1 +t0=0x00000002$/m);
  assert.match(out, /^[0-9a-f]{8} {2}bnez \$t0, loop$/m);
  assert.equal((value as { instructions: number }).instructions, 3);
  m.run({ until: s.loop + 0xc });
  assert.equal(m.cpu.pc, s.loop + 0xc, "at the jal");
  const n = printed(() => m.next()).value as { pc: number; reason: string };
  assert.equal(n.pc, s.loop + 0x14, "after the jal's delay slot");
  assert.equal(m.cpu.regs[17], 1, "leaf ran");
});

Deno.test("Lab trace writes one line per instruction to a function or a file", () => {
  const { m } = bench();
  const lines: string[] = [];
  m.trace((l) => lines.push(l));
  m.run(6);
  m.trace(false);
  const code = lines.filter((l) => /^[0-9a-f]{8} /.test(l));
  assert.equal(code.length, 6);
  assert.match(lines[0], /^-- environment 0x0081 bench, user mode --$/);
  const path = Deno.makeTempFileSync();
  try {
    m.trace(path);
    m.run(3);
    m.trace(false);
    const text = Deno.readTextFileSync(path);
    assert.equal(text.split("\n").filter((l) => /^[0-9a-f]{8} /.test(l)).length, 3);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("Lab trace shows a store's address and the exception it raised", () => {
  const { m, s } = bench();
  const lines: string[] = [];
  m.run({ until: s.loop + 0x18 });
  m.trace((l) => lines.push(l));
  m.step(1);
  m.trace(false);
  assert.ok(
    lines.some((l) => /sw \$t0, 0\(\$t4\) +! TLBS at 0x20000000 -> 0x80000000$/.test(l)),
    lines.join("\n"),
  );
});

Deno.test("Lab run stops on Ctrl-C with reason interrupted, and the machine goes on", () => {
  const { m, e, s } = bench();
  // A handler that presses Ctrl-C stands in for the person: the run must stop soon after.
  e.onException("Bp", (x) => (ctrlC.press(), x.epc + 4));
  const prog = e.load(asm`
        break
1:      b 1b
        nop`);
  e.enter(prog.origin);
  const r = m.run();
  assert.equal(r.reason, "interrupted");
  assert.ok(r.instructions < 2_000_000, `stopped within a slice (${r.instructions})`);
  assert.match(String(r), /^Interrupted \(Ctrl-C\) · pc /);
  ctrlC.clear();
  assert.equal(m.run(1000).reason, "instructions", "and it runs on");
  assert.ok(s.loop > 0);
});

Deno.test("Lab run reports the environments that died during it, with pc and address", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("doomed");
  const prog = e.load(asm`
        lw      $t0, 8($zero)
1:      b 1b
        nop`);
  e.sys.sliceAlloc();
  e.enter(prog.origin);
  const r = m.run(10_000);
  assert.equal(r.died.length, 1);
  const d = r.died[0];
  assert.equal(d.id, e.id);
  assert.equal(d.name, "doomed");
  assert.equal(d.pc, prog.origin);
  assert.equal(d.address, 8);
  assert.match(d.reason, /unhandled TLBL/);
  assert.match(
    String(r),
    /environment 0x0081 doomed died: unhandled TLBL .*\(pc 0x00400000, address 0x00000008\)/,
  );
  assert.equal(m.run(1000).died.length, 0, "only deaths during the run");
});

Deno.test("Lab stats split instructions exactly, and stepping counts what running fast counts", () => {
  const fast = bench(), slow = bench();
  fast.m.run(200_000);
  const setup = slow.m.stats.toJSON().instructions; // the system calls that set it up
  const lines: string[] = [];
  slow.m.trace((l) => lines.push(l));
  slow.m.run(200_000);
  const a = fast.m.stats.toJSON(), b = slow.m.stats.toJSON();
  assert.deepEqual(b, a);
  assert.equal(a.kernelInstructions + a.userInstructions, a.instructions);
  assert.ok(a.userInstructions > 0 && a.kernelInstructions > 0);
  const env = a.environments["0x81"];
  assert.equal(a.syscalls.TLBWR, env.syscalls.TLBWR);
  assert.equal(a.exceptions.TLBS, 1);
  assert.equal(a.tlbMisses.utlb, a.tlbMisses.stlbHits + a.tlbMisses.stlbMisses);
  // The trace saw every instruction the stats counted (a fetch that faulted is no instruction).
  const executed = lines.filter((l) => /^[0-9a-f]{8} /.test(l) && !l.includes("(not mapped)"));
  assert.equal(executed.length, b.instructions - setup);
});

Deno.test("Lab stats count an STLB refill: a TLB entry lost and found again in the STLB", () => {
  const { m, s } = bench();
  m.run({ until: s.spin });
  // Knock the bound page out of the hardware TLB; the STLB keeps it.
  for (let i = 0; i < 64; i++) {
    if ((m.cpu.tlbHi[i] & 0xfffff000) === 0x20000000) {
      (m.cpu.tlbHi[i] = (0x80000000 | (i << 12)) | 0, m.cpu.tlbLo[i] = 0, m.cpu.invalidateCaches());
    }
  }
  m.cpu.invalidateCaches();
  m.stats.reset();
  m.cpu.pc = s.loop + 0x1c; // the lw again
  m.cpu.regs[12] = 0x20000000; // its base: the GETID since has zeroed t4 (system calls may)
  m.run(40);
  const t = m.stats.toJSON().tlbMisses;
  assert.equal(t.utlb, 1);
  assert.equal(t.stlbHits, 1);
  assert.equal(m.stats.toJSON().environments["0x81"].stlb.hits, 1);
});

Deno.test("Lab stats print names, hex ids and a row per environment, and reset", () => {
  const { m } = bench();
  m.run(50_000);
  const text = String(m.stats);
  assert.match(text, /^instructions +\d+ \(kernel \d+, user \d+\)$/m);
  assert.match(text, /^system calls +.*TLBWR \d+/m);
  assert.match(text, /^0x0081 +bench +\d+ +\d+/m);
  m.aegis.destroyEnvironment(0x81, "ended by the test");
  assert.match(String(m.stats), /^0x0081 +bench +\d+ +\d+/m, "the name outlives the environment");
  m.stats.reset();
  assert.equal(m.stats.toJSON().instructions, 0);
});

Deno.test("Lab one breakpoint (the CPU's own stop address) and several (stepping) stop alike", () => {
  const one = bench(), two = bench();
  one.m.break("loop");
  two.m.break("loop");
  two.m.break(0x7fff0000); // never reached, but it makes the CPU go one instruction at a time
  for (let i = 0; i < 3; i++) {
    const a = one.m.run(100_000), b = two.m.run(100_000);
    assert.equal(a.reason, "breakpoint");
    assert.deepEqual([b.reason, b.pc, b.instructions, b.cycles], [
      a.reason,
      a.pc,
      a.instructions,
      a.cycles,
    ]);
  }
  assert.deepEqual(two.m.stats.toJSON(), one.m.stats.toJSON());
});

/** Records every engine assigned to `m.cpu.engine` from now on (the value still takes effect). */
function engineSets(m: Lab): Engine[] {
  const sets: Engine[] = [];
  let engine = m.cpu.engine;
  Object.defineProperty(m.cpu, "engine", {
    get: () => engine,
    set: (e: Engine) => (sets.push(e), engine = e),
  });
  return sets;
}

Deno.test("Lab on the translator single-steps (several breakpoints, the trace) on the interpreter", () => {
  const { m, s } = bench({ engine: "jit" });
  const sets = engineSets(m);
  m.run(4);
  assert.deepEqual(sets, [], "nothing to stop for: the run keeps its engine");
  m.break("leaf");
  assert.equal(m.run(10_000).pc, s.leaf);
  assert.deepEqual(sets, [], "one pc breakpoint is the CPU's stop address: the engine stays");
  m.break("spin");
  assert.equal(m.run(10_000).pc, s.spin, "two breakpoints: the next stop is spin");
  assert.deepEqual(sets.slice(0, 2), ["interp", "jit"], "the interpreter, then the jit back");
  assert.equal(m.cpu.engine, "jit");
  m.unbreak();
  const seen = new Set<Engine>();
  m.trace(() => seen.add(m.cpu.engine));
  m.run(20);
  m.trace(false);
  assert.deepEqual([...seen], ["interp"], "every trace line is written on the interpreter");
  assert.equal(m.cpu.engine, "jit");
  sets.length = 0;
  m.run(50);
  assert.deepEqual(sets, [], "with all of it off, the translator runs alone again");
});
