/**
 * ExOS virtual memory on the emulated machine: the guest miss handler maps sbrk pages on demand,
 * prot sends accesses to the application's handler and unprot lets them complete, dirty bits
 * follow writes, a fault leaves every register as it was, two environments share a page, and one
 * environment cannot reach another's pages except those it was granted.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm, disassemble } from "../../machine/asm/mod.ts";
import { capabilityWords, ERR, SYS, TLBWR } from "../../aegis/abi.ts";
import { CP0, EXC } from "../../machine/cp0.ts";
import {
  type AddressSpaceOptions,
  DATA,
  FAULT,
  LIB,
  PAGE_SIZE,
  PTE,
  USER,
} from "../../exos/mod.ts";
import type { Lab } from "../../shell/lab.ts";
import { DEADLINE_INTERRUPT, E, stlbOffset } from "../../aegis/layout.ts";
import {
  boot,
  exceptionsDuring,
  proc,
  resume,
  runTo,
  stlbHolds,
  STRUCTURES,
  wipeTranslations,
} from "./_exos.ts";
import { fromFileUrl } from "../_paths.ts";
import { lab, unixElf, unixExpected } from "./_unix.ts";
import { dirname, join, relative, resolve } from "node:path";

/** A handler that records (a0, a1, a2, a3) at `record` and unprotects the faulting page. */
function recordingHandler(record: number, unprot: number): string {
  return `
handler:
        li      $t0, ${record}
        sw      $a0, 0($t0)
        sw      $a1, 4($t0)
        sw      $a2, 8($t0)
        sw      $a3, 12($t0)
        lw      $t1, 16($t0)
        addiu   $sp, $sp, -8
        addiu   $t1, $t1, 1
        sw      $t1, 16($t0)                 # calls
        sw      $ra, 4($sp)
        jal     ${unprot}
        li      $a1, 1
        lw      $ra, 4($sp)
        addiu   $sp, $sp, 8
        jr      $ra
        nop`;
}

/**
 * A process whose program sets every register it may (hi and lo too) to a known value, then
 * misses on one page (the fast path) and stores to a protected one (an upcall to
 * recordingHandler), stopping at `done`; with what it set, to check afterwards.
 */
function everyRegister(m: Lab, name: string, options: AddressSpaceOptions = {}) {
  const p = proc(m, name, options);
  const { vm } = p;
  const a = vm.mmap(PAGE_SIZE), b = vm.mmap(PAGE_SIZE), record = vm.mmap(PAGE_SIZE);
  const set = [...Array(29).keys()].filter((r) => r >= 1 && ![16, 17, 26, 27].includes(r));
  const value = (r: number) => 0x5000 + r * 0x111;
  const prog = vm.load(asm`
        .set    noreorder
        .set    noat
main:   li      $s0, ${a}
        li      $s1, ${b}
        li      $t0, 0x1234
        mthi    $t0
        li      $t0, 0x5678
        mtlo    $t0
${set.map((r) => `        li      $${r}, ${value(r)}`).join("\n")}
        lw      $zero, 0($s0)                # a miss: the page is not bound
        sw      $zero, 4($s1)                # an upcall: the page is protected
done:   b       done
        nop
${recordingHandler(record, vm.routines.unprot)}
`);
  vm.setFaultHandler(prog.symbols.handler);
  vm.prot(b);
  /** Asserts that every register is what the program set, and the handler ran once. */
  const check = (where: string) => {
    assert.equal(vm.read32(record + 16), 1, `${where}: the handler ran once`);
    assert.deepEqual(set.map((r) => m.cpu.regs[r]), set.map(value), where);
    assert.deepEqual([m.cpu.regs[16], m.cpu.regs[17]], [a, b], where);
    assert.deepEqual([m.cpu.hi, m.cpu.lo], [0x1234, 0x5678], where);
    assert.equal(m.cpu.regs[29], USER.STACK_TOP, `${where}: sp, as the start stub set it`);
  };
  return { p, prog, check };
}

for (const structure of STRUCTURES) {
  Deno.test(`AddressSpace (${structure}) maps 200 sbrk pages on demand in guest code`, () => {
    const m = boot();
    const p = proc(m, "heap", { structure });
    const { vm } = p;
    const prog = vm.load(asm`
        .set    noreorder
fill:   move    $s0, $a0
        li      $s1, 200
1:      sw      $s1, 8($s0)
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
filled: b       filled
        nop
sum:    move    $s0, $a0
        li      $s1, 200
        move    $s2, $zero
1:      lw      $t0, 8($s0)
        addiu   $s1, $s1, -1
        addu    $s2, $s2, $t0
        bnez    $s1, 1b
        addiu   $s0, $s0, ${PAGE_SIZE}
summed: b       summed
        nop
`);
    const heap = vm.sbrk(200 * PAGE_SIZE);
    assert.equal(heap, USER.PROGRAM + PAGE_SIZE);
    const s = prog.symbols;
    const run = (from: number, to: number) =>
      exceptionsDuring(m, () => {
        p.env.enter(vm.entry(from));
        m.cpu.regs[4] = heap; // a0 (the start stub keeps it)
        resume(m, to);
      });
    const filling = run(s.fill, s.filled);
    assert.ok(filling[EXC.TLBS] >= 200); // each store missed (and library refills may add some)
    assert.equal(filling[EXC.Sys], 200); // the guest handler bound each page with one TLBWR
    assert.ok(vm.dirty(heap) && vm.dirty(heap + 199 * PAGE_SIZE));
    wipeTranslations(m, p);
    const summing = run(s.sum, s.summed);
    assert.equal(m.cpu.regs[18], (200 * 201) / 2); // s2: every page kept its word
    assert.ok(summing[EXC.TLBL] >= 200);
    assert.equal(summing[EXC.Sys], 201); // bound again, one TLBWR per page and the program's
    assert.equal(m.aegis.exits.length, 0);
  });

  Deno.test(`AddressSpace (${structure}) sends prot faults to the handler, unprot ends them`, () => {
    const m = boot();
    const p = proc(m, "prot", { structure });
    const { vm } = p;
    const page = vm.mmap(PAGE_SIZE), record = vm.mmap(PAGE_SIZE); // record: not bound yet
    const prog = vm.load(asm`
        .set    noreorder
main:   li      $s0, ${page + 0x124}
trap:   lw      $s1, 0($s0)
done:   b       done
        nop
${recordingHandler(record, vm.routines.unprot)}
`);
    vm.write32(page + 0x124, 0xabcd);
    vm.setFaultHandler(prog.symbols.handler);
    assert.equal(vm.prot(page), 0);
    assert.ok((vm.lookup(page)!.flags & PTE.P) !== 0);
    assert.throws(() => p.env.read32(page + 0x124), /binding/); // the binding went with prot
    runTo(m, p, prog.symbols.main, prog.symbols.done);
    assert.equal(m.cpu.regs[17], 0xabcd); // s1: the load completed after the handler
    const rec = [0, 4, 8, 12, 16].map((o) => vm.read32(record + o) >>> 0);
    assert.deepEqual(rec, [page + 0x124, FAULT.PROT, prog.symbols.trap, EXC.TLBL, 1]);
    assert.equal(vm.lookup(page)!.flags & PTE.P, 0);
  });

  Deno.test(`AddressSpace (${structure}) prot, unprot and dirty work from guest code`, () => {
    const m = boot();
    const p = proc(m, "routines", { structure });
    const { vm } = p;
    const page = vm.mmap(PAGE_SIZE), record = vm.mmap(PAGE_SIZE);
    const r = vm.routines;
    const prog = vm.load(asm`
        .set    noreorder
main:   li      $s0, ${page}
        jal     ${r.dirty}
        move    $a0, $s0
        move    $s1, $v0                     # clean: 0
        lw      $t0, 0($s0)                  # a load binds it read-only
        jal     ${r.dirty}
        move    $a0, $s0
        move    $s2, $v0                     # still clean: 0
        sw      $s0, 0($s0)                  # Mod: the library dirties it
        jal     ${r.dirty}
        move    $a0, $s0
        move    $s3, $v0                     # dirty: 1
        move    $a0, $s0
        jal     ${r.prot}
        li      $a1, 1
        move    $s4, $v0                     # 0 pages missing
protected:
        lw      $s5, 0($s0)                  # the handler unprotects
        li      $a0, 0x00900000
        jal     ${r.unprot}
        li      $a1, 2
        move    $s6, $v0                     # 2 pages missing
        jal     ${r.dirty}
        li      $a0, 0x00900000
        move    $s7, $v0                     # not mapped: -1
        li      $a0, 0x1000
        jal     ${r.prot}
        li      $a1, 1
        move    $t9, $v0                     # a library address: -1
done:   b       done
        nop
${recordingHandler(record, r.unprot)}
`);
    vm.setFaultHandler(prog.symbols.handler);
    runTo(m, p, prog.symbols.main, prog.symbols.protected);
    const regs = (...n: number[]) => n.map((i) => m.cpu.regs[i]);
    assert.deepEqual(regs(17, 18, 19, 20), [0, 0, 1, 0]);
    assert.ok((vm.lookup(page)!.flags & PTE.P) !== 0); // the guest's prot is in the table
    resume(m, prog.symbols.done);
    assert.deepEqual(regs(21, 22, 23, 25), [page, 2, -1, -1]);
    assert.equal(vm.read32(record + 16), 1);
    assert.equal(vm.dirty(page), true);
  });

  Deno.test(`AddressSpace (${structure}) dirty is false before a write and true after`, () => {
    const m = boot();
    const p = proc(m, "dirty", { structure });
    const { vm } = p;
    const page = vm.mmap(PAGE_SIZE);
    const prog = vm.load(asm`
        .set    noreorder
load:   lw      $t0, ${0x10}($s0)
loaded: b       loaded
        nop
store:  sw      $s0, ${0x10}($s0)
stored: b       stored
        nop
`);
    const s = prog.symbols;
    const run = (from: number, to: number) => {
      p.env.enter(vm.entry(from));
      m.cpu.regs[16] = page;
      resume(m, to);
    };
    assert.equal(vm.dirty(page), false);
    run(s.load, s.loaded);
    assert.equal(vm.dirty(page), false); // reading does not dirty
    run(s.store, s.stored);
    assert.equal(vm.dirty(page), true);
    vm.clean(page);
    assert.equal(vm.dirty(page), false);
    const again = exceptionsDuring(m, () => run(s.store, s.stored));
    assert.equal(vm.dirty(page), true);
    assert.deepEqual([again[EXC.Sys], again[EXC.Mod]], [1, 0]); // a store miss, dirty at once
    assert.equal(vm.read32(page + 0x10), page);
  });

  Deno.test(`AddressSpace (${structure}) keeps every register across a miss and an upcall`, () => {
    const m = boot();
    const { p, prog, check } = everyRegister(m, "regs", { structure });
    const seen = exceptionsDuring(m, () => runTo(m, p, prog.symbols.main, prog.symbols.done));
    assert.ok(seen[EXC.TLBL] >= 1 && seen[EXC.TLBS] >= 1);
    check("a miss and an upcall");
  });

  Deno.test(`AddressSpace (${structure}) calls the COW handler for a write to a COW page`, () => {
    const m = boot();
    const p = proc(m, "cow", { structure });
    const { vm } = p;
    const page = vm.mmap(PAGE_SIZE), record = vm.mmap(PAGE_SIZE);
    const prog = vm.load(asm`
        .set    noreorder
main:   li      $s0, ${page}
        lw      $t0, 0($s0)                  # reads are fine
write:  sw      $s0, 0($s0)
done:   b       done
        nop
cow:    li      $t0, ${record}               # record the call and stop there
        sw      $a0, 0($t0)
        sw      $a1, 4($t0)
        sw      $a3, 12($t0)
seen:   b       seen
        nop
`);
    vm.setFaultHandler(prog.symbols.cow, [FAULT.COW]);
    vm.setFlags(page, 1, PTE.C, 0);
    runTo(m, p, prog.symbols.main, prog.symbols.seen);
    const rec = [0, 4, 12].map((o) => vm.read32(record + o));
    assert.deepEqual(rec, [page, FAULT.COW, EXC.Mod]);
    assert.equal(vm.dirty(page), false);
  });
}

/** How many times each structure's guest code searches the table for a 100-page range at 8 MB. */
const SEARCHES = { linear: 1, clustered: 100, "clustered-walk": 7, inverted: 100 } as const;

for (const structure of STRUCTURES) {
  Deno.test(`AddressSpace (${structure}) walks a range as its table's algorithm says`, () => {
    const m = boot();
    const p = proc(m, "ranges", { structure });
    const { vm } = p;
    const R = vm.mmap(100 * PAGE_SIZE);
    assert.equal(R, 0x00800000); // 16-page aligned: the walk meets 7 clustered blocks
    const r = vm.routines;
    const prog = vm.load(asm`
        .set    noreorder
prot:   li      $a0, ${R}
        jal     ${r.prot}
        li      $a1, 100
protected:
        li      $a0, ${R}
        jal     ${r.unprot}
        li      $a1, 100
done:   b       done
        nop
`);
    const lookup = vm.code.symbols.pt_lookup, s = prog.symbols;
    /** Runs to `until`, counting the entries into pt_lookup and the system calls on the way. */
    const count = (until: number) => {
      let searches = 0;
      const seen = exceptionsDuring(m, () => {
        for (;;) {
          const at = m.run({ until, maxInstructions: 100_000 });
          assert.equal(at.reason, "breakpoint");
          if (m.cpu.pc === until) return;
          searches++;
        }
      });
      return { searches, syscalls: seen[EXC.Sys] };
    };
    m.break(lookup);
    p.env.enter(vm.entry(s.prot));
    assert.deepEqual(count(s.protected), { searches: SEARCHES[structure], syscalls: 1 });
    assert.deepEqual(count(s.done), { searches: SEARCHES[structure], syscalls: 0 }); // lazy
    assert.ok(vm.entries().every((e) => (e.flags & PTE.P) === 0));
  });
}

Deno.test("AddressSpace returns from faults intact when an interrupt lands in the way back", () => {
  // The way back to EPC (vm_asm.ts) ends with lw k0; lw t2; jr k0; lw k0. An interrupt may come
  // before any of them: software interrupt 0 is raised there (Aegis takes it, finds no deadline
  // due and returns, k0 = where it returned), and the program must go on as if nothing happened.
  const probe = boot();
  const code = proc(probe, "probe").vm.code;
  const jumps = [...code.text.keys()].filter((i) =>
    /^jr \$(?!ra)/.test(disassemble(code.text[i], 0))
  );
  const spots = jumps.flatMap((i) => [-2, -1, 0, 1].map((d) => code.origin + 4 * (i + d)));
  let hit = 0;
  for (const at of spots) {
    const m = boot();
    const { p, prog, check } = everyRegister(m, "interrupted");
    p.env.enter(p.vm.entry(prog.symbols.main));
    const there = m.run({ until: at, maxInstructions: 100_000 });
    if (there.reason === "breakpoint") {
      hit++;
      const taken = m.cpu.exceptionCounts[EXC.Int];
      m.cpu.writeCp0(CP0.Cause, m.cpu.cp0[CP0.Cause] | DEADLINE_INTERRUPT);
      resume(m, prog.symbols.done, 100_000);
      const where = `interrupted at 0x${at.toString(16)}`;
      assert.equal(m.cpu.exceptionCounts[EXC.Int], taken + 1, `${where}: one interrupt taken`);
      check(where);
    } else assert.equal(there.reason, "instructions"); // a way back this program never takes
  }
  assert.ok(hit >= 8, `the fast and the upcall way back were both interrupted (${hit} spots)`);
});

Deno.test("AddressSpace's resume stub starts a process intact when an interrupt lands in it", () => {
  const code = proc(boot(), "probe").vm.code;
  const jr = code.symbols.resume +
    4 *
      code.text.slice((code.symbols.resume - code.origin) / 4).findIndex((w) =>
        /^jr /.test(disassemble(w, 0))
      );
  for (const at of [jr - 8, jr - 4, jr, jr + 4]) {
    const m = lab();
    m.exos.exec(unixElf("hello"), ["hello"]);
    assert.equal(m.run({ until: at, maxInstructions: 10_000_000 }).reason, "breakpoint");
    m.cpu.writeCp0(CP0.Cause, m.cpu.cp0[CP0.Cause] | DEADLINE_INTERRUPT);
    assert.equal(m.exos.run(10_000_000).reason, "exited");
    assert.equal(m.console.text, unixExpected("hello"), `interrupted at 0x${at.toString(16)}`);
  }
});

Deno.test("AddressSpace ends the process on a fault with no handler, or inside the handler", () => {
  const m = boot();
  const p = proc(m, "lonely");
  const { vm } = p;
  const page = vm.mmap(PAGE_SIZE);
  const prog = vm.load(asm`
        .set    noreorder
main:   lw      $t0, 0($s0)
done:   b       done
        nop
handler:
        lw      $t0, 0($a0)                  # the same protected page again
        jr      $ra
        nop
`);
  vm.prot(page);
  p.env.enter(vm.entry(prog.symbols.main));
  m.cpu.regs[16] = page;
  m.run({ until: prog.symbols.done, maxInstructions: 100_000 });
  assert.equal(p.env.alive, false);
  assert.match(m.aegis.exits[0].reason, /TLBL/);

  const q = proc(m, "nested");
  const qpage = q.vm.mmap(PAGE_SIZE);
  const qprog = q.vm.load(asm`
        .set    noreorder
main:   lw      $t0, 0($s0)
done:   b       done
        nop
handler:
        lw      $t0, 0($a0)
        jr      $ra
        nop
`);
  q.vm.setFaultHandler(qprog.symbols.handler);
  q.vm.prot(qpage);
  q.env.enter(q.vm.entry(qprog.symbols.main));
  m.cpu.regs[16] = qpage;
  m.run({ until: qprog.symbols.done, maxInstructions: 100_000 });
  assert.equal(q.env.alive, false);
  assert.equal(m.aegis.exits.length, 2);
});

Deno.test("AddressSpace shares a page between two environments: each sees the other's", () => {
  const m = boot();
  const a = proc(m, "a", { structure: "linear" }), b = proc(m, "b", { structure: "clustered" });
  const va = a.vm.mmap(PAGE_SIZE);
  const vb = b.vm.mapShared(a.vm.share(va));
  assert.ok((b.vm.lookup(vb)!.flags & PTE.FOREIGN) !== 0);
  const src = asm`
        .set    noreorder
main:   lw      $s1, 4($s0)                  # what the other wrote
        sw      $s2, 0($s0)                  # ours
done:   b       done
        nop
`;
  const pa = a.vm.load(src), pb = b.vm.load(src);
  const run = (p: typeof a, prog: typeof pa, at: number, mine: number) => {
    p.env.enter(p.vm.entry(prog.symbols.main));
    m.cpu.regs[16] = at;
    m.cpu.regs[18] = mine;
    resume(m, prog.symbols.done);
    return m.cpu.regs[17];
  };
  b.vm.write32(vb + 4, 0xb0b);
  assert.equal(run(a, pa, va, 0xa11ce), 0xb0b);
  assert.equal(b.vm.read32(vb), 0xa11ce);
  a.vm.write32(va + 4, 0xcafe);
  assert.equal(run(b, pb, vb, 0xbeef), 0xcafe);
  assert.equal(a.vm.read32(va), 0xbeef);
  assert.ok(b.vm.dirty(vb) && a.vm.dirty(va));
  // Unmapping the foreign page in b leaves a's page alone.
  b.vm.munmap(vb, PAGE_SIZE);
  assert.equal(a.vm.read32(va), 0xbeef);
  assert.equal(m.aegis.exits.length, 0);
});

Deno.test("AddressSpace keeps an environment out of another's pages unless granted", () => {
  const m = boot();
  const a = proc(m, "owner"), b = proc(m, "intruder");
  const va = a.vm.mmap(PAGE_SIZE);
  a.vm.write32(va, 0x600d);
  const page = a.vm.lookup(va)!.page;
  const own = b.vm.mmap(PAGE_SIZE);
  // TLBWR of a's page with b's own capability, with none, with a guess: refused.
  for (const cap of [b.vm.lookup(own)!.capability, 0n, 0x12345678n]) {
    const [lo, hi] = capabilityWords(cap);
    assert.equal(b.env.call(SYS.TLBWR, 0x00a00000 | TLBWR.WRITABLE, page, lo, hi).v0, ERR.CAP);
    assert.equal(b.env.call(SYS.TLBWR, 0x00a00000, page, lo, hi).v0, ERR.CAP);
  }
  assert.throws(
    () => b.vm.mapShared({ page, capability: 0x12345678n, writable: false }),
    /TLBWR.*CAP/,
  );
  assert.equal(b.vm.lookup(USER.MMAP + PAGE_SIZE), undefined); // nothing was mapped
  // A read-only grant: b reads the page, and its store is refused (the process ends).
  const ro = b.vm.mapShared(a.vm.share(va, { writable: false }));
  assert.equal(b.vm.read32(ro), 0x600d);
  assert.throws(() => b.vm.write32(ro, 1), /not writable/);
  const prog = b.vm.load(asm`
        .set    noreorder
main:   lw      $s1, 0($s0)
        nop
        sw      $s1, 4($s0)
done:   b       done
        nop
`);
  b.env.enter(b.vm.entry(prog.symbols.main));
  m.cpu.regs[16] = ro;
  m.run({ until: prog.symbols.done, maxInstructions: 100_000 });
  assert.equal(b.env.alive, false);
  assert.match(m.aegis.exits[0].reason, /Mod/);
  assert.equal(a.vm.read32(va + 4), 0);
  // An unmapped address faults: with no handler, the process ends.
  const c = proc(m, "stray");
  const cprog = c.vm.load(asm`
        .set    noreorder
main:   lw      $t0, 0($s0)
done:   b       done
        nop
`);
  c.env.enter(c.vm.entry(cprog.symbols.main));
  m.cpu.regs[16] = va; // a's address, not mapped in c
  m.run({ until: cprog.symbols.done, maxInstructions: 100_000 });
  assert.equal(c.env.alive, false);
  assert.equal(a.vm.read32(va), 0x600d);
});

Deno.test("AddressSpace keeps every environment's library bindings in the STLB", () => {
  const m = boot();
  // ASIDs 1..8 include pairs that differ in one bit: the slots of pages 1 and 9 would meet.
  const procs = [...Array(8).keys()].map((i) => proc(m, `p${i}`));
  for (const p of procs) {
    for (let va = LIB.CODE; va < LIB.END; va += PAGE_SIZE) {
      assert.ok(stlbHolds(m, va, p.env.asid), `${p.env}: 0x${va.toString(16)} was evicted`);
    }
  }
  // The rule behind it (layout.ts), for every pair of ASIDs: library slots never meet each
  // other's, nor those of any user page.
  const libSlots = (asid: number) =>
    [...Array(8).keys()].map((i) => stlbOffset(LIB.CODE + i * PAGE_SIZE, asid));
  const all = new Set<number>();
  for (let asid = 1; asid < 64; asid++) for (const s of libSlots(asid)) all.add(s);
  assert.equal(all.size, 63 * 8);
  for (let asid = 1; asid < 64; asid += 7) {
    for (let va = USER.MIN; va < USER.MMAP_END; va += PAGE_SIZE) {
      assert.ok(!all.has(stlbOffset(va, asid)), `0x${va.toString(16)}`);
    }
    for (let va = USER.STACK_LIMIT; va < USER.STACK_TOP; va += PAGE_SIZE) {
      assert.ok(!all.has(stlbOffset(va, asid)), `0x${va.toString(16)}`);
    }
  }
  assert.equal(procs[0].vm.read32(LIB.DATA + DATA.XF), LIB.DATA + DATA.FRAME_A);
});

Deno.test("AddressSpace guarantees the library's pages: a recycled ASID loses none of them", () => {
  const m = boot();
  const first = proc(m, "first");
  assert.equal(m.aegis.field(first.env.id, E.GUARANTEED_COUNT), 8);
  const prog = first.vm.load(asm`
        .set    noreorder
main:   li      $s0, 0x00401000
        lw      $t0, 4($s0)
        nop
        addiu   $t0, $t0, 1
        sw      $t0, 8($s0)
done:   b       done
        nop
`);
  assert.equal(first.vm.sbrk(PAGE_SIZE), 0x00401000);
  for (let i = 0; i < 63; i++) proc(m, `p${i}`);
  assert.equal(first.env.asid, 0, "its ASID went to another: every binding of it purged");
  first.vm.write32(0x00401004, 5); // TypeScript reaches the table again
  wipeTranslations(m); // and the guest's miss handler runs with nothing bound
  runTo(m, first, prog.symbols.main, prog.symbols.done);
  assert.equal(first.vm.read32(0x00401008), 6);
});

Deno.test("AddressSpace refuses memory outside the layout", () => {
  const m = boot();
  const { vm } = proc(m, "layout");
  assert.throws(() => vm.mmap(PAGE_SIZE, { at: 0x00300000 }), RangeError);
  assert.throws(() => vm.mmap(PAGE_SIZE, { at: USER.MMAP_END - PAGE_SIZE / 2 }), RangeError);
  assert.throws(() => vm.sbrk(USER.MMAP), RangeError);
  assert.throws(() => vm.prot(0x2000), /library/);
  const first = vm.mmap(PAGE_SIZE);
  assert.throws(() => vm.mmap(PAGE_SIZE, { at: first }), /already mapped/);
  // sbrk down frees the pages above the new break.
  const brk = vm.sbrk(3 * PAGE_SIZE);
  vm.sbrk(-2 * PAGE_SIZE);
  assert.equal(vm.break, brk + PAGE_SIZE);
  assert.equal(vm.lookup(brk + PAGE_SIZE), undefined);
  assert.ok(vm.lookup(brk) !== undefined);
});

Deno.test("exos imports only exos/, aegis/abi.ts and the machine's tools", () => {
  // tests/layers_test.ts checks every layer; this is the same rule for exos/ alone, kept here.
  const root = resolve(dirname(fromFileUrl(import.meta.url)), "../..");
  const ok = (t: string) =>
    t.startsWith("exos/") || t === "aegis/abi.ts" || t.startsWith("machine/asm/") ||
    t === "machine/elf.ts";
  const bad: string[] = [];
  for (const f of Deno.readDirSync(join(root, "exos"))) {
    if (!f.name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(join(root, "exos", f.name));
    for (const [, spec] of text.matchAll(/\bfrom\s*["'](\.[^"']+)["']/g)) {
      const target = relative(root, resolve(root, "exos", spec));
      if (!ok(target)) bad.push(`exos/${f.name} -> ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});
