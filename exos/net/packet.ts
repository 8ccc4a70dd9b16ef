/**
 * Bytes on the wire, for ExOS's protocols: big-endian fields, the Internet checksum, IPv4 and
 * MAC addresses, and the Ethernet header. Frames here are what Aegis's rings hold and NET_SEND
 * takes: destination, source, type, data, without the FCS.
 *
 * @module
 */

/** Ethernet types ExOS speaks. */
export const ETHER = { IP: 0x0800, ARP: 0x0806, HEADER: 14, MIN: 60 } as const;

/** IP protocol numbers ExOS speaks. */
export const PROTO = { ICMP: 1, UDP: 17 } as const;

/** The broadcast address. */
export const BROADCAST: Uint8Array = new Uint8Array(6).fill(0xff);

/** The big-endian 16-bit number at `b[i]`. */
export function be16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

/** The big-endian 32-bit number at `b[i]`, unsigned. */
export function be32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/** Writes `v` big-endian in 16 bits at `b[i]`. */
export function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

/** Writes `v` big-endian in 32 bits at `b[i]`. */
export function put32(b: Uint8Array, i: number, v: number): void {
  put16(b, i, v >>> 16);
  put16(b, i + 2, v & 0xffff);
}

/**
 * The Internet checksum (RFC 1071) of `b[start..end)` plus `sum`: the complemented 16-bit
 * ones'-complement sum; 0 when the bytes include a right checksum of themselves.
 */
export function checksum(b: Uint8Array, start: number, end: number, sum = 0): number {
  let s = sum;
  for (let i = start; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if ((end - start) & 1) s += b[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return (~s) & 0xffff;
}

/** Parses "10.0.2.15" into a 32-bit number; throws RangeError for anything else. */
export function parseIp(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new RangeError(`IP address "${ip}" is not four numbers 0-255: write it as 10.0.2.15`);
  }
  return parts.reduce((v, p) => (v * 256 + Number(p)) >>> 0, 0);
}

/** Formats a 32-bit IPv4 address as "10.0.2.15". */
export function formatIp(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join(".");
}

/** Formats 6 bytes of `b` from `i` as "08:00:2b:00:00:01". */
export function formatMac(b: Uint8Array, i = 0): string {
  return [...b.subarray(i, i + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** An Ethernet frame of `length` bytes (padded to 60) to `dst` from `src` of type `type`. */
export function etherFrame(
  dst: Uint8Array,
  src: Uint8Array,
  type: number,
  length: number,
): Uint8Array {
  const f = new Uint8Array(Math.max(ETHER.MIN, length));
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  put16(f, 12, type);
  return f;
}
