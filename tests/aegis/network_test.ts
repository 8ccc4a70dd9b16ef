/**
 * The network, securely exported: DPF classification and merging, refusals, frames only to their
 * filter's owner, rings and overruns, pages and environments leaving, sending, and ASHs (their
 * sandbox, their refusals, hostile ones), with the kernel's invariants after each, on two
 * machines on a wire.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { DECstation } from "../../machine/decstation.ts";
import { Wire } from "../../machine/wire.ts";
import { Aegis } from "../../aegis/kernel.ts";
import {
  AegisError,
  ASH_HELPER,
  ASH_REFUSAL,
  ERR,
  FILTER_REFUSAL,
  NET_SLOT,
} from "../../aegis/abi.ts";
import { checkInvariants } from "../../aegis/invariants.ts";
import { compileFilters, formatFilter, parseFilter } from "../../aegis/dpf.ts";
import { inspectAsh } from "../../aegis/ash.ts";
import { K } from "../../aegis/layout.ts";
import { loadHazards } from "./_hazards.ts";

const MAC_A = [8, 0, 0x2b, 0, 0, 0xa], MAC_B = [8, 0, 0x2b, 0, 0, 0xb];

/** Two machines with Aegis on one wire: a sends, b receives (and the other way round). */
function pair() {
  const ma = new DECstation({ mac: Uint8Array.from(MAC_A) });
  const mb = new DECstation({ mac: Uint8Array.from(MAC_B) });
  const a = new Aegis(ma), b = new Aegis(mb);
  const wire = new Wire();
  wire.attach(ma, "a");
  wire.attach(mb, "b");
  return { a, b, wire, ea: a.createEnv("sender"), eb: b.createEnv("receiver") };
}

/** A 60-byte frame from a to `to`, type 0x88b5, then `words` (16-bit, big-endian) from 14. */
function frame(words: number[], to = MAC_B, from = MAC_A, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set(to, 0);
  f.set(from, 6);
  f.set([0x88, 0xb5], 12);
  words.forEach((w, i) => f.set([w >> 8, w & 0xff], 14 + 2 * i));
  return f;
}

/** A TCP/IP header (Ethernet, IPv4, TCP) from 10.0.0.1:sport to 10.0.0.2:dport, 60 bytes. */
function tcp(sport: number, dport: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set(MAC_B, 0);
  f.set(MAC_A, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 12);
  f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 34);
  return f;
}

/** The filter of one TCP connection: IPv4, TCP, both addresses and both ports. */
function tcpFilter(sport: number, dport: number): string {
  return "[12:2] == 0x0800 && [14:1] == 0x45 && [23:1] == 6 && [26:4] == 0x0a000001 && " +
    `[30:4] == 0x0a000002 && [34:2] == ${sport} && [36:2] == ${dport}`;
}

function assertInvariants(...kernels: Aegis[]): void {
  for (const k of kernels) assert.deepEqual(checkInvariants(k), []);
}

Deno.test("parseFilter reads atoms, masks and a length check; formatFilter writes them back", () => {
  const f = parseFilter("[12:2] == 0x0800 && [20:2] & 0x3fff == 0 && [23:1] = 17 && len >= 42");
  assert.deepEqual(f, {
    atoms: [
      { offset: 12, size: 2, value: 0x800 },
      { offset: 20, size: 2, mask: 0x3fff, value: 0 },
      { offset: 23, size: 1, value: 17 },
    ],
    minLength: 42,
  });
  assert.equal(
    formatFilter(f),
    "[12:2] == 0x800 && [20:2] & 0x3fff == 0 && [23:1] == 0x11 && len >= 42",
  );
  assert.throws(() => parseFilter("[12:3] == 1"), /size is 1, 2 or 4/);
  assert.throws(() => parseFilter("ether.type == 1"), /ether.type == 1.*is not/);
  assert.throws(() => parseFilter("[12:2] == banana"), /banana is not a number/);
});

Deno.test("Network delivers each frame to the owner of the filter it matches, and drops the rest", () => {
  const { a, b, wire, ea, eb } = pair();
  const other = b.createEnv("other");
  const f7 = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 7");
  const f8 = other.installFilter("[12:2] == 0x88b5 && [14:2] == 8");
  const [p7] = eb.receivePages(f7, 1), [p8] = other.receivePages(f8, 1);
  for (const w of [7, 8, 9, 7]) ea.sendFrame(frame([w, 0x1234]));
  wire.run({ maxUs: 2000 });
  assert.deepEqual(b.network.stats, { received: 4, dropped: 1, errors: 0, missed: 0, sent: 0 });
  assert.deepEqual(b.network.ring(f7).map((r) => r.frame[15]), [7, 7]);
  assert.deepEqual(b.network.ring(f8).map((r) => r.frame[15]), [8]);
  // The frames are in the owners' own pages, without their FCS: the slot says 60 bytes.
  const ram = b.machine.bus.ram32;
  assert.equal(ram[p7.paddr / 4], 60);
  assert.equal(ram[(p7.paddr + NET_SLOT.BYTES) / 4], 60);
  assert.equal(ram[p8.paddr / 4], 60);
  assert.deepEqual(
    [...b.machine.bus.ram8.subarray(p8.paddr + 4, p8.paddr + 20)],
    [...frame([8, 0x1234]).subarray(0, 16)],
  );
  assert.equal(ram[(p8.paddr + NET_SLOT.BYTES) / 4], 0, "nothing in the second slot");
  assert.equal(a.network.stats.sent, 4);
  assertInvariants(a, b);
});

Deno.test("Network never writes a frame into a page that is not its filter's owner's", () => {
  const { b, wire, ea, eb } = pair();
  const thief = b.createEnv("thief");
  const f = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 7");
  const mine = eb.sys.allocPage();
  const theirs = thief.sys.allocPage();
  // The thief can neither add its page to the owner's ring nor the owner's page to a ring.
  const refused = (fn: () => void, code: number) =>
    assert.throws(fn, (e) => e instanceof AegisError && e.code === code);
  refused(() => thief.sys.netRxPage(f, theirs), ERR.PERM);
  refused(() => thief.sys.netRxPage(f, mine), ERR.PERM);
  refused(() => eb.sys.netRxPage(f, theirs), ERR.PERM);
  refused(() => thief.sys.netUnfilter(f), ERR.PERM);
  // Nor claim the same frames: filters never overlap.
  refused(() => thief.installFilter("[12:2] == 0x88b5"), ERR.BUSY);
  refused(() => thief.installFilter("[12:2] == 0x88b5 && [14:2] == 7 && [16:1] == 1"), ERR.BUSY);
  const ram = b.machine.bus.ram32;
  ram.fill(0x5a5a5a5a, theirs.paddr / 4, theirs.paddr / 4 + 1024);
  eb.sys.netRxPage(f, mine);
  for (let i = 0; i < 3; i++) ea.sendFrame(frame([7, i]));
  wire.run({ maxUs: 2000 });
  assert.equal(b.network.filter(f)!.delivered, 2);
  assert.equal(b.network.filter(f)!.overrun, 1, "two slots, three frames: one dropped");
  assert.ok(ram.subarray(theirs.paddr / 4, theirs.paddr / 4 + 1024).every((w) => w === 0x5a5a5a5a));
  assertInvariants(b);
});

Deno.test("Network fills a ring in order and reuses a slot the library has emptied", () => {
  const { b, wire, ea, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5");
  const [p] = eb.receivePages(f, 1);
  const ram = b.machine.bus.ram32;
  for (let i = 0; i < 3; i++) {
    ea.sendFrame(frame([i]));
    wire.run({ maxUs: 300 });
    if (i === 0) ram[p.paddr / 4] = 0; // the library took the first frame
  }
  assert.equal(b.network.filter(f)!.delivered, 3);
  assert.deepEqual(b.network.ring(f).map((r) => r.frame[15]), [1, 2]);
});

Deno.test("Network writes a frame into its slot and zeros to its last word's end, nothing more", () => {
  const { b, wire, ea, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5");
  const [p] = eb.receivePages(f, 1);
  const ram8 = b.machine.bus.ram8;
  ram8.fill(0x77, p.paddr + 4, p.paddr + NET_SLOT.BYTES); // the library's own bytes
  const sent = frame([1, 2, 3], MAC_B, MAC_A, 61).fill(0x99, 20);
  ea.sendFrame(sent);
  wire.run({ maxUs: 500 });
  const slot = ram8.subarray(p.paddr, p.paddr + 80);
  assert.equal(b.machine.bus.ram32[p.paddr / 4], 61);
  assert.deepEqual([...slot.subarray(4, 65)], [...sent]);
  assert.deepEqual([...slot.subarray(65, 68)], [0, 0, 0], "not the FCS the LANCE wrote there");
  assert.deepEqual([...slot.subarray(68, 80)], Array(12).fill(0x77));
});

Deno.test("Network refuses a bad filter with the rule and the atom, and an overlap with the filter", () => {
  const { b, eb } = pair();
  const cases: [string, RegExp][] = [
    ["[12:2] == 0x0800 && [12:1] == 0x09", /\(atom 1\): two atoms contradict each other/],
    ["[1513:2] == 1", /\(atom 0\): an atom must end within the longest frame/],
    ["[12:1] & 0x100 == 0", /\(atom 0\): an atom's mask must be nonzero and fit its size/],
    ["[12:2] & 0xff00 == 0x00ff", /\(atom 0\): an atom's value must have no bits outside/],
    ["[12:2] == 1 && len >= 1515", /breaks a rule: the length check may ask for at most 1514/],
    ["len >= 60", /breaks a rule: a filter has 1 to 8 atoms/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => eb.installFilter(text),
      (e) => e instanceof AegisError && e.code === ERR.REFUSED && why.test(e.message),
      text,
    );
  }
  const id = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 7");
  assert.throws(() => eb.installFilter("[14:2] == 7"), /overlaps filter 0, installed already/);
  assert.equal(b.network.filters.length, 1);
  assert.equal(id, 0);
  assert.equal(FILTER_REFUSAL.NEVER, 7);
  assertInvariants(b);
});

Deno.test("Network classification cost stays nearly flat as filters are added; the interpreter's grows", () => {
  const cost = (n: number) => {
    const b = new Aegis(new DECstation());
    const envs = [b.createEnv("server"), b.createEnv("other")];
    for (let i = 0; i < n; i++) envs[i % 2].installFilter(tcpFilter(5000 + i, 80));
    const last = tcp(5000 + n - 1, 80);
    const dpf = b.network.classify(last, "dpf"), mpf = b.network.classify(last, "mpf");
    assert.equal(dpf.filter, n - 1);
    assert.equal(mpf.filter, n - 1);
    assert.equal(b.network.classify(tcp(4000, 80), "dpf").filter, -1);
    assertInvariants(b);
    return { dpf: dpf.instructions, mpf: mpf.instructions };
  };
  const one = cost(1), ten = cost(10), thirty = cost(30);
  assert.ok(thirty.dpf <= one.dpf + 30, `DPF: ${one.dpf} instructions for 1, ${thirty.dpf} for 30`);
  assert.ok(ten.mpf > 8 * one.mpf, `MPF: ${one.mpf} for 1, ${ten.mpf} for 10`);
  assert.ok(thirty.mpf > 2.5 * ten.mpf);
  assert.ok(ten.dpf * 10 < ten.mpf, `DPF ${ten.dpf} against MPF ${ten.mpf} for ten filters`);
});

Deno.test("Network's compiled classifier and interpreter agree on random filters and frames", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const b = new Aegis(new DECstation());
  const envs = [b.createEnv("x"), b.createEnv("y"), b.createEnv("z")];
  for (let i = 0; i < 40; i++) {
    const atoms = [];
    for (let j = 0; j < 2 + rand(3); j++) {
      const size = [1, 1, 2, 4][rand(4)];
      atoms.push(`[${12 + rand(8)}:${size}] == ${rand(4)}`);
    }
    try {
      envs[rand(3)].installFilter(atoms.join(" && "));
    } catch (e) {
      assert.ok(e instanceof AegisError && (e.code === ERR.BUSY || e.code === ERR.REFUSED));
    }
  }
  assert.ok(b.network.filters.length >= 5, `${b.network.filters.length} filters taken`);
  for (let i = 0; i < 300; i++) {
    const f = new Uint8Array(60 + rand(40));
    for (let j = 12; j < f.length; j++) f[j] = rand(4) === 0 ? rand(256) : rand(2) * rand(4);
    assert.equal(b.network.classify(f, "dpf").filter, b.network.classify(f, "mpf").filter);
  }
  assertInvariants(b);
});

Deno.test("Network: a page that leaves its owner leaves the ring; an ending environment takes its filters", () => {
  const { b, wire, ea, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 1");
  const [p, q] = eb.receivePages(f, 2);
  eb.sys.dealloc(p);
  assert.equal(b.network.filter(f)!.slots, 2);
  assertInvariants(b);
  ea.sendFrame(frame([1]));
  wire.run({ maxUs: 300 });
  assert.equal(b.machine.bus.ram32[q.paddr / 4], 60, "into the page that is left");
  b.revoke(q.number, 0);
  wire.run({ maxUs: 3000 });
  assertInvariants(b);
  const g = b.createEnv("g");
  g.installFilter("[12:2] == 0x88b5 && [14:2] == 2");
  b.destroyEnvironment(g.id, "test");
  b.destroyEnvironment(eb.id, "test");
  assert.equal(b.network.filters.length, 0);
  assert.equal(b.network.codeWords, 2, "the classifier is back to `return 0`");
  ea.sendFrame(frame([1]));
  wire.run({ maxUs: 300 });
  assert.equal(b.network.stats.dropped, 1);
  assertInvariants(b);
});

Deno.test("Network sends a short frame padded with zeros, not with what the buffer held", () => {
  const { a, wire, ea } = pair();
  const sent: Uint8Array[] = [];
  wire.trace = (e) => e.kind === "sent" && sent.push(e.frame);
  ea.sendFrame(frame([1], MAC_B, MAC_A, 600).fill(0xcc, 16));
  ea.sendFrame(frame([2], MAC_B, MAC_A, 17));
  wire.run({ maxUs: 2000 });
  assert.equal(sent.length, 2);
  assert.equal(sent[1].length, 64);
  assert.deepEqual([...sent[1].subarray(14, 17)], [0, 2, 0]);
  assert.ok(sent[1].subarray(17, 60).every((x) => x === 0), "zeros after the 17 bytes");
  assert.equal(a.network.stats.sent, 2);
});

Deno.test("Network: NET_SEND refuses another's page and a busy ring, and changes nothing", () => {
  const { a, ea } = pair();
  const other = a.createEnv("other");
  const p = other.sys.allocPage();
  assert.throws(
    () => ea.sys.netSend(p, 0, 60),
    (e) => e instanceof AegisError && e.code === ERR.PERM,
  );
  // Eight buffers: a ninth frame before the first has gone is refused with NOSLOT.
  const mine = ea.sys.allocPage();
  for (let i = 0; i < 8; i++) ea.sys.netSend(mine, 0, 1500);
  assert.throws(
    () => ea.sys.netSend(mine, 0, 60),
    (e) => e instanceof AegisError && e.code === ERR.NOSLOT,
  );
  assertInvariants(a);
});

// ---- ASHs ----------------------------------------------------------------------------------------

/** An ASH that copies its frame into its page, swaps the addresses and sends it back. */
const ECHO_ASH = asm`
        .set noreorder
        move    $s0, $a0                     # the frame's length
        move    $a2, $a0
        move    $a1, $zero
        jal     ${ASH_HELPER.COPY}           # the whole frame into the page, summed
        move    $a0, $zero
        sw      $v0, 0x800($zero)            # (the sum, for the test)
        lhu     $t0, 0($zero)
        lhu     $t1, 6($zero)
        lhu     $t2, 2($zero)
        lhu     $t3, 8($zero)
        lhu     $t4, 4($zero)
        lhu     $t5, 10($zero)
        sh      $t1, 0($zero)
        sh      $t0, 6($zero)
        sh      $t3, 2($zero)
        sh      $t2, 8($zero)
        sh      $t5, 4($zero)
        sh      $t4, 10($zero)
        lw      $t6, 0x804($zero)
        move    $a1, $s0
        addiu   $t6, $t6, 1
        sw      $t6, 0x804($zero)            # (runs, for the test)
        jal     ${ASH_HELPER.SEND}
        move    $a0, $zero
        jr      $ra
        move    $v0, $zero                   # consumed
`;

Deno.test("ASH answers a frame from the kernel: copies it with its checksum and sends the reply", () => {
  const { a, b, wire, ea, eb } = pair();
  const fb = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 3");
  const page = eb.installAsh(fb, ECHO_ASH);
  const fa = ea.installFilter("[12:2] == 0x88b5 && [14:2] == 3");
  ea.receivePages(fa, 1);
  const f = frame([3, 0x0102, 0x0304]);
  ea.sendFrame(f);
  wire.run({ maxUs: 1000 });
  const back = a.network.ring(fa);
  assert.equal(back.length, 1, "the reply came back to a");
  assert.deepEqual([...back[0].frame.subarray(0, 12)], [...MAC_A, ...MAC_B]);
  assert.deepEqual([...back[0].frame.subarray(12, 20)], [...f.subarray(12, 20)]);
  assert.deepEqual(b.network.filter(fb)!.ash, { runs: 1, aborts: 0 });
  assert.equal(b.network.filter(fb)!.delivered, 0, "consumed by the ASH");
  const ram = b.machine.bus.ram32;
  // The Internet checksum's sum of the 60 bytes, as big-endian halfwords, folded.
  let sum = 0;
  for (let i = 0; i < 60; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(ram[(page.paddr + 0x800) / 4], sum);
  assert.equal(ram[(page.paddr + 0x804) / 4], 1);
  assertInvariants(a, b);
});

Deno.test("ASH inspection refuses each rule with its reason and the instruction's index", () => {
  const cases: [string, number, number][] = [
    ["syscall\nnop", ASH_REFUSAL.OPCODE, 0],
    ["nop\naddi $t0, $t0, 1", ASH_REFUSAL.OPCODE, 1],
    ["mult $t0, $t1\nnop", ASH_REFUSAL.OPCODE, 0],
    ["addiu $sp, $sp, 4", ASH_REFUSAL.REGISTER, 0],
    ["lw $t0, 0($gp)", ASH_REFUSAL.REGISTER, 0],
    ["move $t0, $ra", ASH_REFUSAL.REGISTER, 0],
    ["j 0\nnop", ASH_REFUSAL.JUMP, 0],
    ["jr $t0\nnop", ASH_REFUSAL.JUMP, 0],
    ["jal 0x100\nnop", ASH_REFUSAL.JUMP, 0],
    [".word 0x10000010\nnop", ASH_REFUSAL.BRANCH, 0],
    ["nop\n.word 0x1000fffd\nnop", ASH_REFUSAL.BRANCH, 1],
    ["beqz $t0, 1f\nlw $t1, 0($zero)\n1: nop", ASH_REFUSAL.DELAY, 1],
    ["nop\n1: b 1b", ASH_REFUSAL.DELAY, 1],
    ["lwl $t0, 0($zero)", ASH_REFUSAL.OPCODE, 0],
    ["mfc0 $t0, $12", ASH_REFUSAL.OPCODE, 0],
  ];
  for (const [source, reason, index] of cases) {
    const words = asm([`.set noreorder\n${source}\n`] as unknown as TemplateStringsArray).at(0)
      .text;
    const r = inspectAsh(words);
    assert.ok("refusal" in r, `${source} was taken`);
    assert.deepEqual(r.refusal, { reason, index }, source);
  }
  assert.deepEqual(inspectAsh(new Uint32Array(257)), {
    refusal: { reason: ASH_REFUSAL.LENGTH, index: 0 },
  });
  // And through the kernel: the error names the instruction.
  const { b, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5");
  assert.throws(
    () => eb.installAsh(f, asm`.set noreorder\nnop\naddiu $sp, $sp, 4\n`),
    /instruction 1 \(addiu \$sp, \$sp, 4\) breaks a rule: at, k0, k1, gp, sp, fp and ra/,
  );
  assert.equal(b.network.filter(f)!.ash, null);
  assertInvariants(b);
});

Deno.test("ASH that loops forever is stopped by its budget; the frame goes to the ring", () => {
  const { b, wire, ea, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5");
  eb.receivePages(f, 1);
  eb.installAsh(
    f,
    asm`
        .set noreorder
1:      addiu   $t0, $t0, 1
        b       1b
        nop
`,
  );
  const other = eb.installFilter("[12:2] == 0x88b6");
  eb.receivePages(other, 1);
  ea.sendFrame(frame([1]));
  ea.sendFrame(frame([2]));
  const later = frame([3]);
  later[13] = 0xb6;
  ea.sendFrame(later);
  wire.run({ maxUs: 5000 });
  assert.deepEqual(b.network.filter(f)!.ash, { runs: 2, aborts: 2 });
  assert.equal(b.network.filter(f)!.delivered, 2);
  assert.equal(b.network.filter(other)!.delivered, 1, "and the kernel went on to the next frame");
  assertInvariants(b);
});

Deno.test("ASH cannot reach another environment's page: stores land in its own, far loads abort", () => {
  const { b, wire, ea, eb } = pair();
  const victim = b.createEnv("victim");
  const vp = victim.sys.allocPage();
  const ram = b.machine.bus.ram32;
  ram.fill(0x11111111, vp.paddr / 4, vp.paddr / 4 + 1024);
  const target = 0x80000000 + vp.paddr + 0x40; // the victim's page, in kseg0
  const f = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 1");
  eb.receivePages(f, 1);
  const own = eb.installAsh(
    f,
    asm`
        .set noreorder
        lui     $t0, ${target >>> 16}
        ori     $t0, $t0, ${target & 0xffff}
        lui     $t1, 0xbad
        sw      $t1, 0($t0)                  # lands at offset 0x40 of its own page
        lui     $t0, 0xa000
        sw      $t1, 4($t0)                  # kseg1, 4: offset 4 of its own page
        jr      $ra
        move    $v0, $zero
`,
  );
  ea.sendFrame(frame([1]));
  wire.run({ maxUs: 1000 });
  assert.ok(ram.subarray(vp.paddr / 4, vp.paddr / 4 + 1024).every((w) => w === 0x11111111));
  assert.equal(ram[(own.paddr + 0x40) / 4], 0x0bad0000);
  assert.equal(ram[(own.paddr + 4) / 4], 0x0bad0000);
  // A load past the frame's end (60 bytes) is stopped, and the frame delivered.
  const g = eb.installFilter("[12:2] == 0x88b5 && [14:2] == 2");
  eb.receivePages(g, 1);
  eb.installAsh(
    g,
    asm`
        .set noreorder
        lw      $t0, ${0x1000 + 60}($zero)
        jr      $ra
        move    $v0, $zero
`,
  );
  ea.sendFrame(frame([2]));
  wire.run({ maxUs: 1000 });
  assert.deepEqual(b.network.filter(g)!.ash, { runs: 1, aborts: 1 });
  assert.equal(b.network.filter(g)!.delivered, 1);
  assertInvariants(b);
});

Deno.test("ASH helpers refuse ranges outside the frame or the page with -1", () => {
  const { b, wire, ea, eb } = pair();
  const f = eb.installFilter("[12:2] == 0x88b5");
  const page = eb.installAsh(
    f,
    asm`
        .set noreorder
        move    $a0, $zero
        li      $a1, 58
        jal     ${ASH_HELPER.COPY}           # past the frame's 60 bytes
        li      $a2, 4
        sw      $v0, 0($zero)
        li      $a0, 4094
        move    $a1, $zero
        jal     ${ASH_HELPER.COPY}           # past the page
        li      $a2, 4
        sw      $v0, 4($zero)
        li      $a0, 1
        move    $a1, $zero
        jal     ${ASH_HELPER.COPY}           # odd
        li      $a2, 4
        sw      $v0, 8($zero)
        li      $a0, 2
        jal     ${ASH_HELPER.SEND}           # misaligned
        li      $a1, 60
        sw      $v0, 12($zero)
        move    $a0, $zero
        jal     ${ASH_HELPER.SEND}           # too short
        li      $a1, 13
        sw      $v0, 16($zero)
        li      $a0, 24
        li      $a1, 58
        jal     ${ASH_HELPER.COPY}           # the last two bytes: fine
        li      $a2, 2
        sw      $v0, 20($zero)
        jr      $ra
        move    $v0, $zero
`,
  );
  const fr = frame([1]);
  fr[58] = 0x12;
  fr[59] = 0x34;
  ea.sendFrame(fr);
  wire.run({ maxUs: 1000 });
  const words = [...b.machine.bus.ram32.subarray(page.paddr / 4, page.paddr / 4 + 6)];
  assert.deepEqual(words, [-1, -1, -1, -1, -1, 0x1234]);
  assert.equal(b.network.stats.sent, 0);
});

// ---- the code -------------------------------------------------------------------------------

Deno.test("Network's assembly and compiled filters have no load-delay hazard", () => {
  assert.deepEqual(
    loadHazards(Uint32Array.of(0x8c880000, 0x01091021), 0), // lw $t0, 0($a0); addu $v0, $t0, $t1
    ["0x0: $8 loaded here is read at 0x4"],
    "the checker finds a hazard",
  );
  const m = new DECstation();
  const aegis = new Aegis(m);
  const e = aegis.createEnv("e");
  for (let i = 0; i < 12; i++) e.installFilter(tcpFilter(6000 + i, 80));
  e.installFilter("[12:2] == 0x0806 && [20:2] == 1 && len >= 100");
  e.installFilter("[12:2] & 0xfff0 == 0x88b0 && [14:4] == 0x01020304");
  const text = (K.UTLB_VECTOR & 0x1fffffff) >>> 2;
  const s = aegis.symbols;
  assert.deepEqual(
    loadHazards(
      m.bus.ram32.subarray(text, text + (s.kernel_end - K.UTLB_VECTOR) / 4),
      K.UTLB_VECTOR,
    ),
    [],
  );
  const dpf = (K.DPF_CODE & 0x1fffffff) >>> 2;
  assert.deepEqual(
    loadHazards(m.bus.ram32.subarray(dpf, dpf + aegis.network.codeWords), K.DPF_CODE),
    [],
  );
  assert.ok(compileFilters([]).includes("dpf_fail"));
});
