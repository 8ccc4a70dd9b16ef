/**
 * Exception forwarding and notices (the paper's "exceptions").
 *
 * The general vector tells system calls (syscalls.ts) and interrupts (slices.ts) from the other
 * exceptions and forwards those to the environment as the paper says: save three scratch
 * registers (t0, t1, t2) into the environment's save area (kseg0, a page it owns, checked when
 * it named it and reset when the page leaves it), load t0 = EPC, t1 = BadVAddr, t2 = Cause, and
 * jump to the handler it registered for the code, in user mode with interrupts enabled. The
 * handler does the rest and returns without entering the kernel. An environment with no handler
 * for a code has the trampoline's UNHANDLED stub there, which ends it.
 *
 * Notices are the kernel's own messages (REVOKE: give a page back; REPOSSESSED: pages were taken
 * by force). They wait in the record (at most E.NOTICES_MAX; one REPOSSESSED at a time, carrying
 * the vector's length) and are delivered like an exception when the environment next runs, or at
 * once if it is on the CPU in user mode: t0-t2 go to the save area's second half (so a notice
 * arriving while the environment's own fault handler still needs the first half leaves that
 * intact), t0 = where it was, t1 = the value (the page, the vector's length), t2 = code << 2. An
 * environment with no handler for a notice's code does not hear it.
 *
 * @module
 */

import { CP0 } from "../machine/cp0.ts";
import { ERR, EXC, HANDLER, NOTICE_SAVE, SAVE_AREA_BYTES } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { resolveTarget } from "./environments.ts";
import { E, envRecord, K, PAGE_SHIFT, PAGE_SIZE, slotOfId, TRAMP, U } from "./layout.ts";
import { grantsWrite, isUserPage, ownerOf } from "./pages.ts";
import type { KernelState } from "./state.ts";

const hi = (v: number) => (v >>> 16) & 0xffff;

/**
 * The general vector (0x80000080): system calls to `syscall`, interrupts to `interrupt`, every
 * other exception forwarded to the environment's handler (20 instructions, vector to rfe). The
 * forwarding path is also entered from utlb_miss with k0 = record + code * 4 and k1 = record.
 */
export function generalAsm(): string {
  return `
general:
        mfc0    $k0, $cause
        lui     $k1, ${hi(K.GLOBALS)}
        lw      $k1, 0($k1)                  # the current environment's record
        andi    $k0, $k0, 0x7c               # ExcCode * 4
        addiu   $k0, $k0, -32
        beqz    $k0, syscall                 # code 8: a system call
        addiu   $k0, $k0, 32
        beqz    $k0, interrupt               # code 0: an interrupt
        addu    $k0, $k0, $k1
forward:                                     # k0 = record + code * 4, k1 = record
        lw      $k1, ${E.SAVE}($k1)
        lw      $k0, ${E.HANDLERS}($k0)
        sw      $t0, 0($k1)                  # three scratch registers to the save area
        sw      $t1, 4($k1)
        sw      $t2, 8($k1)
        mfc0    $t0, $epc
        mfc0    $t1, $badvaddr
        mfc0    $t2, $cause
        move    $k1, $zero
        jr      $k0                          # to the handler, in user mode
        rfe
`;
}

/** Returns from the exception to `pc` as RFE would: pops the KU/IE stack. */
export function eret(k: KernelState, pc: number): void {
  const cpu = k.cpu;
  const s = cpu.cp0[CP0.Status];
  cpu.cp0[CP0.Status] = (s & ~0xf) | ((s >>> 2) & 0xf);
  cpu.regs[26] = pc | 0;
  cpu.regs[27] = 0;
  cpu.pc = pc;
}

/** Forwards exception `code` of the current environment from TypeScript, as the assembly does. */
export function forward(k: KernelState, code: number): void {
  const cpu = k.cpu, r = cpu.regs;
  const rec = k.currentRecord;
  const save = k.r32(rec + E.SAVE);
  k.w32(save, r[8]);
  k.w32(save + 4, r[9]);
  k.w32(save + 8, r[10]);
  r[8] = cpu.cp0[CP0.EPC];
  r[9] = cpu.cp0[CP0.BadVAddr];
  r[10] = cpu.cp0[CP0.Cause];
  eret(k, k.r32(rec + E.HANDLERS + 4 * code));
}

/** Whether environment `id` has a handler of its own for `code`. */
export function listens(k: KernelState, id: number, code: number): boolean {
  return k.field(id, E.HANDLERS + 4 * code) >>> 0 !== U.TRAMPOLINE + TRAMP.UNHANDLED;
}

/**
 * Queues notice `code` (HANDLER.REVOKE, HANDLER.REPOSSESSED) with `value` for environment `id`,
 * if it listens; a REPOSSESSED notice already waiting takes the new value instead. Delivers it at
 * once when `id` is on the CPU in user mode. Dropped when the queue is full (the repossession
 * vector still records every page taken).
 */
export function notify(k: KernelState, id: number, code: number, value: number): void {
  if (!listens(k, id, code)) return;
  const rec = envRecord(slotOfId(id));
  const n = k.r32(rec + E.NOTICE_COUNT);
  for (let i = 0; i < n; i++) {
    const at = rec + E.NOTICES + 8 * i;
    if (k.r32(at) !== code) continue;
    if (code === HANDLER.REPOSSESSED) return k.w32(at + 4, value);
    if (k.r32(at + 4) === value) return;
  }
  if (n === E.NOTICES_MAX) return;
  k.w32(rec + E.NOTICES + 8 * n, code);
  k.w32(rec + E.NOTICES + 8 * n + 4, value);
  k.w32(rec + E.NOTICE_COUNT, n + 1);
  const cpu = k.cpu;
  if (k.current === id && !cpu.kernelMode) {
    const pc = cpu.inDelaySlot ? cpu.pc - 4 : cpu.pc; // the branch runs again, as after EPC
    cpu.pc = deliverNotice(k, rec, pc);
  }
}

/**
 * Delivers the oldest waiting notice of the environment whose record is `rec`, which is about
 * to run at `pc` in user mode: returns the handler's address (t0-t2 set as the module says), or
 * `pc` when none waits.
 */
export function deliverNotice(k: KernelState, rec: number, pc: number): number {
  const n = k.r32(rec + E.NOTICE_COUNT);
  if (n === 0) return pc;
  const code = k.r32(rec + E.NOTICES), value = k.r32(rec + E.NOTICES + 4);
  for (let i = 1; i < n; i++) {
    k.w32(rec + E.NOTICES + 8 * (i - 1), k.r32(rec + E.NOTICES + 8 * i));
    k.w32(rec + E.NOTICES + 8 * (i - 1) + 4, k.r32(rec + E.NOTICES + 8 * i + 4));
  }
  k.w32(rec + E.NOTICE_COUNT, n - 1);
  const r = k.cpu.regs;
  const save = k.r32(rec + E.SAVE) + NOTICE_SAVE;
  k.w32(save, r[8]);
  k.w32(save + 4, r[9]);
  k.w32(save + 8, r[10]);
  r[8] = pc;
  r[9] = value;
  r[10] = code << 2;
  return k.r32(rec + E.HANDLERS + 4 * code);
}

/** SET_HANDLER: handler `code` of `targetArg` to user address `va`. */
export function setHandler(
  k: KernelState,
  caller: number,
  code: number,
  va: number,
  targetArg: number,
): number {
  k.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (!Number.isInteger(code) || code < 0 || code >= HANDLER.COUNT) return ERR.INVAL;
  if (code === EXC.Int || code === EXC.Sys || (code > EXC.Ov && code < HANDLER.REVOKE)) {
    return ERR.INVAL; // the kernel's own, or codes the R3000 never raises
  }
  if ((va >>> 0) >= U.END || (va & 3) !== 0 || va === 0) return ERR.ADDR;
  k.setField(target, E.HANDLERS + 4 * code, va);
  return 0;
}

/**
 * SET_SAVE_AREA: the save area at `offset` in page `p`, which the target owns, presented with
 * its read-write capability `lo`:`hi`.
 */
export function setSaveArea(
  k: KernelState,
  caller: number,
  p: number,
  offset: number,
  lo: number,
  hi: number,
  targetArg: number,
): number {
  k.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (!isUserPage(k, p)) return ERR.INVAL;
  if (
    !Number.isInteger(offset) || offset < 0 || offset > PAGE_SIZE - SAVE_AREA_BYTES ||
    (offset & 3) !== 0
  ) {
    return ERR.INVAL;
  }
  if (!grantsWrite(k, p, lo, hi)) return ERR.CAP;
  if (ownerOf(k, p) !== target) return ERR.PERM;
  k.setField(target, E.SAVE, 0x80000000 + (p << PAGE_SHIFT) + offset);
  return 0;
}
