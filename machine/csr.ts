/**
 * The KN02 system control and status register: the DECstation 5000/200's interrupt cascade.
 *
 * The 5000/200 wires every I/O interrupt (the three TURBOchannel option slots and the baseboard
 * devices) into one 32-bit register at physical 0x1ff00000, and that register into one CPU line,
 * hardware interrupt 0 (Cause.IP2). A device reports its request with `setSource(bit, level)`;
 * the CSR holds the levels in the read-only status byte (bits 7:0), masks them with the enables
 * the kernel writes (bits 23:16), and drives IP2 with the OR of what is left. The kernel's
 * handler reads the CSR, ANDs status with enables and asks the device behind each set bit.
 *
 * Layout as modelled (after NetBSD's pmax kn02.h, recalled; gxemul's 3max reads 0x01000000 at
 * boot, bit 24 being the 38400-baud control its firmware sets):
 * - bits 7:0 on read: I/O interrupt status, one bit per source (see `KN02_SLOT`); read-only.
 * - bits 7:0 on write: the eight diagnostic LEDs; write-only, kept in `leds` for inspection.
 * - bits 11:8: ECC mode and memory configuration; stored and read back, no effect.
 * - bits 15:12: power-supply warning, NVRAM and refresh status; read as 0 (all is well).
 * - bits 23:16: I/O interrupt enables, one per status bit; read/write.
 * - bits 31:24: diagnostic controls (ECC check/generate, 38400 baud, transmit disable, 32 MB
 *   banks); stored and read back, no effect on the model.
 * Power-on value 0: every source masked, LEDs dark.
 *
 * @module
 */

import type { Device, Interrupts } from "./bus.ts";

/** Physical address of the KN02 system CSR. */
export const CSR_BASE = 0x1ff00000;

/** Status/enable bit of each KN02 interrupt source (enable = bit + 16). */
export const KN02_SLOT = {
  tc0: 0,
  tc1: 1,
  tc2: 2,
  scsi: 5,
  lance: 6,
  dz: 7,
} as const;

/** Where a device on the cascade reports its interrupt request. */
export interface IoInterrupts {
  /** Sets the request of source `bit` (0..7, see `KN02_SLOT`) to `level`. */
  setSource(bit: number, level: boolean): void;
}

/** Bits that a write stores and a read returns as written (enables and controls). */
const STORED = 0xffff0f00;

/** The KN02 system CSR: interrupt status and enables, LEDs, cascade onto CPU line 0 (IP2). */
export class Csr implements Device, IoInterrupts {
  /** Device name. */
  readonly name = "kn02-csr";
  /** Physical base address. */
  readonly base: number = CSR_BASE;
  /** One 32-bit register. */
  readonly size = 4;
  #status = 0;
  #stored = 0;
  #leds = 0;
  #line = false;

  /** Makes the CSR; it drives line 0 of `interrupts`. */
  constructor(readonly interrupts: Interrupts) {}

  /** The register as a 32-bit read returns it. */
  get value(): number {
    return (this.#stored | this.#status) >>> 0;
  }

  /** What the last write put on the LEDs (bits 7:0). */
  get leds(): number {
    return this.#leds;
  }

  /** The sources both requesting and enabled (bits 7:0); nonzero exactly when IP2 is up. */
  get pending(): number {
    return this.#status & (this.#stored >>> 16) & 0xff;
  }

  /** Records source `bit`'s request level; throws RangeError for a bit outside 0..7. */
  setSource(bit: number, level: boolean): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) {
      throw new RangeError(`CSR interrupt source ${bit} is not in 0..7: use a KN02_SLOT value`);
    }
    if (level) this.#status |= 1 << bit;
    else this.#status &= ~(1 << bit);
    this.#update();
  }

  /** Reads `bytes` of the register at byte `offset`; never fails. */
  read(offset: number, bytes: 1 | 2 | 4): number {
    const v = this.value >>> (offset * 8);
    return bytes === 4 ? v >>> 0 : v & (bytes === 2 ? 0xffff : 0xff);
  }

  /** Writes `bytes` of `value` at byte `offset`: LEDs, enables and controls; never fails. */
  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    const shift = offset * 8;
    const lanes = (bytes === 4 ? 0xffffffff : bytes === 2 ? 0xffff : 0xff) << shift;
    const v = value << shift;
    if (lanes & 0xff) this.#leds = v & 0xff;
    this.#stored = (this.#stored & ~lanes | v & lanes) & STORED;
    this.#update();
  }

  /** A copy of the CSR's state. */
  snapshot(): unknown {
    return [this.#status, this.#stored, this.#leds, this.#line];
  }

  /** Puts back a state taken by `snapshot`. */
  restore(state: unknown): void {
    [this.#status, this.#stored, this.#leds, this.#line] = state as [
      number,
      number,
      number,
      boolean,
    ];
  }

  /** Returns to power-on: enables, controls and LEDs cleared; device requests are kept. */
  reset(): void {
    this.#stored = 0;
    this.#leds = 0;
    this.#update();
  }

  #update(): void {
    const level = this.pending !== 0;
    if (level !== this.#line) {
      this.#line = level;
      this.interrupts.setLine(0, level);
    }
  }
}
