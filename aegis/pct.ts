/**
 * Protected control transfer (the paper's "protected control transfer", SCALL and ACALL).
 *
 * A transfer changes the program counter to an agreed value in the callee (its synchronous or
 * asynchronous entry point), donates time (a synchronous transfer the current slice and its
 * future instances, recorded in the caller's DONATED_TO; an asynchronous one the rest of this
 * slice only), installs the callee's addressing context (its ASID in EntryHi, the STLB tag) and
 * its status register (E.STATUS: the interrupt mask, which is the kernel's, and the coprocessor
 * usability FPU_MOD sets), and makes it the current environment. It never overwrites an application-visible register: the callee receives
 * every register as the caller left it, except v0, which tells it who called, and k0 (its entry
 * point) and k1 (zero). Any environment may call any other; access control is the callee's, and
 * a callee that set no entry point for the transfer is not entered at all (ERR.NOENTRY), so a
 * call can never derail an environment that does not expect one.
 *
 * Both transfers are assembly: the callee's record is found from the id's slot and must carry the
 * id, and only k0, k1 and v0 are used. A callee without an ASID gets one through HC.ASID.
 *
 * @module
 */

import { CP0, SR } from "../machine/cp0.ts";
import { ERR } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { giveAsid, resolveTarget } from "./environments.ts";
import { E, HC, K, slotOfId, U } from "./layout.ts";
import type { KernelState } from "./state.ts";

const hi = (v: number) => (v >>> 16) & 0xffff;

/**
 * A protected control transfer (label `sys_NAME`) to the entry point at `entry` in the callee's
 * record; `donate` records the synchronous donation.
 */
function transferAsm(name: string, entry: number, donate: boolean): string {
  return `
sys_${name}:                                 # a0 = the callee's id; k0 = the return address
        andi    $k1, $a0, 0x7f
        sll     $k1, $k1, 12
        lui     $v0, ${hi(K.ENVS)}
        addu    $k1, $k1, $v0                # the callee's record
        lw      $v0, ${E.ID}($k1)
        lw      $k0, ${entry}($k1)           # its entry point
        bne     $v0, $a0, pct_noenv          # no such environment (a dead id, a wrong slot)
        lui     $v0, ${hi(K.GLOBALS)}
        beqz    $k0, pct_noentry             # it takes no such calls
        lw      $k0, 0($v0)                  # the caller's record
        sw      $k1, 0($v0)                  # the callee runs now
${
    donate
      ? `        sw      $a0, ${E.DONATED_TO}($k0)    # with the caller's slice and its future instances
        lw      $v0, ${E.STATUS}($k1)
        lw      $k0, ${E.ID}($k0)
        sw      $zero, ${E.DONATED_TO}($k1)`
      : `        lw      $v0, ${E.STATUS}($k1)
        lw      $k0, ${E.ID}($k0)
        nop`
  }
        mtc0    $v0, $status                 # the callee's status register
        move    $v0, $k0                     # the callee learns who called
        lw      $k0, ${E.ENTRYHI}($k1)
        nop
        beqz    $k0, ${name}_asid
        mtc0    $k0, $entryhi                # the callee's address space
${name}_go:
        lw      $k0, ${entry}($k1)
        move    $k1, $zero
        jr      $k0
        rfe
${name}_asid:                                # no ASID: the kernel gives one and sets EntryHi
        hcall   ${HC.ASID}
        b       ${name}_go
        nop
`;
}

/** SCALL, ACALL and their shared error returns. */
export function pctAsm(): string {
  return `${transferAsm("scall", E.SYNC_ENTRY, true)}${transferAsm("acall", E.ASYNC_ENTRY, false)}
pct_noenv:
        mfc0    $k0, $epc
        li      $v0, ${ERR.NOENV}
        b       sys_return
        addiu   $k0, $k0, 4
pct_noentry:
        mfc0    $k0, $epc
        li      $v0, ${ERR.NOENTRY}
        b       sys_return
        addiu   $k0, $k0, 4
`;
}

/** SET_ENTRY: entry point `which` of `targetArg` to user address `va` (0: none). */
export function setEntry(
  k: KernelState,
  caller: number,
  which: number,
  va: number,
  targetArg: number,
): number {
  k.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const offsets = [E.SYNC_ENTRY, E.ASYNC_ENTRY, E.SLICE_START, E.SLICE_END];
  if (!Number.isInteger(which) || which < 0 || which >= offsets.length) return ERR.INVAL;
  if (va !== 0 && ((va >>> 0) >= U.END || (va & 3) !== 0)) return ERR.ADDR;
  k.setField(target, offsets[which], va);
  return 0;
}

/**
 * FPU_MOD: coprocessor 1 usable (`on` = 1) or not (0) for `targetArg`, in its status register
 * (and in Status now, when the target is on the CPU).
 */
export function fpuMod(k: KernelState, caller: number, on: number, targetArg: number): number {
  k.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (on !== 0 && on !== 1) return ERR.INVAL;
  const status = k.field(target, E.STATUS);
  k.setField(target, E.STATUS, on ? status | SR.CU1 : status & ~SR.CU1);
  if (target === k.current) {
    const s = k.cpu.cp0[CP0.Status];
    k.cpu.cp0[CP0.Status] = on ? s | SR.CU1 : s & ~SR.CU1;
  }
  return 0;
}

/** HC.ASID: gives the environment a transfer or yield just made current an ASID, in EntryHi. */
export function asidService(k: KernelState): void {
  const asid = giveAsid(k, slotOfId(k.current));
  k.cpu.writeCp0(CP0.EntryHi, asid << 6);
}
