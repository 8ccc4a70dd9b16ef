/**
 * ExOS processes on the emulated machine: fork shares pages copy-on-write until one is written,
 * a child's writes stay its own, exec of a bad program fails cleanly, a process cannot reach
 * another's pages except shared ones, an exited owner keeps shared pages alive, faults end a
 * process with a signal its parent sees, and more processes than ASIDs still run. Every run is
 * bounded by instructions, and the processes block on console input where a test wants to look.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { ElfError } from "../../machine/elf.ts";
import { capabilityWords, ERR, SYS } from "../../aegis/abi.ts";
import { PAGE_SIZE, PTE, SIGNAL, USER } from "../../exos/mod.ts";
import { call, elf, lab, pagesOwned, unixElf } from "./_unix.ts";

const LIMIT = { maxInstructions: 20_000_000 };

/** read(0, sp, 1): blocks until the test types a byte. */
const readByte = `move $a0, $zero
        move    $a1, $sp
        li      $a2, 1
        ${call("READ")}`;

/**
 * A program that maps `pages` heap pages (each holding its own address), waits for a byte, forks,
 * and then: the child waits for a byte, writes page 5, waits again and exits 7; the parent waits
 * for it and exits with its status if its own page 5 is unchanged, else 99.
 */
function forker(pages: number) {
  return elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        li      $a0, ${pages * PAGE_SIZE}
        ${call("SBRK")}
        move    $s0, $v0
        li      $t0, ${pages}
        move    $t1, $s0
1:      sw      $t1, 0($t1)
        addiu   $t0, $t0, -1
        bnez    $t0, 1b
        addiu   $t1, $t1, ${PAGE_SIZE}
        ${readByte}
        ${call("FORK")}
        bnez    $v0, parent
        nop
        ${readByte}
        li      $t0, 0xdead
        sw      $t0, ${5 * PAGE_SIZE}($s0)
        ${readByte}
        li      $a0, 7
        ${call("EXIT")}
parent: addiu   $a0, $sp, 8
        ${call("WAIT")}
        lw      $t0, ${5 * PAGE_SIZE}($s0)
        addiu   $t1, $s0, ${5 * PAGE_SIZE}
        lw      $a0, 8($sp)
        bne     $t0, $t1, 1f
        srl     $a0, $a0, 8
        ${call("EXIT")}
1:      li      $a0, 99
        ${call("EXIT")}
`);
}

/**
 * System calls every fork makes: ENV_ALLOC; the child's library (8 ALLOC, 9 GUARANTEE,
 * SET_SAVE_AREA, 3 SET_HANDLER); its TypeScript handlers (Bp and 7 signal codes); SLICE_ALLOC;
 * the stack page copied at once (ALLOC, TLBWR). Each dirty page adds one TLBVADELETE.
 */
const FORK_SYSCALLS = 33;

Deno.test("ExOS fork shares every page until one is written, then only that page differs", () => {
  const m = lab();
  const parent = m.exos.exec(forker(20));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  const heap = parent.vm.break - 20 * PAGE_SIZE;
  const before = pagesOwned(m, parent.path.id);

  m.console.type("a"); // the parent forks; the child blocks reading, the parent waits
  assert.equal(m.exos.run(LIMIT).reason, "input");
  const child = m.exos.process(2)!;
  assert.equal(child.parent, parent);
  assert.deepEqual([parent.state, child.state], ["waiting", "reading"]);
  assert.equal(pagesOwned(m, parent.path.id), before, "the parent allocated nothing");
  assert.equal(pagesOwned(m, child.path.id), 9, "the child: its library pages and its stack page");
  const pagesOf = (p: typeof parent) =>
    [...Array(20).keys()].map((i) => p.vm.lookup(heap + i * PAGE_SIZE)!);
  for (const [a, b] of pagesOf(parent).map((x, i) => [x, pagesOf(child)[i]])) {
    assert.equal(a.page, b.page, "both tables map the same page");
    assert.ok((a.flags & PTE.C) !== 0 && (b.flags & PTE.C) !== 0, "copy-on-write in both");
  }
  const fork = m.exos.lastFork!;
  assert.ok(fork.unbound >= 20, `every dirty heap page lost its binding: ${fork.unbound}`);
  assert.equal(fork.syscalls, FORK_SYSCALLS + fork.unbound);

  m.console.type("b"); // the child writes page 5
  assert.equal(m.exos.run(LIMIT).reason, "input");
  assert.equal(pagesOwned(m, child.path.id), 10, "one page copied");
  const differ = pagesOf(parent).flatMap((x, i) => x.page !== pagesOf(child)[i].page ? [i] : []);
  assert.deepEqual(differ, [5]);
  assert.equal(child.vm.read32(heap + 5 * PAGE_SIZE), 0xdead);
  assert.equal(parent.vm.read32(heap + 5 * PAGE_SIZE), heap + 5 * PAGE_SIZE, "invisible to it");
  assert.deepEqual(m.exos.cow, { copied: 1, claimed: 0 });

  m.console.type("c");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.deepEqual([child.exitStatus, parent.exitStatus], [7, 7]);
  assert.deepEqual(m.aegis.envIds, []);
  assert.equal(pagesOwned(m, parent.path.id, child.path.id), 0);
});

Deno.test("ExOS fork costs one more system call per dirty page, in both page-table structures", () => {
  for (const [pages, structure] of [[10, "linear"], [60, "clustered"]] as const) {
    const m = lab(structure);
    m.exos.exec(forker(pages));
    m.console.type("a");
    assert.equal(m.exos.run(LIMIT).reason, "input");
    const f = m.exos.lastFork!;
    assert.equal(f.syscalls, FORK_SYSCALLS + f.unbound, `${structure}, ${pages} pages`);
    assert.ok(f.unbound >= pages && f.unbound <= pages + 2, `${pages} pages: ${f.unbound}`);
    m.console.type("bc");
    assert.equal(m.exos.run(LIMIT).reason, "exited");
    assert.equal(m.exos.process(1)!.exitStatus, 7, structure);
  }
});

Deno.test("ExOS keeps an exited owner's environment while its child shares its pages", () => {
  const m = lab();
  const parent = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        li      $a0, ${PAGE_SIZE}
        ${call("SBRK")}
        move    $s0, $v0
        li      $t0, 0x5a
        sw      $t0, 0($s0)
        ${call("FORK")}
        bnez    $v0, 1f
        nop
        ${readByte}
        lw      $a0, 0($s0)                  # the page the exited parent owns
        ${call("EXIT")}
1:      move    $a0, $zero
        ${call("EXIT")}
`));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  const child = m.exos.process(2)!;
  assert.equal(parent.state, "exited");
  assert.ok(parent.alive && parent.holding, "its environment holds the shared pages");
  assert.equal(child.parent, undefined, "an orphan");
  m.console.type("x");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(child.exitStatus, 0x5a);
  assert.equal(parent.alive, false);
  assert.deepEqual(m.aegis.envIds, []);
  assert.equal(pagesOwned(m, parent.path.id, child.path.id), 0);
});

Deno.test("ExOS ends a faulting child with SIGSEGV and its parent's wait sees the signal", () => {
  const m = lab();
  const parent = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        ${call("FORK")}
        bnez    $v0, 1f
        nop
        lw      $t0, 0($zero)                # a null pointer
        li      $a0, 1
        ${call("EXIT")}
1:      addiu   $a0, $sp, 8
        ${call("WAIT")}
        lw      $a0, 8($sp)
        ${call("EXIT")}
`));
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  const child = m.exos.process(2)!;
  assert.equal(child.signal, SIGNAL.SIGSEGV);
  assert.match(
    child.toString(),
    /^Process 2 · exited \(SIGSEGV at pc 0x[0-9a-f]{8}, address 0x00000000\)/,
  );
  assert.equal(child.fault?.address, 0, "the faulting address is kept");
  const pc = child.fault!.pc.toString(16).padStart(8, "0");
  assert.match(Deno.inspect(m.exos.processes), new RegExp(`SIGSEGV +pc 0x${pc} 0x00000000`));
  assert.equal(parent.exitStatus, SIGNAL.SIGSEGV, "wait stored the signal number");
});

Deno.test("ExOS exec of a bad program fails cleanly and leaves the caller running", () => {
  const garbage = new TextEncoder().encode("#!/bin/sh\necho not an ELF\n");
  const bare = Deno.readFileSync(new URL("../guest/out/hello.elf", import.meta.url)); // kseg0
  for (const bytes of [garbage, unixElf("hello").slice(0, 60), bare]) {
    const m = lab();
    m.exos.files.set("/no/such/program", bytes);
    const p = m.exos.exec(unixElf("badexec"));
    assert.equal(m.exos.run(LIMIT).reason, "exited");
    assert.equal(m.console.text, "execv /no/such/program returned -8\n");
    assert.equal(p.exitStatus, 3);
  }
  // From TypeScript: an ElfError, and no environment made.
  const m = lab();
  assert.throws(() => m.exos.exec(garbage), ElfError);
  assert.throws(() => m.exos.exec(bare), /outside the program area/);
  assert.deepEqual(m.aegis.envIds, []);
});

Deno.test("ExOS exec replaces the image, keeping the pid", () => {
  const m = lab();
  const p = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        la      $a0, path
        la      $a1, argv
        ${call("EXEC")}
        move    $a0, $v0
        ${call("EXIT")}
        .data
path:   .asciiz "/test/hello"
        .align  2
argv:   .word   path, 0
`));
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(m.console.text, "hello from pid 1\n");
  assert.equal(p.exitStatus, 0);
  assert.equal(p.program, "/test/hello");
});

Deno.test("ExOS keeps a process out of another's pages, except pages shared with it", () => {
  const m = lab();
  const reader = elf(asm`
        lui     $t0, ${USER.MMAP >>> 16}
        lw      $a0, 0($t0)
        ${call("EXIT")}
`);
  // The owner reads its page last, after many slices, so it does not exit before c reads.
  const owner = elf(asm`
        li      $t1, 200000
1:      addiu   $t1, $t1, -1
        bnez    $t1, 1b
        nop
        lui     $t0, ${USER.MMAP >>> 16}
        lw      $a0, 0($t0)
        ${call("EXIT")}
`);
  const a = m.exos.exec(owner), b = m.exos.exec(reader), c = m.exos.exec(reader);
  a.vm.mmap(PAGE_SIZE);
  a.vm.write32(USER.MMAP, 42);
  c.vm.mapShared(a.vm.share(USER.MMAP));
  // b has nothing there; a's page with a capability b makes up is refused.
  const page = a.vm.lookup(USER.MMAP)!.page;
  for (const cap of [0n, 1n, 0x12345678n, b.vm.lookup(USER.STACK_TOP - PAGE_SIZE)!.capability]) {
    const [lo, hi] = capabilityWords(cap);
    assert.equal(b.path.call(SYS.TLBWR, USER.MMAP, page, lo, hi, 0).v0, ERR.CAP);
  }
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(a.exitStatus, 42);
  assert.equal(b.signal, SIGNAL.SIGSEGV);
  assert.equal(c.exitStatus, 42, "the shared page");
});

Deno.test("ExOS runs more processes than there are ASIDs and slice positions", () => {
  const m = lab();
  const procs = [...Array(70).keys()].map(() => m.exos.exec("/test/hello"));
  assert.ok(m.aegis.envIds.length === 70);
  const r = m.exos.run({ maxInstructions: 50_000_000 });
  assert.equal(r.reason, "exited");
  const lines = m.console.text.trimEnd().split("\n").sort();
  assert.deepEqual(lines, procs.map((p) => `hello from pid ${p.pid}`).sort());
  assert.ok(procs.every((p) => p.exitStatus === 0));
});

Deno.test("ExOS prints processes one per line and as a table", () => {
  const m = lab();
  const p = m.exos.exec("/test/exitcode");
  assert.match(String(p), /^Process 1 · runnable · env 0x[0-9a-f]+ · \d+ pages · break 0x00402000/);
  m.exos.run(LIMIT);
  assert.match(String(p), /^Process 1 · exited \(exit 42\) · env 0x[0-9a-f]+ · - pages/);
  const table = Deno.inspect(m.exos.processes);
  assert.match(table, /^pid +ppid +state +status +fault +env +pages +break +program$/m);
  assert.match(table, /^1 +- +exited +42 +- +0x[0-9a-f]+ +- +0x00402000 +\/test\/exitcode$/m);
  assert.equal(
    String(m.exos),
    "ExOS · 1 processes: 0 runnable, 0 waiting, 0 reading, 0 writing, 0 sleeping, 0 zombie, " +
      "1 exited",
  );
});
