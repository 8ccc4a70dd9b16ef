/**
 * Aegis's management services: the system calls implemented in TypeScript behind the kernel's
 * one hypercall stub (`sys_ts` in kernel_asm.ts), each charging what aegis/costs.ts declares.
 *
 * Every call checks all its arguments before it changes anything and answers a bad one with a
 * negative code from abi.ts: pages must be environments' pages, capabilities must match the page
 * table, addresses must be user addresses outside the guaranteed region, and a call that
 * configures another environment must name one the caller created (`target`). The hot calls
 * (NULL, TLBWR, TLBVADELETE, SCALL, ACALL, directed YIELD) are assembly and come here only for
 * their rarer forms (a TLBWR or TLBVADELETE for a child). The calls that move the CPU elsewhere
 * (an undirected YIELD) stay in kernel.ts with the scheduler.
 *
 * @module
 */

import { EXC, EXC_NAMES, TLB } from "../machine/cp0.ts";
import {
  ENTRY,
  ERR,
  EXPORT,
  GUARANTEED_MAX,
  HANDLER,
  OWN_GUARANTEED,
  PINNED_MAX,
  SAVE_AREA_BYTES,
  SYS,
  type SyscallResult,
  TLBWR,
  TLBWR_TARGET_SHIFT,
} from "./abi.ts";
import { COSTS } from "./costs.ts";
import type { Aegis } from "./kernel.ts";
import { E, envRecord, K, PAGE_SHIFT, PAGE_SIZE, PT, pteAddress, stlbOffset, U } from "./layout.ts";

/**
 * Runs TypeScript system call `number` for `caller` with arguments a0..a3 (`regs` is the
 * register file, for the calls that read more); returns v0 and v1, or null when the call moved
 * the CPU to another environment (the caller ended).
 */
export function systemCall(
  k: Aegis,
  caller: number,
  number: number,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  regs: Int32Array,
): SyscallResult | null {
  const cpu = k.machine.cpu, r = regs;
  let v0 = 0, v1 = 0;
  switch (number) {
    case SYS.TLBWR:
      v0 = tlbwrOther(k, caller, a0, a1, a2, a3);
      break;
    case SYS.TLBVADELETE:
      v0 = tlbVaDelete(k, caller, a0, a1, a2);
      break;
    case SYS.ALLOC:
      [v0, v1] = alloc(k, caller, a0);
      break;
    case SYS.DEALLOC:
    case SYS.REVOKE_ANSWER:
      v0 = dealloc(k, caller, a0, a1);
      break;
    case SYS.CAP_READONLY:
      cpu.charge(COSTS.capReadonly);
      if (!pageArg(k, a0)) v0 = ERR.INVAL;
      else if (a1 === 0 || k.mem.r32(pteAddress(a0) + PT.CAP_RW) !== a1) v0 = ERR.CAP;
      else v1 = k.mem.r32(pteAddress(a0) + PT.CAP_RO);
      break;
    case SYS.SET_HANDLER:
      v0 = setHandler(k, caller, a0, a1, a2);
      break;
    case SYS.SET_SAVE_AREA:
      v0 = setSaveArea(k, caller, a0, a1, a2, a3);
      break;
    case SYS.SET_ENTRY:
      v0 = setEntry(k, caller, a0, a1, a2);
      break;
    case SYS.ENV_ALLOC:
      cpu.charge(COSTS.envAlloc);
      v0 = a0 === 0 || a0 >>> 0 >= U.GUARANTEED || (a0 & 3) !== 0
        ? ERR.ADDR
        : k.createEnvironment(a0, caller);
      break;
    case SYS.ENV_FREE: {
      const target = resolveTarget(k, caller, a0);
      if (target < 0) {
        v0 = target;
        break;
      }
      const self = target === caller;
      k.destroyEnvironment(target, self ? "exited" : `freed by ${caller}`);
      if (self) return null; // the scheduler has put someone else on the CPU
      break;
    }
    case SYS.SLICE_ALLOC:
      v0 = sliceAlloc(k, caller, a0, a1);
      break;
    case SYS.SLICE_FREE: {
      cpu.charge(COSTS.slice);
      const target = resolveTarget(k, caller, a1);
      if (target < 0) v0 = target;
      else if (!Number.isInteger(a0) || a0 < 0 || a0 >= k.sliceCount) v0 = ERR.INVAL;
      else if (k.slices[a0] !== target) v0 = ERR.PERM;
      else k.slices[a0] = 0;
      break;
    }
    case SYS.EXPORT:
      cpu.charge(COSTS.query);
      v0 = a0 === EXPORT.STLB
        ? U.STLB
        : a0 === EXPORT.FREE_BITMAP
        ? U.FREE_BITMAP
        : a0 === EXPORT.ENV
        ? U.ENV
        : ERR.INVAL;
      break;
    case SYS.GETID:
      cpu.charge(COSTS.query);
      v0 = caller;
      v1 = k.field(caller, E.ASID);
      break;
    case SYS.PIN:
      v0 = pin(k, caller, a0, a1);
      break;
    case SYS.GUARANTEE:
      v0 = guarantee(k, caller, a0, a1, a2, a3);
      break;
    case SYS.UNHANDLED: {
      cpu.charge(COSTS.query);
      const code = (r[10] >>> 2) & 31;
      const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
      k.destroyEnvironment(
        caller,
        `unhandled ${EXC_NAMES[code] ?? code} at EPC ${hex(r[8])}, BadVAddr ${hex(r[9])}`,
      );
      return null;
    }
    default:
      v0 = ERR.NOSYS;
  }
  return { v0, v1 };
}

/** Whether `p` names a page environments may hold. */
function pageArg(k: Aegis, p: number): boolean {
  return Number.isInteger(p) && p >= k.firstPage && p < k.pages;
}

/** Resolves a target argument: 0 or the caller's id for itself, else one of its children. */
function resolveTarget(k: Aegis, caller: number, arg: number): number {
  if (arg === 0 || arg === caller) return caller;
  if (k.slotOf(arg) < 0) return ERR.NOENV;
  return k.field(arg, E.PARENT) === caller ? arg : ERR.PERM;
}

/** ALLOC: page `want` (or any, for -1) to `caller`; returns [page, capability] or [error, 0]. */
function alloc(k: Aegis, caller: number, want: number): [number, number] {
  k.machine.cpu.charge(COSTS.alloc);
  let p = want;
  if (want === -1) {
    p = k.firstPage;
    while (p < k.pages && k.mem.r32(pteAddress(p) + PT.OWNER) !== 0) p++;
    if (p === k.pages) return [ERR.NOMEM, 0];
  } else if (!Number.isInteger(want) || want < 0 || want >= k.pages) {
    return [ERR.INVAL, 0];
  } else if (want < k.firstPage || k.mem.r32(pteAddress(want) + PT.OWNER) !== 0) {
    return [ERR.NOMEM, 0];
  }
  return [p, k.takePage(p, caller)];
}

/** DEALLOC: frees page `p` when `cap` is its read-write capability and `caller` owns it. */
function dealloc(k: Aegis, caller: number, p: number, cap: number): number {
  k.machine.cpu.charge(COSTS.dealloc);
  if (!pageArg(k, p)) return ERR.INVAL;
  const pte = pteAddress(p);
  if (cap === 0 || k.mem.r32(pte + PT.CAP_RW) !== cap) return ERR.CAP;
  if (k.mem.r32(pte + PT.OWNER) !== caller) return ERR.PERM;
  k.freePage(p);
  k.revocations.delete(p);
  return 0;
}

/** PIN: keeps page `p` safe from repossession. */
function pin(k: Aegis, caller: number, p: number, cap: number): number {
  k.machine.cpu.charge(COSTS.setHandler);
  if (!pageArg(k, p)) return ERR.INVAL;
  if (cap === 0 || k.mem.r32(pteAddress(p) + PT.CAP_RW) !== cap) return ERR.CAP;
  if (k.mem.r32(pteAddress(p) + PT.OWNER) !== caller) return ERR.PERM;
  const rec = envRecord(caller & 0x7f);
  let free = -1;
  for (let i = 0; i < PINNED_MAX; i++) {
    const q = k.mem.r32(rec + E.PINNED + 4 * i);
    if (q === p) return 0;
    if (q === -1 && free < 0) free = i;
  }
  if (free < 0) return ERR.NOSLOT;
  k.mem.w32(rec + E.PINNED + 4 * free, p);
  return 0;
}

/** GUARANTEE: records a guaranteed mapping of `va` for the target and installs it. */
function guarantee(
  k: Aegis,
  caller: number,
  va: number,
  p: number,
  cap: number,
  flags: number,
): number {
  k.machine.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, flags >>> TLBWR_TARGET_SHIFT);
  if (target < 0) return target;
  if ((va >>> 0) < OWN_GUARANTEED.start || (va >>> 0) >= OWN_GUARANTEED.end) return ERR.ADDR;
  if (!Number.isInteger(p) || p < 0 || p >= k.pages) return ERR.INVAL;
  const pte = pteAddress(p);
  const writable = (flags & TLBWR.WRITABLE) !== 0;
  const rw = k.mem.r32(pte + PT.CAP_RW), ro = k.mem.r32(pte + PT.CAP_RO);
  if (cap === 0 || !(cap === rw || (!writable && cap === ro))) return ERR.CAP;
  const rec = envRecord(target & 0x7f);
  const vpn = va & TLB.VPN_MASK;
  const n = k.mem.r32(rec + E.GUARANTEED_COUNT);
  let i = 0;
  while (i < n && k.mem.r32(rec + E.GUARANTEED + 8 * i) !== vpn) i++;
  if (i === GUARANTEED_MAX) return ERR.NOSLOT;
  const lo = (p << PAGE_SHIFT) | TLB.V | (writable ? TLB.D : 0) |
    ((flags & TLBWR.UNCACHED) !== 0 ? TLB.N : 0);
  k.mem.w32(rec + E.GUARANTEED + 8 * i, vpn);
  k.mem.w32(rec + E.GUARANTEED + 8 * i + 4, lo);
  if (i === n) k.mem.w32(rec + E.GUARANTEED_COUNT, n + 1);
  return tlbwrOther(k, caller, va, p, cap, flags); // and bind it now, as TLBWR would
}

/** TLBWR for another environment (a3 names it): checked here, installed in the STLB. */
function tlbwrOther(
  k: Aegis,
  caller: number,
  va: number,
  p: number,
  cap: number,
  flags: number,
): number {
  const cpu = k.machine.cpu;
  cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, flags >>> TLBWR_TARGET_SHIFT);
  if (target < 0) return target;
  if ((va >>> 0) >= U.GUARANTEED) return ERR.ADDR;
  if (!Number.isInteger(p) || p < 0 || p >= k.pages) return ERR.INVAL;
  const pte = pteAddress(p);
  const writable = (flags & TLBWR.WRITABLE) !== 0;
  const rw = k.mem.r32(pte + PT.CAP_RW), ro = k.mem.r32(pte + PT.CAP_RO);
  if (cap === 0 || !(cap === rw || (!writable && cap === ro))) return ERR.CAP;
  const asid = k.field(target, E.ASID) || k.giveAsid(target & 0x7f);
  const hi = (va & TLB.VPN_MASK) | (asid << 6);
  const lo = (p << PAGE_SHIFT) | TLB.V | (writable ? TLB.D : 0) |
    ((flags & TLBWR.UNCACHED) !== 0 ? TLB.N : 0);
  const slot = K.STLB + stlbOffset(va, asid);
  k.mem.w32(slot, hi);
  k.mem.w32(slot + 4, lo);
  // A TLB entry for the same page and ASID would shadow the new binding: drop it.
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((cpu.tlbHi[i] & TLB.HI_MASK) === (hi & TLB.HI_MASK)) k.invalidateTlb(i);
  }
  cpu.invalidateCaches();
  return 0;
}

/** TLBVADELETE: removes `caller`'s (or its child's) mapping of virtual page `va`. */
function tlbVaDelete(
  k: Aegis,
  caller: number,
  va: number,
  targetArg: number,
  count: number,
): number {
  const cpu = k.machine.cpu;
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const pages = (count >>> 0) < 2 ? 1 : count >>> 0;
  const first = va >>> PAGE_SHIFT;
  if (first + pages > U.GUARANTEED >>> PAGE_SHIFT) return ERR.ADDR;
  cpu.charge(COSTS.tlbVaDelete * pages);
  const asid = k.field(target, E.ASID);
  if (asid === 0) return 0;
  for (let vpn = first; vpn < first + pages; vpn++) {
    const hi = ((vpn << PAGE_SHIFT) | (asid << 6)) & TLB.HI_MASK;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      if ((cpu.tlbHi[i] & TLB.HI_MASK) === hi) k.invalidateTlb(i);
    }
    const slot = K.STLB + stlbOffset(vpn << PAGE_SHIFT, asid);
    if ((k.mem.r32(slot) & TLB.HI_MASK) === hi) {
      k.mem.w32(slot, 0);
      k.mem.w32(slot + 4, 0);
    }
  }
  cpu.invalidateCaches();
  return 0;
}

/** SET_HANDLER: handler `code` of `targetArg` to user address `va`. */
function setHandler(k: Aegis, caller: number, code: number, va: number, targetArg: number): number {
  k.machine.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (!Number.isInteger(code) || code < 0 || code >= HANDLER.COUNT) return ERR.INVAL;
  if (code === EXC.Int || code === EXC.Sys) return ERR.INVAL; // the kernel's own
  if ((va >>> 0) >= U.END || (va & 3) !== 0 || va === 0) return ERR.ADDR;
  k.mem.w32(envRecord(target & 0x7f) + E.HANDLERS + 4 * code, va);
  return 0;
}

/** SET_SAVE_AREA: the save area at `offset` in page `p`, owned with capability `cap`. */
function setSaveArea(
  k: Aegis,
  caller: number,
  p: number,
  cap: number,
  offset: number,
  targetArg: number,
): number {
  k.machine.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (!pageArg(k, p)) return ERR.INVAL;
  if (
    !Number.isInteger(offset) || offset < 0 || offset > PAGE_SIZE - SAVE_AREA_BYTES ||
    (offset & 3) !== 0
  ) {
    return ERR.INVAL;
  }
  if (cap === 0 || k.mem.r32(pteAddress(p) + PT.CAP_RW) !== cap) return ERR.CAP;
  if (k.mem.r32(pteAddress(p) + PT.OWNER) !== target) return ERR.PERM;
  k.mem.w32(envRecord(target & 0x7f) + E.SAVE, 0x80000000 + (p << PAGE_SHIFT) + offset);
  return 0;
}

/** SET_ENTRY: entry point `which` of `targetArg` to user address `va` (0 clears slice ones). */
function setEntry(k: Aegis, caller: number, which: number, va: number, targetArg: number): number {
  k.machine.cpu.charge(COSTS.setHandler);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  const offsets = [E.SYNC_ENTRY, E.ASYNC_ENTRY, E.SLICE_START, E.SLICE_END];
  if (!Number.isInteger(which) || which < 0 || which >= offsets.length) return ERR.INVAL;
  const clearable = which === ENTRY.SLICE_START || which === ENTRY.SLICE_END;
  if (!(va === 0 && clearable) && ((va >>> 0) >= U.END || (va & 3) !== 0 || va === 0)) {
    return ERR.ADDR;
  }
  k.mem.w32(envRecord(target & 0x7f) + offsets[which], va);
  return 0;
}

/** SLICE_ALLOC: position `pos` (or the first free one, for -1) for `targetArg`. */
function sliceAlloc(k: Aegis, caller: number, pos: number, targetArg: number): number {
  k.machine.cpu.charge(COSTS.slice);
  const target = resolveTarget(k, caller, targetArg);
  if (target < 0) return target;
  if (pos === -1) {
    pos = k.slices.indexOf(0);
    if (pos < 0) return ERR.NOSLOT;
  } else if (!Number.isInteger(pos) || pos < 0 || pos >= k.sliceCount) return ERR.INVAL;
  else if (k.slices[pos] !== 0) return ERR.NOSLOT;
  k.slices[pos] = target;
  return pos;
}
