/**
 * The boot ROM: 512 KB of read-only memory at physical 0x1fc00000, where the CPU starts.
 *
 * After reset the R3000 fetches from virtual 0xbfc00000 (kseg1, uncached), which is this ROM.
 * Nothing here knows what the PROM does: the machine assembles the PROM code and puts the bytes
 * in with `load` from TypeScript. The guest reads 1, 2 or 4 bytes, little-endian like the rest of
 * the machine. Guest writes are ignored, as a ROM ignores them (the model raises no bus error).
 *
 * @module
 */

import type { Device } from "./bus.ts";

/** Physical address of the boot ROM. */
export const ROM_BASE = 0x1fc00000;

/** Size of the boot ROM in bytes. */
export const ROM_SIZE = 512 * 1024;

/** The boot ROM: a read-only device holding an image loaded from TypeScript. */
export class Rom implements Device {
  /** Device name. */
  readonly name = "rom";
  /** Physical base address. */
  readonly base: number = ROM_BASE;
  /** 512 KB. */
  readonly size: number = ROM_SIZE;
  /** The image; power-on contents are zero. */
  readonly bytes = new Uint8Array(ROM_SIZE);
  readonly #view = new DataView(this.bytes.buffer);

  /** Copies `data` (bytes, or words in host order) to `offset`; throws RangeError when it does not fit. */
  load(offset: number, data: Uint8Array | Uint32Array): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!Number.isInteger(offset) || offset < 0 || offset + bytes.length > ROM_SIZE) {
      throw new RangeError(
        `ROM image of ${bytes.length} bytes at offset 0x${offset.toString(16)} ` +
          `does not fit in ${ROM_SIZE} bytes: shorten it or load it lower`,
      );
    }
    this.bytes.set(bytes, offset);
  }

  /** Reads `bytes` little-endian at `offset`; never fails inside the ROM. */
  read(offset: number, bytes: 1 | 2 | 4): number {
    if (bytes === 4) return this.#view.getUint32(offset, true);
    if (bytes === 2) return this.#view.getUint16(offset, true);
    return this.bytes[offset];
  }

  /** Ignores a guest write: the ROM cannot be written from the bus. */
  write(_offset: number, _bytes: 1 | 2 | 4, _value: number): void {}
}
