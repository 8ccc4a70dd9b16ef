/**
 * ARP (RFC 826) for IPv4 over Ethernet, with a cache.
 *
 * The cache maps an IP address to a MAC address until an expiry (in slice-clock ticks, the only
 * clock Aegis exports): replies fill it, and so do requests for our address (the asker will talk
 * to us next). A lookup that misses sends a request and the caller waits; requests are repeated
 * every RETRY_US, and after TRIES unanswered ones the address counts as unreachable until the
 * next attempt. Requests for our own address are answered by the stack (in the kernel, by the
 * ASH exos/net/ash.ts downloads, or here when it did not).
 *
 * @module
 */

import { be16, be32, BROADCAST, ETHER, etherFrame, put16, put32 } from "./packet.ts";

/** ARP operations. */
export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

/** How long an entry lives, how long to wait for a reply, and how often to ask. */
export const ARP_TIMING = { TTL_US: 60_000_000, RETRY_US: 250_000, TRIES: 3 } as const;

/** An ARP packet received: operation, sender and target. */
export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

/** Parses the ARP packet (Ethernet, IPv4) in `frame`, or undefined if it is not one. */
export function parseArp(frame: Uint8Array): ArpPacket | undefined {
  const a = ETHER.HEADER;
  if (frame.length < a + 28 || be16(frame, 12) !== ETHER.ARP) return undefined;
  if (be16(frame, a) !== 1 || be16(frame, a + 2) !== ETHER.IP) return undefined;
  if (frame[a + 4] !== 6 || frame[a + 5] !== 4) return undefined;
  return {
    op: be16(frame, a + 6),
    senderMac: frame.slice(a + 8, a + 14),
    senderIp: be32(frame, a + 14),
    targetMac: frame.slice(a + 18, a + 24),
    targetIp: be32(frame, a + 24),
  };
}

/** An ARP frame: `op` from (mac, ip) to (targetMac, targetIp), sent to `to`. */
export function arpFrame(
  op: number,
  to: Uint8Array,
  mac: Uint8Array,
  ip: number,
  targetMac: Uint8Array,
  targetIp: number,
): Uint8Array {
  const f = etherFrame(to, mac, ETHER.ARP, ETHER.HEADER + 28);
  const a = ETHER.HEADER;
  f.set([0, 1, 8, 0, 6, 4], a);
  put16(f, a + 6, op);
  f.set(mac.subarray(0, 6), a + 8);
  put32(f, a + 14, ip);
  f.set(targetMac.subarray(0, 6), a + 18);
  put32(f, a + 24, targetIp);
  return f;
}

/** A request for `targetIp` from (mac, ip), broadcast. */
export function arpRequest(mac: Uint8Array, ip: number, targetIp: number): Uint8Array {
  return arpFrame(ARP_OP.REQUEST, BROADCAST, mac, ip, new Uint8Array(6), targetIp);
}

/** A lookup in progress: requests sent, and when to ask again. */
interface Pending {
  tries: number;
  next: number;
}

/** The ARP cache of one stack, its clock in ticks of `usPerTick` microseconds. */
export class ArpCache {
  readonly #entries = new Map<number, { mac: Uint8Array; expires: number }>();
  readonly #pending = new Map<number, Pending>();

  /** Learns that `ip` is at `mac`, now (`tick`). */
  learn(ip: number, mac: Uint8Array, tick: number, usPerTick: number): void {
    this.#entries.set(ip, { mac: mac.slice(0, 6), expires: tick + ARP_TIMING.TTL_US / usPerTick });
    this.#pending.delete(ip);
  }

  /**
   * Where `ip` is, at `tick`: its MAC; "ask" when a request should go out now (the first, or
   * a repeat); "wait" while one is out; "unreachable" after TRIES unanswered (the next call
   * starts over).
   */
  resolve(
    ip: number,
    tick: number,
    usPerTick: number,
  ): Uint8Array | "ask" | "wait" | "unreachable" {
    const e = this.#entries.get(ip);
    if (e !== undefined && tick < e.expires) return e.mac;
    const p = this.#pending.get(ip);
    if (p === undefined) {
      this.#pending.set(ip, { tries: 1, next: tick + ARP_TIMING.RETRY_US / usPerTick });
      return "ask";
    }
    if (tick < p.next) return "wait";
    if (p.tries >= ARP_TIMING.TRIES) {
      this.#pending.delete(ip);
      return "unreachable";
    }
    p.tries++;
    p.next = tick + ARP_TIMING.RETRY_US / usPerTick;
    return "ask";
  }

  /** The entries, as [ip, mac] pairs. */
  entries(): [number, Uint8Array][] {
    return [...this.#entries].map(([ip, e]) => [ip, e.mac]);
  }
}
