/**
 * The UNIX personality: how guest C programs (tests/guest/unix) ask ExOS for services.
 *
 * The contract is written once, atop tests/guest/unix/unix.h: a call puts its number in v0 and up
 * to three arguments in a0..a2, then executes the word UNIX_TRAP (a `break`). The break is a Bp
 * exception, which the process's TypeScript handler (exos/process.ts) hands to `unixCall` when
 * the word at EPC is UNIX_TRAP. The call runs here, in TypeScript, acting for the process through
 * its own call path; the process resumes at EPC + 4 with v0 = the result, or a negative errno.
 * Calls that cannot finish yet (wait with no child exited, read with no input) block: the process
 * gives its slice away and goes to the library's `block` stub, which yields and traps with the
 * same call again once ExOS gives it a slice.
 *
 * Guest memory is read and written through the process's own bindings (its AddressSpace), and
 * only in the user part of the layout (USER.MIN and up); a bad pointer fails with EFAULT. A write
 * into a copy-on-write page copies it first, as a store by the process would.
 *
 * @module
 */

import { EXC, type ExceptionInfo } from "../aegis/abi.ts";
import { ElfError, parseElf } from "../machine/elf.ts";
import { PAGE_SIZE, USER } from "./layout.ts";
import type { ExOS, Outcome, Process } from "./process.ts";
import { SOCKET_CALLS, socketCall } from "./net/socket.ts";
import { readBytes } from "./vm.ts";

/** The instruction word of a UNIX call: BREAK with 0xf in bits 25:16 (unix.h UNIX_TRAP). */
export const UNIX_TRAP = 0x000f000d;

/** UNIX call numbers (v0 at the trap). */
export const UNIX = {
  EXIT: 1,
  FORK: 2,
  READ: 3,
  WRITE: 4,
  WAIT: 7,
  EXEC: 11,
  SBRK: 17,
  GETPID: 20,
} as const;

/** The errno values a call returns, negated. */
export const ERRNO = {
  ENOENT: 2,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EINVAL: 22,
} as const;

/** Signals that end a process on an exception it does not handle. */
export const SIGNAL = {
  SIGILL: 4,
  SIGTRAP: 5,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
} as const;

/** Names of the signals, by number. */
export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(SIGNAL).map(([name, n]) => [n, name]),
);

/** The signal for each hardware exception code a process may take (Mod, TLBL, TLBS included). */
export const EXC_SIGNAL: Readonly<Record<number, number>> = {
  [EXC.Mod]: SIGNAL.SIGSEGV,
  [EXC.TLBL]: SIGNAL.SIGSEGV,
  [EXC.TLBS]: SIGNAL.SIGSEGV,
  [EXC.AdEL]: SIGNAL.SIGSEGV,
  [EXC.AdES]: SIGNAL.SIGSEGV,
  [EXC.IBE]: SIGNAL.SIGBUS,
  [EXC.DBE]: SIGNAL.SIGBUS,
  [EXC.Bp]: SIGNAL.SIGTRAP, // a break that is not a UNIX call
  [EXC.RI]: SIGNAL.SIGILL,
  [EXC.CpU]: SIGNAL.SIGILL,
  [EXC.Ov]: SIGNAL.SIGFPE,
};

/** The longest path or argument string exec reads, and the most arguments. */
const MAX_STRING = 1024, MAX_ARGS = 64;

/** The most bytes one read or write moves. */
const MAX_IO = 64 * 1024;

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

/**
 * Performs the UNIX call `p` trapped with (x.regs: v0 = the number, a0..a2 the arguments) and
 * says how the process goes on: a number is the result for v0 (the process resumes after the
 * trap), an object names a pc (or an End) for calls that do not simply return.
 */
export function unixCall(os: ExOS, p: Process, x: ExceptionInfo): Outcome {
  const r = x.regs, [a0, a1, a2] = [r[4], r[5], r[6]];
  try {
    switch (r[2]) {
      case UNIX.EXIT:
        return { to: os.terminate(p, (a0 & 0xff) << 8) };
      case UNIX.FORK:
        return os.fork(p, r, x.epc + 4);
      case UNIX.READ:
        return os.read(p, a0, a1, Math.min(a2 >>> 0, MAX_IO), x);
      case UNIX.WRITE: {
        if (a0 !== 1 && a0 !== 2) return -ERRNO.EBADF;
        const n = Math.min(a2 >>> 0, MAX_IO);
        os.host.write(readUser(p, a1, n));
        return n;
      }
      case UNIX.WAIT:
        return os.wait(p, a0, x);
      case UNIX.EXEC:
        return exec(os, p, a0, a1, x);
      case UNIX.SBRK:
        return os.sbrk(p, a0);
      case UNIX.GETPID:
        return p.pid;
      default:
        if (Object.values(SOCKET_CALLS).includes(r[2] as never)) return socketCall(os, p, r[2], x);
        return -ERRNO.EINVAL;
    }
  } catch (e) {
    if (e instanceof BadAddress) return -ERRNO.EFAULT;
    throw e;
  }
}

/** EXEC: the program at path `pathVa` with argv at `argvVa` replaces `p`'s image. */
function exec(os: ExOS, p: Process, pathVa: number, argvVa: number, x: ExceptionInfo): Outcome {
  const path = readString(p, pathVa), argv = readArgv(p, argvVa);
  const bytes = os.files.get(path);
  if (bytes === undefined) return -ERRNO.ENOENT;
  let image;
  try {
    image = os.loadable(parseElf(bytes));
  } catch (e) {
    if (e instanceof ElfError) return -ERRNO.ENOEXEC;
    throw e;
  }
  if (argvBytes(argv) > PAGE_SIZE) return -ERRNO.E2BIG;
  return { to: os.replace(p, image, argv, path, x.regs) };
}
