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
 * Accounting, as deficit round robin. Every environment has a time balance (E.EXCESS): the CPU
 * time charged to it less the slices it was entitled to. Each turn of a position entitles its
 * runner to one slice; each accounting window (G.WINDOW_START) is charged, when it closes, to
 * its owner (G.WINDOW_OWNER), whoever ran in it (a yield or a transfer donates the window, it
 * does not move the charge). Time the host spent acting for environments (aegis/host.ts)
 * belongs to no window and is taken off.
 * - A slice window runs from the slice's start to the tick that ends it, so a tick that came
 *   late, because the kernel was busy with interrupts off (a long TLBVADELETE, a costly
 *   service), is charged to the window that overran, and the next window is that much shorter.
 * - An end-of-slice upcall opens a window of its own, charged to the upcalled environment
 *   whoever runs in it (it may donate the time to a child); it closes when anyone next gives the
 *   CPU to the scheduler (an undirected yield, an exit) or at the next tick, which is an overrun:
 *   a strike.
 * - A runner that owes more than half a slice when its turn comes forfeits the turn: the period
 *   goes to the runner that is owed the most, which pays for it. So whoever was short gets the
 *   time back, and the balances stay within a slice or so of zero.
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
        lw      $t0, ${E.STATUS}($k1)
        nop
        mtc0    $t0, $status                 # its status register
        nop
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

/** Starts a new accounting window now, charged to `owner` (0: nobody). */
function openWindow(k: KernelState, owner: number): void {
  k.w64(K.GLOBALS + G.WINDOW_START, k.cpu.cycles);
  k.w64(K.GLOBALS + G.WINDOW_HOST, k.r64(K.GLOBALS + G.HOST_CYCLES));
  k.setGlobal(G.WINDOW_OWNER, owner);
}

/** The most a balance may be owed: no environment banks more than two slices. */
const MAX_CREDIT = 2;

/**
 * Adds `cycles` (negative: an entitlement) to environment `id`'s balance; one that now owes
 * more than EXCESS_LIMIT slices is destroyed (without rescheduling: the caller is the
 * scheduler). Returns false when it was.
 */
function charge(k: KernelState, id: number, cycles: number): boolean {
  if (envSlot(k, id) < 0) return true;
  const owed = Math.max(
    k.field(id, E.EXCESS) + Math.round(cycles),
    -MAX_CREDIT * k.sliceCycles,
  );
  if (owed > EXCESS_LIMIT * k.sliceCycles) {
    const reason = `abused its time slices: ${owed} cycles of excess time owed`;
    destroyEnvironment(k, id, reason, {}, false);
    return false;
  }
  k.setField(id, E.EXCESS, owed);
  return true;
}

/** Closes the accounting window: its owner is charged what it lasted. */
function closeWindow(k: KernelState): void {
  const owner = k.global(G.WINDOW_OWNER);
  k.setGlobal(G.WINDOW_OWNER, 0);
  if (owner !== 0) charge(k, owner, windowCycles(k));
}

/**
 * Ends the end-of-slice upcall in progress (if any): its window is charged to the upcalled
 * environment; `overran` (the next tick came first) is a strike, and EXCESS_LIMIT strikes in a
 * row destroy it.
 */
function closeUpcall(k: KernelState, overran: boolean): void {
  const id = k.global(G.UPCALL);
  if (id === 0) return;
  k.setGlobal(G.UPCALL, 0);
  closeWindow(k);
  if (envSlot(k, id) < 0) return;
  const strikes = overran ? k.field(id, E.STRIKES) + 1 : 0;
  k.setField(id, E.STRIKES, strikes);
  if (strikes >= EXCESS_LIMIT) {
    const reason =
      `abused its time slices: ${strikes} end-of-slice upcalls in a row ran into the next tick`;
    destroyEnvironment(k, id, reason, {}, false);
  }
}

/**
 * The clock tick (HC.INTERRUPT with the clock's line up): the slice ends and its window is
 * charged. The environment on the CPU is upcalled at its end-of-slice entry, or has its context
 * saved, and the next turn starts; an upcall still running is an overrun.
 */
export function tick(k: KernelState): void {
  const cpu = k.cpu;
  cpu.charge(COSTS.tick);
  const epc = cpu.cp0[CP0.EPC];
  if (k.current !== 0) saveContext(k, epc);
  if (k.global(G.UPCALL) !== 0) {
    closeUpcall(k, true);
    return startSlice(k);
  }
  closeWindow(k);
  const cur = k.current;
  if (cur !== 0 && envSlot(k, cur) >= 0) {
    const end = k.field(cur, E.SLICE_END);
    if (end !== 0) {
      k.setField(cur, E.RESUME_PC, epc);
      k.setGlobal(G.UPCALL, cur);
      openWindow(k, cur);
      eret(k, end);
      return;
    }
  }
  startSlice(k);
}

/**
 * An undirected YIELD by the current environment: an upcall that yields ends its window (a
 * timely upcall clears the strikes) and the next turn starts; otherwise the rest of this slice
 * goes to the runner of the next position after it, still charged to the slice's owner.
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
 * turn starts, else the rest of the slice goes to the next runner.
 */
export function leaveCpu(k: KernelState, endedUpcall = false): void {
  k.setGlobal(G.CURENV, 0);
  if (endedUpcall) {
    closeWindow(k);
    return startSlice(k);
  }
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

/** The runner of some held position that is owed the most (lowest balance), or 0. */
function mostOwed(k: KernelState): number {
  let best = 0, balance = Infinity;
  for (let p = 0; p < k.sliceCount; p++) {
    const id = runnerOf(k, p);
    if (id === 0) continue;
    const b = k.field(id, E.EXCESS);
    if (b < balance) [best, balance] = [id, b];
  }
  return best;
}

/**
 * Starts the next turn: the next held position's runner is entitled to a slice; it runs unless
 * it still owes more than half a slice, in which case the period goes to the runner owed the
 * most. Idles when no position has a runner.
 */
export function startSlice(k: KernelState): void {
  let pos = k.global(G.SLICE_POS), id = 0;
  for (let i = 0; i < k.sliceCount && id === 0; i++) {
    pos = (pos + 1) % k.sliceCount;
    id = runnerOf(k, pos);
  }
  k.setGlobal(G.SLICE_POS, pos);
  if (id === 0) {
    openWindow(k, 0);
    return idle(k);
  }
  if (!charge(k, id, -k.sliceCycles) || envSlot(k, id) < 0) return startSlice(k);
  const runner = k.field(id, E.EXCESS) * 2 > k.sliceCycles ? mostOwed(k) : id;
  openWindow(k, runner);
  if (runner !== k.current) k.cpu.charge(COSTS.contextSwitch);
  enter(k, runner, true);
}

/** Puts the CPU in the kernel's idle loop: kernel mode, interrupts on, no environment. */
export function idle(k: KernelState): void {
  const cpu = k.cpu;
  k.setGlobal(G.CURENV, 0);
  cpu.writeCp0(CP0.EntryHi, 0);
  cpu.cp0[CP0.Status] = (k.global(G.USER_STATUS) & ~0x3f & ~SR.CU1) | SR.IEc;
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
  cpu.cp0[CP0.Status] = (k.r32(rec + E.STATUS) & ~0x3f) | SR.KUc | SR.IEc;
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
