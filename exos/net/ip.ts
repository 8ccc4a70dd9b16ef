/**
 * IPv4 (RFC 791), ICMP echo (RFC 792) and UDP (RFC 768) as ExOS builds and checks them.
 *
 * IP: headers of 20 bytes, TTL 64, "don't fragment" clear, identifiers counting per stack. ExOS
 * does not fragment: a datagram that does not fit one frame is refused when sent (EMSGSIZE),
 * and a fragment that arrives (MF set or an offset) is refused, counted, and never delivered:
 * `parseIp` says "fragment". Headers with options, bad checksums, bad lengths and other
 * versions are refused likewise, each with its own word.
 *
 * UDP: checksums computed over the pseudo-header on sending; checked on receiving when the
 * sender gave one (zero means none). ICMP: echo requests and replies, checksum over the message.
 *
 * @module
 */

import { be16, be32, checksum, ETHER, etherFrame, put16, put32 } from "./packet.ts";

/** The largest IP datagram in one frame, and the largest UDP payload. */
export const MTU = 1500, UDP_MAX = MTU - 20 - 8;

/** An IPv4 datagram received, header checked. */
export interface IpDatagram {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** Where its payload starts in the frame, and ends. */
  start: number;
  end: number;
}

/** Why a datagram was refused, by `parseIp`. */
export type IpRefusal = "short" | "version" | "options" | "length" | "checksum" | "fragment";

/** Checks the IPv4 datagram in `frame` (after the Ethernet header); returns it or why not. */
export function parseIp(frame: Uint8Array): IpDatagram | IpRefusal {
  const ip = ETHER.HEADER;
  if (frame.length < ip + 20) return "short";
  if (frame[ip] >> 4 !== 4) return "version";
  if ((frame[ip] & 15) !== 5) return "options";
  const total = be16(frame, ip + 2);
  if (total < 20 || ip + total > frame.length) return "length";
  if (checksum(frame, ip, ip + 20) !== 0) return "checksum";
  if ((be16(frame, ip + 6) & 0x3fff) !== 0) return "fragment";
  return {
    src: be32(frame, ip + 12),
    dst: be32(frame, ip + 16),
    protocol: frame[ip + 9],
    ttl: frame[ip + 8],
    start: ip + 20,
    end: ip + total,
  };
}

/**
 * A frame carrying an IPv4 datagram from `src` to `dst` (protocol, identifier) around `payload`,
 * to MAC `to` from MAC `from`.
 */
export function ipFrame(
  to: Uint8Array,
  from: Uint8Array,
  src: number,
  dst: number,
  protocol: number,
  id: number,
  payload: Uint8Array,
): Uint8Array {
  const ip = ETHER.HEADER, total = 20 + payload.length;
  const f = etherFrame(to, from, ETHER.IP, ip + total);
  f[ip] = 0x45;
  put16(f, ip + 2, total);
  put16(f, ip + 4, id & 0xffff);
  f[ip + 8] = 64;
  f[ip + 9] = protocol;
  put32(f, ip + 12, src);
  put32(f, ip + 16, dst);
  put16(f, ip + 10, checksum(f, ip, ip + 20));
  f.set(payload, ip + 20);
  return f;
}

/** The sum UDP's checksum adds for the pseudo-header of a datagram of `length` bytes. */
function pseudo(src: number, dst: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + length;
}

/** A UDP datagram (header and `data`) from `src`:`sport` to `dst`:`dport`, with its checksum. */
export function udpDatagram(
  src: number,
  sport: number,
  dst: number,
  dport: number,
  data: Uint8Array,
): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, u.length);
  u.set(data, 8);
  const sum = checksum(u, 0, u.length, pseudo(src, dst, u.length));
  put16(u, 6, sum === 0 ? 0xffff : sum);
  return u;
}

/** A UDP datagram received: ports and where its data lies in the frame. */
export interface UdpDatagram {
  sport: number;
  dport: number;
  start: number;
  end: number;
}

/** Checks the UDP datagram of `d` in `frame`; returns it, or why not ("length", "checksum"). */
export function parseUdp(frame: Uint8Array, d: IpDatagram): UdpDatagram | "length" | "checksum" {
  const at = d.start;
  if (d.end - at < 8) return "length";
  const length = be16(frame, at + 4);
  if (length < 8 || at + length > d.end) return "length";
  if (be16(frame, at + 6) !== 0 && checksum(frame, at, at + length, pseudo(d.src, d.dst, length))) {
    return "checksum";
  }
  return { sport: be16(frame, at), dport: be16(frame, at + 2), start: at + 8, end: at + length };
}

/** ICMP message types ExOS speaks. */
export const ICMP = { ECHO_REPLY: 0, ECHO: 8 } as const;

/** `message` (an ICMP message: type, code, checksum, rest) with its checksum computed. */
export function icmpMessage(message: Uint8Array): Uint8Array {
  const m = message.slice();
  put16(m, 2, 0);
  put16(m, 2, checksum(m, 0, m.length));
  return m;
}

/** Whether the ICMP message of `d` in `frame` has a right checksum. */
export function icmpOk(frame: Uint8Array, d: IpDatagram): boolean {
  return d.end - d.start >= 8 && checksum(frame, d.start, d.end) === 0;
}
