/**
 * The UNIX personality: how guest C programs (guest/bin, guest/libc, tests/guest/unix) ask ExOS
 * for services. This file owns the UNIX calls: it decodes each, does it with the library's parts
 * (process.ts, fork.ts, sched.ts, fd.ts, pipe.ts, shm.ts, signal.ts) and says how the process
 * goes on.
 *
 * The contract is written once, atop guest/libc/unix.h: a call puts its number in v0 and up to
 * three arguments in a0..a2, then executes the word UNIX_TRAP (a `break`). The break is a Bp
 * exception, which the process's TypeScript handler (process.ts) hands to `unixCall` when the
 * word at EPC is UNIX_TRAP. The call runs here, in TypeScript, acting for the process through
 * its own call path; the process resumes at EPC + 4 with v0 = the result, or a negative errno,
 * unless a signal is to be delivered on the way out (signal.ts `deliverPending`). Calls that
 * cannot finish yet (wait with no child exited, a read with no input or an empty pipe, a write to
 * a full pipe, sleep, sigsuspend) block (sched.ts): the process gives its slice away and goes to
 * the library's `block` or `block_to` stub, which yields and traps with the same call again once
 * ExOS gives it a slice; a signal caught meanwhile makes the call fail with EINTR instead.
 *
 * Guest memory is read and written through the process's own bindings (its AddressSpace), and
 * only in the user part of the layout (USER.MIN and up); a bad pointer fails with EFAULT. A write
 * into a copy-on-write page copies it first, as a store by the process would.
 *
 * @module
 */

import type { ExceptionInfo } from "../aegis/abi.ts";
import { ElfError, parseElf } from "../machine/elf.ts";
import {
  closeFd,
  CONSOLE,
  dupFd,
  freeFd,
  keepRings,
  makePipe,
  type Pipe,
  wakeBlocked,
} from "./fd.ts";
import { fork } from "./fork.ts";
import { PAGE_SIZE, USER } from "./layout.ts";
import { RING, ringRead, ringWaiting, ringWrite } from "./pipe.ts";
import type { End, Outcome, Process, ProcessTable } from "./process.ts";
import { SOCKET_CALLS, socketCall } from "./net/socket.ts";
import { SOCKET_FD } from "./net/stack.ts";
import { detachAll, shmat, shmdt, shmget } from "./shm.ts";
import {
  deliverPending,
  isSignal,
  NSIG,
  post,
  setAction,
  setMask,
  SIG_IGN,
  SIGNAL,
} from "./signal.ts";
import { readBytes } from "./vm.ts";

/** The instruction word of a UNIX call: BREAK with 0xf in bits 25:16 (unix.h UNIX_TRAP). */
export const UNIX_TRAP = 0x000f000d;

/** UNIX call numbers (v0 at the trap), as unix.h has them. */
export const UNIX = {
  EXIT: 1,
  FORK: 2,
  READ: 3,
  WRITE: 4,
  OPEN: 5,
  CLOSE: 6,
  WAIT: 7,
  EXEC: 11,
  SBRK: 17,
  GETPID: 20,
  KILL: 37,
  GETPPID: 39,
  PIPE: 42,
  SIGACTION: 46,
  SIGPROCMASK: 48,
  DUP2: 90,
  SIGSUSPEND: 111,
  SHMAT: 228,
  SHMDT: 230,
  SHMGET: 231,
  SLEEP: 240,
  PROCS: 500,
} as const;

/** The errno values a call returns, negated. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  EPIPE: 32,
} as const;

/** Open files a process may have: fds 0 to NOFILE - 1. */
export const NOFILE = 16;

/** The only path OPEN opens: there is no file system yet. */
export const CONSOLE_PATH = "/dev/console";

/** The longest path or argument string exec reads, and the most arguments. */
const MAX_STRING = 1024, MAX_ARGS = 64;

/** The most bytes one read or write moves. */
const MAX_IO = 64 * 1024;

/** Bytes of one entry PROCS fills (unix.h struct procinfo), and of its name. */
const PROCINFO_BYTES = 48, PROCINFO_NAME = 24;

/** The letters PROCS gives each state (unix.h). */
const STATE_LETTERS: Record<string, string> = {
  runnable: "R",
  waiting: "W",
  reading: "I",
  writing: "I",
  sleeping: "S",
  zombie: "Z",
  exited: "X",
};

/** Bytes of stack `argv` takes: its strings, then its pointers and a null, 16-byte aligned. */
export function argvBytes(argv: readonly string[]): number {
  const strings = argv.reduce((n, a) => n + new TextEncoder().encode(a).length + 1, 0);
  return USER.STACK_TOP - ((USER.STACK_TOP - strings - 4 * (argv.length + 1)) & ~15);
}

/** Thrown for a bad guest pointer: the call returns -EFAULT. */
export class BadAddress extends Error {}

/** Reads `n` bytes of `p`'s memory at `va`; throws BadAddress outside its user memory. */
export function readUser(p: Process, va: number, n: number): Uint8Array {
  if ((va >>> 0) < USER.MIN || (va >>> 0) + n > 0x80000000) throw new BadAddress();
  try {
    return readBytes(p.vm, va, n);
  } catch {
    throw new BadAddress();
  }
}

/** Reads the NUL-terminated string at `va` (at most MAX_STRING bytes); throws BadAddress. */
export function readString(p: Process, va: number): string {
  const bytes: number[] = [];
  for (let at = va; bytes.length < MAX_STRING; at += 1) {
    const b = readUser(p, at, 1)[0];
    if (b === 0) return new TextDecoder().decode(Uint8Array.from(bytes));
    bytes.push(b);
  }
  throw new BadAddress();
}

/** Reads a null-terminated array of string pointers (argv) at `va`; [] for 0. */
function readArgv(p: Process, va: number): string[] {
  const out: string[] = [];
  if (va === 0) return out;
  for (let i = 0; i < MAX_ARGS; i++) {
    const w = readUser(p, va + 4 * i, 4);
    const ptr = w[0] | w[1] << 8 | w[2] << 16 | w[3] << 24;
    if (ptr === 0) return out;
    out.push(readString(p, ptr));
  }
  throw new BadAddress();
}

/** Little-endian words as bytes. */
function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(4 * ws.length);
  const v = new DataView(out.buffer);
  ws.forEach((w, i) => v.setInt32(4 * i, w, true));
  return out;
}

/**
 * Performs the UNIX call `p` trapped with (x.regs: v0 = the number, a0..a2 the arguments) and
 * says where the process goes on: after the trap with v0 = the result (or in a signal handler
 * on the way there), in a stub for a call that blocks, at a new image's entry, or an End.
 */
export function unixCall(t: ProcessTable, p: Process, x: ExceptionInfo): number | End {
  let out: Outcome;
  try {
    out = call(t, p, x);
  } catch (e) {
    if (!(e instanceof BadAddress)) throw e;
    out = -ERRNO.EFAULT;
  }
  if (typeof out !== "number") {
    const to = out.to;
    if (typeof to !== "number") return to;
    if (to === p.vm.routines.block || to === p.vm.routines.blockTo) return to;
    return deliverPending(t, p, x, to);
  }
  x.regs[2] = out;
  return deliverPending(t, p, x, x.epc + 4);
}

/** The call itself (see `unixCall`). */
function call(t: ProcessTable, p: Process, x: ExceptionInfo): Outcome {
  const r = x.regs, [a0, a1, a2] = [r[4], r[5], r[6]];
  switch (r[2]) {
    case UNIX.EXIT:
      return { to: t.terminate(p, (a0 & 0xff) << 8) };
    case UNIX.FORK:
      return fork(t, p, r, x.epc + 4);
    case UNIX.READ:
      return read(t, p, a0, a1, Math.min(a2 >>> 0, MAX_IO), x);
    case UNIX.WRITE:
      return write(t, p, a0, a1, Math.min(a2 >>> 0, MAX_IO), x);
    case UNIX.OPEN: {
      if (readString(p, a0) !== CONSOLE_PATH) return -ERRNO.ENOENT;
      const fd = freeFd(p);
      if (fd < 0) return -ERRNO.EMFILE;
      p.fds[fd] = CONSOLE;
      return fd;
    }
    case UNIX.CLOSE:
      if (a0 >= SOCKET_FD) return socketCall(t, p, r[2], x);
      if (!isOpen(p, a0)) return -ERRNO.EBADF;
      closeFd(t, p, a0);
      return 0;
    case UNIX.WAIT:
      return wait(t, p, a0, x);
    case UNIX.EXEC:
      return exec(t, p, a0, a1, x);
    case UNIX.SBRK:
      return sbrk(t, p, a0);
    case UNIX.GETPID:
      return p.pid;
    case UNIX.GETPPID:
      return p.parent?.pid ?? 0;
    case UNIX.KILL: {
      if (a0 <= 0 || !Number.isInteger(a1) || a1 < 0 || a1 >= NSIG) return -ERRNO.EINVAL;
      const target = t.procs[a0 - 1];
      if (target === undefined || target.waitStatus !== undefined) return -ERRNO.ESRCH;
      post(t, target, a1);
      return 0;
    }
    case UNIX.PIPE:
      return pipe(t, p, a0);
    case UNIX.SIGACTION: {
      if (!isSignal(a0) || a0 === SIGNAL.SIGKILL || a0 === SIGNAL.SIGSTOP) return -ERRNO.EINVAL;
      const handler = a1 >>> 0;
      if (handler > SIG_IGN && (handler < USER.MIN || handler >= 0x80000000 || (handler & 3))) {
        return -ERRNO.EFAULT;
      }
      return setAction(p, a0, handler);
    }
    case UNIX.SIGPROCMASK: {
      const s = p.signals, old = s.mask;
      if (a0 === 1) setMask(p, s.mask | a1);
      else if (a0 === 2) setMask(p, s.mask & ~a1);
      else if (a0 === 3) setMask(p, a1);
      else return -ERRNO.EINVAL;
      return old;
    }
    case UNIX.DUP2:
      if (!isOpen(p, a0) || !Number.isInteger(a1) || a1 < 0 || a1 >= NOFILE) {
        return -ERRNO.EBADF;
      }
      dupFd(t, p, a0, a1);
      return a1;
    case UNIX.SIGSUSPEND: {
      const s = p.signals;
      if (s.suspended === undefined) {
        s.suspended = s.mask;
        setMask(p, a0);
      }
      if (s.deliverable !== 0) return -ERRNO.EINTR; // the handler's return restores the mask
      p.wakeAt = undefined;
      return t.sched.block(p, "sleeping", x);
    }
    case UNIX.SHMGET:
      return shmget(t, p, a0, a1 >>> 0, a2);
    case UNIX.SHMAT:
      if (a1 !== 0) return -ERRNO.EINVAL; // ExOS picks the address
      return shmat(t, p, a0, a2);
    case UNIX.SHMDT:
      return shmdt(t, p, a0);
    case UNIX.SLEEP:
      return sleep(t, p, a0 >>> 0, a1 >>> 0, x);
    case UNIX.PROCS:
      return procs(t, p, a0, a1);
    default:
      if (SOCKET_NUMBERS.has(r[2])) return socketCall(t, p, r[2], x);
      return -ERRNO.EINVAL;
  }
}

/** The socket calls' numbers (exos/net/socket.ts), which the default case hands on. */
const SOCKET_NUMBERS: ReadonlySet<number> = new Set(Object.values(SOCKET_CALLS));

/** Whether `fd` is an open fd of `p`. */
function isOpen(p: Process, fd: number): boolean {
  return Number.isInteger(fd) && fd >= 0 && fd < NOFILE && p.fds[fd] !== undefined;
}

/** The first process other than `p` with an fd on `end` of `pipe` that can run now. */
function peer(t: ProcessTable, pipe: Pipe, end: "read" | "write", p: Process) {
  return pipe.holders(end).find((q) => q !== p && t.sched.wants(q));
}

/**
 * READ: up to `n` bytes of fd `fd` into `buf`: console input (blocking until some is typed), or
 * a pipe's (blocking while it is empty and has writers, yielding to one of them).
 */
function read(t: ProcessTable, p: Process, fd: number, buf: number, n: number, x: ExceptionInfo) {
  const f = isOpen(p, fd) ? p.fds[fd]! : undefined;
  if (f === undefined || (f.kind === "pipe" && f.end !== "read")) return -ERRNO.EBADF;
  if (n === 0) return 0;
  if (f.kind === "console") {
    t.pollInput();
    if (t.input.length === 0) {
      if (t.inputEnded) return 0;
      if (p.signals.deliverable !== 0) return -ERRNO.EINTR;
      return t.sched.block(p, "reading", x);
    }
    const bytes = Uint8Array.from(t.input.slice(0, n));
    t.writeUser(p, buf, bytes);
    t.input.splice(0, bytes.length);
    return bytes.length;
  }
  const pipe = f.pipe, va = pipe.at.get(p)!;
  const waiting = ringWaiting(p.vm, va);
  if (waiting > 0) {
    t.checkWritable(p, buf, Math.min(n, waiting));
    const bytes = ringRead(p.vm, va, n);
    t.writeUser(p, buf, bytes);
    wakeBlocked(t, pipe);
    return bytes.length;
  }
  if (pipe.writers === 0) return 0;
  if (p.signals.deliverable !== 0) return -ERRNO.EINTR;
  p.blockedOn = pipe;
  return t.sched.block(p, "reading", x, peer(t, pipe, "write", p));
}

/**
 * WRITE: `n` bytes of `buf` to fd `fd`: the console, or a pipe (as much as there is room for,
 * blocking while it is full, yielding to a reader; -EPIPE and SIGPIPE with no reader).
 */
function write(t: ProcessTable, p: Process, fd: number, buf: number, n: number, x: ExceptionInfo) {
  const f = isOpen(p, fd) ? p.fds[fd]! : undefined;
  if (f === undefined || (f.kind === "pipe" && f.end !== "write")) return -ERRNO.EBADF;
  if (f.kind === "console") {
    t.host.write(readUser(p, buf, n), f.stream);
    return n;
  }
  const pipe = f.pipe, va = pipe.at.get(p)!;
  if (pipe.readers === 0) {
    post(t, p, SIGNAL.SIGPIPE);
    return -ERRNO.EPIPE;
  }
  if (n === 0) return 0;
  const room = RING.BYTES - ringWaiting(p.vm, va);
  if (room > 0) {
    const put = ringWrite(p.vm, va, readUser(p, buf, Math.min(n, room)));
    wakeBlocked(t, pipe);
    return put;
  }
  if (p.signals.deliverable !== 0) return -ERRNO.EINTR;
  p.blockedOn = pipe;
  return t.sched.block(p, "writing", x, peer(t, pipe, "read", p));
}

/** PIPE: a pipe whose read end is the lowest free fd and write end the next, stored at `fdsVa`. */
function pipe(t: ProcessTable, p: Process, fdsVa: number): number {
  const r = freeFd(p);
  const w = r < 0 ? -1 : p.fds.indexOf(undefined, r + 1);
  if (r < 0 || w < 0) return -ERRNO.EMFILE;
  t.checkWritable(p, fdsVa, 8);
  try {
    makePipe(t, p, r, w);
  } catch {
    return -ERRNO.ENOMEM;
  }
  t.writeUser(p, fdsVa, words(r, w));
  return 0;
}

/** WAIT: collects an exited child (its status to *statusVa), or blocks, or -ECHILD, -EINTR. */
function wait(t: ProcessTable, p: Process, statusVa: number, x: ExceptionInfo): Outcome {
  const z = p.children.find((c) => c.state === "zombie");
  if (z !== undefined) {
    if (statusVa !== 0) t.writeUser(p, statusVa, words(z.waitStatus!));
    z.state = "exited";
    p.children.splice(p.children.indexOf(z), 1);
    return z.pid;
  }
  if (p.children.length === 0) return -ERRNO.ECHILD;
  if (p.signals.deliverable !== 0) return -ERRNO.EINTR;
  return t.sched.block(p, "waiting", x);
}

/** SBRK: moves `p`'s break by `increment`; returns the old break, or -ENOMEM. */
function sbrk(t: ProcessTable, p: Process, increment: number): number {
  const old = p.vm.break;
  try {
    p.vm.sbrk(increment);
  } catch {
    return -ERRNO.ENOMEM;
  }
  const next = p.vm.break, pageEnd = ((next + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) >>> 0;
  if (increment < 0 && next < pageEnd) { // memory above the break reads as zero when regrown
    t.writeUser(p, next, new Uint8Array(Math.min(old, pageEnd) - next));
  }
  return old;
}

/** SLEEP: waits `s` seconds and `ns` nanoseconds of emulated time (40 ns a cycle). */
function sleep(t: ProcessTable, p: Process, s: number, ns: number, x: ExceptionInfo): Outcome {
  if (ns >= 1e9) return -ERRNO.EINVAL;
  const now = t.host.cycles();
  p.wakeAt ??= now + Math.round((s * 1e9 + ns) / 40);
  if (now >= p.wakeAt) {
    p.wakeAt = undefined;
    return 0;
  }
  if (p.signals.deliverable !== 0) {
    p.wakeAt = undefined;
    return -ERRNO.EINTR;
  }
  return t.sched.block(p, "sleeping", x);
}

/** PROCS: fills up to `n` struct procinfo at `buf`; returns how many processes there are. */
function procs(t: ProcessTable, p: Process, buf: number, n: number): number {
  const count = Math.max(0, Math.min(n, t.procs.length));
  const out = new Uint8Array(count * PROCINFO_BYTES);
  const v = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const q = t.procs[i], at = i * PROCINFO_BYTES;
    v.setInt32(at, q.pid, true);
    v.setInt32(at + 4, q.parent?.pid ?? 0, true);
    v.setInt32(at + 8, STATE_LETTERS[q.state].charCodeAt(0), true);
    v.setInt32(at + 12, q.waitStatus ?? -1, true);
    v.setUint32(at + 16, q.fault?.pc ?? 0, true);
    v.setUint32(at + 20, q.fault?.address ?? 0, true);
    const name = new TextEncoder().encode(q.program).slice(-(PROCINFO_NAME - 1));
    out.set(name, at + 24);
  }
  if (count > 0) t.writeUser(p, buf, out);
  return t.procs.length;
}

/** EXEC: the program at path `pathVa` with argv at `argvVa` replaces `p`'s image. */
function exec(t: ProcessTable, p: Process, pathVa: number, argvVa: number, x: ExceptionInfo) {
  const path = readString(p, pathVa), argv = readArgv(p, argvVa);
  const bytes = t.files.get(path);
  if (bytes === undefined) return -ERRNO.ENOENT;
  let image;
  try {
    image = t.loadable(parseElf(bytes));
  } catch (e) {
    if (e instanceof ElfError) return -ERRNO.ENOEXEC;
    throw e;
  }
  if (argvBytes(argv) > PAGE_SIZE) return -ERRNO.E2BIG;
  detachAll(t, p, false);
  const rings = keepRings(t, p);
  const entry = t.replace(p, image, argv, path, x.regs);
  rings.after();
  p.signals.resetCaught();
  return { to: entry };
}
