/**
 * 10 Mb/s Ethernet as the machine sees it: frame sizes, wire time in CPU cycles, the frame check
 * sequence, and MAC addresses.
 *
 * A frame here is what travels between stations: destination, source, type or length, data, and
 * the 4-byte frame check sequence (FCS) at the end, exactly as the LANCE writes it into a receive
 * buffer. The preamble and start delimiter (8 bytes) are not stored; they only cost wire time.
 *
 * Time: at 10 Mb/s a bit takes 100 ns and a byte 800 ns, which is 20 cycles of the 25 MHz
 * R3000A. A frame of n bytes (FCS included) occupies the wire for (8 + n) * 20 cycles, and a
 * station waits the interframe gap of 96 bit times (9.6 us, 240 cycles) after its last bit before
 * it starts another (IEEE 802.3, clause 4.4.2). The smallest legal frame is 64 bytes with FCS, the
 * largest 1518; shorter ones are runts, which receivers discard.
 *
 * The FCS is the IEEE 802.3 CRC-32 (reflected polynomial 0xedb88320, initial value all ones,
 * complemented), stored least significant byte first.
 *
 * @module
 */

import { CLOCK_HZ } from "./timing.ts";

/** Cycles of the 25 MHz CPU per byte on a 10 Mb/s wire (800 ns). */
export const BYTE_CYCLES = (8 * CLOCK_HZ) / 10_000_000;

/** Bytes of preamble and start-of-frame delimiter before every frame. */
export const PREAMBLE_BYTES = 8;

/** The interframe gap, 96 bit times, in cycles. */
export const IFG_CYCLES = (96 * CLOCK_HZ) / 10_000_000;

/** Bytes of frame check sequence at the end of a frame. */
export const FCS_BYTES = 4;

/** The smallest frame a receiver keeps, FCS included; shorter ones are runts. */
export const MIN_FRAME = 64;

/** The largest legal frame, FCS included (1500 bytes of data). */
export const MAX_FRAME = 1518;

/** Bytes of destination, source and type at the head of a frame. */
export const HEADER_BYTES = 14;

/** The broadcast address. */
export const BROADCAST: Uint8Array = new Uint8Array(6).fill(0xff);

/** Cycles a frame of `bytes` (FCS included) occupies the wire, preamble included. */
export function wireCycles(bytes: number): number {
  return (PREAMBLE_BYTES + bytes) * BYTE_CYCLES;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The CRC register after `bytes[start..end)`, from `crc` (all ones to begin), not complemented. */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** The IEEE 802.3 FCS of `bytes[start..end)`: the complemented CRC-32, as an unsigned number. */
export function fcs(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return (~crc32Update(0xffffffff, bytes, start, end)) >>> 0;
}

/** A copy of `frame` (no FCS) with its FCS appended. */
export function withFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + FCS_BYTES);
  out.set(frame);
  const f = fcs(frame);
  for (let i = 0; i < 4; i++) out[frame.length + i] = (f >>> (8 * i)) & 0xff;
  return out;
}

/** True when the last four bytes of `frame` are the FCS of the rest. */
export function fcsOk(frame: Uint8Array): boolean {
  if (frame.length < FCS_BYTES) return false;
  const n = frame.length - FCS_BYTES;
  const f = fcs(frame, 0, n);
  return frame[n] === (f & 0xff) && frame[n + 1] === ((f >>> 8) & 0xff) &&
    frame[n + 2] === ((f >>> 16) & 0xff) && frame[n + 3] === (f >>> 24);
}

/**
 * The logical address filter bit (0..63) of multicast address `mac`: the top six bits of the
 * CRC register after the six address bytes, as the LANCE hashes and as Linux's declance.c and
 * NetBSD's am7990.c compute it (`ether_crc_le(6, addr) >> 26`).
 */
export function ladrfBit(mac: Uint8Array, start = 0): number {
  return crc32Update(0xffffffff, mac, start, start + 6) >>> 26;
}

/** Parses "08:00:2b:01:02:03" (or a 6-byte array) into 6 bytes; throws RangeError on anything else. */
export function parseMac(mac: string | Uint8Array): Uint8Array {
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) {
      throw new RangeError(`MAC address has ${mac.length} bytes, not 6: give six bytes`);
    }
    return mac.slice();
  }
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(
      `MAC address "${mac}" is not six hex bytes: write it as 08:00:2b:00:00:01`,
    );
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** Formats 6 bytes of `bytes` from `start` as "08:00:2b:01:02:03". */
export function formatMac(bytes: Uint8Array, start = 0): string {
  return [...bytes.subarray(start, start + 6)].map((b) => b.toString(16).padStart(2, "0"))
    .join(":");
}

/** True when the 6 bytes at `a[ai..]` equal those at `b[bi..]`. */
export function sameMac(a: Uint8Array, ai: number, b: Uint8Array, bi = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[ai + i] !== b[bi + i]) return false;
  return true;
}
