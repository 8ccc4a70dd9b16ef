/**
 * The MC146818 (DS1287) real-time clock: time of day, NVRAM and the periodic clock interrupt.
 *
 * On the DECstation 5000/200 the clock sits at physical 0x1fe80000 with register n at offset 4n
 * (one byte, in the low byte lane) and drives CPU hardware interrupt line 1 (Cause.IP3). Its
 * periodic interrupt is the system's clock tick; Aegis slices time with it.
 *
 * Registers: 0 seconds, 1 alarm seconds, 2 minutes, 3 alarm minutes, 4 hours, 5 alarm hours,
 * 6 day of week (1 = Sunday), 7 day of month, 8 month, 9 year, 10 A, 11 B, 12 C, 13 D, 14..63
 * NVRAM. A holds UIP (7, read-only), the divider DV (6:4) and the rate RS (3:0); B holds SET,
 * PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12 (1 = 24-hour) and DSE; C holds IRQF, PF, AF, UF
 * and reading it clears them and withdraws the interrupt; D reads VRT (battery good).
 *
 * Time is emulated time only: the clock counts cycles of the 25 MHz CPU (`clock()`), never the
 * host's. The constructor takes the starting time of day (a Date read as UTC; the host's time
 * when none is given, the only use of host time); tests give a fixed one. The year register
 * counts from `yearBase`, default 1972: the DEC convention as recalled from NetBSD's pmax clock
 * code (unverified; gxemul's 3max clock shows 72 in 2026). 1972 is a leap year, so the chip's
 * "register divisible by 4" leap rule matches the calendar.
 *
 * The divider runs while DV is 010 (the 32.768 kHz time base; the power-on value of A is 0x20).
 * A second boundary falls every 25 000 000 cycles; the fields advance lazily when read, so no
 * event is needed for the time of day. UIP reads 1 in the 244 us before each boundary. SET stops
 * the fields (the divider runs on). UF is set at each boundary the fields cross.
 *
 * The periodic interrupt: RS picks the rate, 0 none, 1 256 Hz, 2 128 Hz, 3..15 65536 >> RS Hz
 * (8192 Hz down to 2 Hz; 1024 Hz at RS = 6). Every period, on a grid aligned with the second
 * boundaries, an event on the EventQueue sets PF, whether PIE is set or not; with PIE set IRQF
 * rises and line 1 goes up and stays up until C is read. A period is 25e6 / rate cycles, a binary
 * fraction at every rate, so the grid is exact; each event fires at the first whole cycle on or
 * after its point. With UIE set an event at each second boundary raises the line through UF.
 *
 * Not modelled: the alarm (alarm registers are storage, AF never sets), daylight saving (DSE),
 * the square-wave pin, and the data-mode switch leaving old contents unconverted (the fields are
 * kept in binary and shown in the current mode).
 *
 * @module
 */

import type { Device, EventQueue, Interrupts } from "./bus.ts";
import { CLOCK_HZ } from "./timing.ts";

/** Physical address of the clock. */
export const RTC_BASE = 0x1fe80000;

/** The CPU hardware interrupt line the clock drives (1 = Cause.IP3). */
export const RTC_LINE = 1;

/** Register numbers (the register is at byte offset 4 * number). */
export const RTC_REG = {
  SEC: 0,
  ALARM_SEC: 1,
  MIN: 2,
  ALARM_MIN: 3,
  HOUR: 4,
  ALARM_HOUR: 5,
  DOW: 6,
  DAY: 7,
  MONTH: 8,
  YEAR: 9,
  A: 10,
  B: 11,
  C: 12,
  D: 13,
  NVRAM: 14,
} as const;

/** Register A bits. */
export const RTC_A = { UIP: 0x80, DV: 0x70, DV_32K: 0x20, RS: 0x0f } as const;

/** Register B bits. */
export const RTC_B = {
  SET: 0x80,
  PIE: 0x40,
  AIE: 0x20,
  UIE: 0x10,
  SQWE: 0x08,
  DM: 0x04,
  H24: 0x02,
  DSE: 0x01,
} as const;

/** Register C bits. */
export const RTC_C = { IRQF: 0x80, PF: 0x40, AF: 0x20, UF: 0x10 } as const;

/** Register D bits. */
export const RTC_D = { VRT: 0x80 } as const;

/** What the clock is wired to, and where its time starts. */
export interface RtcOptions {
  /** The CPU's interrupt lines; the clock drives line 1 (IP3). */
  interrupts: Interrupts;
  /** The machine's event queue, for the periodic and update interrupts. */
  events: EventQueue;
  /** The CPU cycle count now; must not run behind the cycle the queue fires at. */
  clock: () => number;
  /** Time of day at cycle `clock()` of construction, read in UTC; default the host's time now. */
  epoch?: Date;
  /** Calendar year that year register 0 stands for; default 1972. */
  yearBase?: number;
}

/** The periodic rate in Hz for rate select `rs` (0..15) with the 32.768 kHz time base; 0 = off. */
export function periodicHz(rs: number): number {
  if (rs === 0) return 0;
  return rs <= 2 ? 65536 >> (rs + 7) : 65536 >> rs;
}

const UIP_CYCLES = 244 * CLOCK_HZ / 1_000_000;
const DAY_MS = 86_400_000;

/** The MC146818 clock: time of day in emulated time, periodic interrupt on line 1, NVRAM. */
export class Rtc implements Device {
  /** Device name. */
  readonly name = "rtc";
  /** Physical base address. */
  readonly base: number = RTC_BASE;
  /** 64 registers at a 4-byte stride. */
  readonly size = 0x100;
  /** Calendar year of year register 0. */
  readonly yearBase: number;
  #ram = new Uint8Array(64);
  /** Binary time fields: sec, min, hour (0..23), dow, day, month, year register. */
  /** The time of day in binary, indexed by register number (RTC_REG.SEC .. RTC_REG.YEAR). */
  readonly #time = Uint8Array.of(0, 0, 0, 0, 0, 0, 1, 1, 1, 0);
  #flags = 0;
  #line = false;
  /** Cycle at which the current second began (the divider's phase). */
  #tick: number;
  #nextPeriodic = 0;
  #nextSecond = 0;
  readonly #periodic = () => this.#onPeriodic();
  readonly #second = () => this.#onSecond();

  /** The CPU's interrupt lines. */
  readonly interrupts: Interrupts;
  /** The machine's event queue. */
  readonly events: EventQueue;
  /** The CPU cycle count now. */
  readonly clock: () => number;

  /** Makes the clock, running from `options.epoch` now; throws RangeError on a year out of range. */
  constructor(options: RtcOptions) {
    this.interrupts = options.interrupts;
    this.events = options.events;
    this.clock = options.clock;
    this.yearBase = options.yearBase ?? 1972;
    const time = options.epoch ?? new Date();
    const year = time.getUTCFullYear() - this.yearBase;
    if (!(year >= 0 && year < 100)) {
      throw new RangeError(
        `RTC time ${time.toISOString()} is outside ${this.yearBase}..${this.yearBase + 99}: ` +
          `give a yearBase that covers it`,
      );
    }
    this.#setMs(Math.floor(time.getTime() / 1000) * 1000);
    this.#ram[RTC_REG.A] = RTC_A.DV_32K;
    this.#ram[RTC_REG.B] = RTC_B.DM | RTC_B.H24;
    this.#tick = this.clock();
  }

  /** The time of day the registers hold now, as a UTC Date. */
  get time(): Date {
    this.#catchUp();
    return new Date(this.#ms());
  }

  /** Reads register offset/4 from the low byte lane; other lanes read 0. Reading C acknowledges. */
  read(offset: number, _bytes: 1 | 2 | 4): number {
    if ((offset & 3) !== 0) return 0;
    const reg = offset >>> 2;
    const b = this.#ram[RTC_REG.B];
    switch (reg) {
      case RTC_REG.SEC:
      case RTC_REG.MIN:
      case RTC_REG.HOUR:
      case RTC_REG.DOW:
      case RTC_REG.DAY:
      case RTC_REG.MONTH:
      case RTC_REG.YEAR: {
        this.#catchUp();
        let v = this.#time[reg];
        let pm = 0;
        if (reg === RTC_REG.HOUR && (b & RTC_B.H24) === 0) {
          pm = v >= 12 ? 0x80 : 0;
          v = (v + 11) % 12 + 1;
        }
        return ((b & RTC_B.DM) ? v : toBcd(v)) | pm;
      }
      case RTC_REG.A:
        return this.#ram[RTC_REG.A] | (this.#inUpdate() ? RTC_A.UIP : 0);
      case RTC_REG.C: {
        this.#catchUp();
        const v = this.#flags | (this.#irq() ? RTC_C.IRQF : 0);
        this.#flags = 0;
        this.#update();
        return v;
      }
      case RTC_REG.D:
        return RTC_D.VRT;
      default:
        return this.#ram[reg];
    }
  }

  /** Writes the low byte of `value` to register offset/4; C, D and other lanes ignore writes. */
  write(offset: number, _bytes: 1 | 2 | 4, value: number): void {
    if ((offset & 3) !== 0) return;
    const reg = offset >>> 2;
    const v = value & 0xff;
    const b = this.#ram[RTC_REG.B];
    switch (reg) {
      case RTC_REG.SEC:
      case RTC_REG.MIN:
      case RTC_REG.HOUR:
      case RTC_REG.DOW:
      case RTC_REG.DAY:
      case RTC_REG.MONTH:
      case RTC_REG.YEAR: {
        this.#catchUp();
        const decode = (x: number) => (b & RTC_B.DM) ? x : fromBcd(x);
        const h12 = reg === RTC_REG.HOUR && (b & RTC_B.H24) === 0;
        this.#time[reg] = h12 ? decode(v & 0x7f) % 12 + (v & 0x80 ? 12 : 0) : decode(v);
        return;
      }
      case RTC_REG.A: {
        this.#catchUp();
        const wasRunning = this.#running();
        this.#ram[RTC_REG.A] = v & ~RTC_A.UIP;
        // Leaving divider reset: the first update comes half a second later (datasheet).
        if (!wasRunning && this.#running()) this.#tick = this.clock() - CLOCK_HZ / 2;
        break;
      }
      case RTC_REG.B:
        this.#catchUp();
        this.#ram[RTC_REG.B] = v & RTC_B.SET ? v & ~RTC_B.UIE : v;
        break;
      case RTC_REG.C:
      case RTC_REG.D:
        return;
      default:
        this.#ram[reg] = v;
        return;
    }
    this.#schedule();
    this.#update();
  }

  /** A copy of the clock's registers, time of day and event schedule. */
  snapshot(): unknown {
    return {
      ram: this.#ram.slice(),
      time: this.#time.slice(),
      rest: [this.#flags, this.#line, this.#tick, this.#nextPeriodic, this.#nextSecond],
    };
  }

  /** Puts back a state taken by `snapshot` (its events come back with the machine's queue). */
  restore(state: unknown): void {
    const s = state as {
      ram: Uint8Array;
      time: number[];
      rest: [number, boolean, number, number, number];
    };
    this.#ram.set(s.ram);
    this.#time.set(s.time);
    [this.#flags, this.#line, this.#tick, this.#nextPeriodic, this.#nextSecond] = s.rest;
  }

  /** The RESET pin: clears PIE, AIE, UIE, SQWE and the flags; time, A and NVRAM are kept. */
  reset(): void {
    this.#catchUp();
    this.#ram[RTC_REG.B] &= ~(RTC_B.PIE | RTC_B.AIE | RTC_B.UIE | RTC_B.SQWE);
    this.#flags = 0;
    this.#schedule();
    this.#update();
  }

  #running(): boolean {
    return (this.#ram[RTC_REG.A] & RTC_A.DV) === RTC_A.DV_32K;
  }

  #inUpdate(): boolean {
    if (!this.#running() || this.#ram[RTC_REG.B] & RTC_B.SET) return false;
    return (this.clock() - this.#tick) % CLOCK_HZ >= CLOCK_HZ - UIP_CYCLES;
  }

  /** Advances the divider to now; the fields follow unless SET holds them. */
  #catchUp(): void {
    if (!this.#running()) return;
    const n = Math.floor((this.clock() - this.#tick) / CLOCK_HZ);
    if (n <= 0) return;
    this.#tick += n * CLOCK_HZ;
    if (this.#ram[RTC_REG.B] & RTC_B.SET) return;
    const before = this.#ms();
    const after = before + n * 1000;
    const days = Math.floor(after / DAY_MS) - Math.floor(before / DAY_MS);
    const dow = (((this.#time[RTC_REG.DOW] - 1 + days) % 7) + 7) % 7 + 1;
    this.#setMs(after);
    this.#time[RTC_REG.DOW] = dow;
    this.#flags |= RTC_C.UF;
  }

  #ms(): number {
    const t = this.#time;
    return Date.UTC(
      this.yearBase + t[RTC_REG.YEAR],
      t[RTC_REG.MONTH] - 1,
      t[RTC_REG.DAY],
      t[RTC_REG.HOUR],
      t[RTC_REG.MIN],
      t[RTC_REG.SEC],
    );
  }

  #setMs(ms: number): void {
    const d = new Date(ms);
    const t = this.#time;
    t[RTC_REG.SEC] = d.getUTCSeconds();
    t[RTC_REG.MIN] = d.getUTCMinutes();
    t[RTC_REG.HOUR] = d.getUTCHours();
    t[RTC_REG.DOW] = d.getUTCDay() + 1;
    t[RTC_REG.DAY] = d.getUTCDate();
    t[RTC_REG.MONTH] = d.getUTCMonth() + 1;
    t[RTC_REG.YEAR] = (d.getUTCFullYear() - this.yearBase) % 100;
  }

  /** (Re)posts the periodic and update events for the current A and B. */
  #schedule(): void {
    this.events.cancel(this.#periodic);
    this.events.cancel(this.#second);
    if (!this.#running()) return;
    const now = this.clock();
    const hz = periodicHz(this.#ram[RTC_REG.A] & RTC_A.RS);
    if (hz !== 0) {
      const period = CLOCK_HZ / hz;
      this.#nextPeriodic = this.#tick + (Math.floor((now - this.#tick) / period) + 1) * period;
      this.events.at(Math.ceil(this.#nextPeriodic), this.#periodic);
    }
    if (this.#ram[RTC_REG.B] & RTC_B.UIE) {
      this.#nextSecond = this.#tick + (Math.floor((now - this.#tick) / CLOCK_HZ) + 1) * CLOCK_HZ;
      this.events.at(this.#nextSecond, this.#second);
    }
  }

  #onPeriodic(): void {
    this.#flags |= RTC_C.PF;
    this.#nextPeriodic += CLOCK_HZ / periodicHz(this.#ram[RTC_REG.A] & RTC_A.RS);
    this.events.at(Math.ceil(this.#nextPeriodic), this.#periodic);
    this.#update();
  }

  #onSecond(): void {
    this.#catchUp();
    this.#nextSecond += CLOCK_HZ;
    this.events.at(this.#nextSecond, this.#second);
    this.#update();
  }

  #irq(): boolean {
    const b = this.#ram[RTC_REG.B];
    return (this.#flags & RTC_C.PF) !== 0 && (b & RTC_B.PIE) !== 0 ||
      (this.#flags & RTC_C.UF) !== 0 && (b & RTC_B.UIE) !== 0;
  }

  #update(): void {
    const level = this.#irq();
    if (level !== this.#line) {
      this.#line = level;
      this.interrupts.setLine(RTC_LINE, level);
    }
  }
}

function toBcd(n: number): number {
  return Math.floor(n / 10) % 10 << 4 | n % 10;
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0xf);
}
