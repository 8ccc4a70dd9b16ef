import assert from "node:assert/strict";
import { EventQueue, type Interrupts } from "../../machine/bus.ts";
import {
  periodicHz,
  Rtc,
  RTC_A,
  RTC_B,
  RTC_BASE,
  RTC_C,
  RTC_D,
  RTC_LINE,
  RTC_REG,
} from "../../machine/rtc.ts";

const HZ = 25_000_000;

class FakeInterrupts implements Interrupts {
  lines = [false, false, false, false, false, false];
  rises = 0;
  setLine(line: number, level: boolean): void {
    if (level && !this.lines[line]) this.rises++;
    this.lines[line] = level;
  }
}

/** A clock on a fake cycle counter; `run` moves time forward firing events in order. */
function rig(epoch = new Date(Date.UTC(2024, 1, 29, 23, 59, 58)), start = 0) {
  const irq = new FakeInterrupts();
  const events = new EventQueue();
  let now = start;
  const rtc = new Rtc({ interrupts: irq, events, clock: () => now, epoch });
  const reg = (r: number) => rtc.read(4 * r, 1);
  const set = (r: number, v: number) => rtc.write(4 * r, 1, v);
  /** Advances to cycle `to`, firing each event at its own cycle and calling `onEvent` after. */
  const run = (to: number, onEvent?: () => void) => {
    while (events.next <= to) {
      now = events.next;
      events.fire(now);
      onEvent?.();
    }
    now = to;
  };
  return { irq, events, rtc, reg, set, run, now: () => now };
}

Deno.test("periodicHz follows the MC146818 rate table for the 32.768 kHz time base", () => {
  const table = Array.from({ length: 16 }, (_, rs) => periodicHz(rs));
  assert.deepEqual(table, [
    0,
    256,
    128,
    8192,
    4096,
    2048,
    1024,
    512,
    256,
    128,
    64,
    32,
    16,
    8,
    4,
    2,
  ]);
});

Deno.test("Rtc reads the starting time in binary 24-hour mode by default", () => {
  const { rtc, reg } = rig();
  assert.equal(rtc.base, RTC_BASE);
  assert.equal(RTC_BASE, 0x1fe80000);
  assert.deepEqual(
    [RTC_REG.SEC, RTC_REG.MIN, RTC_REG.HOUR, RTC_REG.DOW, RTC_REG.DAY, RTC_REG.MONTH, RTC_REG.YEAR]
      .map(reg),
    [58, 59, 23, 5, 29, 2, 2024 - 1972],
  );
  assert.equal(reg(RTC_REG.B), RTC_B.DM | RTC_B.H24);
  assert.equal(reg(RTC_REG.A), RTC_A.DV_32K);
  assert.equal(reg(RTC_REG.D), RTC_D.VRT);
});

Deno.test("Rtc reads BCD when DM is clear and 12-hour with PM in bit 7 when 24/12 is clear", () => {
  const { reg, set } = rig();
  set(RTC_REG.B, RTC_B.H24);
  assert.deepEqual([reg(RTC_REG.SEC), reg(RTC_REG.HOUR), reg(RTC_REG.YEAR)], [0x58, 0x23, 0x52]);
  set(RTC_REG.B, 0);
  assert.equal(reg(RTC_REG.HOUR), 0x80 | 0x11);
  set(RTC_REG.B, RTC_B.DM);
  assert.equal(reg(RTC_REG.HOUR), 0x80 | 11);
});

Deno.test("Rtc advances with emulated cycles across a leap day, not with host time", () => {
  const t = rig();
  t.run(HZ - 1);
  assert.equal(t.reg(RTC_REG.SEC), 58);
  t.run(2 * HZ);
  const fields = [RTC_REG.SEC, RTC_REG.MIN, RTC_REG.HOUR, RTC_REG.DOW, RTC_REG.DAY, RTC_REG.MONTH];
  assert.deepEqual(fields.map(t.reg), [0, 0, 0, 6, 1, 3]);
  t.run(2 * HZ + 3600 * HZ);
  assert.equal(t.reg(RTC_REG.HOUR), 1);
  assert.equal(t.rtc.time.toISOString(), "2024-03-01T01:00:00.000Z");
});

Deno.test("Rtc takes its starting time at the clock's cycle of construction", () => {
  const t = rig(new Date(Date.UTC(2000, 0, 1, 0, 0, 0)), 7 * HZ + 5);
  t.run(8 * HZ + 4);
  assert.equal(t.reg(RTC_REG.SEC), 0);
  t.run(8 * HZ + 5);
  assert.equal(t.reg(RTC_REG.SEC), 1);
});

Deno.test("Rtc writes time registers in the current mode, and SET holds them", () => {
  const t = rig();
  t.set(RTC_REG.B, RTC_B.SET | RTC_B.H24);
  t.set(RTC_REG.SEC, 0x30);
  t.set(RTC_REG.MIN, 0x15);
  t.set(RTC_REG.HOUR, 0x09);
  t.set(RTC_REG.DAY, 0x31);
  t.set(RTC_REG.MONTH, 0x12);
  t.set(RTC_REG.YEAR, 0x27);
  t.run(5 * HZ);
  assert.equal(t.reg(RTC_REG.SEC), 0x30);
  t.set(RTC_REG.B, RTC_B.H24);
  t.run(6 * HZ);
  assert.equal(t.rtc.time.toISOString(), "1999-12-31T09:15:31.000Z");
  t.set(RTC_REG.B, RTC_B.DM);
  t.set(RTC_REG.HOUR, 0x80 | 12);
  assert.equal(t.rtc.time.getUTCHours(), 12);
  t.set(RTC_REG.HOUR, 12);
  assert.equal(t.rtc.time.getUTCHours(), 0);
});

Deno.test("Rtc sets UIP only in the 244 us before a second boundary", () => {
  const t = rig();
  t.run(HZ / 2);
  assert.equal(t.reg(RTC_REG.A) & RTC_A.UIP, 0);
  t.run(HZ - 6000);
  assert.equal(t.reg(RTC_REG.A) & RTC_A.UIP, RTC_A.UIP);
  t.run(HZ);
  assert.equal(t.reg(RTC_REG.A) & RTC_A.UIP, 0);
});

Deno.test("Rtc posts no event and raises nothing while the rate is 0", () => {
  const t = rig();
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.PIE);
  assert.equal(t.events.next, Infinity);
  t.run(3 * HZ);
  assert.equal(t.irq.rises, 0);
});

Deno.test("Rtc interrupts 1024 times in one emulated second at RS=6 with PIE set", () => {
  const t = rig();
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.PIE);
  let acks = 0;
  t.run(HZ, () => {
    if (!t.irq.lines[RTC_LINE]) return;
    assert.equal(t.reg(RTC_REG.C) & (RTC_C.IRQF | RTC_C.PF), RTC_C.IRQF | RTC_C.PF);
    assert.equal(t.irq.lines[RTC_LINE], false);
    acks++;
  });
  assert.equal(acks, 1024);
  assert.equal(t.irq.rises, 1024);
  assert.equal(t.irq.lines.filter((l) => l).length, 0);
});

Deno.test("Rtc places periodic events on the exact grid of 25e6 / rate cycles", () => {
  const t = rig();
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  const cycles: number[] = [];
  t.run(390_625, () => cycles.push(t.now()));
  const expected = Array.from({ length: 16 }, (_, k) => Math.ceil((k + 1) * 24414.0625));
  assert.deepEqual(cycles, expected);
  assert.equal(cycles[15], 390_625);
});

Deno.test("Rtc interrupts at 2 Hz at RS=15 and at 256 Hz at RS=1", () => {
  for (const [rs, hz] of [[15, 2], [1, 256]]) {
    const t = rig();
    t.set(RTC_REG.A, RTC_A.DV_32K | rs);
    t.set(RTC_REG.B, RTC_B.PIE | RTC_B.DM);
    let acks = 0;
    t.run(3 * HZ, () => {
      if (t.irq.lines[RTC_LINE] && t.reg(RTC_REG.C) & RTC_C.IRQF) acks++;
    });
    assert.equal(acks, 3 * hz, `RS=${rs}`);
  }
});

Deno.test("Rtc keeps the line up until C is read, and reading C clears the flags", () => {
  const t = rig();
  t.set(RTC_REG.A, RTC_A.DV_32K | 15);
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.PIE);
  t.run(HZ / 2);
  assert.equal(t.irq.lines[RTC_LINE], true);
  t.run(3 * HZ);
  assert.equal(t.irq.lines[RTC_LINE], true);
  assert.equal(t.irq.rises, 1);
  assert.equal(t.reg(RTC_REG.C), RTC_C.IRQF | RTC_C.PF | RTC_C.UF);
  assert.equal(t.irq.lines[RTC_LINE], false);
  assert.equal(t.reg(RTC_REG.C), 0);
});

Deno.test("Rtc sets PF every period but raises nothing while PIE is clear", () => {
  const t = rig();
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  t.run(HZ / 10);
  assert.equal(t.irq.rises, 0);
  assert.equal(t.reg(RTC_REG.C), RTC_C.PF);
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.PIE);
  assert.equal(t.irq.lines[RTC_LINE], false);
  t.run(HZ / 10 + 24415);
  assert.equal(t.irq.lines[RTC_LINE], true);
});

Deno.test("Rtc stops its periodic events when the divider is held in reset", () => {
  const t = rig();
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  t.set(RTC_REG.A, 0x60 | 6);
  assert.equal(t.events.next, Infinity);
  t.run(5 * HZ);
  assert.equal(t.reg(RTC_REG.SEC), 58);
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  t.run(5 * HZ + HZ / 2 - 1);
  assert.equal(t.reg(RTC_REG.SEC), 58);
  t.run(5 * HZ + HZ / 2);
  assert.equal(t.reg(RTC_REG.SEC), 59);
});

Deno.test("Rtc raises an update interrupt each second with UIE set", () => {
  const t = rig();
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.UIE);
  let acks = 0;
  t.run(10 * HZ, () => {
    if (t.irq.lines[RTC_LINE] && t.reg(RTC_REG.C) === (RTC_C.IRQF | RTC_C.UF)) acks++;
  });
  assert.equal(acks, 10);
});

Deno.test("Rtc.reset clears the interrupt enables and flags but keeps time and NVRAM", () => {
  const t = rig();
  t.set(RTC_REG.NVRAM, 0xa5);
  t.set(63, 0x5a);
  t.set(RTC_REG.A, RTC_A.DV_32K | 6);
  t.set(RTC_REG.B, RTC_B.DM | RTC_B.H24 | RTC_B.PIE);
  t.run(HZ / 100);
  assert.equal(t.irq.lines[RTC_LINE], true);
  t.rtc.reset();
  assert.equal(t.irq.lines[RTC_LINE], false);
  assert.equal(t.reg(RTC_REG.B), RTC_B.DM | RTC_B.H24);
  assert.deepEqual([t.reg(RTC_REG.NVRAM), t.reg(63), t.reg(RTC_REG.SEC)], [0xa5, 0x5a, 58]);
});

Deno.test("Rtc answers only the low byte lane and ignores writes to C and D", () => {
  const t = rig();
  t.set(RTC_REG.NVRAM, 0x42);
  assert.equal(t.rtc.read(4 * RTC_REG.NVRAM, 4), 0x42);
  assert.equal(t.rtc.read(4 * RTC_REG.NVRAM + 1, 1), 0);
  t.rtc.write(4 * RTC_REG.NVRAM + 1, 1, 0x99);
  assert.equal(t.reg(RTC_REG.NVRAM), 0x42);
  t.set(RTC_REG.C, 0xff);
  t.set(RTC_REG.D, 0);
  assert.equal(t.reg(RTC_REG.C), 0);
  assert.equal(t.reg(RTC_REG.D), RTC_D.VRT);
});

Deno.test("Rtc rejects a starting year its year register cannot hold", () => {
  assert.throws(() => rig(new Date(Date.UTC(1971, 5, 1))), /outside 1972\.\.2071/);
});
