/**
 * The host gateway: a station on a wire that plays the router of QEMU's user networking, so a
 * guest can reach UDP servers on the host's loopback and nothing else.
 *
 * Addresses as QEMU's "slirp" has them: the guest is 10.0.2.15 (by convention: the gateway
 * answers whoever asks), the gateway 10.0.2.2 with MAC 52:55:0a:00:02:02. The gateway answers:
 *
 * - ARP requests for 10.0.2.2, with an ARP reply to the asker;
 * - ICMP echo requests to 10.0.2.2, with an echo reply carrying the same identifier, sequence and
 *   data;
 * - UDP datagrams to 10.0.2.2:PORT, by sending their payload from a host socket bound to
 *   127.0.0.1 (one socket per guest address, guest port and PORT) to 127.0.0.1:PORT; whatever
 *   comes back to that socket from 127.0.0.1:PORT returns to the guest as UDP from
 *   10.0.2.2:PORT.
 *
 * Everything else is dropped and counted: frames with a bad FCS, to other MACs, to other IP
 * addresses, IP fragments, options the gateway does not know, bad checksums. No address other
 * than 127.0.0.1 is ever used on the host. Frames the gateway sends are padded to 60 bytes and
 * carry an FCS; IP headers have TTL 64 and identifiers counting from 1.
 *
 * Time. The gateway acts at the wire's barriers (machine/wire.ts). A request whose last bit
 * arrives at cycle a is answered by a frame starting one interframe gap (9.6 us) later (or when
 * the gateway's transmitter is free), so ARP and ICMP round trips are exact and deterministic;
 * the gateway itself takes no time to think. A UDP datagram goes to the host when the barrier
 * after its arrival is reached, and sets a hold at a + 9.6 us + `hostLatencyUs`. In
 * `Wire.runAsync`, when the wire reaches a barrier past a hold, emulated time waits (up to
 * `hostWaitMs` of host time) for the host's answer, which then starts back at exactly the hold
 * cycle. So a server that answers each datagram once within the wait gives the same emulated
 * timeline on every run: deterministic in emulated time, though the host's own timing is not.
 * What is not deterministic: an answer that misses the wait, or any further datagram from the
 * host, goes out at whichever barrier first finds it, which depends on the host's speed; and
 * with `Wire.run`, which never yields, host answers only enter during a later `runAsync`.
 *
 * @module
 */

import dgram from "node:dgram";
import type { WireNode } from "./wire.ts";
import {
  fcsOk,
  formatMac,
  HEADER_BYTES,
  IFG_CYCLES,
  parseMac,
  sameMac,
  withFcs,
} from "./ethernet.ts";
import { CYCLES_PER_US } from "./timing.ts";

/** The gateway's IP address. */
export const GATEWAY_IP = "10.0.2.2";

/** The guest's IP address by convention. */
export const GUEST_IP = "10.0.2.15";

/** The gateway's MAC address (QEMU's). */
export const GATEWAY_MAC = "52:55:0a:00:02:02";

/** Options for a gateway. */
export interface GatewayOptions {
  /** Station name on the wire (default "gateway"). */
  name?: string;
  /** Emulated time from a UDP datagram's arrival to the host's answer leaving, in us (default 0). */
  hostLatencyUs?: number;
  /** Host time `Wire.runAsync` waits for a UDP answer, in milliseconds (default 1000). */
  hostWaitMs?: number;
}

/** What the gateway did. */
export interface GatewayStats {
  /** ARP requests answered. */
  arp: number;
  /** ICMP echo requests answered. */
  icmp: number;
  /** UDP datagrams sent to the host. */
  udpOut: number;
  /** UDP datagrams from the host sent to the guest. */
  udpIn: number;
  /** Waits for a host answer that ran out. */
  unanswered: number;
  /** Frames dropped. */
  dropped: number;
}

/** One guest UDP flow and its host socket. */
interface Flow {
  socket: dgram.Socket;
  ready: boolean;
  queue: Uint8Array[];
  guestMac: Uint8Array;
  guestIp: number;
  guestPort: number;
  port: number;
  /** Hold cycles of the datagrams not yet answered, oldest first. */
  holds: number[];
  /** Host answers not yet sent to the guest. */
  answers: Uint8Array[];
}

const ETH_ARP = 0x0806, ETH_IP = 0x0800;

/** QEMU-style user-networking gateway: ARP, ICMP echo and UDP to the host's loopback. */
export class Gateway implements WireNode {
  /** Station name. */
  readonly name: string;
  /** The gateway's MAC. */
  readonly mac: Uint8Array = parseMac(GATEWAY_MAC);
  /** Counters. */
  readonly stats: GatewayStats = {
    arp: 0,
    icmp: 0,
    udpOut: 0,
    udpIn: 0,
    unanswered: 0,
    dropped: 0,
  };
  readonly #latency: number;
  readonly #waitMs: number;
  #inbox: { frame: Uint8Array; cycle: number }[] = [];
  #outgoing: { frame: Uint8Array; start: number }[] = [];
  readonly #flows = new Map<string, Flow>();
  #ipId = 1;
  #wake: (() => void) | undefined;
  #closed = false;

  /** Makes a gateway; throws RangeError for a negative latency or wait. */
  constructor(options: GatewayOptions = {}) {
    this.name = options.name ?? "gateway";
    const latency = options.hostLatencyUs ?? 0, wait = options.hostWaitMs ?? 1000;
    if (!(latency >= 0)) throw new RangeError(`Gateway hostLatencyUs ${latency} is not >= 0`);
    if (!(wait >= 0)) throw new RangeError(`Gateway hostWaitMs ${wait} is not >= 0`);
    this.#latency = Math.round(latency * CYCLES_PER_US);
    this.#waitMs = wait;
  }

  /** Takes a frame that reached the gateway at wire cycle `cycle`. */
  receive(frame: Uint8Array, cycle: number): void {
    let i = this.#inbox.length;
    while (i > 0 && this.#inbox[i - 1].cycle > cycle) i--;
    this.#inbox.splice(i, 0, { frame, cycle });
  }

  /** Answers what arrived before `now` and sends the host's answers (see the file's essay). */
  step(now: number, send: (frame: Uint8Array, start: number) => number): void {
    this.#process(now);
    for (const f of this.#flows.values()) {
      while (f.answers.length > 0) {
        const data = f.answers.shift()!;
        const start = f.holds.length > 0 ? f.holds.shift()! : now;
        this.#outgoing.push({ frame: this.#udpFrame(f, data), start });
        this.stats.udpIn++;
      }
    }
    const out = this.#outgoing.sort((a, b) => a.start - b.start);
    this.#outgoing = [];
    for (const o of out) send(o.frame, o.start);
  }

  /** A promise while a UDP datagram's hold has passed unanswered (resolves on answer or timeout). */
  wait(now: number): Promise<void> | undefined {
    this.#process(now);
    const due = () =>
      [...this.#flows.values()].filter((f) =>
        f.holds.length > f.answers.length && f.holds[f.answers.length] < now
      );
    if (due().length === 0 || this.#closed) return undefined;
    return new Promise<void>((resolve) => {
      const finish = (timedOut: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        if (timedOut) {
          for (const f of due()) {
            f.holds.splice(f.answers.length, 1);
            this.stats.unanswered++;
          }
        }
        resolve();
      };
      const timer = setTimeout(() => finish(true), this.#waitMs);
      this.#wake = () => {
        if (due().length === 0 || this.#closed) finish(false);
      };
    });
  }

  /** Closes every host socket; later datagrams are dropped. */
  close(): void {
    this.#closed = true;
    for (const f of this.#flows.values()) f.socket.close();
    this.#flows.clear();
    this.#wake?.();
  }

  /** One line: address and counters. */
  toString(): string {
    const s = this.stats;
    return `Gateway ${GATEWAY_IP} ${formatMac(this.mac)} · arp ${s.arp} · icmp ${s.icmp} · ` +
      `udp ${s.udpOut} out ${s.udpIn} in · ${s.dropped} dropped`;
  }

  /** The gateway at a glance, for console.log and the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // ---- frames in -------------------------------------------------------------------------------

  /** Handles every frame that arrived before `now`, in arrival order. */
  #process(now: number): void {
    while (this.#inbox.length > 0 && this.#inbox[0].cycle < now) {
      const { frame, cycle } = this.#inbox.shift()!;
      if (!this.#handle(frame, cycle)) this.stats.dropped++;
    }
  }

  /** Answers one frame; returns false when it is dropped. */
  #handle(f: Uint8Array, cycle: number): boolean {
    if (!fcsOk(f)) return false;
    const n = f.length - 4;
    let bcast = true;
    for (let i = 0; i < 6; i++) bcast &&= f[i] === 0xff;
    if (!bcast && !sameMac(f, 0, this.mac)) return false;
    const type = (f[12] << 8) | f[13];
    if (type === ETH_ARP) return this.#arp(f, n, cycle);
    if (type !== ETH_IP || bcast || n < HEADER_BYTES + 20) return false;
    const ip = HEADER_BYTES, ihl = (f[ip] & 15) * 4, total = be16(f, ip + 2);
    if (f[ip] >> 4 !== 4 || ihl < 20 || total < ihl || ip + total > n) return false;
    if (internetChecksum(f, ip, ip + ihl) !== 0) return false;
    if ((be16(f, ip + 6) & 0x3fff) !== 0) return false; // a fragment: MF set or an offset
    if (be32(f, ip + 16) !== GATEWAY_ADDR) return false; // nothing beyond the gateway itself
    const body = ip + ihl, end = ip + total;
    if (f[ip + 9] === 1) return this.#icmp(f, ip, body, end, cycle);
    if (f[ip + 9] === 17) return this.#udp(f, ip, body, end, cycle);
    return false;
  }

  #arp(f: Uint8Array, n: number, cycle: number): boolean {
    const a = HEADER_BYTES;
    if (
      n < a + 28 || be16(f, a) !== 1 || be16(f, a + 2) !== ETH_IP || f[a + 4] !== 6 ||
      f[a + 5] !== 4 || be16(f, a + 6) !== 1 || be32(f, a + 24) !== GATEWAY_ADDR
    ) return false;
    const r = new Uint8Array(60);
    r.set(f.subarray(a + 8, a + 14), 0); // to the asker
    r.set(this.mac, 6);
    put16(r, 12, ETH_ARP);
    r.set(f.subarray(a, a + 6), a); // hardware and protocol type and sizes
    put16(r, a + 6, 2); // reply
    r.set(this.mac, a + 8);
    put32(r, a + 14, GATEWAY_ADDR);
    r.set(f.subarray(a + 8, a + 18), a + 18); // target: the asker's MAC and IP
    this.#outgoing.push({ frame: withFcs(r), start: cycle + IFG_CYCLES });
    this.stats.arp++;
    return true;
  }

  #icmp(f: Uint8Array, ip: number, body: number, end: number, cycle: number): boolean {
    if (end - body < 8 || f[body] !== 8 || f[body + 1] !== 0) return false;
    if (internetChecksum(f, body, end) !== 0) return false;
    const payload = f.slice(body, end);
    payload[0] = 0; // echo reply
    put16(payload, 2, 0);
    put16(payload, 2, internetChecksum(payload, 0, payload.length));
    const frame = this.#ipFrame(f.subarray(6, 12), be32(f, ip + 12), 1, payload);
    this.#outgoing.push({ frame, start: cycle + IFG_CYCLES });
    this.stats.icmp++;
    return true;
  }

  #udp(f: Uint8Array, ip: number, body: number, end: number, cycle: number): boolean {
    if (end - body < 8) return false;
    const length = be16(f, body + 4);
    if (length < 8 || body + length > end) return false;
    const src = be32(f, ip + 12), sport = be16(f, body), port = be16(f, body + 2);
    if (port === 0 || sport === 0) return false;
    if (be16(f, body + 6) !== 0 && udpChecksum(f, body, body + length, src, GATEWAY_ADDR) !== 0) {
      return false;
    }
    if (this.#closed) return false;
    const flow = this.#flow(f.subarray(6, 12), src, sport, port);
    const data = f.slice(body + 8, body + length);
    if (flow.ready) flow.socket.send(data);
    else flow.queue.push(data);
    flow.holds.push(cycle + IFG_CYCLES + this.#latency);
    this.stats.udpOut++;
    return true;
  }

  /** The flow of guest (ip, port) to host PORT, opening its loopback socket the first time. */
  #flow(mac: Uint8Array, ip: number, guestPort: number, port: number): Flow {
    const key = `${ip}:${guestPort}:${port}`;
    const old = this.#flows.get(key);
    if (old !== undefined) {
      old.guestMac = mac.slice();
      return old;
    }
    const socket = dgram.createSocket("udp4");
    const flow: Flow = {
      socket,
      ready: false,
      queue: [],
      guestMac: mac.slice(),
      guestIp: ip,
      guestPort,
      port,
      holds: [],
      answers: [],
    };
    socket.on("message", (msg: Uint8Array, from: { address: string; port: number }) => {
      if (from.address !== "127.0.0.1" || from.port !== port || this.#closed) return;
      flow.answers.push(new Uint8Array(msg));
      this.#wake?.();
    });
    socket.on("error", () => {}); // an unreachable port: the guest simply gets no answer
    socket.bind(0, "127.0.0.1", () => {
      socket.connect(port, "127.0.0.1", () => {
        flow.ready = true;
        for (const d of flow.queue) socket.send(d);
        flow.queue = [];
      });
    });
    this.#flows.set(key, flow);
    return flow;
  }

  // ---- frames out ------------------------------------------------------------------------------

  #udpFrame(flow: Flow, data: Uint8Array): Uint8Array {
    const u = new Uint8Array(8 + data.length);
    put16(u, 0, flow.port);
    put16(u, 2, flow.guestPort);
    put16(u, 4, u.length);
    u.set(data, 8);
    const sum = udpChecksum(u, 0, u.length, GATEWAY_ADDR, flow.guestIp);
    put16(u, 6, sum === 0 ? 0xffff : sum);
    return this.#ipFrame(flow.guestMac, flow.guestIp, 17, u);
  }

  /** An Ethernet frame with an IPv4 header from 10.0.2.2 to `dst` around `payload`, FCS added. */
  #ipFrame(mac: Uint8Array, dst: number, protocol: number, payload: Uint8Array): Uint8Array {
    const total = 20 + payload.length;
    const r = new Uint8Array(Math.max(60, HEADER_BYTES + total));
    r.set(mac, 0);
    r.set(this.mac, 6);
    put16(r, 12, ETH_IP);
    const ip = HEADER_BYTES;
    r[ip] = 0x45;
    put16(r, ip + 2, total);
    put16(r, ip + 4, this.#ipId++ & 0xffff);
    r[ip + 8] = 64;
    r[ip + 9] = protocol;
    put32(r, ip + 12, GATEWAY_ADDR);
    put32(r, ip + 16, dst);
    put16(r, ip + 10, internetChecksum(r, ip, ip + 20));
    r.set(payload, ip + 20);
    return withFcs(r);
  }
}

const GATEWAY_ADDR = (10 << 24 | 0 << 16 | 2 << 8 | 2) >>> 0;

function be16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function be32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

function put32(b: Uint8Array, i: number, v: number): void {
  put16(b, i, v >>> 16);
  put16(b, i + 2, v & 0xffff);
}

/** The Internet checksum (RFC 1071) of `b[start..end)` plus `sum`: 0 when a checksum inside is right. */
export function internetChecksum(b: Uint8Array, start: number, end: number, sum = 0): number {
  let s = sum;
  for (let i = start; i + 1 < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if ((end - start) & 1) s += b[end - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return (~s) & 0xffff;
}

/** The UDP checksum over the pseudo-header and `b[start..end)` (0 when the one inside is right). */
function udpChecksum(b: Uint8Array, start: number, end: number, src: number, dst: number): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + (end - start);
  return internetChecksum(b, start, end, pseudo);
}
