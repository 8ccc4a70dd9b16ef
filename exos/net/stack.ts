/**
 * ExOS's network stack: ARP, IPv4, ICMP echo and UDP for the processes of one ExOS, on Aegis's
 * exported network, at application level.
 *
 * Who owns what. Each socket's filter, ring and transmit page belong to the process's own
 * environment, so its datagrams go straight from the kernel into its pages (Aegis checks that no
 * filter overlaps another, so a port is one socket's). What the processes share (the ARP cache,
 * the answers to ARP requests and pings for the machine's address) belongs to the stack's own
 * environment, "exos-net", which holds pages and filters but never runs: its filters carry ASHs
 * (exos/net/ash.ts) that answer ARP requests and echo requests in the kernel, on arrival, and
 * its rings hold ARP replies and what the ASHs left to the library. The stack reads those rings
 * whenever a process makes a network call (`poll`).
 *
 * Blocking. A call that cannot finish (no datagram yet, an address still being resolved, every
 * transmit buffer busy) returns BLOCK: the process keeps its slice and runs the call again the
 * next time it is scheduled (exos/net/socket.ts), so it sees a datagram at its next turn of the
 * round robin, as the paper's Figure 2 has it. A receive waits in guest code (link.ts, the wait
 * stub), watching its ring, and comes back to the library every WAIT_TURNS turns; a send waiting
 * for ARP or a transmit buffer comes back at its next turn. A receive timeout (SO_RCVTIMEO) is
 * measured on the slice clock Aegis exports (CLOCK), checked when the receive comes back.
 *
 * What TypeScript costs. The stack's own computing is charged to the CPU (`charge`) at the
 * declared cost of a MIPS implementation (NET_COSTS); the memory it touches in a process's or
 * its own pages is charged by those pages' loads and stores.
 *
 * @module
 */

import { type Filter, NET_INFO, SYS, type SyscallPath } from "../../aegis/abi.ts";
import { AddressSpace } from "../vm.ts";
import { ARP_OP, ArpCache, arpFrame, arpRequest, parseArp } from "./arp.ts";
import { arpResponder, ASH_PAGE, echoResponder, pingPong } from "./ash.ts";
import {
  ICMP,
  icmpMessage,
  icmpOk,
  ipFrame,
  type IpRefusal,
  parseIp,
  parseUdp,
  UDP_MAX,
  udpDatagram,
} from "./ip.ts";
import { Link, NetCallError, type Ring } from "./link.ts";
import { ETHER, formatIp, parseIp as parseAddress, PROTO, put16 } from "./packet.ts";

/** What a process of ExOS is, to the stack: its call path and address space. */
export interface NetProcess {
  /** Its call path. */
  readonly path: SyscallPath;
  /** Its address space. */
  readonly vm: AddressSpace;
}

/** Where a machine is on the network. */
export interface NetConfig {
  /** Its IPv4 address ("10.0.2.15"). */
  ip: string;
  /** Its netmask (default 255.255.255.0). */
  netmask?: string;
  /** The router for other networks (default: none). */
  gateway?: string;
}

/** A call that must wait: the process runs it again at its next turn. */
export const BLOCK: unique symbol = Symbol("block");

/** Negative errno values the stack returns (unix.h). */
export const NET_ERRNO = {
  EBADF: 9,
  EAGAIN: 11,
  EFAULT: 14,
  EINVAL: 22,
  EMFILE: 24,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  ENETUNREACH: 101,
  EHOSTUNREACH: 113,
} as const;

/**
 * What the stack's TypeScript work costs, in cycles: estimates of the instructions a MIPS
 * implementation would execute. Memory it touches is charged separately, a cycle a word.
 */
export const NET_COSTS = {
  /** A socket call's dispatch: the descriptor, its arguments. */
  call: 30,
  /** Build or check the Ethernet, IP and UDP (or ICMP) headers of one frame. */
  headers: 60,
  /** Checksum one byte (a load and an add per halfword). */
  checksumByte: 1,
  /** Look up or update the ARP cache. */
  arp: 30,
} as const;

/** A socket: UDP, or ICMP echo (a Linux "ping socket"). */
interface Socket {
  kind: "udp" | "icmp";
  /** The bound port (UDP) or the echo identifier (ICMP); 0 until bound. */
  port: number;
  ring: Ring | undefined;
  /** SO_RCVTIMEO in microseconds; 0 waits forever. */
  timeoutUs: number;
  /** The tick a waiting receive gives up at. */
  deadline: number | undefined;
  /** What a blocked call waits for: a frame (the ring's next slot), or the next turn. */
  waiting: "frame" | "turn";
}

/** A datagram received by a socket. */
export interface Received {
  /** UDP data, or the whole ICMP message. */
  data: Uint8Array;
  /** The sender's address. */
  ip: number;
  /** The sender's port (0 for ICMP). */
  port: number;
}

/** What the stack refused and answered, since it started. */
export interface NetStackStats {
  /** Datagrams refused, by reason (parseIp's, and "udp length", "udp checksum", "icmp"). */
  refused: Record<string, number>;
  /** ARP requests answered by the library (the kernel's ASH answers the others). */
  arpAnswered: number;
  /** Echo requests answered by the library. */
  echoAnswered: number;
}

/** Turns a blocked call waits in guest code before the library looks again. */
const WAIT_TURNS = 8;

/** Lowest ephemeral port. */
const EPHEMERAL = 49152;

/** ExOS's network stack for one machine. */
export class NetStack {
  /** The machine's address. */
  readonly ip: number;
  /** Its netmask. */
  readonly netmask: number;
  /** Its gateway, if it has one. */
  readonly gateway: number | undefined;
  /** The ARP cache. */
  readonly arp: ArpCache = new ArpCache();
  /** Refusals and answers. */
  readonly stats: NetStackStats = { refused: {}, arpAnswered: 0, echoAnswered: 0 };
  #mac = new Uint8Array(6);
  #own: { link: Link; replies: Ring; requests: Ring; echoes: Ring } | undefined;
  readonly #links = new Map<NetProcess, Link>();
  readonly #sockets = new Map<NetProcess, Map<number, Socket>>();
  readonly #ports = new Set<number>();
  #nextPort = EPHEMERAL;
  #nextId = 1;
  #usPerTick = 1000;

  /**
   * The stack at `config`, making its environment with `createEnv` when it starts; `charge`
   * charges the CPU for its work. Throws RangeError for a bad address.
   */
  constructor(
    config: NetConfig,
    readonly createEnv: (name: string) => SyscallPath,
    readonly charge: (cycles: number) => void = () => {},
  ) {
    this.ip = parseAddress(config.ip);
    this.netmask = parseAddress(config.netmask ?? "255.255.255.0");
    this.gateway = config.gateway === undefined ? undefined : parseAddress(config.gateway);
  }

  /** The station address Aegis reports. */
  get mac(): Uint8Array {
    return this.#mac;
  }

  /** Whether the stack has started (`up`). */
  get started(): boolean {
    return this.#own !== undefined;
  }

  /**
   * Starts the stack: makes its environment, installs the ARP and echo filters with their rings
   * and ASHs. Throws Error when Aegis refuses (another stack holds the filters, say).
   */
  up(): void {
    if (this.#own !== undefined) return;
    const path = this.createEnv("exos-net");
    const vm = new AddressSpace(path, { stackPages: 0 });
    const link = new Link(path, vm);
    const m = path.call(SYS.NET_INFO, NET_INFO.MAC);
    this.#mac = Uint8Array.of(m.v0, m.v0 >>> 8, m.v0 >>> 16, m.v0 >>> 24, m.v1, m.v1 >>> 8);
    const c = path.call(SYS.CLOCK);
    this.#usPerTick = c.v1 / 1000;
    const arp = (op: number): Filter => ({
      atoms: [
        { offset: 12, size: 2, value: ETHER.ARP },
        { offset: 14, size: 4, value: 0x00010800 },
        { offset: 18, size: 2, value: 0x0604 },
        { offset: 20, size: 2, value: op },
        { offset: 38, size: 4, value: this.ip },
      ],
    });
    const replies = link.open(arp(ARP_OP.REPLY), 2);
    const requests = link.open(arp(ARP_OP.REQUEST), 1);
    const echoes = link.open({
      atoms: [
        { offset: 12, size: 2, value: ETHER.IP },
        { offset: 14, size: 1, value: 0x45 },
        { offset: 23, size: 1, value: PROTO.ICMP },
        { offset: 30, size: 4, value: this.ip },
        { offset: 34, size: 1, value: ICMP.ECHO },
      ],
    }, 1);
    link.ash(requests, arpResponder, macWords(this.#mac));
    link.ash(echoes, echoResponder, new Map());
    this.#own = { link, replies, requests, echoes };
  }

  /** The slice clock, in ticks. */
  #now(): number {
    return this.#own!.link.path.call(SYS.CLOCK).v0 >>> 0;
  }

  /** Reads the stack's own rings: ARP replies, and requests and echoes the ASHs left over. */
  poll(): void {
    if (this.#own === undefined) this.up();
    const own = this.#own!;
    for (let f = own.replies.take(); f !== undefined; f = own.replies.take()) {
      this.charge(NET_COSTS.arp);
      const a = parseArp(f);
      if (a !== undefined) this.arp.learn(a.senderIp, a.senderMac, this.#now(), this.#usPerTick);
    }
    for (let f = own.requests.take(); f !== undefined; f = own.requests.take()) {
      this.charge(NET_COSTS.arp);
      const a = parseArp(f);
      if (a === undefined || a.targetIp !== this.ip) continue;
      this.arp.learn(a.senderIp, a.senderMac, this.#now(), this.#usPerTick);
      const reply = arpFrame(
        ARP_OP.REPLY,
        a.senderMac,
        this.#mac,
        this.ip,
        a.senderMac,
        a.senderIp,
      );
      if (own.link.send(reply)) this.stats.arpAnswered++;
    }
    for (let f = own.echoes.take(); f !== undefined; f = own.echoes.take()) this.#echo(f);
  }

  /** Answers an echo request the ASH left to the library, or refuses it. */
  #echo(f: Uint8Array): void {
    this.charge(NET_COSTS.headers);
    const d = parseIp(f);
    if (typeof d === "string") return this.#refuse(d);
    this.charge(NET_COSTS.checksumByte * (d.end - d.start));
    if (!icmpOk(f, d)) return this.#refuse("icmp");
    const message = f.slice(d.start, d.end);
    message[0] = ICMP.ECHO_REPLY;
    const reply = ipFrame(
      f.subarray(6, 12),
      this.#mac,
      this.ip,
      d.src,
      PROTO.ICMP,
      this.#nextId++,
      icmpMessage(message),
    );
    if (this.#own!.link.send(reply)) this.stats.echoAnswered++;
  }

  #refuse(why: IpRefusal | "udp length" | "udp checksum" | "icmp"): void {
    this.stats.refused[why] = (this.stats.refused[why] ?? 0) + 1;
  }

  // ---- sockets ---------------------------------------------------------------------------------

  /** `p`'s link: its rings and transmit page. */
  #link(p: NetProcess): Link {
    let l = this.#links.get(p);
    if (l === undefined) this.#links.set(p, l = new Link(p.path, p.vm));
    return l;
  }

  /**
   * Where `p` goes to wait in a call on socket `fd` that returned BLOCK, with t0 = the trap:
   * its link's wait stub, watching the socket's next slot (a receive), or counting turns.
   */
  waitFor(p: NetProcess, fd: number): number {
    const s = this.#socket(p, fd);
    if (s?.waiting !== "frame") return this.#link(p).waitFor(undefined, 1); // ARP, a buffer
    return this.#link(p).waitFor(s.ring?.nextStatus, WAIT_TURNS);
  }

  /** Whether `pc` is where a blocked call of `p` waits (a view's question). */
  waitsAt(p: NetProcess, pc: number): boolean {
    return this.#links.get(p)?.waitsAt(pc) ?? false;
  }

  /** `p`'s socket `fd`, or undefined. */
  #socket(p: NetProcess, fd: number): Socket | undefined {
    return this.#sockets.get(p)?.get(fd);
  }

  /** SOCKET: a new UDP or ICMP socket of `p`; returns its descriptor or -errno. */
  socket(p: NetProcess, domain: number, type: number, protocol: number): number {
    this.charge(NET_COSTS.call);
    if (domain !== 2) return -NET_ERRNO.EAFNOSUPPORT;
    if (type !== 2) return -NET_ERRNO.EPROTONOSUPPORT;
    const kind = protocol === 0 || protocol === PROTO.UDP
      ? "udp"
      : protocol === PROTO.ICMP
      ? "icmp"
      : undefined;
    if (kind === undefined) return -NET_ERRNO.EPROTONOSUPPORT;
    let table = this.#sockets.get(p);
    if (table === undefined) this.#sockets.set(p, table = new Map());
    let fd = SOCKET_FD;
    while (table.has(fd)) fd++;
    if (fd >= SOCKET_FD + 64) return -NET_ERRNO.EMFILE;
    table.set(fd, {
      kind,
      port: 0,
      ring: undefined,
      timeoutUs: 0,
      deadline: undefined,
      waiting: "turn",
    });
    return fd;
  }

  /** BIND: `p`'s UDP socket `fd` to `port` (0: any); 0 or -errno. */
  bind(p: NetProcess, fd: number, port: number): number {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    if (s.ring !== undefined || s.kind !== "udp") return -NET_ERRNO.EINVAL;
    if (this.#own === undefined) this.up();
    let want = port;
    if (want === 0) {
      while (this.#ports.has(this.#nextPort)) this.#nextPort++;
      want = this.#nextPort++;
    }
    if (this.#ports.has(want)) return -NET_ERRNO.EADDRINUSE;
    try {
      s.ring = this.#link(p).open({
        atoms: [
          { offset: 12, size: 2, value: ETHER.IP },
          { offset: 14, size: 1, value: 0x45 },
          { offset: 23, size: 1, value: PROTO.UDP },
          { offset: 30, size: 4, value: this.ip },
          { offset: 36, size: 2, value: want },
        ],
      }, 4);
    } catch (e) {
      if (e instanceof NetCallError) return -NET_ERRNO.EADDRINUSE;
      throw e;
    }
    s.port = want;
    this.#ports.add(want);
    return 0;
  }

  /** An ICMP socket's filter for the echo replies to its identifier. */
  #bindIcmp(p: NetProcess, s: Socket): number {
    if (this.#own === undefined) this.up();
    const id = this.#nextId++ & 0xffff;
    try {
      s.ring = this.#link(p).open({
        atoms: [
          { offset: 12, size: 2, value: ETHER.IP },
          { offset: 14, size: 1, value: 0x45 },
          { offset: 23, size: 1, value: PROTO.ICMP },
          { offset: 30, size: 4, value: this.ip },
          { offset: 34, size: 1, value: ICMP.ECHO_REPLY },
          { offset: 38, size: 2, value: id },
        ],
      }, 2);
    } catch (e) {
      if (e instanceof NetCallError) return -NET_ERRNO.EADDRINUSE;
      throw e;
    }
    s.port = id;
    return 0;
  }

  /** SETSOCKOPT SO_RCVTIMEO: `p`'s socket `fd` waits at most `us` microseconds (0: forever). */
  setTimeout(p: NetProcess, fd: number, us: number): number {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    if (!(us >= 0)) return -NET_ERRNO.EINVAL;
    s.timeoutUs = us;
    return 0;
  }

  /**
   * ExOS's own option: the UDP counter ping-pong of the paper's Table 11 runs in the kernel for
   * `p`'s bound socket `fd` from now on (exos/net/ash.ts), up to counter `limit`.
   */
  pingPong(p: NetProcess, fd: number, limit: number): number {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    if (s.kind !== "udp" || s.ring === undefined) return -NET_ERRNO.EINVAL;
    try {
      this.#link(p).ash(s.ring, pingPong, new Map([[ASH_PAGE.LIMIT, limit | 0]]));
    } catch (e) {
      if (e instanceof NetCallError) return -NET_ERRNO.ENOPROTOOPT;
      throw e;
    }
    return 0;
  }

  /**
   * SENDTO: `data` from `p`'s socket `fd` to `ip`:`port`; the bytes sent, -errno, or BLOCK while
   * the next hop's address is being resolved or every transmit buffer is busy.
   */
  sendto(
    p: NetProcess,
    fd: number,
    data: Uint8Array,
    ip: number,
    port: number,
  ): number | typeof BLOCK {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    this.poll();
    s.waiting = "turn";
    if (s.kind === "udp" && data.length > UDP_MAX) return -NET_ERRNO.EMSGSIZE;
    if (s.kind === "icmp" && (data.length < 8 || data.length > UDP_MAX + 8)) {
      return data.length < 8 ? -NET_ERRNO.EINVAL : -NET_ERRNO.EMSGSIZE;
    }
    if (s.kind === "udp" && port === 0) return -NET_ERRNO.EDESTADDRREQ;
    if (s.ring === undefined) {
      const r = s.kind === "udp" ? this.bind(p, fd, 0) : this.#bindIcmp(p, s);
      if (r < 0) return r;
    }
    const hop = ((ip ^ this.ip) & this.netmask) === 0 ? ip : this.gateway;
    if (hop === undefined) return -NET_ERRNO.ENETUNREACH;
    this.charge(NET_COSTS.arp);
    const mac = this.arp.resolve(hop, this.#now(), this.#usPerTick);
    if (mac === "unreachable") return -NET_ERRNO.EHOSTUNREACH;
    if (mac === "ask" || mac === "wait") {
      if (mac === "ask") this.#link(p).send(arpRequest(this.#mac, this.ip, hop));
      return BLOCK;
    }
    this.charge(NET_COSTS.headers + NET_COSTS.checksumByte * (data.length + 8));
    let payload: Uint8Array, protocol: number;
    if (s.kind === "udp") {
      payload = udpDatagram(this.ip, s.port, ip, port, data);
      protocol = PROTO.UDP;
    } else {
      const m = data.slice();
      put16(m, 4, s.port); // the identifier is the socket's
      payload = icmpMessage(m);
      protocol = PROTO.ICMP;
    }
    const frame = ipFrame(mac, this.#mac, this.ip, ip, protocol, this.#nextId++, payload);
    return this.#link(p).send(frame) ? data.length : BLOCK;
  }

  /**
   * RECVFROM: the next datagram for `p`'s socket `fd`; -EAGAIN when its timeout passed, BLOCK
   * while it waits, -errno for a bad socket.
   */
  recvfrom(p: NetProcess, fd: number): Received | number | typeof BLOCK {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    this.poll();
    s.waiting = "frame";
    if (s.ring === undefined) return s.kind === "udp" ? -NET_ERRNO.EINVAL : BLOCK;
    for (let f = s.ring.take(); f !== undefined; f = s.ring.take()) {
      const got = this.#accept(s, f);
      if (got !== undefined) {
        s.deadline = undefined;
        return got;
      }
    }
    if (s.timeoutUs === 0) return BLOCK;
    const now = this.#now();
    if (s.deadline === undefined) {
      s.deadline = now + Math.max(1, Math.ceil(s.timeoutUs / this.#usPerTick));
      return BLOCK;
    }
    if (now < s.deadline) return BLOCK;
    s.deadline = undefined;
    return -NET_ERRNO.EAGAIN;
  }

  /** Checks a frame that came to socket `s`; the datagram, or undefined (refused, counted). */
  #accept(s: Socket, f: Uint8Array): Received | undefined {
    this.charge(NET_COSTS.headers);
    const d = parseIp(f);
    if (typeof d === "string") return void this.#refuse(d);
    this.charge(NET_COSTS.checksumByte * (d.end - d.start));
    if (s.kind === "icmp") {
      if (!icmpOk(f, d) || f[d.start] !== ICMP.ECHO_REPLY) return void this.#refuse("icmp");
      return { data: f.slice(d.start, d.end), ip: d.src, port: 0 };
    }
    const u = parseUdp(f, d);
    if (u === "length") return void this.#refuse("udp length");
    if (u === "checksum") return void this.#refuse("udp checksum");
    return { data: f.slice(u.start, u.end), ip: d.src, port: u.sport };
  }

  /** CLOSE: `p`'s socket `fd` goes, with its filter and pages; 0 or -EBADF. */
  close(p: NetProcess, fd: number): number {
    this.charge(NET_COSTS.call);
    const s = this.#socket(p, fd);
    if (s === undefined) return -NET_ERRNO.EBADF;
    if (s.ring !== undefined) this.#link(p).close(s.ring);
    if (s.kind === "udp" && s.port !== 0) this.#ports.delete(s.port);
    this.#sockets.get(p)!.delete(fd);
    return 0;
  }

  /** Closes every socket of `p` (it exits or execs another program). */
  closeAll(p: NetProcess): void {
    for (const fd of [...(this.#sockets.get(p)?.keys() ?? [])]) this.close(p, fd);
    this.#sockets.delete(p);
    this.#links.delete(p);
  }

  /** `p` has ended: its sockets are forgotten (Aegis took its filters and pages with it). */
  forget(p: NetProcess): void {
    for (const s of this.#sockets.get(p)?.values() ?? []) {
      if (s.kind === "udp" && s.port !== 0) this.#ports.delete(s.port);
    }
    this.#sockets.delete(p);
    this.#links.delete(p);
  }

  /** One line: address, cache, sockets. */
  toString(): string {
    const sockets = [...this.#sockets.values()].reduce((n, t) => n + t.size, 0);
    return `ExOS network ${formatIp(this.ip)} · ARP cache ${
      this.arp.entries().map(([ip]) => formatIp(ip)).join(", ") || "empty"
    } · ${sockets} sockets`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The first socket descriptor (below are the console's, and room for others). */
export const SOCKET_FD = 64;

/** The words of an ASH page that hold `mac` at ASH_PAGE.MAC, as the ASH's loads read them. */
function macWords(mac: Uint8Array): Map<number, number> {
  const w = (i: number) => mac[i] | (mac[i + 1] << 8) | (mac[i + 2] << 16) | (mac[i + 3] << 24);
  return new Map([[ASH_PAGE.MAC, w(0)], [ASH_PAGE.MAC + 4, mac[4] | (mac[5] << 8)]]);
}
