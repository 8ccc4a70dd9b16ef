/**
 * Time slices (the paper's "processor time slices"): the slice vector, the clock, yields, the
 * end-of-slice upcall and the accounting that keeps every environment to its share.
 *
 * The CPU is a vector of slice positions (G.SLICES, in kernel memory), each held by an
 * environment or free; the slice clock (the RTC's periodic interrupt) ends a slice and starts the
 * next position's. Who runs in a position is its holder, or whoever the holder donated its slices
 * to by a synchronous protected call (DONATED_TO, followed to the end). An environment with an
 * end-of-slice entry point is upcalled there when its slice ends, to save its own context; it must
 * yield before the next tick.
 *
 * Accounting. Time is measured in accounting windows (G.WINDOW_START): a slice's window runs from
 * its start to the tick that ends it, an upcall's from the tick that started it to the moment it
 * gives up the CPU. Time the host spent acting for environments (aegis/host.ts) belongs to no
 * window and is taken off. Then:
 * - a slice window longer than a slice (the tick came late because the kernel was busy with
 *   interrupts off: a long TLBVADELETE, a costly service) is excess time of the environment that
 *   was on the CPU at the tick, by the overrun;
 * - an upcall window is all excess time of the upcalled environment, whoever ran in it (it may
 *   have donated the time to a child), and ends when anyone next gives the CPU to the scheduler
 *   (an undirected yield, an exit) or at the next tick, which is an overrun: a strike;
 * - excess is repaid by forfeiting slices: a position whose runner owes half a slice or more is
 *   skipped and a slice is taken off the debt (which may go below zero, so rounding is fair in
 *   the long run);
 * - EXCESS_LIMIT strikes in a row, or more than EXCESS_LIMIT slices owed, destroys the
 *   environment.
 *
 * Yields. An undirected yield gives the rest of the current slice to the next position's runner
 * (the position itself does not move, so a yield can never make the clock skip someone's slice);
 * a directed yield (assembly) gives it to the environment named, with a full context switch.
 *
 * @module
 */

import { CP0, SR } from "../machine/cp0.ts";
import { ERR } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { destroyEnvironment, envSlot, giveAsid, resolveTarget } from "./environments.ts";
import { deliverNotice, eret } from "./exceptions.ts";
import { CTX, E, ENV, envRecord, G, HC, K, slotOfId } from "./layout.ts";
import type { KernelState } from "./state.ts";

/**
 * How much abuse ends an environment: this many end-of-slice overruns in a row, or more than this
 * many slices of excess time owed.
 */
export const EXCESS_LIMIT = 4;

const hi = (v: number) => (v >>> 16) & 0xffff;

/** The registers a context switch keeps: all but zero, k0 and k1. */
const SAVED = [...Array(32).keys()].filter((r) => r !== 0 && r !== 26 && r !== 27);

/** `sw`/`lw` of every saved register at its context slot from `base`. */
function contextMoves(op: "sw" | "lw", base: string): string {
  return SAVED.map((r) => `        ${op}    $${r}, ${E.CONTEXT + 4 * r}(${base})`).join("\n");
}

/**
 * YIELD to a named environment (a0 != 0), in assembly: save this context (resuming after the
 * syscall with v0 = 0), load the target's and return into it. A0 = 0 goes to TypeScript, which
 * picks the next position's runner.
 */
export function yieldAsm(): string {
  return `
sys_yield:
        beqz    $a0, sys_ts                  # to whoever is next: TypeScript picks
        andi    $k1, $a0, 0x7f
        sll     $k1, $k1, 12
        lui     $k0, ${hi(K.ENVS)}
        addu    $k1, $k1, $k0                # the target's record
        lw      $k0, ${E.ID}($k1)
        nop
        bne     $k0, $a0, pct_noenv
        lui     $k0, ${hi(K.GLOBALS)}
        lw      $k0, 0($k0)                  # this environment's record
        nop
${contextMoves("sw", "$k0")}
        mfhi    $t0
        sw      $t0, ${E.CONTEXT + CTX.HI}($k0)
        mflo    $t0
        sw      $t0, ${E.CONTEXT + CTX.LO}($k0)
        mfc0    $t0, $epc
        nop
        addiu   $t0, $t0, 4
        sw      $t0, ${E.CONTEXT + CTX.PC}($k0)
        sw      $zero, ${E.CONTEXT + 8}($k0)     # it resumes with v0 = 0: the yield succeeded
        lui     $t0, ${hi(K.GLOBALS)}
        sw      $k1, 0($t0)                  # the target runs now
        lw      $t0, ${E.ENTRYHI}($k1)
        nop
        beqz    $t0, yield_asid
        nop
        mtc0    $t0, $entryhi                # its address space
yield_go:
        lw      $t0, ${E.CONTEXT + CTX.HI}($k1)
        nop
        mthi    $t0
        lw      $t0, ${E.CONTEXT + CTX.LO}($k1)
        nop
        mtlo    $t0
        lw      $t0, ${E.CONTEXT + CTX.PC}($k1)
        nop
        mtc0    $t0, $epc
${contextMoves("lw", "$k1")}
        mfc0    $k0, $epc
        move    $k1, $zero
        jr      $k0
        rfe
yield_asid:                                  # no ASID: the kernel gives one and sets EntryHi
        hcall   ${HC.ASID}
        b       yield_go
        nop
`;
}

/**
 * The interrupt path: the clock and the deadline first (TypeScript acts on them, then someone
 * runs), else the network's lines (IP2, the LANCE; IP1, frames left waiting) to its assembly
 * (aegis/network.ts).
 */
export function interruptAsm(): string {
  return `
interrupt:
        mfc0    $k0, $cause
        nop
        andi    $k1, $k0, 0x0900             # IP3 (the clock) or IP0 (a deadline)
        bnez    $k1, 1f
        andi    $k1, $k0, 0x0600             # IP2 (the LANCE) or IP1 (frames waiting)
        bnez    $k1, net_interrupt
        nop
1:      hcall   ${HC.INTERRUPT}              # TypeScript picks who runs, and goes there
        mfc0    $k0, $epc                    # (if it stayed: resume where it was)
        move    $k1, $zero
        jr      $k0
        rfe
`;
}

/** The slice vector's holder of position `pos` (0 when free). */
export function holderOf(k: KernelState, pos: number): number {
  return k.global(G.SLICES + 4 * pos);
}

/** Who runs in slice position `pos`: its holder, following synchronous donations; 0 for none. */
export function runnerOf(k: KernelState, pos: number): number {
  let id = holderOf(k, pos);
  for (let hops = 0; id !== 0 && hops < ENV.SLOTS; hops++) {
    if (envSlot(k, id) < 0) return 0;
    const next = k.field(id, E.DONATED_TO);
    if (next === 0 || envSlot(k, next) < 0) return id;
    id = next;
  }
  return id;
}

/** The cycles of the accounting window so far, host time taken off. */
function windowCycles(k: KernelState): number {
  const host = k.r64(K.GLOBALS + G.HOST_CYCLES) - k.r64(K.GLOBALS + G.WINDOW_HOST);
  return k.cpu.cycles - k.r64(K.GLOBALS + G.WINDOW_START) - host;
}

/** Starts a new accounting window now. */
function openWindow(k: KernelState): void {
  k.w64(K.GLOBALS + G.WINDOW_START, k.cpu.cycles);
  k.w64(K.GLOBALS + G.WINDOW_HOST, k.r64(K.GLOBALS + G.HOST_CYCLES));
}

/**
 * Charges `cycles` of excess time to environment `id`; past EXCESS_LIMIT slices owed it is
 * destroyed. Returns false when it was.
 */
function chargeExcess(k: KernelState, id: number, cycles: number): boolean {
  if (envSlot(k, id) < 0 || cycles <= 0) return true;
  const owed = k.field(id, E.EXCESS) + Math.round(cycles);
  if (owed > EXCESS_LIMIT * k.sliceCycles) {
    const reason = `abused its time slices: ${owed} cycles of excess time owed`;
    destroyEnvironment(k, id, reason, {}, false);
    return false;
  }
  k.setField(id, E.EXCESS, owed);
  return true;
}

/** Ends the upcall window of the environment in its end-of-slice upcall (if any), charging it. */
function closeUpcall(k: KernelState, overran: boolean): void {
  const id = k.global(G.UPCALL);
  if (id === 0) return;
  k.setGlobal(G.UPCALL, 0);
  const used = windowCycles(k);
  if (!overran) {
    k.setField(id, E.STRIKES, 0);
    chargeExcess(k, id, used);
    return;
  }
  const strikes = k.field(id, E.STRIKES) + 1;
  if (strikes >= EXCESS_LIMIT) {
    const reason =
      `abused its time slices: ${strikes} end-of-slice upcalls in a row ran into the next tick`;
    destroyEnvironment(k, id, reason, {}, false);
    return;
  }
  k.setField(id, E.STRIKES, strikes);
  chargeExcess(k, id, used);
}

/**
 * The clock tick (HC.INTERRUPT with the clock's line up): the slice ends. The environment on
 * the CPU is upcalled at its end-of-slice entry, or has its context saved, and the next position
 * starts; an upcall still running is an overrun.
 */
export function tick(k: KernelState): void {
  const cpu = k.cpu;
  cpu.charge(COSTS.tick);
  const epc = cpu.cp0[CP0.EPC];
  if (k.global(G.UPCALL) !== 0) {
    if (k.current !== 0) saveContext(k, epc);
    closeUpcall(k, true);
    return startSlice(k);
  }
  const cur = k.current;
  if (cur === 0) return startSlice(k);
  // The tick came late by what the kernel spent with interrupts off: the overrun is cur's.
  if (!chargeExcess(k, cur, windowCycles(k) - k.sliceCycles)) return startSlice(k);
  const end = k.field(cur, E.SLICE_END);
  if (end !== 0) {
    k.setField(cur, E.RESUME_PC, epc);
    k.setGlobal(G.UPCALL, cur);
    openWindow(k);
    eret(k, end);
    return;
  }
  saveContext(k, epc);
  startSlice(k);
}

/**
 * An undirected YIELD by the current environment: an upcall that yields ends its window (a timely
 * upcall clears the strikes) and the next position starts; otherwise the rest of this slice goes
 * to the runner of the next position after it.
 */
export function yieldService(k: KernelState): void {
  const cpu = k.cpu;
  cpu.charge(COSTS.tick);
  saveContext(k, cpu.cp0[CP0.EPC] + 4, 0);
  if (k.global(G.UPCALL) !== 0) {
    closeUpcall(k, false);
    return startSlice(k);
  }
  giveRest(k);
}

/**
 * The current environment left the CPU for good (it ended): if it was in an upcall the next
 * position starts, else the rest of the slice goes to the next runner.
 */
export function leaveCpu(k: KernelState, endedUpcall = false): void {
  k.setGlobal(G.CURENV, 0);
  if (endedUpcall) return startSlice(k);
  giveRest(k);
}

/** Gives the rest of the current slice to the first runner after its position, or idles. */
function giveRest(k: KernelState): void {
  const pos = k.global(G.SLICE_POS);
  for (let i = 1; i <= k.sliceCount; i++) {
    const id = runnerOf(k, (pos + i) % k.sliceCount);
    if (id !== 0) return enter(k, id, true);
  }
  idle(k);
}

/**
 * Starts the next slice position: its runner runs unless it owes half a slice or more, in which
 * case it forfeits the slice (repaying one) and the position after it starts. Idles when no
 * position has a runner.
 */
export function startSlice(k: KernelState): void {
  let pos = k.global(G.SLICE_POS);
  openWindow(k);
  for (let i = 0; i < k.sliceCount; i++) {
    pos = (pos + 1) % k.sliceCount;
    const id = runnerOf(k, pos);
    if (id === 0) continue;
    const owed = k.field(id, E.EXCESS);
    if (owed * 2 >= k.sliceCycles) {
      k.setField(id, E.EXCESS, owed - k.sliceCycles);
      continue;
    }
    k.setGlobal(G.SLICE_POS, pos);
    if (id !== k.current) k.cpu.charge(COSTS.contextSwitch);
    return enter(k, id, true);
  }
  k.setGlobal(G.SLICE_POS, pos);
  idle(k);
}

/** Puts the CPU in the kernel's idle loop: kernel mode, interrupts on, no environment. */
export function idle(k: KernelState): void {
  const cpu = k.cpu;
  k.setGlobal(G.CURENV, 0);
  cpu.writeCp0(CP0.EntryHi, 0);
  cpu.cp0[CP0.Status] = (cpu.cp0[CP0.Status] & ~0x3f) | SR.IEc;
  cpu.regs[26] = cpu.regs[27] = 0;
  cpu.pc = k.symbols.idle;
}

/**
 * Saves the CPU's registers as the current environment's context, resuming at `pc`, with v0
 * replaced by `v0` when given.
 */
export function saveContext(k: KernelState, pc: number, v0?: number): void {
  const rec = k.currentRecord;
  if (rec === 0) return;
  const r = k.cpu.regs, ctx = rec + E.CONTEXT;
  for (let i = 1; i < 32; i++) if (i !== 26 && i !== 27) k.w32(ctx + 4 * i, r[i]);
  if (v0 !== undefined) k.w32(ctx + 8, v0);
  k.w32(ctx + CTX.HI, k.cpu.hi);
  k.w32(ctx + CTX.LO, k.cpu.lo);
  k.w32(ctx + CTX.PC, pc);
}

/**
 * Loads environment `id`'s saved context and returns to it in user mode with interrupts on, in
 * its own address space; `sliceStart` sends it to its start-of-slice entry (if it has one). A
 * waiting notice is delivered first.
 */
export function enter(k: KernelState, id: number, sliceStart: boolean): void {
  const cpu = k.cpu;
  const slot = slotOfId(id), rec = envRecord(slot);
  k.setGlobal(G.CURENV, rec);
  const asid = k.r32(rec + E.ASID) || giveAsid(k, slot);
  cpu.writeCp0(CP0.EntryHi, asid << 6);
  const ctx = rec + E.CONTEXT;
  for (let i = 1; i < 32; i++) if (i !== 26 && i !== 27) cpu.regs[i] = k.r32(ctx + 4 * i);
  cpu.hi = k.r32(ctx + CTX.HI);
  cpu.lo = k.r32(ctx + CTX.LO);
  let pc = k.r32(ctx + CTX.PC);
  const start = k.r32(rec + E.SLICE_START);
  if (sliceStart && start !== 0) {
    k.w32(rec + E.RESUME_PC, pc); // the start-of-slice handler finds where it was here
    pc = start;
  }
  cpu.cp0[CP0.Status] = (cpu.cp0[CP0.Status] & ~0x3f) | SR.KUc | SR.IEc;
  pc = deliverNotice(k, rec, pc);
  cpu.regs[26] = pc;
  cpu.regs[27] = 0;
  cpu.pc = pc;
}

/** SLICE_ALLOC: position `pos` (or the first free one, for -1) for `targetArg`. */
export function sliceAlloc(k: KernelState, caller: number, pos: number, targetArg: number) {
  k.cpu.charge(COSTS.slice);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (pos === -1) {
    pos = 0;
    while (pos < k.sliceCount && holderOf(k, pos) !== 0) pos++;
    if (pos === k.sliceCount) return ERR.NOSLOT;
  } else if (!Number.isInteger(pos) || pos < 0 || pos >= k.sliceCount) return ERR.INVAL;
  else if (holderOf(k, pos) !== 0) return ERR.NOSLOT;
  k.setGlobal(G.SLICES + 4 * pos, target);
  return pos;
}

/** SLICE_FREE: gives back position `pos` of `targetArg`. */
export function sliceFree(k: KernelState, caller: number, pos: number, targetArg: number) {
  k.cpu.charge(COSTS.slice);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (!Number.isInteger(pos) || pos < 0 || pos >= k.sliceCount) return ERR.INVAL;
  if (holderOf(k, pos) !== target) return ERR.PERM;
  k.setGlobal(G.SLICES + 4 * pos, 0);
  return 0;
}
