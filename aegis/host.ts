/**
 * The host side: TypeScript acting for environments, and TypeScript handlers and entry points.
 *
 * The lab's TypeScript (the REPL, scripts, a library OS written in TypeScript) is the host. It
 * acts for an environment only through the real system-call path: `hostCall` puts the CPU in
 * that environment's context, in user mode with interrupts off, at the trampoline's `syscall`,
 * runs the CPU until the trampoline's stop, and puts back what was on the CPU before. The
 * environment put aside keeps its ASID (`paused`). The cycles spent belong to no slice
 * (G.HOST_CYCLES).
 *
 * The host acts only where the kernel could have been interrupted. When the CPU was left in the
 * middle of kernel assembly (a run that stopped at a limit there), `settle` first runs it to the
 * end of that path, so no service or host action ever lands between two kernel instructions.
 * Kernel services themselves never act for environments (`inService`).
 *
 * TypeScript handlers and entry points run at user level, as guest handlers do. The kernel
 * forwards to them as to any handler (their addresses are the never-mapped U.TS_HANDLER and
 * U.TS_ENTRY); the fetch misses in the guaranteed region and bindings.ts hands the miss here.
 * The CPU is first returned to user mode at that address, in the environment, and only then is
 * the function called: it may make system calls (nested host calls), and whatever it does, the
 * kernel is between two user instructions. A handler that throws, or returns something that is
 * not a verdict, ends its environment with the error as the recorded reason; the error goes on to
 * whoever ran the machine. After an entry function the environment resumes its own saved
 * context: a protected call into TypeScript never derails it.
 *
 * @module
 */

import { CAUSE, CP0, SR } from "../machine/cp0.ts";
import { type CpuSnapshot } from "../machine/cpu.ts";
import {
  type ExceptionInfo,
  handlerName,
  NOTICE_SAVE,
  SYS_NAMES,
  type SyscallResult,
} from "./abi.ts";
import { hex } from "../machine/table.ts";
import { COSTS } from "./costs.ts";
import { destroyEnvironment, envSlot, giveAsid } from "./environments.ts";
import { eret } from "./exceptions.ts";
import { CTX, E, envRecord, G, K, TRAMP, U } from "./layout.ts";
import { enter, idle, saveContext } from "./slices.ts";
import type { KernelState } from "./state.ts";

/** Where a host call comes back to: the trampoline's stop. */
const DONE = U.TRAMPOLINE + TRAMP.SYSCALL_DONE;

/** Instructions a host call may take before it counts as lost. */
const CALL_LIMIT = 1_000_000;

/** Instructions `settle` may take to finish a kernel path before it counts as a kernel bug. */
const SETTLE_LIMIT = 100_000;

/** Whether the CPU is where the kernel could be interrupted: user mode, or the idle loop. */
export function interruptible(k: KernelState): boolean {
  const cpu = k.cpu;
  if (!cpu.kernelMode) return true;
  const pc = cpu.pc;
  return (cpu.cp0[CP0.Status] & SR.IEc) !== 0 && pc >= k.symbols.idle && pc < k.symbols.idle + 8;
}

/**
 * Runs the CPU to the end of the kernel path it was left in, if any, so the host acts between
 * two user instructions (or in the idle loop); throws when a path does not end (a kernel bug).
 */
export function settle(k: KernelState): void {
  if (k.inService > 0) {
    throw new Error("Aegis: a kernel service tried to act for an environment (a kernel bug)");
  }
  for (let n = 0; !interruptible(k); n++) {
    if (n === SETTLE_LIMIT || k.machine.halted !== null) {
      throw new Error(
        `Aegis: the kernel path at 0x${k.cpu.pc.toString(16)} did not end in ${SETTLE_LIMIT} ` +
          "instructions (a kernel bug)",
      );
    }
    k.machine.run({ maxInstructions: 1 });
  }
}

/**
 * Runs system call `number` for environment `id` through the real path, with `args` in a0..a3
 * and t0, until the call comes back to the trampoline's stop. With `transfer` (a protected call
 * or a directed yield), it stops instead at the first user instruction after the kernel path,
 * wherever that is: the callee's entry runs when the callee next gets the CPU, and a transfer
 * that happened returns v0 = 0. What was on the CPU before is put back afterwards; the time
 * spent stays spent. Returns the result registers; throws RangeError for a dead environment and
 * Error when the call does not come back.
 */
export function hostCall(
  k: KernelState,
  id: number,
  number: number,
  args: readonly number[] = [],
  transfer = false,
): SyscallResult {
  const slot = envSlot(k, id);
  if (slot < 0) {
    throw new RangeError(
      `Environment 0x${(id >>> 0).toString(16)} does not exist (it may have ended)`,
    );
  }
  settle(k);
  const cpu = k.cpu;
  const before = cpu.snapshot();
  const prev = k.current;
  const startCycles = cpu.cycles;
  k.host.paused.push(prev);
  k.host.acting.push(id);
  let reason: string, instructions: number;
  try {
    const rec = envRecord(slot);
    k.setGlobal(G.CURENV, rec);
    const asid = k.r32(rec + E.ASID) || giveAsid(k, slot);
    cpu.writeCp0(CP0.EntryHi, asid << 6);
    cpu.cp0[CP0.Status] = (k.r32(rec + E.STATUS) & ~0x3f) | SR.KUc; // user, interrupts off
    // Nothing of the environment put aside reaches this one: only the arguments.
    cpu.regs.fill(0);
    cpu.regs[2] = number;
    for (let i = 0; i < 4; i++) cpu.regs[4 + i] = args[i] ?? 0;
    cpu.regs[8] = args[4] ?? 0;
    cpu.pc = U.TRAMPOLINE + TRAMP.SYSCALL;
    if (transfer) {
      k.machine.run({ maxInstructions: 1 }); // the syscall: into the kernel
      settle(k); // and out, wherever it goes
      reason = "breakpoint";
      instructions = 0;
    } else {
      ({ reason, instructions } = k.machine.run({ until: DONE, maxInstructions: CALL_LIMIT }));
    }
  } finally {
    k.host.paused.pop();
    k.host.acting.pop();
    const spent = cpu.cycles - startCycles;
    k.w64(K.GLOBALS + G.HOST_CYCLES, k.r64(K.GLOBALS + G.HOST_CYCLES) + spent);
  }
  const r = cpu.regs;
  const back = cpu.pc === DONE && k.current === id;
  const result = transfer && !back ? { v0: 0, v1: 0, a2: 0, a3: 0 } : {
    v0: r[2],
    v1: r[3],
    a2: r[6],
    a3: r[7],
  };
  putBack(k, before, prev);
  if (reason !== "breakpoint" && envSlot(k, id) >= 0) {
    throw new Error(
      `System call ${SYS_NAMES[number] ?? number} for environment ${hex(id, 4)} did not ` +
        `come back (${reason} after ${instructions} instructions)`,
    );
  }
  return result;
}

/**
 * Puts the CPU back as `before` had it, for environment `prev` (0: the idle loop), after the host
 * acted for another: its registers, pc and status, in its own address space. The TLB, the
 * counters and the interrupt lines stay as they are now. If `prev` ended meanwhile, the kernel
 * idles until the next tick.
 */
function putBack(k: KernelState, before: CpuSnapshot, prev: number): void {
  const cpu = k.cpu;
  if (prev !== 0 && envSlot(k, prev) < 0) return idle(k);
  const now = cpu.snapshot();
  const pendingSoft = cpu.cp0[CP0.Cause] & CAUSE.SW; // a deadline raised meanwhile stays raised
  cpu.restore({
    ...before,
    tlbHi: now.tlbHi,
    tlbLo: now.tlbLo,
    counters: now.counters,
    lines: now.lines,
    exceptionCounts: now.exceptionCounts,
  });
  cpu.cp0[CP0.Cause] = (cpu.cp0[CP0.Cause] & ~CAUSE.SW) | pendingSoft;
  if (prev === 0) return idle(k);
  const rec = envRecord(envSlot(k, prev));
  k.setGlobal(G.CURENV, rec);
  const asid = k.r32(rec + E.ASID) || giveAsid(k, envSlot(k, prev));
  cpu.writeCp0(CP0.EntryHi, asid << 6);
}

/**
 * Puts environment `id` on the CPU at user address `pc`, in user mode with interrupts on, as the
 * kernel does when it enters an environment; the one that was there keeps its context (resuming
 * where it was). The next run executes `id`.
 */
export function hostEnter(k: KernelState, id: number, pc: number): void {
  const slot = envSlot(k, id);
  if (slot < 0) {
    throw new RangeError(
      `Environment 0x${(id >>> 0).toString(16)} does not exist (it may have ended)`,
    );
  }
  settle(k);
  const cpu = k.cpu;
  if (k.current !== 0) saveContext(k, cpu.inDelaySlot ? cpu.pc - 4 : cpu.pc);
  const rec = envRecord(slot);
  k.w32(rec + E.CONTEXT + CTX.PC, pc);
  k.setGlobal(G.CURENV, rec);
  enter(k, id, false);
}

/** Runs `work` as the environment's own user-level code: host calls are allowed inside it. */
function atUserLevel<T>(k: KernelState, work: () => T): T {
  const depth = k.inService;
  k.inService = 0;
  try {
    return work();
  } finally {
    k.inService = depth;
  }
}

/** The message of a thrown value. */
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs the TypeScript handler of environment `id` for the exception just forwarded to
 * U.TS_HANDLER (t0-t2 = EPC, BadVAddr, Cause), at user level, and goes on where it says.
 */
export function runTsHandler(k: KernelState, id: number): void {
  const cpu = k.cpu, r = cpu.regs;
  cpu.charge(COSTS.query);
  eret(k, U.TS_HANDLER); // back in user mode, in the environment, where its handler starts
  const code = (r[10] >>> 2) & 31;
  const notice = code === 16 || code === 17;
  const info: ExceptionInfo = {
    code,
    name: handlerName(code),
    epc: r[8] >>> 0,
    badVAddr: r[9] >>> 0,
    cause: r[10] >>> 0,
    regs: r,
  };
  const handler = k.host.handlers.get(id)?.get(code);
  // The handler sees the registers as the exception found them (t0-t2 from the save area); its
  // changes to them stand when the environment resumes.
  const save = k.field(id, E.SAVE) + (notice ? NOTICE_SAVE : 0);
  r[8] = k.r32(save);
  r[9] = k.r32(save + 4);
  r[10] = k.r32(save + 8);
  const where = { pc: info.epc, badVAddr: info.badVAddr };
  if (handler === undefined) {
    return destroyEnvironment(k, id, `no TypeScript handler for ${info.name}`, where);
  }
  let verdict: ReturnType<typeof handler>;
  try {
    verdict = atUserLevel(k, () => handler(info));
  } catch (e) {
    destroyEnvironment(
      k,
      id,
      `its TypeScript handler for ${info.name} threw: ${messageOf(e)}`,
      where,
    );
    throw e;
  }
  if (envSlot(k, id) < 0) return; // the handler ended it through the kernel already
  if (verdict === "kill") {
    return destroyEnvironment(k, id, `killed by its TypeScript handler for ${info.name}`, where);
  }
  if (typeof verdict === "object" && verdict !== null && typeof verdict.exit === "string") {
    return destroyEnvironment(k, id, verdict.exit, where);
  }
  const pc = verdict === "resume" ? info.epc : verdict;
  if (typeof pc !== "number" || !Number.isInteger(pc) || (pc & 3) !== 0 || pc >>> 0 >= U.END) {
    const shown = typeof verdict === "string" ? `"${verdict}"` : String(verdict);
    const error = new TypeError(
      `The TypeScript handler for ${info.name} of environment ${hex(id, 4)} returned ` +
        `${shown}: return "resume", a word-aligned user pc, "kill" or { exit: reason }`,
    );
    destroyEnvironment(k, id, error.message, where);
    throw error;
  }
  cpu.pc = pc;
  r[26] = pc;
  r[27] = 0;
}

/**
 * Runs the TypeScript entry function of environment `id` (a protected call landed at
 * U.TS_ENTRY; v0 = the caller) at user level; then the environment resumes its own saved
 * context. With no entry function it simply resumes.
 */
export function runTsEntry(k: KernelState, id: number): void {
  const cpu = k.cpu;
  cpu.charge(COSTS.query);
  eret(k, U.TS_ENTRY);
  const fn = k.host.entries.get(id);
  const caller = cpu.regs[2];
  if (fn !== undefined) {
    try {
      atUserLevel(k, () => fn(caller));
    } catch (e) {
      destroyEnvironment(k, id, `its TypeScript entry function threw: ${messageOf(e)}`);
      throw e;
    }
  }
  if (envSlot(k, id) >= 0 && k.current === id) enter(k, id, false);
}
