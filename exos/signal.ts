/**
 * Signals, at application level: a process's library takes them and calls the handler. Aegis
 * knows nothing of signals; what the library needs from it is a way in when the process next
 * runs, and its start-of-slice entry point is that way.
 *
 * State (per process, `Signals`): an action per signal (SIG_DFL, SIG_IGN or a handler's
 * address), the pending set and the blocked mask (bit sig - 1 each). `post` (kill, SIGCHLD,
 * SIGPIPE) discards a signal whose action is to ignore it, else marks it pending and, unless it
 * is blocked, makes sure the target looks at its signals when it next runs:
 * - the process sending to itself looks when its trap returns;
 * - a process blocked in a call (wait, read, a pipe, sleep, sigsuspend) is woken: it runs its
 *   call again, which now fails with EINTR instead of blocking (unix.ts), and looks on the way out;
 * - any other is armed: its start-of-slice entry is set to the library's `sigtramp`, so its next
 *   slice starts there instead of where it was.
 * Looking (`deliverPending`) takes the lowest deliverable signal: the default action ends the
 * process (with the signal as its status); a handler is called with the signal's number on the
 * process's stack, in a frame holding every register, hi, lo, the pc and the mask to restore,
 * the signal blocked meanwhile; the handler's `ra` is the library's `sigreturn`, which restores
 * all of it and goes on where the signal found the process. SIGKILL is never caught, ignored or
 * blocked.
 *
 * Faults. An exception the process does not handle (an address error, a bus error, a reserved
 * instruction, an overflow, a stray break, or a fault the library's page-table walk cannot
 * resolve) becomes SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGTRAP (`fault`): caught, the handler runs
 * and the instruction is tried again when it returns; not caught, the process ends with the
 * signal, the faulting pc and address kept in the table for the parent's wait and for `ps`.
 *
 * Guest code (in the library's code page; every address `$zero`-relative, in DATA.SIGNAL):
 * - sigtramp: the start-of-slice entry while a signal waits. It keeps t0, reads where the slice
 *   would have resumed (ENV_RECORD.RESUME_PC in the exported environment record), keeps hi and
 *   lo, and traps (LIB_TRAP.SIGNAL) with every other register as the program had it. If that pc
 *   is in the library's own code (a stub, a fault handler), the library goes back there and
 *   tries at the next slice: library code is never interrupted by a handler.
 * - sigsave: the same without the RESUME_PC step, for a caught fault: the library has put the
 *   faulting pc in DATA.SIGNAL itself.
 * - sigreturn: where a handler returns: restores hi and lo from the frame and traps
 *   (LIB_TRAP.SIGRETURN); the library restores every register and the pc from the frame.
 *
 * @module
 */

import { ENTRY, ENV_RECORD, EXC, type ExceptionInfo, EXPORT, SYS } from "../aegis/abi.ts";
import { DATA, LIB, USER } from "./layout.ts";
import type { End, FaultSite, Process, ProcessTable } from "./process.ts";
import { LIB_TRAP } from "./vm_asm.ts";

/** Signal numbers (the BSD ones). */
export const SIGNAL = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGEMT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGSYS: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGURG: 16,
  SIGSTOP: 17,
  SIGTSTP: 18,
  SIGCONT: 19,
  SIGCHLD: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGIO: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGINFO: 29,
  SIGUSR1: 30,
  SIGUSR2: 31,
} as const;

/** One past the last signal number. */
export const NSIG = 32;

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

/** The default action: end the process. */
export const SIG_DFL = 0;

/** Ignore the signal. */
export const SIG_IGN = 1;

/** Signals whose default action is to ignore them (there is no job control to stop or go on). */
const IGNORED_BY_DEFAULT = new Set<number>([
  SIGNAL.SIGURG,
  SIGNAL.SIGSTOP,
  SIGNAL.SIGTSTP,
  SIGNAL.SIGCONT,
  SIGNAL.SIGCHLD,
  SIGNAL.SIGTTIN,
  SIGNAL.SIGTTOU,
  SIGNAL.SIGWINCH,
  SIGNAL.SIGINFO,
]);

/** The bit of signal `sig` in a mask or the pending set. */
export const sigbit = (sig: number): number => (1 << (sig - 1)) >>> 0;

/** Signals no mask blocks. */
const UNBLOCKABLE = sigbit(SIGNAL.SIGKILL) | sigbit(SIGNAL.SIGSTOP);

/** Words of a signal frame: registers 0-31 (0: the signal), hi, lo, the pc, the mask. */
export const SIGFRAME = { HI: 128, LO: 132, PC: 136, MASK: 140, BYTES: 144 } as const;

/** The library's words for the signal stubs (DATA.SIGNAL + these). */
const W = { T0: 0, HI: 4, LO: 8, PC: 12, ENV: 16 } as const;

/** One process's signals. */
export class Signals {
  /** The action of each signal: SIG_DFL, SIG_IGN or a handler's address. */
  readonly actions: Int32Array = new Int32Array(NSIG);
  /** Signals sent and not yet delivered. */
  pending = 0;
  /** Signals blocked. */
  mask = 0;
  /** Whether the start-of-slice entry is set to sigtramp. */
  armed = false;
  /** While in sigsuspend: the mask it replaced, which the handler's return restores. */
  suspended: number | undefined;
  /** A caught fault on its way to sigsave: the signal. */
  faulting = 0;
  /** Whether sigtramp knows where the exported record is (DATA.SIGNAL, written once). */
  recordKnown = false;

  /** Takes a fork's parent's actions and mask (nothing pending). */
  inherit(parent: Signals): void {
    this.actions.set(parent.actions);
    this.mask = parent.mask;
    this.recordKnown = false;
  }

  /** For exec: caught signals go back to SIG_DFL (ignored ones stay ignored). */
  resetCaught(): void {
    for (let s = 1; s < NSIG; s++) if (this.actions[s] > SIG_IGN) this.actions[s] = SIG_DFL;
  }

  /** The lowest signal that is pending and not blocked, or 0. */
  get deliverable(): number {
    const ready = (this.pending & ~(this.mask & ~UNBLOCKABLE)) >>> 0;
    if (ready === 0) return 0;
    return 32 - Math.clz32(ready & -ready);
  }
}

/** Whether `sig` is a signal number (1..31). */
export function isSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig < NSIG;
}

/**
 * Sends `sig` to `p` (0: nothing, as kill's existence check): discarded when its action is to
 * ignore it, else pending, and `p` is made to look at its signals when it next runs unless the
 * signal is blocked.
 */
export function post(t: ProcessTable, p: Process, sig: number): void {
  if (!p.alive || p.waitStatus !== undefined || !isSignal(sig)) return;
  const s = p.signals, action = s.actions[sig];
  if (sig !== SIGNAL.SIGKILL && sig !== SIGNAL.SIGSTOP) {
    if (action === SIG_IGN || (action === SIG_DFL && IGNORED_BY_DEFAULT.has(sig))) return;
  } else if (sig === SIGNAL.SIGSTOP) return; // no job control: it is ignored
  s.pending = (s.pending | sigbit(sig)) >>> 0;
  if (s.deliverable !== 0) nudge(t, p);
}

/** Makes `p` look at its signals when it next runs (see the module comment). */
export function nudge(t: ProcessTable, p: Process): void {
  if (t.current === p) return;
  if (!t.host.alive(p.path.id)) return t.lost(p);
  const st = p.state;
  if (st === "waiting" || st === "reading" || st === "writing" || st === "sleeping") {
    return t.sched.resume(p);
  }
  if (st === "runnable" && !p.signals.armed) {
    if (!p.signals.recordKnown) {
      p.vm.write32(LIB.DATA + DATA.SIGNAL + W.ENV, p.path.call(SYS.EXPORT, EXPORT.ENV).v0);
      p.signals.recordKnown = true;
    }
    p.path.call(SYS.SET_ENTRY, ENTRY.SLICE_START, p.vm.routines.sigtramp, 0);
    p.signals.armed = true;
  }
}

/** Clears `p`'s start-of-slice entry if the signals set it. */
function disarm(p: Process): void {
  if (!p.signals.armed) return;
  p.signals.armed = false;
  p.path.call(SYS.SET_ENTRY, ENTRY.SLICE_START, 0, 0);
}

/** Changes `p`'s action for `sig`; returns the old one. Ignoring a signal drops it if pending. */
export function setAction(p: Process, sig: number, action: number): number {
  const s = p.signals, old = s.actions[sig];
  s.actions[sig] = action;
  if (action === SIG_IGN || (action === SIG_DFL && IGNORED_BY_DEFAULT.has(sig))) {
    s.pending = (s.pending & ~sigbit(sig)) >>> 0;
  }
  return old;
}

/** Sets `p`'s mask (SIGKILL and SIGSTOP never blocked). */
export function setMask(p: Process, mask: number): void {
  p.signals.mask = (mask & ~UNBLOCKABLE) >>> 0;
}

/**
 * Where `p` goes instead of `pc` (with the registers `x.regs` it would have there, and `hiLo`
 * when known): the handler of its first deliverable signal, or an End (or the park stub) when
 * that signal's action ends it, or `pc` when none is deliverable.
 */
export function deliverPending(
  t: ProcessTable,
  p: Process,
  x: ExceptionInfo,
  pc: number,
  hiLo: [number, number] = [0, 0],
): number | End {
  const sig = p.signals.deliverable;
  if (sig === 0) {
    disarm(p);
    return pc;
  }
  return deliver(t, p, x, sig, pc, hiLo);
}

/** Delivers `sig` to `p` at `pc` (see `deliverPending`). */
function deliver(
  t: ProcessTable,
  p: Process,
  x: ExceptionInfo,
  sig: number,
  pc: number,
  hiLo: [number, number],
): number | End {
  const s = p.signals, action = s.actions[sig];
  s.pending = (s.pending & ~sigbit(sig)) >>> 0;
  if (sig === SIGNAL.SIGKILL || action === SIG_DFL) return t.terminate(p, sig);
  if (action === SIG_IGN) return deliverPending(t, p, x, pc, hiLo);
  const r = x.regs, frame = (((r[29] >>> 0) - SIGFRAME.BYTES) & ~7) >>> 0;
  const words = new Int32Array(SIGFRAME.BYTES / 4);
  words.set(r.subarray(0, 32));
  words[0] = sig;
  words[SIGFRAME.HI / 4] = hiLo[0];
  words[SIGFRAME.LO / 4] = hiLo[1];
  words[SIGFRAME.PC / 4] = pc;
  words[SIGFRAME.MASK / 4] = s.suspended ?? s.mask;
  try {
    t.writeUser(p, frame, new Uint8Array(words.buffer));
  } catch { // no room on its stack for the frame: the signal cannot be delivered
    return t.terminate(p, SIGNAL.SIGSEGV, { pc, address: frame });
  }
  s.suspended = undefined;
  s.mask = (s.mask | sigbit(sig)) >>> 0;
  if (s.deliverable === 0) disarm(p);
  r[4] = sig;
  r[29] = frame - 16; // the o32 argument area below the frame
  r[31] = p.vm.routines.sigreturn;
  r[25] = action;
  return action;
}

/**
 * LIB_TRAP.SIGNAL from sigtramp (a slice started with a signal waiting) or sigsave (a caught
 * fault): delivers, or goes back to library code it must not interrupt.
 */
export function sliceStartSignal(t: ProcessTable, p: Process, x: ExceptionInfo): number | End {
  const at = LIB.DATA + DATA.SIGNAL, s = p.signals;
  const pc = p.vm.read32(at + W.PC) >>> 0;
  const hiLo: [number, number] = [p.vm.read32(at + W.HI), p.vm.read32(at + W.LO)];
  if (s.faulting !== 0) {
    const sig = s.faulting;
    s.faulting = 0;
    return deliver(t, p, x, sig, pc, hiLo);
  }
  if (pc >= LIB.CODE && pc < LIB.DATA) return pc; // in the library: at the next slice
  disarm(p);
  return deliverPending(t, p, x, pc, hiLo);
}

/** LIB_TRAP.SIGRETURN: a handler returned; restores the frame at sp + 16, then looks again. */
export function sigreturn(t: ProcessTable, p: Process, x: ExceptionInfo): number | End {
  const r = x.regs, frame = (r[29] + 16) >>> 0;
  let words: Int32Array;
  try {
    words = new Int32Array(readFrame(p, frame).buffer);
  } catch {
    return t.terminate(p, SIGNAL.SIGSEGV, { pc: x.epc, address: frame });
  }
  const pc = words[SIGFRAME.PC / 4] >>> 0;
  if (pc < USER.MIN || pc >= 0x80000000 || (pc & 3) !== 0) {
    return t.terminate(p, SIGNAL.SIGSEGV, { pc, address: frame });
  }
  for (let i = 1; i < 32; i++) if (i !== 26 && i !== 27) r[i] = words[i];
  setMask(p, words[SIGFRAME.MASK / 4]);
  return deliverPending(t, p, x, pc, [words[SIGFRAME.HI / 4], words[SIGFRAME.LO / 4]]);
}

/** The frame's bytes at `va` of `p`'s memory; throws when they are not all mapped. */
function readFrame(p: Process, va: number): Uint8Array {
  if (va < USER.MIN || va + SIGFRAME.BYTES > 0x80000000) throw new RangeError("bad frame");
  const out = new Uint8Array(SIGFRAME.BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < SIGFRAME.BYTES; i += 4) view.setInt32(i, p.vm.read32(va + i), true);
  return out;
}

/**
 * A fault `p` took that the library could not resolve, as signal `sig` at `site`: caught, the
 * handler runs and the instruction is tried again when it returns; else `p` ends with the
 * signal and the site. `upcall` says the fault came through the library's fault upcall (x.regs
 * are the upcall's, the program's are in the library's frame): the handler then runs as the
 * upcall's handler, and returning from it retries the access.
 */
export function fault(
  t: ProcessTable,
  p: Process,
  x: ExceptionInfo,
  sig: number,
  site: FaultSite,
  upcall: boolean,
): number | End {
  const s = p.signals, handler = s.actions[sig];
  const caught = handler > SIG_IGN && (s.mask & sigbit(sig)) === 0;
  if (!caught) return t.terminate(p, sig, site);
  if (upcall) {
    x.regs[4] = sig;
    x.regs[25] = handler;
    return handler;
  }
  p.vm.write32(LIB.DATA + DATA.SIGNAL + W.PC, site.pc);
  s.faulting = sig;
  return p.vm.routines.sigsave;
}

/** The signal stubs: sigtramp, sigsave and sigreturn (see the module comment). */
export function signalAsm(): string {
  const S = LIB.DATA + DATA.SIGNAL, F = 16; // the frame is 16 bytes above a handler's sp
  return `
# ---- signals: sigtramp (start of slice), sigsave (a caught fault), sigreturn ----------------
sigtramp:
        sw      $t0, ${S + W.T0}($zero)
        lw      $t0, ${S + W.ENV}($zero)     # the exported environment record
        nop
        lw      $t0, ${ENV_RECORD.RESUME_PC}($t0)   # where the slice would have resumed
        nop
        b       sigsave_hilo
        sw      $t0, ${S + W.PC}($zero)
sigsave:
        sw      $t0, ${S + W.T0}($zero)
sigsave_hilo:
        mfhi    $t0
        sw      $t0, ${S + W.HI}($zero)
        mflo    $t0
        sw      $t0, ${S + W.LO}($zero)
        lw      $t0, ${S + W.T0}($zero)
sigtramp_trap:
        .word   ${LIB_TRAP.SIGNAL}
sigreturn:                                   # sp = the frame - 16
        lw      $t0, ${F + SIGFRAME.HI}($sp)
        lw      $t1, ${F + SIGFRAME.LO}($sp)
        nop
        mthi    $t0
        mtlo    $t1
sigreturn_trap:
        .word   ${LIB_TRAP.SIGRETURN}
`;
}
