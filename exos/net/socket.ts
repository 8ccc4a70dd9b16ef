/**
 * The UNIX personality's socket calls (tests/guest/unix/unix.h): socket, bind, sendto, recvfrom,
 * setsockopt and close for UDP and ICMP echo sockets, on ExOS's network stack (stack.ts).
 *
 * A call reads its arguments from the process's memory (a sockaddr_in, the argument block of
 * sendto, recvfrom and setsockopt) through the process's own bindings, and writes results the
 * same way; a bad pointer fails with -EFAULT. A call the stack cannot finish yet blocks the
 * process without taking its slice away: it goes to the stack's wait stub (link.ts), guest code
 * that looks at the socket's next slot at each of the process's turns and yields while it is
 * empty, then traps with the same call again (so it sees the datagram that arrived meanwhile,
 * or, after a few turns, its timeout).
 *
 * @module
 */

import type { ExceptionInfo } from "../../aegis/abi.ts";
import type { Outcome, Process, ProcessTable } from "../process.ts";
import { BadAddress, readUser } from "../unix.ts";
import { be16, be32, put16, put32 } from "./packet.ts";
import { BLOCK, NET_ERRNO, SOCKET_FD } from "./stack.ts";

/** The socket calls' numbers (v0 at the trap; 4.3BSD's). */
export const SOCKET_CALLS = {
  CLOSE: 6,
  SOCKET: 97,
  BIND: 104,
  SETSOCKOPT: 105,
  RECVFROM: 125,
  SENDTO: 133,
} as const;

/** Socket options (level SOL_SOCKET). */
export const SOCKOPT = {
  SOL_SOCKET: 0xffff,
  /** The receive timeout: a struct timeval. */
  SO_RCVTIMEO: 0x1006,
  /** ExOS's own: run the UDP counter ping-pong in the kernel up to the int given (ash.ts). */
  SO_EXOS_PINGPONG: 0x8001,
} as const;

/** The longest datagram a call moves. */
const MAX_DATAGRAM = 65536;

/** Network unreachable: the machine has no network configured. */
const ENETDOWN = 100;

/** The little-endian words at `va` of `p`'s memory. */
function words(p: Process, va: number, n: number): number[] {
  const b = readUser(p, va, 4 * n);
  return Array.from(
    { length: n },
    (_, i) => b[4 * i] | (b[4 * i + 1] << 8) | (b[4 * i + 2] << 16) | (b[4 * i + 3] << 24),
  );
}

/** The AF_INET address and port of the sockaddr_in at `va` (`length` bytes), or -errno. */
function sockaddr(p: Process, va: number, length: number): { ip: number; port: number } | number {
  if (va === 0) return -NET_ERRNO.EDESTADDRREQ;
  if ((length >>> 0) < 8) return -NET_ERRNO.EINVAL;
  const b = readUser(p, va, 8);
  if ((b[0] | (b[1] << 8)) !== 2) return -NET_ERRNO.EAFNOSUPPORT;
  return { port: be16(b, 2), ip: be32(b, 4) };
}

/**
 * Blocks `p` in the call of `x` on socket `fd`: it waits in the stack's wait stub, at its own
 * turns, and runs the call again when a frame is there or a few turns have passed.
 */
function block(os: ProcessTable, p: Process, fd: number, x: ExceptionInfo): Outcome {
  x.regs[8] = x.epc; // t0: where the stub goes back to
  return { to: os.net!.waitFor(p, fd) };
}

/** Performs socket call `n` for `p` (x.regs: a0..a2); the result, or where `p` goes on. */
export function socketCall(os: ProcessTable, p: Process, n: number, x: ExceptionInfo): Outcome {
  const net = os.net, [a0, a1, a2] = [x.regs[4], x.regs[5], x.regs[6]];
  if (net === undefined) return n === SOCKET_CALLS.CLOSE ? -NET_ERRNO.EBADF : -ENETDOWN;
  try {
    switch (n) {
      case SOCKET_CALLS.SOCKET:
        return net.socket(p, a0, a1, a2);
      case SOCKET_CALLS.BIND: {
        const at = sockaddr(p, a1, a2);
        if (typeof at === "number") return at;
        if (at.ip !== 0 && at.ip !== net.ip) return -NET_ERRNO.EINVAL;
        return net.bind(p, a0, at.port);
      }
      case SOCKET_CALLS.SENDTO: {
        const [buf, len, , addr, addrlen] = words(p, a1, 5);
        const to = sockaddr(p, addr, addrlen);
        if (typeof to === "number") return to;
        const data = readUser(p, buf, Math.min(len >>> 0, MAX_DATAGRAM));
        const r = net.sendto(p, a0, data, to.ip, to.port);
        return r === BLOCK ? block(os, p, a0, x) : r;
      }
      case SOCKET_CALLS.RECVFROM: {
        const [buf, len, , addr, addrlenVa] = words(p, a1, 5);
        const r = net.recvfrom(p, a0);
        if (r === BLOCK) return block(os, p, a0, x);
        if (typeof r === "number") return r;
        const n = Math.min(len >>> 0, r.data.length);
        os.writeUser(p, buf, r.data.subarray(0, n));
        if (addr !== 0 && addrlenVa !== 0) {
          const room = words(p, addrlenVa, 1)[0] >>> 0;
          const sa = new Uint8Array(16);
          put16(sa, 0, 0x0200); // AF_INET, little-endian
          put16(sa, 2, r.port);
          put32(sa, 4, r.ip);
          os.writeUser(p, addr, sa.subarray(0, Math.min(room, 16)));
          os.writeUser(p, addrlenVa, Uint8Array.of(16, 0, 0, 0));
        }
        return n;
      }
      case SOCKET_CALLS.SETSOCKOPT: {
        const [level, name, value, length] = words(p, a1, 4);
        if (level !== SOCKOPT.SOL_SOCKET) return -NET_ERRNO.ENOPROTOOPT;
        if (name === SOCKOPT.SO_RCVTIMEO) {
          if ((length >>> 0) < 8) return -NET_ERRNO.EINVAL;
          const [sec, usec] = words(p, value, 2);
          return net.setTimeout(p, a0, sec * 1e6 + usec);
        }
        if (name === SOCKOPT.SO_EXOS_PINGPONG) {
          if ((length >>> 0) < 4) return -NET_ERRNO.EINVAL;
          return net.pingPong(p, a0, words(p, value, 1)[0]);
        }
        return -NET_ERRNO.ENOPROTOOPT;
      }
      case SOCKET_CALLS.CLOSE:
        return a0 >= SOCKET_FD ? net.close(p, a0) : -NET_ERRNO.EBADF;
      default:
        return -NET_ERRNO.EINVAL;
    }
  } catch (e) {
    if (e instanceof BadAddress) return -NET_ERRNO.EFAULT;
    throw e;
  }
}
