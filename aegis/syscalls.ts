/**
 * The system-call dispatch: one table, indexed by the numbers of abi.ts.
 *
 * The general vector (exceptions.ts) sends a `syscall` here. The assembly checks the number,
 * loads the call's label from the table in kernel memory (K.SYSCALL_TABLE) and jumps there with
 * k0 = the return address (EPC + 4). The hot calls are assembly in their mechanism's file
 * (NULL here; TLBWR and TLBVADELETE in bindings.ts; SCALL and ACALL in pct.ts; a directed YIELD
 * in slices.ts); every other call, and the rarer forms of those (for a child, an undirected
 * yield), is `sys_ts`: one hypercall into `syscallService`, which dispatches in one switch and
 * charges what aegis/costs.ts declares.
 *
 * Every call checks all its arguments before it changes anything and answers a bad one with the
 * negative code abi.ts lists for it. On the way back to user mode the temporaries the kernel used
 * (t0-t7) are zero, k1 is zero and k0 is the return address: nothing of the kernel's survives
 * in a register (`sys_clear`).
 *
 * @module
 */

import { EXC } from "../machine/cp0.ts";
import { ERR, EXPORT, handlerName, SYS, SYSCALL_COUNT } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { guarantee, tlbVaDeleteFor, tlbwrFor } from "./bindings.ts";
import { createEnvironment, destroyEnvironment, resolveTarget } from "./environments.ts";
import { setHandler, setSaveArea } from "./exceptions.ts";
import { E, HC, K, PT, pteAddress, U } from "./layout.ts";
import { allocPage, capabilityIs, deallocPage, isUserPage } from "./pages.ts";
import { fpuMod, setEntry } from "./pct.ts";
import { clock, netAsh, netFilter, netInfo, netRxPage, netUnfilter } from "./network.ts";
import { pin } from "./revocation.ts";
import { sliceAlloc, sliceFree, yieldService } from "./slices.ts";
import type { KernelState } from "./state.ts";

const hi = (v: number) => (v >>> 16) & 0xffff;

/** Which system calls are assembly, by label; the rest go to `sys_ts`. */
export const ASM_SYSCALLS: Readonly<Record<number, string>> = {
  [SYS.NULL]: "sys_null",
  [SYS.YIELD]: "sys_yield",
  [SYS.SCALL]: "sys_scall",
  [SYS.ACALL]: "sys_acall",
  [SYS.TLBWR]: "sys_tlbwr",
  [SYS.TLBVADELETE]: "sys_tlbvadelete",
  [SYS.GETID]: "sys_getid",
  [SYS.GETID_STACK]: "sys_getid_stack",
  [SYS.NET_SEND]: "sys_net_send",
};

/**
 * The dispatch (entered from the general vector with k1 = the caller's record), NULL, the
 * hypercall stub and the two ways back to user mode.
 */
export function dispatchAsm(): string {
  return `
syscall:
        sltiu   $k0, $v0, ${SYSCALL_COUNT}
        beqz    $k0, bad_syscall
        sll     $k0, $v0, 2
        lui     $k1, ${hi(K.SYSCALL_TABLE)}
        addu    $k1, $k1, $k0
        lw      $k1, ${K.SYSCALL_TABLE & 0xffff}($k1)
        mfc0    $k0, $epc
        jr      $k1
        addiu   $k0, $k0, 4                  # every call starts with k0 = its return address
bad_syscall:
        mfc0    $k0, $epc
        li      $v0, ${ERR.NOSYS}
        b       sys_return
        addiu   $k0, $k0, 4
sys_null:
        b       sys_return
        move    $v0, $zero
sys_getid:                                   # without a stack: v0 = the id, v1 = the ASID
        lui     $k1, ${hi(K.GLOBALS)}
        lw      $k1, 0($k1)
        nop
        lw      $v0, ${E.ID}($k1)
        b       sys_return
        lw      $v1, ${E.ASID}($k1)
sys_getid_stack:                             # the same through a frame on the kernel stack, as
        lui     $k1, ${hi(K.STACK_TOP)}      # a kernel written in C runs every call
        addiu   $k1, $k1, -32
        sw      $sp, 28($k1)                 # the caller's sp, ra and what the body uses
        sw      $ra, 24($k1)
        sw      $s0, 20($k1)
        sw      $k0, 16($k1)                 # the return address
        jal     getid_body
        move    $sp, $k1
        lw      $k0, 16($sp)
        lw      $s0, 20($sp)
        lw      $ra, 24($sp)
        b       sys_return
        lw      $sp, 28($sp)
getid_body:                                  # v0 = the current environment's id, v1 its ASID
        lui     $s0, ${hi(K.GLOBALS)}
        lw      $s0, 0($s0)
        nop
        lw      $v0, ${E.ID}($s0)
        lw      $v1, ${E.ASID}($s0)
        jr      $ra
        nop
sys_ts:                                      # the TypeScript services; v0 = the call
        hcall   ${HC.SYSCALL}
sys_clear:                                   # zero the temporaries a call used, then return
        move    $t0, $zero
        move    $t1, $zero
        move    $t2, $zero
        move    $t3, $zero
        move    $t4, $zero
        move    $t5, $zero
        move    $t6, $zero
        move    $t7, $zero
sys_return:                                  # k0 = where to go
        move    $k1, $zero
        jr      $k0
        rfe
`;
}

/**
 * HC.SYSCALL: runs TypeScript system call v0 for the current environment with arguments a0..a3
 * and t0, and puts its results in v0, v1 and (for a capability) a2:a3. The calls that move the
 * CPU elsewhere (an undirected YIELD, ENV_FREE of oneself, UNHANDLED) leave the registers alone:
 * the CPU is in another environment by then.
 */
export function syscallService(k: KernelState): void {
  const r = k.cpu.regs;
  const caller = k.current;
  const [n, a0, a1, a2, a3, t0] = [r[2], r[4], r[5], r[6], r[7], r[8]];
  let v0 = 0;
  let v1 = 0;
  switch (n) {
    case SYS.YIELD:
      return yieldService(k);
    case SYS.TLBWR:
      v0 = tlbwrFor(k, caller, a0, a1, a2, a3, t0);
      break;
    case SYS.TLBVADELETE:
      v0 = tlbVaDeleteFor(k, caller, a0, a1, a2);
      break;
    case SYS.ALLOC: {
      v0 = allocPage(k, caller, a0);
      if (v0 >= 0) [r[6], r[7]] = capabilityAt(k, v0, PT.CAP_RW);
      break;
    }
    case SYS.DEALLOC:
    case SYS.REVOKE_ANSWER:
      v0 = deallocPage(k, caller, a0, a2, a3);
      break;
    case SYS.CAP_READONLY:
      k.cpu.charge(COSTS.capReadonly);
      if (!isUserPage(k, a0)) v0 = ERR.INVAL;
      else if (!capabilityIs(k, a0, PT.CAP_RW, a2, a3)) v0 = ERR.CAP;
      else [r[6], r[7]] = capabilityAt(k, a0, PT.CAP_RO);
      break;
    case SYS.SET_HANDLER:
      v0 = setHandler(k, caller, a0, a1, a2);
      break;
    case SYS.SET_SAVE_AREA:
      v0 = setSaveArea(k, caller, a0, a1, a2, a3, t0);
      break;
    case SYS.SET_ENTRY:
      v0 = setEntry(k, caller, a0, a1, a2);
      break;
    case SYS.ENV_ALLOC:
      k.cpu.charge(COSTS.envAlloc);
      v0 = a0 === 0 || a0 >>> 0 >= U.GUARANTEED || (a0 & 3) !== 0
        ? ERR.ADDR
        : createEnvironment(k, a0, caller, `${k.nameOf(caller)}.child`);
      break;
    case SYS.ENV_FREE: {
      const target = resolveTarget(k, caller, a0);
      if (target < 0) {
        v0 = target;
        break;
      }
      const self = target === caller;
      destroyEnvironment(k, target, self ? "exited" : `freed by 0x${caller.toString(16)}`);
      if (self) return; // the CPU is in the next environment now
      break;
    }
    case SYS.SLICE_ALLOC:
      v0 = sliceAlloc(k, caller, a0, a1);
      break;
    case SYS.SLICE_FREE:
      v0 = sliceFree(k, caller, a0, a1);
      break;
    case SYS.EXPORT:
      k.cpu.charge(COSTS.query);
      v0 = a0 === EXPORT.STLB
        ? U.STLB
        : a0 === EXPORT.FREE_BITMAP
        ? U.FREE_BITMAP
        : a0 === EXPORT.ENV
        ? U.ENV
        : ERR.INVAL;
      break;
    case SYS.FPU_MOD:
      v0 = fpuMod(k, caller, a0, a1);
      break;
    case SYS.PIN:
      v0 = pin(k, caller, a0, a2, a3);
      break;
    case SYS.GUARANTEE:
      v0 = guarantee(k, caller, a0, a1, a2, a3, t0);
      break;
    case SYS.NET_FILTER:
      ({ v0, v1 } = netFilter(k, caller, a0, a1, a2, a3));
      break;
    case SYS.NET_UNFILTER:
      v0 = netUnfilter(k, caller, a0);
      break;
    case SYS.NET_RXPAGE:
      v0 = netRxPage(k, caller, a0, a1, a2, a3);
      break;
    case SYS.NET_ASH:
      ({ v0, v1 } = netAsh(k, caller, a0, a1, a2, a3, t0));
      break;
    case SYS.NET_INFO:
      ({ v0, v1 } = netInfo(k, a0));
      break;
    case SYS.CLOCK:
      ({ v0, v1 } = clock(k));
      break;
    case SYS.UNHANDLED: {
      k.cpu.charge(COSTS.query);
      const code = (r[10] >>> 2) & 31;
      const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
      destroyEnvironment(
        k,
        caller,
        `unhandled ${handlerName(code)} at EPC ${hex(r[8])}, BadVAddr ${hex(r[9])}`,
        code === EXC.Sys ? { pc: r[8] >>> 0 } : { pc: r[8] >>> 0, badVAddr: r[9] >>> 0 },
      );
      return;
    }
    default:
      v0 = ERR.NOSYS;
  }
  r[2] = v0;
  r[3] = v1;
}

/** The two words of page `p`'s capability at `offset` (PT.CAP_RW or PT.CAP_RO). */
function capabilityAt(k: KernelState, p: number, offset: number): [number, number] {
  return [k.r32(pteAddress(p) + offset), k.r32(pteAddress(p) + offset + 4)];
}
