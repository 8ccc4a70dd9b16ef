/**
 * Signals and shared memory below the test programs (tests/guest/unix/signals.c and shm.c cover
 * the UNIX calls end to end): a handler delivered at the start of a slice to a process that never
 * makes a call gets every register, hi and lo back when it returns; m.exos.kill's default action
 * and its errors; SIGKILL through SIG_IGN; EINTR for a console read; a fault's pc and address in
 * the table; a read-only attachment bound with the read-only capability; a segment outliving
 * its creator until the last process detaches. Runs are bounded by instructions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { SHM, SIGNAL } from "../../exos/mod.ts";
import { call, elf, lab, pagesOwned } from "./_unix.ts";

const LIMIT = { maxInstructions: 20_000_000 };

/** Registers the program below sets and checks: all but zero, s0 and s1 (scratch), sp, k0, k1. */
const CHECKED = [...Array(32).keys()].filter((r) => ![0, 16, 17, 26, 27, 29].includes(r));

/** The value register r holds. */
const value = (r: number) => (0x10001 * r + 0x7000) | 0;

/**
 * A program that installs a SIGUSR1 handler which clobbers every register a handler may (t0-t9,
 * a0-a3, v0, v1, at, hi, lo) and sets a flag, writes "r" to say so, sets every checked register
 * and hi and lo, spins until the flag is set (no call in the loop), then checks them all: exit 0,
 * or the number of the first register that changed (32 hi, 33 lo).
 */
const keeper = elf(asm`
        .set    noreorder
        .set    noat
__start:
        addiu   $sp, $sp, -32
        li      $a0, ${SIGNAL.SIGUSR1}
        la      $a1, handler
        ${call("SIGACTION")}
        li      $a0, 1
        la      $a1, ready
        li      $a2, 1
        ${call("WRITE")}
        li      $s0, 0x0badcafe
        mthi    $s0
        li      $s0, 0x0facade0
        mtlo    $s0
${CHECKED.map((r) => `        li      $${r}, ${value(r)}`).join("\n")}
spin:   lui     $s1, %hi(flag)
        lw      $s0, %lo(flag)($s1)
        nop
        beqz    $s0, spin
        nop
${
  CHECKED.map((r) =>
    `        li      $s0, ${value(r)}\n        bne     $s0, $${r}, bad\n        li      $s1, ${r}`
  ).join("\n")
}
        mfhi    $s0
        li      $s1, 0x0badcafe
        bne     $s0, $s1, bad
        li      $s1, 32
        mflo    $s0
        li      $s1, 0x0facade0
        bne     $s0, $s1, bad
        li      $s1, 33
        move    $s1, $zero
bad:    move    $a0, $s1
        ${call("EXIT")}
handler:
${
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25]
    .map((r) => `        li      $${r}, 0x66666666`).join("\n")
}
        li      $t0, 7
        mult    $t0, $t0                     # hi and lo too
        lui     $t0, %hi(flag)
        li      $t1, 1
        jr      $ra
        sw      $t1, %lo(flag)($t0)
        .data
ready:  .ascii  "r"
        .align  2
flag:   .word   0
`);

Deno.test("a handler delivered at a slice's start gives back every register, hi and lo", () => {
  for (const structure of ["linear", "clustered"] as const) {
    const m = lab(structure);
    const p = m.exos.exec(keeper);
    while (m.console.text !== "r") m.exos.run({ maxInstructions: 10_000 });
    m.exos.run({ maxInstructions: 200_000 }); // into its loop, which makes no call
    assert.equal(p.state, "runnable");
    m.exos.kill(p.pid, "SIGUSR1");
    assert.equal(m.exos.run(LIMIT).reason, "exited");
    assert.equal(p.exitStatus, 0, `${structure}: register ${p.exitStatus} changed`);
  }
});

/** A program that ignores SIGTERM and spins. */
const stubborn = elf(asm`
        .set    noreorder
__start:
        li      $a0, ${SIGNAL.SIGTERM}
        li      $a1, 1                       # SIG_IGN
        ${call("SIGACTION")}
spin:   b       spin
        nop
`);

Deno.test("m.exos.kill: a default action ends the process, SIGKILL gets through SIG_IGN", () => {
  const m = lab();
  const spinner = m.exos.exec(elf(asm`
1:      b       1b
        nop
`));
  const p = m.exos.exec(stubborn);
  m.exos.run({ maxInstructions: 300_000 });
  m.exos.kill(spinner.pid); // SIGTERM by default
  m.exos.kill(p.pid, SIGNAL.SIGTERM);
  m.exos.run({ maxInstructions: 300_000 });
  assert.equal(spinner.signal, SIGNAL.SIGTERM);
  assert.equal(p.waitStatus, undefined, "it ignores SIGTERM");
  m.exos.kill(p.pid, "KILL");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.signal, SIGNAL.SIGKILL);
  assert.match(p.how, /^exited \(SIGKILL\)$/);
});

Deno.test("m.exos.kill refuses a pid with no live process and an unknown signal", () => {
  const m = lab();
  assert.throws(() => m.exos.kill(1), /No live process 1: m\.exos\.processes lists them/);
  const p = m.exos.exec(stubborn);
  assert.throws(() => m.exos.kill(p.pid, "SIGNOPE"), /Unknown signal SIGNOPE: give 1 to 31/);
  assert.throws(() => m.exos.kill(p.pid, 40), /Unknown signal 40/);
  m.exos.kill(p.pid, "SIGKILL");
  m.exos.run(LIMIT);
  assert.throws(() => m.exos.kill(p.pid), /No live process/);
});

Deno.test("a console read interrupted by a caught signal returns -EINTR", () => {
  const m = lab();
  const p = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        li      $a0, ${SIGNAL.SIGUSR2}
        la      $a1, handler
        ${call("SIGACTION")}
        move    $a0, $zero
        move    $a1, $sp
        li      $a2, 1
        ${call("READ")}
        sub     $a0, $zero, $v0              # exit with -v0: 4 for EINTR
        ${call("EXIT")}
handler:
        jr      $ra
        nop
`));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  assert.equal(p.state, "reading");
  m.exos.kill(p.pid, SIGNAL.SIGUSR2);
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.exitStatus, 4);
});

Deno.test("a fault's pc and address stay in the process table after the process is gone", () => {
  const m = lab();
  const program = asm`
        .set    noreorder
__start:
        li      $t0, 0x00badbad & ~3
here:   sw      $zero, 0($t0)
        nop
`;
  const p = m.exos.exec(elf(program));
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(p.signal, SIGNAL.SIGSEGV);
  assert.deepEqual(p.fault, { pc: program.at(0x00400000).symbols.here, address: 0x00badbac });
  assert.match(p.how, /SIGSEGV at pc 0x00400008, address 0x00badbac/);
});

Deno.test("a read-only attachment is bound with the read-only capability: Aegis refuses the store", () => {
  const m = lab();
  const creator = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        li      $a0, 42
        li      $a1, 4096
        li      $a2, ${SHM.IPC_CREAT | 0o644}
        ${call("SHMGET")}
        move    $a0, $v0
        move    $a1, $zero
        move    $a2, $zero
        ${call("SHMAT")}
        li      $t0, 1234
        sw      $t0, 0($v0)
        move    $a0, $zero                   # wait for a byte, keeping the segment alive
        addiu   $sp, $sp, -16
        move    $a1, $sp
        li      $a2, 1
        ${call("READ")}
        move    $a0, $zero
        ${call("EXIT")}
`));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  const reader = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        li      $a0, 42
        move    $a1, $zero
        move    $a2, $zero
        ${call("SHMGET")}
        move    $a0, $v0
        move    $a1, $zero
        li      $a2, ${SHM.SHM_RDONLY}
        ${call("SHMAT")}
        lw      $s0, 0($v0)                  # reads
        move    $s1, $v0
        nop
        sw      $s0, 0($s1)                  # and stores: SIGSEGV
        move    $a0, $s0
        ${call("EXIT")}
`));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  assert.equal(reader.signal, SIGNAL.SIGSEGV);
  const mine = creator.vm.entries().find((e) => (e.flags & 0x040) !== 0)!;
  const theirs = reader.fault!;
  assert.ok(theirs.address !== undefined && theirs.address >= 0x00800000, "in its mmap area");
  // The creator's mapping carries the read-write capability; the reader got another one.
  assert.notEqual(m.aegis.capabilityOf(mine.page), 0n);
  assert.equal(mine.capability, m.aegis.capabilityOf(mine.page));
  m.console.type("x");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(creator.exitStatus, 0);
});

Deno.test("a segment outlives its creator while attached, and its pages go with the last user", () => {
  const m = lab();
  // The parent makes and attaches a segment, forks, and exits; the child, attached through the
  // fork, writes to it after a byte arrives, reads it back and exits with what it read.
  const p = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -16
        move    $a0, $zero
        li      $a1, 8192
        li      $a2, ${SHM.IPC_CREAT | 0o600}
        ${call("SHMGET")}
        move    $a0, $v0
        move    $a1, $zero
        move    $a2, $zero
        ${call("SHMAT")}
        move    $s0, $v0
        ${call("FORK")}
        bnez    $v0, parent
        nop
        move    $a0, $zero
        move    $a1, $sp
        li      $a2, 1
        ${call("READ")}
        li      $t0, 77
        sw      $t0, 4096($s0)
        lw      $a0, 4096($s0)
        ${call("EXIT")}
parent: move    $a0, $zero
        ${call("EXIT")}
`));
  assert.equal(m.exos.run(LIMIT).reason, "input");
  const child = m.exos.process(2)!;
  assert.equal(p.state, "exited");
  assert.ok(p.alive && p.holding, "the creator's environment holds the segment's pages");
  assert.ok(pagesOwned(m, p.path.id) >= 2);
  m.console.type("x");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(child.exitStatus, 77);
  assert.deepEqual(m.aegis.envIds, [], "both environments ended");
  assert.equal(pagesOwned(m, p.path.id, child.path.id), 0, "no page left behind");
});

Deno.test("a process whose environment Aegis ends behind the library counts as killed", () => {
  const m = lab();
  const p = m.exos.exec(elf(asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -16
        ${call("FORK")}
        bnez    $v0, parent
        nop
1:      b       1b                           # the child spins
        nop
parent: move    $a0, $sp
        ${call("WAIT")}
        lw      $a0, 0($sp)
        ${call("EXIT")}
`));
  m.exos.run({ maxInstructions: 300_000 });
  const child = m.exos.process(2)!;
  m.aegis.destroyEnvironment(child.path.id, "ended by the host");
  assert.equal(m.exos.run(LIMIT).reason, "exited");
  assert.equal(child.signal, SIGNAL.SIGKILL);
  assert.match(child.failure!, /ended outside the library/);
  assert.equal(p.exitStatus, SIGNAL.SIGKILL, "its parent's wait saw it");
});
