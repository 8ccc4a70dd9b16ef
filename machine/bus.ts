/**
 * The physical bus of the DECstation: RAM and the devices that answer at physical addresses.
 *
 * RAM is one ArrayBuffer seen through 8-, 16- and 32-bit views; the CPU reads it directly on its
 * fast path and only comes here for everything else. Every other physical address belongs to a
 * device that attached itself by address range, or to nobody: an access to nobody is a bus error,
 * which the CPU turns into IBE or DBE. Devices that need to act in emulated time post events on
 * the shared event queue, and raise interrupt lines through the `Interrupts` sink.
 *
 * @module
 */

/** A device on the bus: answers reads and writes within [base, base + size). */
export interface Device {
  /** Short name, for maps and error messages. */
  readonly name: string;
  /** First physical address the device answers. */
  readonly base: number;
  /** Number of bytes the device answers. */
  readonly size: number;
  /** Reads `bytes` (1, 2 or 4) at `offset` from base; returns the zero-extended value. */
  read(offset: number, bytes: 1 | 2 | 4): number;
  /** Writes the low `bytes` (1, 2 or 4) of `value` at `offset` from base. */
  write(offset: number, bytes: 1 | 2 | 4, value: number): void;
  /** Returns the device to its power-on state (optional). */
  reset?(): void;
  /** A copy of the device's state, for machine snapshots (optional: stateless devices). */
  snapshot?(): unknown;
  /** Puts back a state taken by `snapshot`. */
  restore?(state: unknown): void;
}

/** Where devices raise and lower the CPU's hardware interrupt lines (Cause.IP2..IP7 = 0..5). */
export interface Interrupts {
  /** Sets hardware interrupt line `line` (0 = IP2 ... 5 = IP7) to `level`. */
  setLine(line: number, level: boolean): void;
}

/** Thrown by `Bus.read`/`Bus.write` for an address nobody answers; the CPU raises IBE/DBE. */
export class BusError extends Error {
  /** Builds the error for physical address `paddr`. */
  constructor(readonly paddr: number) {
    super(`No device answers physical address 0x${(paddr >>> 0).toString(16).padStart(8, "0")}`);
  }
}

/** A time-ordered queue of callbacks in emulated cycles; the run loop fires the due ones. */
export class EventQueue {
  #cycles: number[] = [];
  #actions: (() => void)[] = [];

  /** The cycle of the earliest pending event, or Infinity when none is pending. */
  get next(): number {
    return this.#cycles.length === 0 ? Infinity : this.#cycles[0];
  }

  /** Schedules `action` to run once the cycle counter reaches `cycle`. */
  at(cycle: number, action: () => void): void {
    let i = this.#cycles.length;
    while (i > 0 && this.#cycles[i - 1] > cycle) i--;
    this.#cycles.splice(i, 0, cycle);
    this.#actions.splice(i, 0, action);
  }

  /** Removes every pending occurrence of `action`. */
  cancel(action: () => void): void {
    for (let i = this.#actions.length - 1; i >= 0; i--) {
      if (this.#actions[i] === action) {
        this.#cycles.splice(i, 1);
        this.#actions.splice(i, 1);
      }
    }
  }

  /** Runs, in order, every event due at or before `now`. */
  fire(now: number): void {
    while (this.#cycles.length > 0 && this.#cycles[0] <= now) {
      this.#cycles.shift();
      this.#actions.shift()!();
    }
  }

  /** A copy of the pending events (the same actions, for the same machine). */
  snapshot(): { cycles: number[]; actions: (() => void)[] } {
    return { cycles: this.#cycles.slice(), actions: this.#actions.slice() };
  }

  /** Puts back the events of `snapshot`. */
  restore(s: { cycles: number[]; actions: (() => void)[] }): void {
    this.#cycles = s.cycles.slice();
    this.#actions = s.actions.slice();
  }

  /** Drops every pending event. */
  clear(): void {
    this.#cycles.length = 0;
    this.#actions.length = 0;
  }
}

/** RAM plus the devices attached by physical address range. */
export class Bus {
  /** RAM size in bytes. */
  readonly ramSize: number;
  /** RAM as bytes. */
  readonly ram8: Uint8Array;
  /** RAM as little-endian halfwords. */
  readonly ram16: Uint16Array;
  /** RAM as little-endian words. */
  readonly ram32: Int32Array;
  readonly #devices: Device[] = [];

  /** Makes a bus with `ramBytes` of RAM at physical 0; throws on a size that is not whole 4 KB pages. */
  constructor(ramBytes: number) {
    if (!Number.isInteger(ramBytes) || ramBytes <= 0 || ramBytes % 4096 !== 0) {
      throw new RangeError(`RAM size ${ramBytes} is not a positive multiple of 4096 bytes`);
    }
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
      throw new Error("exolab needs a little-endian host: the guest's RAM is viewed in place");
    }
    const buffer = new ArrayBuffer(ramBytes);
    this.ramSize = ramBytes;
    this.ram8 = new Uint8Array(buffer);
    this.ram16 = new Uint16Array(buffer);
    this.ram32 = new Int32Array(buffer);
  }

  /** The attached devices, in address order. */
  get devices(): readonly Device[] {
    return this.#devices;
  }

  /** Attaches `device`; throws when its range overlaps RAM or another device. */
  attach(device: Device): void {
    const end = device.base + device.size;
    if (device.base < this.ramSize) {
      throw new RangeError(`Device ${device.name} at 0x${device.base.toString(16)} overlaps RAM`);
    }
    for (const d of this.#devices) {
      if (device.base < d.base + d.size && d.base < end) {
        throw new RangeError(`Device ${device.name} overlaps ${d.name}`);
      }
    }
    this.#devices.push(device);
    this.#devices.sort((a, b) => a.base - b.base);
  }

  /** The device answering physical address `paddr`, or undefined. */
  deviceAt(paddr: number): Device | undefined {
    for (const d of this.#devices) {
      if (paddr >= d.base && paddr < d.base + d.size) return d;
    }
    return undefined;
  }

  /** Reads `bytes` at physical `paddr` (naturally aligned); throws BusError where nobody answers. */
  read(paddr: number, bytes: 1 | 2 | 4): number {
    if (paddr + bytes <= this.ramSize) {
      if (bytes === 4) return this.ram32[paddr >>> 2] >>> 0;
      if (bytes === 2) return this.ram16[paddr >>> 1];
      return this.ram8[paddr];
    }
    const d = this.deviceAt(paddr);
    if (d === undefined) throw new BusError(paddr);
    return d.read(paddr - d.base, bytes);
  }

  /** Writes `bytes` of `value` at physical `paddr`; throws BusError where nobody answers. */
  write(paddr: number, bytes: 1 | 2 | 4, value: number): void {
    if (paddr + bytes <= this.ramSize) {
      if (bytes === 4) this.ram32[paddr >>> 2] = value;
      else if (bytes === 2) this.ram16[paddr >>> 1] = value;
      else this.ram8[paddr] = value;
      return;
    }
    const d = this.deviceAt(paddr);
    if (d === undefined) throw new BusError(paddr);
    d.write(paddr - d.base, bytes, value);
  }

  /** Resets every device that can be reset; RAM is left as it is. */
  resetDevices(): void {
    for (const d of this.#devices) d.reset?.();
  }

  /** RAM's size and each device at its address, in hex (not RAM's bytes), for the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
    const devices = this.#devices.map((d) =>
      `${d.name} ${hex(d.base)}-${hex(d.base + d.size - 1)}`
    );
    return `Bus · RAM ${this.ramSize >> 20} MB at 0x00000000 (.ram8 .ram16 .ram32) · ` +
      devices.join(" · ");
  }
}
