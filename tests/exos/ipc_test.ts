/**
 * ExOS's IPC mechanisms as guest code, below the UNIX personality: the pipe routines and pipe'
 * (a read of an empty ring yields to its writer, a write to a full one to its reader, the end of
 * the file, EPIPE), the ring from TypeScript (wrap-around), LRPC and trusted LRPC (the result,
 * who keeps the callee-saved registers, a stray caller sent back, a dead server), and the stride
 * scheduler (shares within a slice of the tickets', clients with no slice of their own). Runs
 * are bounded by instructions; the slice clock is masked where a test steps by labels.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { ERR, SYS } from "../../aegis/abi.ts";
import {
  AddressSpace,
  connectRing,
  lrpcClient,
  lrpcServe,
  PAGE_SIZE,
  pipeReadWord,
  pipeWriteWord,
  RING,
  ringRead,
  ringWaiting,
  ringWrite,
} from "../../exos/mod.ts";
import { StrideScheduler } from "../../exos/stride.ts";
import { Lab } from "../../shell/lab.ts";
import { boot, exceptionsDuring } from "./_exos.ts";

/** Two environments with address spaces and a ring from a to b (a mmaps it, b maps it too). */
function pair(m: Lab) {
  const a = m.aegis.createEnv("a"), b = m.aegis.createEnv("b");
  const va = new AddressSpace(a), vb = new AddressSpace(b);
  const ringA = va.mmap(PAGE_SIZE);
  va.write32(ringA, 0);
  const ringB = vb.mapShared(va.share(ringA));
  connectRing(va, ringA, { reader: b.id, writer: a.id, readers: 1, writers: 1 });
  return { a, b, va, vb, ringA, ringB };
}

/** Runs the CPU to `until`; asserts that it got there. */
function runTo(m: Lab, until: number, max = 2_000_000): void {
  const r = m.run({ until, maxInstructions: max });
  assert.equal(r.reason, "breakpoint", `did not reach 0x${until.toString(16)}: ${r.reason}`);
}

Deno.test("pipe_read of an empty ring yields to its writer, which fills it; 3000 bytes arrive whole", () => {
  const m = boot();
  const x = pair(m);
  const r = x.va.routines;
  // a writes 3000 bytes (more than the ring holds) in one pipe_write; b reads them in 100s.
  const writer = x.va.load(asm`
        .set    noreorder
go:     li      $a0, ${x.ringA}
        lui     $a1, %hi(buf)
        addiu   $a1, $a1, %lo(buf)
        li      $a2, 3000
        jal     ${r.pipeWrite}
        nop
wrote:  li      $a0, ${x.b.id}               # done: the rest of each slice to the reader
        li      $v0, ${SYS.YIELD}
        syscall
        b       wrote
        nop
        .data
buf:    .space  3000
`);
  for (let i = 0; i < 3000; i += 4) x.va.write32(writer.symbols.buf + i, i);
  const reader = x.vb.load(
    asm`
        .set    noreorder
go:     li      $s0, 0
1:      li      $a0, ${x.ringB}
        lui     $a1, %hi(buf)
        addiu   $a1, $a1, %lo(buf)
        addu    $a1, $a1, $s0
        li      $a2, 100
        jal     ${r.pipeRead}
        nop
        addu    $s0, $s0, $v0
        sltiu   $t0, $s0, 3000
        bnez    $t0, 1b
        nop
done:   b       done
        nop
        .data
buf:    .space  3000
`,
    0x00440000,
  );
  x.b.enter(x.vb.entry(reader.symbols.go));
  x.a.enter(x.va.entry(writer.symbols.go));
  const yields = () => m.stats.toJSON().syscalls.YIELD ?? 0;
  const before = yields();
  runTo(m, reader.symbols.done);
  assert.ok(yields() - before >= 2, "the full ring and the empty one each yielded");
  for (let i = 0; i < 3000; i += 4) {
    assert.equal(x.vb.read32(reader.symbols.buf + i), i, `word ${i}`);
  }
  assert.equal(ringWaiting(x.va, x.ringA), 0);
});

Deno.test("pipe_read returns 0 at the end of the file; pipe_write -EPIPE with no reader", () => {
  const m = boot();
  const x = pair(m);
  const r = x.va.routines;
  const p = x.va.load(asm`
        .set    noreorder
read:   li      $a0, ${x.ringA}
        move    $a1, $sp
        li      $a2, 4
        jal     ${r.pipeRead}
        nop
        move    $s0, $v0
read_done:
        b       read_done
        nop
write:  li      $a0, ${x.ringA}
        move    $a1, $sp
        li      $a2, 4
        jal     ${r.pipeWrite}
        nop
        move    $s0, $v0
write_done:
        b       write_done
        nop
`);
  connectRing(x.va, x.ringA, { reader: x.a.id, writer: 0, readers: 1, writers: 0 });
  x.a.enter(x.va.entry(p.symbols.read));
  runTo(m, p.symbols.read_done);
  assert.equal(m.cpu.regs[16], 0, "an empty ring with no writer: the end of the file");
  connectRing(x.va, x.ringA, { reader: 0, writer: x.a.id, readers: 0, writers: 1 });
  x.a.enter(x.va.entry(p.symbols.write));
  runTo(m, p.symbols.write_done);
  assert.equal(m.cpu.regs[16], -32, "no reader: -EPIPE");
});

Deno.test("pipe' (the inlined word read and write) passes words through the ring in order", () => {
  const m = boot();
  const x = pair(m);
  const a = x.va.load(asm`
        .set    noreorder
go:     li      $s0, ${x.ringA}
        li      $s2, 1
1:
${pipeWriteWord("$s0", "$s2", "fail", "w")}
        sltiu   $t0, $s2, 700                # 700 words: the ring wraps more than once
        bnez    $t0, 1b
        addiu   $s2, $s2, 1
done:   li      $a0, ${x.b.id}               # the rest of each slice to the reader
        li      $v0, ${SYS.YIELD}
        syscall
        b       done
        nop
fail:   b       fail
        nop
`);
  const b = x.vb.load(
    asm`
        .set    noreorder
go:     li      $s0, ${x.ringB}
        move    $s1, $zero                   # the sum of what came
        move    $s3, $zero                   # words out of order
        li      $s4, 1
1:
${pipeReadWord("$s0", "$s2", "fail", "r")}
        beq     $s2, $s4, 2f
        addu    $s1, $s1, $s2
        addiu   $s3, $s3, 1
2:      sltiu   $t0, $s4, 700
        bnez    $t0, 1b
        addiu   $s4, $s4, 1
done:   b       done
        nop
fail:   b       fail
        nop
`,
    0x00440000,
  );
  x.b.enter(x.vb.entry(b.symbols.go));
  x.a.enter(x.va.entry(a.symbols.go));
  runTo(m, b.symbols.done);
  assert.equal(m.cpu.regs[17], (700 * 701) / 2, "every word came");
  assert.equal(m.cpu.regs[19], 0, "in order");
});

Deno.test("ringRead and ringWrite take and give bytes across the ring's end", () => {
  const m = boot();
  const x = pair(m);
  const chunk = Uint8Array.from({ length: 1500 }, (_, i) => i & 0xff);
  assert.equal(ringWrite(x.va, x.ringA, chunk), 1500);
  assert.equal(ringWrite(x.va, x.ringA, chunk), RING.BYTES - 1500, "as much as there is room");
  assert.deepEqual(ringRead(x.vb, x.ringB, 1500), chunk, "the other side reads it");
  assert.equal(ringWrite(x.va, x.ringA, chunk), 1500, "room again, across the end");
  const rest = ringRead(x.vb, x.ringB, 5000);
  assert.equal(rest.length, RING.BYTES - 1500 + 1500);
  assert.deepEqual(rest.subarray(RING.BYTES - 1500), chunk);
  assert.equal(ringRead(x.vb, x.ringB, 10).length, 0, "empty");
});

/** A client a and a server b whose procedure returns its argument + 1 and counts its calls. */
function lrpcPair(m: Lab, trusted: boolean, clobber = false) {
  const a = m.aegis.createEnv("client"), b = m.aegis.createEnv("server");
  const va = new AddressSpace(a), vb = new AddressSpace(b);
  const server = vb.load(
    asm`
        .set    noreorder
proc:   lui     $t0, %hi(calls)
        lw      $t1, %lo(calls)($t0)
        addiu   $v0, $a0, 1
        addiu   $t1, $t1, 1
        sw      $t1, %lo(calls)($t0)
${clobber ? "        li $s0, 0x5a5a\n        li $s7, 0x5a5a\n        li $fp, 0x5a5a\n" : ""}
        jr      $ra
        nop
        .data
calls:  .word   0
`,
    0x00440000,
  );
  lrpcServe(vb, server.symbols.proc, { trusted });
  lrpcClient(va);
  const client = va.load(asm`
        .set    noreorder
go:     li      $s0, 0x1111
        li      $s7, 0x7777
        li      $fp, 0x8888
        li      $a0, ${b.id}
        li      $a1, 41
        jal     ${va.routines.lrpcCall}
        nop
        move    $s1, $v0
done:   b       done
        nop
`);
  return { a, b, va, vb, server, client };
}

Deno.test("lrpc calls a procedure in another address space and brings its result back", () => {
  for (const trusted of [false, true]) {
    const m = boot();
    const x = lrpcPair(m, trusted);
    assert.equal(m.aegis.slices.filter((s) => s === x.b.id).length, 0, "the server has no slice");
    x.a.enter(x.va.entry(x.client.symbols.go));
    const seen = exceptionsDuring(m, () => runTo(m, x.client.symbols.done));
    assert.equal(m.cpu.regs[17], 42, `${trusted ? "tlrpc" : "lrpc"}: 41 + 1`);
    assert.equal(x.vb.read32(x.server.symbols.calls), 1);
    assert.equal(seen[8], 2, "two system calls: the call and the reply");
    assert.deepEqual([m.cpu.regs[16], m.cpu.regs[23], m.cpu.regs[30]], [0x1111, 0x7777, 0x8888]);
  }
});

Deno.test("lrpc's server stub keeps the callee-saved registers; tlrpc trusts the procedure to", () => {
  const kept = (trusted: boolean) => {
    const m = boot();
    const x = lrpcPair(m, trusted, true); // the procedure scribbles over s0, s7 and fp
    x.a.enter(x.va.entry(x.client.symbols.go));
    runTo(m, x.client.symbols.done);
    assert.equal(m.cpu.regs[17], 42);
    return [m.cpu.regs[16], m.cpu.regs[23], m.cpu.regs[30]];
  };
  assert.deepEqual(kept(false), [0x1111, 0x7777, 0x8888], "lrpc restored them");
  assert.deepEqual(kept(true), [0x5a5a, 0x5a5a, 0x5a5a], "tlrpc left the procedure's");
});

Deno.test("lrpc_call to an environment that is gone returns NOENV; a stray call is sent back", () => {
  const m = boot();
  const x = lrpcPair(m, false);
  m.aegis.destroyEnvironment(x.b.id, "gone");
  x.a.enter(x.va.entry(x.client.symbols.go));
  runTo(m, x.client.symbols.done);
  assert.equal(m.cpu.regs[17], ERR.NOENV);

  // A third environment SCALLs the client's reply entry: it is sent back with v1 = -EPERM.
  const y = lrpcPair(m, false);
  const stray = m.aegis.createEnv("stray");
  const vs = new AddressSpace(stray);
  const s = vs.load(
    asm`
        .set    noreorder
go:     li      $a0, ${y.a.id}
        li      $v0, ${SYS.SCALL}
        syscall
        nop
answer: b       answer
        nop
`,
    0x00480000,
  );
  vs.path.call(SYS.SET_ENTRY, 0, s.symbols.answer, 0); // where the answer lands
  stray.enter(vs.entry(s.symbols.go));
  runTo(m, s.symbols.answer);
  assert.equal(m.aegis.current, stray.id, "back in the stray caller, at its entry");
  assert.equal(m.cpu.regs[2], y.a.id, "from the client it called");
  assert.equal(m.cpu.regs[3], -1, "v1 = -EPERM");
});

Deno.test("the stride scheduler gives its clients slices in proportion to their tickets", () => {
  for (const tickets of [[3, 2, 1], [1, 1], [5, 1]]) {
    const m = new Lab();
    const s = new StrideScheduler(m.aegis.createEnv("stride"));
    for (const t of tickets) {
      s.spawn(
        asm`
        .set    noreorder
start:  b       start
        nop
`,
        t,
      );
    }
    s.start();
    const give = s.program.symbols.give;
    runTo(m, give);
    const held = m.aegis.slices.filter((h) => h !== 0);
    assert.deepEqual([...held], [s.path.id], "only the scheduler holds a slice");
    for (let i = 0; i < 60; i++) runTo(m, give);
    const given = s.slices, sum = tickets.reduce((a, b) => a + b, 0);
    assert.equal(given.reduce((a, b) => a + b, 0), 61, "one choice a slice (the next one too)");
    given.forEach((g, i) => {
      const ideal = (61 * tickets[i]) / sum;
      assert.ok(Math.abs(g - ideal) <= 1, `${tickets}: client ${i} got ${g}, ideal ${ideal}`);
    });
  }
});

Deno.test("StrideScheduler refuses bad tickets and starting with no client", () => {
  const m = new Lab();
  const s = new StrideScheduler(m.aegis.createEnv("stride"));
  assert.throws(() => s.start(), /Spawn a client/);
  const loop = asm`
1:      b       1b
        nop
`;
  assert.throws(() => s.spawn(loop, 0), /Tickets 0/);
  assert.throws(() => s.spawn(loop, 1.5), /Tickets 1.5/);
});
