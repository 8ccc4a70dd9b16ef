/**
 * The DC7085 serial controller: four DZ11-compatible lines, line 3 being the console.
 *
 * The DECstation 5000/200 puts a DC7085 at physical 0x1fe00000: line 0 keyboard, 1 mouse,
 * 2 modem, 3 printer, which the PROM uses as its console. The registers are 16-bit values at an
 * 8-byte stride, as NetBSD's pmax dc driver and gxemul lay them out:
 *
 *   0x00 CSR   TRDY 15, TIE 14, SAE 12, TLINE 9:8, RDONE 7, RIE 6, MSE 5, CLR 4, MAINT 3
 *   0x08 RBUF  (read) DVAL 15, OERR 14, FERR 13, PERR 12, line 9:8, character 7:0
 *        LPR   (write) RXENAB 12, speed 11:8, parity and character size 7:3, line 1:0
 *   0x10 TCR   line enables 3:0 (the modem controls above them are stored only)
 *   0x18 MSR   (read) modem status, 0x0606 as gxemul returns (signals up on lines 2 and 3)
 *        TDR   (write) character 7:0, break bits 15:8 (ignored)
 *
 * The transmitter scans like a DZ11: while MSE is set it stops at the next line whose TCR bit is
 * set, shows it in TLINE and sets TRDY. A TDR write sends the character on that line and the scan
 * moves on to the following line. Transmission is instant: the character reaches `onTransmit`
 * (with its line number) at once, with no baud-rate delay, so TRDY is back as soon as any line is enabled.
 * A polling driver (enable the line, wait for TRDY and TLINE, write TDR) and an interrupt-driven
 * one (on TIE with TRDY, feed TDR or clear the line's TCR bit) both work; the interrupt-driven
 * one simply sees its whole queue drain in one interrupt. A TDR write while TRDY is clear is
 * ignored.
 *
 * Reception: `receive(line, byte)` is the wire. Bytes wait on the host side, per line, until the
 * line's receiver is enabled (LPR RXENAB with MSE) and the 64-character silo has room, so typed
 * or pasted input is never lost, and OERR is never set. RDONE means the silo is not empty; each
 * RBUF read pops one entry with DVAL set, or returns 0 when the silo is empty. The PROM, which is
 * TypeScript, reads the console without registers through `takeConsoleInput`.
 *
 * Interrupts: (TIE and TRDY) or (RIE and RDONE) raises the system CSR's DZ source (bit 7).
 * Not modelled: MAINT loopback, the silo alarm (SAE is stored only), break, parity and framing.
 * The decoded window is the 32 register bytes; accesses to the unused bytes of each 8-byte slot
 * read 0 and are ignored.
 *
 * @module
 */

import type { Device } from "./bus.ts";
import { type IoInterrupts, KN02_SLOT } from "./csr.ts";

/** Physical address of the DC7085. */
export const DZ_BASE = 0x1fe00000;

/** The line the 5000/200 PROM uses as its console. */
export const DZ_CONSOLE_LINE = 3;

/** CSR bits. */
export const DZ_CSR = {
  TRDY: 0x8000,
  TIE: 0x4000,
  SAE: 0x1000,
  TLINE: 0x0300,
  RDONE: 0x0080,
  RIE: 0x0040,
  MSE: 0x0020,
  CLR: 0x0010,
  MAINT: 0x0008,
} as const;

/** RBUF bits (the line number is in bits 9:8, the character in 7:0). */
export const DZ_RBUF = { DVAL: 0x8000, OERR: 0x4000, FERR: 0x2000, PERR: 0x1000 } as const;

/** LPR bits (speed code in bits 11:8, line number in 1:0). */
export const DZ_LPR = { RXENAB: 0x1000 } as const;

/** Register offsets from DZ_BASE. */
export const DZ_REG = {
  CSR: 0x00,
  RBUF: 0x08,
  LPR: 0x08,
  TCR: 0x10,
  MSR: 0x18,
  TDR: 0x18,
} as const;

const CSR_WRITABLE = DZ_CSR.TIE | DZ_CSR.SAE | DZ_CSR.RIE | DZ_CSR.MSE | DZ_CSR.MAINT;
const SILO_SIZE = 64;
const MSR_VALUE = 0x0606;

/** Options for the controller. */
export interface DzOptions {
  /** Where the controller reports its interrupt (source KN02_SLOT.dz): the system CSR. */
  csr: IoInterrupts;
}

/** The DC7085 four-line serial controller; interrupts through the system CSR's DZ bit. */
export class Dz implements Device {
  /** Device name. */
  readonly name = "dz";
  /** Physical base address. */
  readonly base: number = DZ_BASE;
  /** Four registers at an 8-byte stride. */
  readonly size = 0x20;
  #csr = 0;
  #tline = 0;
  #trdy = false;
  #tcr = 0;
  #lpr = [0, 0, 0, 0];
  #silo: number[] = [];
  #wire: number[][] = [[], [], [], []];
  #level = false;
  /** Receives each byte the guest transmits, with its line (0..3); unset, bytes are dropped. */
  onTransmit: ((line: number, byte: number) => void) | undefined;
  /** Where interrupts go. */
  readonly csr: IoInterrupts;

  /** Makes the controller in its cleared state. */
  constructor(options: DzOptions) {
    this.csr = options.csr;
  }

  /** Puts `byte` on `line`'s wire; it enters the silo once the receiver can take it. */
  receive(line: number, byte: number): void {
    this.#wire[checkLine(line)].push(byte & 0xff);
    this.#feed();
    this.#update();
  }

  /** Takes the console line's next byte, from the silo first, then the wire; undefined if none. */
  takeConsoleInput(): number | undefined {
    const i = this.#silo.findIndex((v) => (v >> 8 & 3) === DZ_CONSOLE_LINE);
    const byte = i >= 0 ? this.#silo.splice(i, 1)[0] & 0xff : this.#wire[DZ_CONSOLE_LINE].shift();
    this.#feed();
    this.#update();
    return byte;
  }

  /** Bytes waiting on the wire of each line, not yet in the silo. */
  get waiting(): number {
    return this.#wire.reduce((n, w) => n + w.length, 0);
  }

  /** The last value written to each line's LPR. */
  get lpr(): readonly number[] {
    return this.#lpr;
  }

  /** Reads a register (the 16-bit value's byte lanes); an RBUF read pops the silo. */
  read(offset: number, bytes: 1 | 2 | 4): number {
    if ((offset & 7) > 1) return 0;
    const reg = offset & ~7;
    let v = 0;
    if (reg === DZ_REG.CSR) v = this.#csrValue();
    else if (reg === DZ_REG.TCR) v = this.#tcr;
    else if (reg === DZ_REG.MSR) v = MSR_VALUE;
    else if ((offset & 1) === 0) {
      v = this.#silo.shift() ?? 0;
      this.#feed();
      this.#update();
    } else v = this.#silo[0] ?? 0;
    return (offset & 1) === 1 ? v >>> 8 : bytes === 1 ? v & 0xff : v;
  }

  /** Writes a register's byte lanes: CSR, LPR, TCR or TDR (which transmits). */
  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if ((offset & 7) > 1) return;
    const reg = offset & ~7;
    const lanes = (offset & 1) === 1 ? 0xff00 : bytes === 1 ? 0x00ff : 0xffff;
    const v = ((offset & 1) === 1 ? value << 8 : value) & lanes;
    if (reg === DZ_REG.CSR) {
      if (v & DZ_CSR.CLR) return this.reset();
      this.#csr = (this.#csr & ~lanes | v) & CSR_WRITABLE;
    } else if (reg === DZ_REG.TCR) {
      this.#tcr = (this.#tcr & ~lanes | v) & 0xffff;
    } else if (reg === DZ_REG.LPR) {
      this.#lpr[v & 3] = v;
    } else if (lanes & 0xff && this.#trdy) {
      this.onTransmit?.(this.#tline, v & 0xff);
      this.#tline = (this.#tline + 1) & 3;
    }
    this.#scan();
    this.#feed();
    this.#update();
  }

  /** A copy of the controller's state, its silo and the input waiting on each line. */
  snapshot(): unknown {
    return {
      regs: [this.#csr, this.#tline, this.#trdy, this.#tcr, this.#level],
      lpr: this.#lpr.slice(),
      silo: this.#silo.slice(),
      wire: this.#wire.map((w) => w.slice()),
    };
  }

  /** Puts back a state taken by `snapshot`. */
  restore(state: unknown): void {
    const s = state as {
      regs: [number, number, boolean, number, boolean];
      lpr: number[];
      silo: number[];
      wire: number[][];
    };
    [this.#csr, this.#tline, this.#trdy, this.#tcr, this.#level] = s.regs;
    this.#lpr = s.lpr.slice();
    this.#silo = s.silo.slice();
    this.#wire = s.wire.map((w) => w.slice());
  }

  /** Clears every register and the silo (as CSR.CLR does); bytes on the wire stay. */
  reset(): void {
    this.#csr = 0;
    this.#tline = 0;
    this.#tcr = 0;
    this.#lpr = [0, 0, 0, 0];
    this.#silo.length = 0;
    this.#scan();
    this.#update();
  }

  #csrValue(): number {
    return this.#csr | (this.#trdy ? DZ_CSR.TRDY | this.#tline << 8 : 0) |
      (this.#silo.length > 0 ? DZ_CSR.RDONE : 0);
  }

  /** The transmit scanner: stops at the first enabled line from TLINE on. */
  #scan(): void {
    this.#trdy = false;
    if ((this.#csr & DZ_CSR.MSE) === 0) return;
    for (let i = 0; i < 4; i++) {
      const line = (this.#tline + i) & 3;
      if (this.#tcr & (1 << line)) {
        this.#tline = line;
        this.#trdy = true;
        return;
      }
    }
  }

  /** Moves bytes from the wires into the silo, one line at a time, while there is room. */
  #feed(): void {
    if ((this.#csr & DZ_CSR.MSE) === 0) return;
    let moved = true;
    while (moved && this.#silo.length < SILO_SIZE) {
      moved = false;
      for (let line = 0; line < 4 && this.#silo.length < SILO_SIZE; line++) {
        const wire = this.#wire[line];
        if (wire.length === 0 || (this.#lpr[line] & DZ_LPR.RXENAB) === 0) continue;
        this.#silo.push(DZ_RBUF.DVAL | line << 8 | wire.shift()!);
        moved = true;
      }
    }
  }

  #update(): void {
    const level = (this.#csr & DZ_CSR.TIE) !== 0 && this.#trdy ||
      (this.#csr & DZ_CSR.RIE) !== 0 && this.#silo.length > 0;
    if (level !== this.#level) {
      this.#level = level;
      this.csr.setSource(KN02_SLOT.dz, level);
    }
  }
}

function checkLine(line: number): number {
  if (!Number.isInteger(line) || line < 0 || line > 3) {
    throw new RangeError(`DZ line ${line} is not in 0..3: the DC7085 has four lines`);
  }
  return line;
}
