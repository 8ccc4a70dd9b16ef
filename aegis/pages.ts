/**
 * Physical pages and their capabilities (the paper's "physical memory" and "capabilities").
 *
 * The kernel records, for every physical page, its owner and two capabilities (read-write and
 * read-only) in the page table in kernel memory (layout.ts PT). Allocation hands the owner the
 * read-write capability; the read-only one is derived from it (CAP_READONLY). Both are 64 random
 * bits from `crypto.getRandomValues`, so one environment's capabilities say nothing about
 * another's, and both die when the page is freed: the entry's words are cleared, the page's
 * bindings leave the TLB and the STLB, and its contents are zeroed before anyone else can get it.
 *
 * Kernel pages (below `firstPage`) and free pages carry no capabilities (all zero words), and the
 * kernel refuses a zero capability, so neither can ever be bound.
 *
 * @module
 */

import { TLB } from "../machine/cp0.ts";
import { type Capability, capabilityOf, ERR } from "./abi.ts";
import { COSTS } from "./costs.ts";
import {
  E,
  ENV,
  envRecord,
  K,
  PAGE_SHIFT,
  PAGE_SIZE,
  PT,
  pteAddress,
  PTF,
  STLB,
} from "./layout.ts";
import type { KernelState } from "./state.ts";
import { forgetNetPage } from "./network.ts";
import { dropRevocation } from "./revocation.ts";

/** Whether `p` names a page of RAM environments may hold. */
export function isUserPage(k: KernelState, p: number): boolean {
  return Number.isInteger(p) && p >= k.firstPage && p < k.pages;
}

/** The owner of physical page `p` (0: free or no page, -1: the kernel's). */
export function ownerOf(k: KernelState, p: number): number {
  if (!Number.isInteger(p) || p < 0 || p >= k.pages) return 0;
  if (p < k.firstPage) return -1;
  return k.r32(pteAddress(p) + PT.OWNER);
}

/** Page `p`'s read-write capability (0n when free): for the kernel's views and tests. */
export function capabilityOfPage(k: KernelState, p: number): Capability {
  const pte = pteAddress(p);
  return capabilityOf(k.r32(pte + PT.CAP_RW), k.r32(pte + PT.CAP_RW + 4));
}

/** Whether words `lo`:`hi` are page `p`'s capability at `offset` (PT.CAP_RW or CAP_RO). */
export function capabilityIs(k: KernelState, p: number, offset: number, lo: number, hi: number) {
  const pte = pteAddress(p) + offset;
  // Both words are compared whatever the first says, and a zero capability never matches.
  const diff = (k.r32(pte) ^ lo) | (k.r32(pte + 4) ^ hi);
  return diff === 0 && (lo | hi) !== 0;
}

/** Whether `lo`:`hi` is page `p`'s read-write capability (p must be a user page). */
export function grantsWrite(k: KernelState, p: number, lo: number, hi: number): boolean {
  return capabilityIs(k, p, PT.CAP_RW, lo, hi);
}

/** Whether `lo`:`hi` grants a mapping of page `p`, writable when `writable`. */
export function grants(k: KernelState, p: number, lo: number, hi: number, writable: boolean) {
  const rw = capabilityIs(k, p, PT.CAP_RW, lo, hi);
  const ro = capabilityIs(k, p, PT.CAP_RO, lo, hi);
  return rw || (ro && !writable);
}

/** Two fresh nonzero, distinct 64-bit capabilities, as four words, from `k.random`. */
function freshCapabilities(k: KernelState): Int32Array {
  const w = new Int32Array(4);
  for (;;) {
    k.random(w);
    const rwZero = (w[0] | w[1]) === 0, roZero = (w[2] | w[3]) === 0;
    if (!rwZero && !roZero && (w[0] !== w[2] || w[1] !== w[3])) return w;
  }
}

/** Marks page `p` free or not in the exported bitmap. */
export function setFree(k: KernelState, p: number, free: boolean): void {
  const a = K.FREE_BITMAP + ((p >>> 5) << 2);
  const bit = 1 << (p & 31);
  const w = k.r32(a);
  k.w32(a, free ? w | bit : w & ~bit);
}

/** Gives free page `p` to `owner` with fresh capabilities. */
export function takePage(k: KernelState, p: number, owner: number): void {
  const pte = pteAddress(p);
  const c = freshCapabilities(k);
  k.w32(pte + PT.OWNER, owner);
  k.w32(pte + PT.CAP_RW, c[0]);
  k.w32(pte + PT.CAP_RW + 4, c[1]);
  k.w32(pte + PT.CAP_RO, c[2]);
  k.w32(pte + PT.CAP_RO + 4, c[3]);
  k.w32(pte + PT.FLAGS, 0);
  setFree(k, p, false);
}

/**
 * ALLOC: page `want` (or the first free one, for -1) to `caller`; returns the page or an error
 * code (INVAL, NOMEM).
 */
export function allocPage(k: KernelState, caller: number, want: number): number {
  k.cpu.charge(COSTS.alloc);
  let p = want;
  if (want === -1) {
    p = k.firstPage;
    while (p < k.pages && k.r32(pteAddress(p) + PT.OWNER) !== 0) p++;
    if (p === k.pages) return ERR.NOMEM;
  } else if (!Number.isInteger(want) || want < 0 || want >= k.pages) {
    return ERR.INVAL;
  } else if (want < k.firstPage || k.r32(pteAddress(want) + PT.OWNER) !== 0) {
    return ERR.NOMEM;
  }
  takePage(k, p, caller);
  return p;
}

/**
 * DEALLOC (and REVOKE_ANSWER): frees page `p` when `lo`:`hi` is its read-write capability and
 * `caller` owns it; returns 0 or INVAL, CAP, PERM.
 */
export function deallocPage(k: KernelState, caller: number, p: number, lo: number, hi: number) {
  k.cpu.charge(COSTS.dealloc);
  if (!isUserPage(k, p)) return ERR.INVAL;
  if (!grantsWrite(k, p, lo, hi)) return ERR.CAP;
  if (k.r32(pteAddress(p) + PT.OWNER) !== caller) return ERR.PERM;
  freePage(k, p);
  return 0;
}

/** Makes TLB entry `i` match nothing: a kseg0 VPN is never looked up in the TLB. */
export function invalidateTlbEntry(k: KernelState, i: number): void {
  k.cpu.tlbHi[i] = (0x80000000 | (i << PAGE_SHIFT)) | 0;
  k.cpu.tlbLo[i] = 0;
}

/**
 * Removes every binding of physical page `p` from the TLB and the STLB, and moves any save area
 * in it back to its environment's default; returns how many bindings went.
 */
export function purgePage(k: KernelState, p: number): number {
  const cpu = k.cpu;
  let n = 0;
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((cpu.tlbLo[i] & TLB.V) !== 0 && (cpu.tlbLo[i] >>> PAGE_SHIFT) === p) {
      invalidateTlbEntry(k, i);
      n++;
    }
  }
  for (let i = 0; i < STLB.ENTRIES; i++) {
    const a = K.STLB + i * STLB.ENTRY_BYTES;
    const lo = k.r32(a + 4);
    if ((lo & TLB.V) !== 0 && (lo >>> PAGE_SHIFT) === p) {
      k.w32(a, 0);
      k.w32(a + 4, 0);
      n++;
    }
  }
  // A save area in the page would let the kernel write into memory the env no longer owns.
  for (let s = 1; s < ENV.SLOTS; s++) {
    const rec = envRecord(s);
    if (((k.r32(rec + E.SAVE) & 0x1fffffff) >>> PAGE_SHIFT) === p) {
      k.w32(rec + E.SAVE, rec + E.DEFAULT_SAVE);
    }
  }
  cpu.invalidateCaches();
  return n;
}

/**
 * Frees page `p`: its capabilities die, its bindings, pins and guaranteed mappings go, it leaves
 * the revocation list, and its contents are zeroed before it is marked free.
 */
export function freePage(k: KernelState, p: number): void {
  const pte = pteAddress(p);
  k.zero(pte, PT.ENTRY_BYTES);
  purgePage(k, p);
  forgetNetPage(k, p); // out of every receive ring and ASH
  k.zero(0x80000000 + (p << PAGE_SHIFT), PAGE_SIZE);
  dropRevocation(k, p);
  for (let s = 1; s < ENV.SLOTS; s++) {
    const rec = envRecord(s);
    if (k.r32(rec + E.ID) === 0) continue;
    for (let i = 0; i < 4; i++) {
      if (k.r32(rec + E.PINNED + 4 * i) === p) k.w32(rec + E.PINNED + 4 * i, -1);
    }
    // Guaranteed mappings of the page die with its capabilities.
    let n = k.r32(rec + E.GUARANTEED_COUNT);
    for (let i = 0; i < n; i++) {
      if (k.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT !== p) continue;
      n--;
      k.w32(rec + E.GUARANTEED + 8 * i, k.r32(rec + E.GUARANTEED + 8 * n));
      k.w32(rec + E.GUARANTEED + 8 * i + 4, k.r32(rec + E.GUARANTEED + 8 * n + 4));
      k.w32(rec + E.GUARANTEED_COUNT, n);
      i--;
    }
  }
  setFree(k, p, true);
}

/** Whether page `p` carries the flag `flag` (PTF). */
export function pageFlag(k: KernelState, p: number, flag: number): boolean {
  return (k.r32(pteAddress(p) + PT.FLAGS) & flag) !== 0;
}

/** Sets or clears flag `flag` of page `p`. */
export function setPageFlag(k: KernelState, p: number, flag: number, on: boolean): void {
  const a = pteAddress(p) + PT.FLAGS;
  k.w32(a, on ? k.r32(a) | flag : k.r32(a) & ~flag);
}

/** Marks the kernel's pages and frees every other page: the page table at boot. */
export function initPages(k: KernelState): void {
  k.zero(K.PAGE_TABLE, k.pages * PT.ENTRY_BYTES);
  k.zero(K.FREE_BITMAP, 4 * PAGE_SIZE);
  for (let p = 0; p < k.pages; p++) {
    if (p < k.firstPage) k.w32(pteAddress(p) + PT.FLAGS, PTF.KERNEL);
    else setFree(k, p, true);
  }
}
