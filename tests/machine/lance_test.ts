/**
 * The Am7990 LANCE on its own and through the CPU: the address ROM, the RAP/RDP register
 * protocol, INIT and the init block, transmit and receive rings in the SRAM, frame timing, the
 * address filter, missed frames, buffer and memory errors, and the interrupt through the CSR.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BusError, EventQueue, type Interrupts } from "../../machine/bus.ts";
import { Csr, KN02_SLOT } from "../../machine/csr.ts";
import {
  esarBytes,
  Lance,
  LANCE_BASE,
  LANCE_CSR0 as C,
  LANCE_MODE,
  LANCE_REG,
  LANCE_RMD1 as R,
  LANCE_TIMING,
  LANCE_TMD1 as T,
  LANCE_TMD3,
} from "../../machine/lance.ts";
import {
  fcsOk,
  IFG_CYCLES,
  ladrfBit,
  parseMac,
  wireCycles,
  withFcs,
} from "../../machine/ethernet.ts";
import { asm } from "../../machine/asm/mod.ts";
import { CP0, EXC } from "../../machine/cp0.ts";
import { DECstation } from "../../machine/decstation.ts";

const MAC = "08:00:2b:00:00:01";

class FakeInterrupts implements Interrupts {
  lines = [false, false, false, false, false, false];
  setLine(line: number, level: boolean): void {
    this.lines[line] = level;
  }
}

/** SRAM layout of the rig: init block, rings, buffers (LANCE addresses). */
const IB = 0x0, RRING = 0x100, TRING = 0x200, RBUF = 0x1000, TBUF = 0x10000, BUF = 0x600;

/** A LANCE behind a real CSR, with a hand-driven clock and what it transmitted. */
function rig(mac = MAC) {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  const events = new EventQueue();
  let now = 0;
  const lance = new Lance({ csr, events, clock: () => now, mac: parseMac(mac) });
  const sent: { frame: Uint8Array; start: number; end: number }[] = [];
  lance.onTransmit = (frame, start, end) => sent.push({ frame, start, end });
  const t = {
    irq,
    csr,
    events,
    lance,
    sent,
    get now() {
      return now;
    },
    /** Lets `cycles` pass, firing events at their cycles. */
    advance(cycles: number) {
      const target = now + cycles;
      while (t.events.next <= target) {
        now = Math.max(now, t.events.next);
        t.events.fire(now);
      }
      now = target;
    },
    set(n: number, v: number) {
      lance.write(LANCE_REG.RAP, 2, n);
      lance.write(LANCE_REG.RDP, 2, v);
    },
    get(n: number): number {
      lance.write(LANCE_REG.RAP, 2, n);
      return lance.read(LANCE_REG.RDP, 2);
    },
    half(a: number): number {
      return lance.read(a, 2);
    },
    setHalf(a: number, v: number) {
      lance.write(a, 2, v & 0xffff);
    },
  };
  return t;
}

type Rig = ReturnType<typeof rig>;

/** Writes an init block (rings of 2^rxLog2 and 2^txLog2) and owned receive buffers of `rxSize`. */
function layout(
  t: Rig,
  o: { mode?: number; rxLog2?: number; txLog2?: number; rxSize?: number; ladrf?: number[] } = {},
) {
  const rxLog2 = o.rxLog2 ?? 2, txLog2 = o.txLog2 ?? 2, rxSize = o.rxSize ?? BUF;
  const mac = t.lance.mac;
  t.setHalf(IB, o.mode ?? 0);
  for (let i = 0; i < 3; i++) t.setHalf(IB + 2 + 2 * i, mac[2 * i] | (mac[2 * i + 1] << 8));
  for (let i = 0; i < 4; i++) t.setHalf(IB + 8 + 2 * i, o.ladrf?.[i] ?? 0);
  t.setHalf(IB + 16, RRING);
  t.setHalf(IB + 18, rxLog2 << 13);
  t.setHalf(IB + 20, TRING);
  t.setHalf(IB + 22, txLog2 << 13);
  for (let i = 0; i < 1 << rxLog2; i++) giveRx(t, i, rxSize);
  for (let i = 0; i < 1 << txLog2; i++) {
    const a = TBUF + BUF * i;
    t.setHalf(TRING + 8 * i, a);
    t.setHalf(TRING + 8 * i + 2, a >>> 16);
    t.setHalf(TRING + 8 * i + 4, 0xf000);
  }
}

/** Hands receive descriptor i (buffer RBUF + i * BUF, `size` bytes) back to the LANCE. */
function giveRx(t: Rig, i: number, size = BUF) {
  const a = RBUF + BUF * i;
  t.setHalf(RRING + 8 * i, a);
  t.setHalf(RRING + 8 * i + 4, -size);
  t.setHalf(RRING + 8 * i + 6, 0);
  t.setHalf(RRING + 8 * i + 2, R.OWN | (a >>> 16));
}

/** INIT, wait for IDON, then IDON | STRT | INEA: the usual driver handshake. */
function start(t: Rig, o: Parameters<typeof layout>[1] = {}) {
  layout(t, o);
  t.set(1, IB);
  t.set(2, 0);
  t.set(0, C.INIT);
  t.advance(LANCE_TIMING.init);
  assert.ok(t.get(0) & C.IDON, "no IDON after INIT");
  t.set(0, C.IDON | C.STRT | C.INEA);
  t.advance(1);
}

/** Queues a frame in transmit descriptor i: the given bytes, OWN | STP | ENP. */
function queueTx(t: Rig, i: number, bytes: Uint8Array, bits = T.OWN | T.STP | T.ENP) {
  const a = TBUF + BUF * i;
  t.lance.sram.set(bytes, a);
  t.setHalf(TRING + 8 * i + 4, -bytes.length);
  t.setHalf(TRING + 8 * i + 6, 0);
  t.setHalf(TRING + 8 * i + 2, bits | (a >>> 16));
}

/** A 60-byte frame to `dst` from 08:00:2b:00:00:09 with type 0x88b5 and a marker byte. */
function frameTo(dst: string, marker = 0, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set(parseMac(dst), 0);
  f.set(parseMac("08:00:2b:00:00:09"), 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  f[14] = marker;
  for (let i = 15; i < length; i++) f[i] = i & 0xff;
  return f;
}

Deno.test("esarBytes lays out the MAC, DEC's checksum, the reversed and plain copies and the pattern", () => {
  assert.deepEqual(
    [...esarBytes(parseMac(MAC))],
    [
      ...[0x08, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x76, 0x01],
      ...[0x01, 0x76, 0x01, 0x00, 0x00, 0x2b, 0x00, 0x08],
      ...[0x08, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x76, 0x01],
      ...[0xff, 0x00, 0x55, 0xaa, 0xff, 0x00, 0x55, 0xaa],
    ],
  );
  // End-around carry all the way: a sum of 0xffff reads as 0.
  assert.deepEqual([...esarBytes(parseMac("ff:ff:ff:ff:ff:ff")).subarray(6, 8)], [0, 0]);
});

Deno.test("Lance shows the address ROM one byte per word in lane 2 from +0x1c0002", () => {
  const { lance } = rig("08:00:2b:12:34:56");
  assert.equal(lance.base, LANCE_BASE);
  assert.equal(LANCE_BASE, 0x1f800000);
  const rom = esarBytes(parseMac("08:00:2b:12:34:56"));
  for (let i = 0; i < 32; i++) {
    assert.equal(lance.read(0x1c0002 + 4 * i, 1), rom[i]);
    assert.equal(lance.read(0x1c0000 + 4 * i, 4), rom[i] << 16);
    assert.equal(lance.read(0x1c0000 + 4 * i, 1), 0);
  }
  lance.write(0x1c0002, 1, 0); // a ROM: writes are ignored
  assert.equal(lance.read(0x1c0002, 1), 0x08);
});

Deno.test("Lance SRAM is plain memory and the slot's other addresses are bus errors", () => {
  const { lance } = rig();
  lance.write(0x1fffc, 4, 0x12345678);
  assert.equal(lance.read(0x1fffc, 4), 0x12345678);
  assert.equal(lance.read(0x1fffe, 2), 0x1234);
  assert.equal(lance.sram[0x1fffc], 0x78);
  for (const hole of [0x20000, 0x100008, 0x1c0080, 0x3c0000]) {
    assert.throws(() => lance.read(hole, 4), BusError);
    assert.throws(() => lance.write(hole, 4, 0), BusError);
  }
});

Deno.test("Lance powers on stopped and takes CSR1-3 only while stopped", () => {
  const t = rig();
  assert.equal(t.get(0), C.STOP);
  t.set(1, 0x1235);
  t.set(2, 0xff12);
  t.set(3, 0xffff);
  assert.deepEqual([t.get(1), t.get(2), t.get(3)], [0x1234, 0x12, 7]);
  assert.equal(t.lance.read(LANCE_REG.RAP, 2), 3);
  start(t);
  t.set(1, 0x4444);
  t.set(3, 0);
  assert.deepEqual([t.get(1), t.get(3)], [IB, 7], "running: both writes ignored");
});

Deno.test("Lance INIT reads the init block and raises IDON after its init time", () => {
  const t = rig();
  layout(t, { mode: LANCE_MODE.PROM, rxLog2: 3, txLog2: 1, ladrf: [1, 2, 3, 4] });
  t.set(0, C.INIT | C.INEA);
  assert.equal(t.get(0), C.INIT | C.INEA);
  t.advance(LANCE_TIMING.init - 1);
  assert.equal(t.get(0) & C.IDON, 0);
  t.advance(1);
  assert.equal(t.get(0), C.IDON | C.INTR | C.INEA | C.INIT);
  assert.deepEqual(t.lance.init, {
    mode: LANCE_MODE.PROM,
    padr: MAC,
    ladrf: [1, 2, 3, 4],
    rxRing: RRING,
    rxLength: 8,
    txRing: TRING,
    txLength: 2,
  });
  assert.equal(t.get(0) & (C.RXON | C.TXON), 0, "INIT alone starts nothing");
  t.set(0, C.STRT | C.INEA);
  t.advance(1);
  assert.equal(t.get(0) & (C.RXON | C.TXON | C.STRT), C.RXON | C.TXON | C.STRT);
});

Deno.test("Lance interrupts through the CSR's bit 6, enabled by bit 22, onto IP2", () => {
  const t = rig();
  layout(t);
  t.set(1, IB);
  t.set(0, C.INIT | C.INEA);
  t.advance(LANCE_TIMING.init);
  assert.equal(t.csr.read(0, 4) & 0xff, 1 << KN02_SLOT.lance);
  assert.equal(t.irq.lines[0], false, "masked until the CSR enables it");
  t.csr.write(0, 4, 1 << (16 + KN02_SLOT.lance));
  assert.equal(t.irq.lines[0], true);
  t.set(0, C.INEA); // writing 0 to IDON changes nothing
  assert.equal(t.irq.lines[0], true);
  t.set(0, C.IDON | C.INEA); // write 1 to clear
  assert.equal(t.irq.lines[0], false);
  assert.equal(t.get(0) & (C.IDON | C.INTR), 0);
  t.set(0, C.INIT); // INEA 0: the next IDON requests nothing
  t.advance(LANCE_TIMING.init);
  assert.equal(t.get(0) & (C.IDON | C.INTR), C.IDON | C.INTR);
  assert.equal(t.irq.lines[0], false);
});

Deno.test("Lance STOP overrides STRT and INIT and clears CSR0 and CSR3", () => {
  const t = rig();
  start(t);
  t.set(0, C.STOP | C.STRT | C.INIT | C.INEA);
  assert.equal(t.get(0), C.STOP);
  t.set(3, 7);
  t.set(0, C.STOP);
  assert.equal(t.get(3), 0);
  t.advance(100_000);
  assert.equal(t.get(0), C.STOP);
});

Deno.test("Lance transmits a frame with its FCS in the frame's wire time, then TINT", () => {
  const t = rig();
  start(t);
  const f = frameTo("08:00:2b:00:00:02");
  queueTx(t, 0, f);
  t.set(0, C.TDMD | C.INEA);
  assert.ok(t.get(0) & C.TDMD, "TDMD stays up until the LANCE looks");
  const at = t.now;
  t.advance(0);
  assert.equal(t.sent.length, 1);
  const s = t.sent[0];
  assert.deepEqual([s.start, s.end], [at, at + wireCycles(64)]);
  assert.equal(wireCycles(64), 1440, "(8 + 64) bytes at 800 ns = 57.6 us");
  assert.deepEqual(s.frame.subarray(0, 60), f);
  assert.ok(fcsOk(s.frame));
  assert.equal(t.get(0) & C.TDMD, 0);
  t.advance(1439);
  assert.ok(t.half(TRING + 2) & T.OWN, "OWN until the last bit is out");
  assert.equal(t.get(0) & C.TINT, 0);
  t.advance(1);
  assert.equal(t.half(TRING + 2), T.STP | T.ENP | (TBUF >>> 16));
  assert.equal(t.half(TRING + 6), 0);
  assert.equal(t.get(0) & (C.TINT | C.INTR), C.TINT | C.INTR);
  assert.equal(t.lance.rings.tx, 1);
  assert.equal(t.lance.stats.transmitted, 1);
});

Deno.test("Lance sends chained buffers as one frame and spaces frames by the interframe gap", () => {
  const t = rig();
  start(t);
  const f = frameTo("08:00:2b:00:00:02", 1, 100);
  queueTx(t, 0, f.subarray(0, 40), T.OWN | T.STP);
  queueTx(t, 1, f.subarray(40), T.OWN | T.ENP);
  queueTx(t, 2, frameTo("08:00:2b:00:00:02", 2));
  t.set(0, C.TDMD);
  t.advance(10_000);
  assert.equal(t.sent.length, 2);
  assert.deepEqual(t.sent[0].frame.subarray(0, 100), f);
  assert.equal(t.sent[0].frame.length, 104);
  assert.equal(t.sent[1].start, t.sent[0].end + IFG_CYCLES);
  assert.equal(t.sent[1].frame[14], 2);
  assert.equal(t.half(TRING + 2) & (T.OWN | T.STP | T.ENP), T.STP);
  assert.equal(t.half(TRING + 10) & (T.OWN | T.STP | T.ENP), T.ENP);
});

Deno.test("Lance finds a frame without TDMD at its next 1.6 ms poll", () => {
  const t = rig();
  start(t);
  t.advance(100);
  queueTx(t, 0, frameTo("08:00:2b:00:00:02"));
  t.advance(LANCE_TIMING.poll - 200);
  assert.equal(t.sent.length, 0);
  t.advance(200);
  assert.equal(t.sent.length, 1);
});

Deno.test("Lance reports a chain that runs out of owned descriptors as a buffer error", () => {
  const t = rig();
  start(t);
  queueTx(t, 0, frameTo("08:00:2b:00:00:02"), T.OWN | T.STP);
  t.set(0, C.TDMD | C.INEA);
  t.advance(10);
  assert.equal(t.sent.length, 0);
  assert.equal(t.half(TRING + 2) & (T.OWN | T.ERR), T.ERR);
  assert.equal(t.half(TRING + 6), LANCE_TMD3.BUFF | LANCE_TMD3.UFLO);
  assert.equal(t.get(0) & (C.TXON | C.RXON | C.TINT), C.RXON | C.TINT);
});

Deno.test("Lance sends a frame over 1518 bytes whole and flags BABL", () => {
  const t = rig();
  start(t);
  queueTx(t, 0, frameTo("08:00:2b:00:00:02", 0, 1515));
  t.set(0, C.TDMD);
  t.advance(1);
  assert.equal(t.sent[0].frame.length, 1519);
  assert.equal(t.get(0) & (C.BABL | C.ERR | C.INTR), C.BABL | C.ERR | C.INTR);
});

Deno.test("Lance writes a frame to its address into the ring: STP, ENP, count with FCS, RINT", () => {
  const t = rig();
  start(t);
  const f = withFcs(frameTo(MAC, 7));
  t.lance.receive(f, t.now + 50);
  t.advance(49);
  assert.ok(t.half(RRING + 2) & R.OWN);
  t.advance(1);
  assert.equal(t.half(RRING + 2), R.STP | R.ENP);
  assert.equal(t.half(RRING + 6), 64);
  assert.deepEqual(t.lance.sram.subarray(RBUF, RBUF + 64), f);
  assert.equal(t.get(0) & (C.RINT | C.INTR), C.RINT | C.INTR);
  assert.equal(t.lance.rings.rx, 1);
});

Deno.test("Lance keeps its own address, broadcasts, filtered multicasts, and all in PROM mode", () => {
  const group = parseMac("01:00:5e:00:00:fb"), other = parseMac("01:00:5e:00:00:01");
  const bit = ladrfBit(group);
  assert.notEqual(ladrfBit(other), bit);
  const ladrf = [0, 0, 0, 0];
  ladrf[bit >>> 4] = 1 << (bit & 15);
  const frames = [
    "08:00:2b:00:00:02",
    "ff:ff:ff:ff:ff:ff",
    "01:00:5e:00:00:fb",
    "01:00:5e:00:00:01",
    MAC,
  ];
  const run = (mode: number) => {
    const t = rig();
    start(t, { mode, rxLog2: 3, ladrf });
    frames.forEach((d, i) => t.lance.receive(withFcs(frameTo(d, i)), t.now + 2000 * (i + 1)));
    t.lance.receive(withFcs(frameTo(MAC, 9, 40)), t.now + 20_000); // a runt
    t.advance(30_000);
    const got = [];
    for (let i = 0; i < t.lance.rings.rx; i++) got.push(t.lance.sram[RBUF + BUF * i + 14]);
    return { got, stats: t.lance.stats };
  };
  const normal = run(0);
  assert.deepEqual(normal.got, [1, 2, 4]);
  assert.deepEqual([normal.stats.filtered, normal.stats.runts], [2, 1]);
  assert.deepEqual(run(LANCE_MODE.PROM).got, [0, 1, 2, 3, 4]);
});

Deno.test("Lance misses a frame when it owns no receive buffer, and goes on once given one", () => {
  const t = rig();
  start(t, { rxLog2: 1 });
  for (let i = 0; i < 3; i++) t.lance.receive(withFcs(frameTo(MAC, i)), t.now + 2000 * (i + 1));
  t.advance(10_000);
  assert.equal(t.lance.stats.received, 2);
  assert.equal(t.lance.stats.missed, 1);
  const csr0 = t.get(0);
  assert.equal(csr0 & (C.MISS | C.ERR | C.INTR), C.MISS | C.ERR | C.INTR);
  t.set(0, C.MISS | C.RINT | C.INEA);
  assert.equal(t.get(0) & (C.MISS | C.ERR | C.INTR), 0);
  giveRx(t, 0);
  t.lance.receive(withFcs(frameTo(MAC, 5)), t.now + 100);
  t.advance(200);
  assert.equal(t.lance.sram[RBUF + 14], 5);
  assert.equal(t.lance.rings.rx, 1);
  assert.equal(t.get(0) & C.MISS, 0);
});

Deno.test("Lance spreads a long frame over buffers and flags BUFF when they run out", () => {
  const t = rig();
  start(t, { rxLog2: 2, rxSize: 512 });
  const f = withFcs(frameTo(MAC, 1, 1196));
  t.lance.receive(f, t.now + 100);
  t.advance(200);
  const bits = [0, 1, 2, 3].map((i) => t.half(RRING + 8 * i + 2) & ~0xff);
  assert.deepEqual(bits, [R.STP, 0, R.ENP, R.OWN]);
  assert.equal(t.half(RRING + 22), 1200);
  assert.deepEqual(t.lance.sram.subarray(RBUF + 2 * BUF, RBUF + 2 * BUF + 176), f.subarray(1024));
  t.lance.receive(withFcs(frameTo(MAC, 2, 1196)), t.now + 100); // one 512-byte buffer left
  t.advance(200);
  assert.equal(t.half(RRING + 26) & ~0xff, R.STP | R.ERR | R.BUFF);
  assert.equal(t.lance.rings.rx, 0);
});

Deno.test("Lance flags a frame whose FCS is wrong with CRC", () => {
  const t = rig();
  start(t);
  const f = withFcs(frameTo(MAC));
  f[63] ^= 1;
  t.lance.receive(f, t.now + 10);
  t.advance(20);
  assert.equal(t.half(RRING + 2), R.STP | R.ENP | R.CRC | R.ERR);
});

Deno.test("Lance raises MERR and stops both engines for a ring outside its SRAM", () => {
  const t = rig();
  layout(t);
  t.setHalf(IB + 20, 0xfff8);
  t.setHalf(IB + 22, (1 << 13) | 0x01); // transmit ring at 0x1fff8: its second entry is outside
  t.set(1, IB);
  t.set(0, C.INIT | C.STRT | C.INEA);
  t.advance(LANCE_TIMING.init);
  t.lance.sram[0x1fffb] = 0x80; // OWN on the ring's first entry: then it looks at the second
  t.lance.write(0x1fff8 + 4, 2, -60 & 0xffff);
  t.set(0, C.TDMD | C.INEA);
  t.advance(10);
  assert.equal(t.sent.length, 0);
  assert.equal(t.get(0) & (C.MERR | C.ERR | C.INTR | C.RXON | C.TXON), C.MERR | C.ERR | C.INTR);
});

Deno.test("Lance snapshot and restore repeat a transmission and a reception exactly", () => {
  const t = rig();
  start(t);
  queueTx(t, 0, frameTo("08:00:2b:00:00:02"));
  t.set(0, C.TDMD | C.INEA);
  t.lance.receive(withFcs(frameTo(MAC, 3)), t.now + 3000);
  t.advance(500);
  const s = t.lance.snapshot(), e = t.events.snapshot(), at = t.now;
  t.advance(10_000);
  const first = { csr0: t.get(0), sram: t.lance.sram.slice(), stats: { ...t.lance.stats } };
  t.lance.write(0, 4, 0xdeadbeef);
  t.lance.restore(s);
  t.events.restore(e);
  t.advance(at - t.now + 10_000);
  assert.deepEqual(
    { csr0: t.get(0), sram: t.lance.sram.slice(), stats: { ...t.lance.stats } },
    first,
  );
});

Deno.test("DECstation guest inits its LANCE from the address ROM and takes IDON as an interrupt", () => {
  // Kernel-mode bare program: read the MAC from the ROM into an init block in SRAM, INIT with
  // INEA, enable the LANCE in the CSR (bit 22) and IP2 in Status, and wait. The handler at the
  // general vector counts, checks CSR0 and acknowledges IDON. No load-use hazards.
  const handler = asm`
        .set noreorder
        lui     $k0, 0xbf90          # RDP at 0xbf900000 (RAP still 0)
        lhu     $k1, 0($k0)
        addiu   $s1, $s1, 1
        move    $s2, $k1             # CSR0 as the handler saw it
        li      $k1, 0x0140          # IDON | INEA: acknowledge
        sh      $k1, 0($k0)
        mfc0    $k0, $epc
        nop
        jr      $k0
        rfe
`.at(0x80000080);
  const m = new DECstation({ mac: "08:00:2b:aa:bb:cc" });
  const p = asm`
        .set noreorder
_start: lui     $s0, 0xbf80          # the slot in kseg1
        li      $t0, 0
        sh      $t0, 0($s0)          # init block at 0: mode 0
        lbu     $t1, 0x1c0002($s0)   # ROM byte 0
        lbu     $t2, 0x1c0006($s0)   # ROM byte 1
        lbu     $t3, 0x1c000a($s0)
        sll     $t2, $t2, 8
        or      $t1, $t1, $t2
        sh      $t1, 2($s0)
        lbu     $t4, 0x1c000e($s0)
        lbu     $t5, 0x1c0012($s0)
        lbu     $t6, 0x1c0016($s0)
        sll     $t4, $t4, 8
        or      $t3, $t3, $t4
        sh      $t3, 4($s0)
        sll     $t6, $t6, 8
        or      $t5, $t5, $t6
        sh      $t5, 6($s0)
        lui     $s3, 0xbf90          # RDP
        li      $t0, 1
        sh      $t0, 4($s3)          # RAP = 1
        sh      $zero, 0($s3)        # CSR1 = 0
        li      $t0, 2
        sh      $t0, 4($s3)
        sh      $zero, 0($s3)        # CSR2 = 0
        sh      $zero, 4($s3)        # RAP = 0
        lui     $t0, 0xbff0          # system CSR: enable the LANCE (bit 22)
        lui     $t1, 0x0040
        sw      $t1, 0($t0)
        li      $t0, 0x0401          # IM2 (IP2) and IEc, BEV clear
        mtc0    $t0, $status
        li      $t0, 0x0041          # INIT | INEA
        sh      $t0, 0($s3)
spin:   beqz    $s1, spin
        nop
        li      $t0, 0x0042          # STRT | INEA
        sh      $t0, 0($s3)
        lhu     $s4, 0($s3)          # CSR0 running
        nop
done:   b       done
        nop
`.at(0x80030000);
  m.bus.ram32.set(p.text, 0x30000 >>> 2);
  m.bus.ram32.set(handler.text, 0x80 >>> 2);
  m.loadProgram(p.entry);
  m.run({ until: p.symbols.done, maxCycles: 1_000_000 });
  assert.equal(m.cpu.pc, p.symbols.done);
  assert.equal(m.cpu.regs[17], 1, "one interrupt");
  assert.equal(m.cpu.exceptionCounts[EXC.Int], 1);
  assert.equal(m.cpu.regs[18], C.IDON | C.INTR | C.INEA | C.INIT);
  assert.equal(m.cpu.regs[20], C.INEA | C.RXON | C.TXON | C.STRT | C.INIT);
  assert.equal(m.lance.init.padr, "08:00:2b:aa:bb:cc");
  assert.equal((m.cpu.cp0[CP0.Cause] >>> 10) & 1, 0, "IP2 down after the acknowledgement");
});

Deno.test("DECstation snapshot and restore repeat a LANCE's frames to the cycle", () => {
  const net = Deno.readFileSync(new URL("../guest/out/net.elf", import.meta.url));
  const m = new DECstation({ mac: "08:00:2b:00:00:21" });
  m.loadElf(net, ["net", "blast", "6", "08:00:2b:00:00:22"]);
  const frames: string[] = [];
  m.lance.onTransmit = (f, start, end) => frames.push(`${start}-${end}:${f.join(",")}`);
  m.run({ maxCycles: 90_000 }); // three frames out, the fourth on the wire, more queued
  assert.ok(frames.length > 0 && frames.length < 6, `${frames.length} frames at the snapshot`);
  const s = m.snapshot(), before = frames.length;
  const first = m.run({ maxCycles: 50_000_000 });
  const all = frames.slice();
  m.restore(s);
  frames.length = before;
  const second = m.run({ maxCycles: 50_000_000 });
  assert.equal(first.reason, "halt");
  assert.deepEqual(second, first);
  assert.deepEqual(frames, all);
  assert.equal(all.length, 6);
});
