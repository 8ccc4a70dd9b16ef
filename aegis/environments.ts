/**
 * Environments and their address-space ids (the paper's "environments" and "addressing context").
 *
 * An environment is a record in kernel memory (layout.ts E): its id, ASID, save area, handlers,
 * entry points, saved context, parent and tree root. An id is generation << 7 | slot, checked in
 * one place (`envSlot`, as JOS's envid2env): the record in the id's slot must carry exactly that
 * id. Ids are never reused: a slot's generation only grows, and a slot that has used all 2^24 of
 * its generations retires. So an id names one environment forever, and nothing an environment
 * remembers (a callee, a child, a donation) can come to name another.
 *
 * Who may configure whom: an environment configures itself and the children it created
 * (`resolveTarget`). When an environment ends, its children are orphaned: owned by nobody, they
 * live on and configure themselves. The host (the lab's TypeScript) creates tree roots; every
 * environment descended from one belongs to its tree, which bounds what the tree may hold beyond
 * revocation's reach (revocation.ts).
 *
 * ASIDs. There are 63 (1..63) for up to 127 environments, so an ASID is given when an
 * environment needs one and taken back, with a purge of its TLB and STLB entries, from another
 * when all are in use. The victim is chosen by a clock hand and is never the environment on the
 * CPU nor one the host has put aside while it acts for another (their contexts hold the ASID
 * and the CPU will go back to them).
 *
 * @module
 */

import { TLB } from "../machine/cp0.ts";
import { ERR, HANDLER, PINNED_MAX } from "./abi.ts";
import { COSTS } from "./costs.ts";
import {
  CTX,
  E,
  ENV,
  envRecord,
  G,
  K,
  PT,
  pteAddress,
  slotOfId,
  STLB,
  TRAMP,
  U,
} from "./layout.ts";
import { dropNetFilters } from "./network.ts";
import { freePage, invalidateTlbEntry } from "./pages.ts";
import { leaveCpu } from "./slices.ts";
import type { KernelState } from "./state.ts";

/** The slot of the live environment `id`, or -1: the one place an id is checked. */
export function envSlot(k: KernelState, id: number): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0x7fffffff) return -1;
  const slot = slotOfId(id);
  if (slot === 0) return -1;
  return k.r32(envRecord(slot) + E.ID) === id ? slot : -1;
}

/**
 * Resolves a target argument for `caller`: 0 or its own id names itself; a live child of its
 * own names that child. Returns the id, or ERR.NOENV (no such live environment) or ERR.PERM
 * (someone else's).
 */
export function resolveTarget(k: KernelState, caller: number, arg: number): number {
  if (arg === 0 || arg === caller) return caller;
  if (envSlot(k, arg) < 0) return ERR.NOENV;
  return k.field(arg, E.PARENT) === caller ? arg : ERR.PERM;
}

/** The ids of the live environments, by slot. */
export function envIds(k: KernelState): number[] {
  const ids: number[] = [];
  for (let s = 1; s < ENV.SLOTS; s++) {
    const id = k.r32(envRecord(s) + E.ID);
    if (id !== 0) ids.push(id);
  }
  return ids;
}

/**
 * Creates an environment that starts at user address `pc` in its first slice, child of
 * `parent` (0: a tree root, made by the host), called `name`; it accepts no protected calls
 * until it sets entry points. Returns its id, or ERR.NOSLOT when no slot is free.
 */
export function createEnvironment(k: KernelState, pc: number, parent: number, name: string) {
  let slot = 1;
  for (; slot < ENV.SLOTS; slot++) {
    const rec = envRecord(slot);
    if (k.r32(rec + E.ID) === 0 && k.r32(rec + E.GENERATION) < ENV.GENERATIONS - 1) break;
  }
  if (slot === ENV.SLOTS) return ERR.NOSLOT;
  const rec = envRecord(slot);
  const gen = k.r32(rec + E.GENERATION) + 1;
  k.zero(rec, ENV.BYTES);
  k.w32(rec + E.GENERATION, gen);
  const id = gen * ENV.SLOTS + slot;
  k.w32(rec + E.ID, id);
  k.w32(rec + E.SAVE, rec + E.DEFAULT_SAVE);
  k.w32(rec + E.PARENT, parent);
  k.w32(rec + E.ROOT, parent === 0 ? id : k.field(parent, E.ROOT));
  for (let i = 0; i < PINNED_MAX; i++) k.w32(rec + E.PINNED + 4 * i, -1);
  for (let c = 0; c < HANDLER.COUNT; c++) {
    k.w32(rec + E.HANDLERS + 4 * c, U.TRAMPOLINE + TRAMP.UNHANDLED);
  }
  k.w32(rec + E.CONTEXT + CTX.PC, pc);
  k.w32(rec + E.STATUS, k.global(G.USER_STATUS));
  k.writeString(rec + E.NAME, E.NAME_BYTES, name);
  giveAsid(k, slot);
  return id;
}

/**
 * Destroys environment `id`, recording `reason` (and where it was) in the host's log: frees its
 * pages and slices, forgets its ASID, orphans its children and ends donations to it. If it was on
 * the CPU, the next environment runs (unless `reschedule` is false: the scheduler itself is
 * deciding). Does nothing for an id that names no live environment.
 */
export function destroyEnvironment(
  k: KernelState,
  id: number,
  reason: string,
  where: { pc?: number; badVAddr?: number } = {},
  reschedule = true,
): void {
  const slot = envSlot(k, id);
  if (slot < 0) return;
  const rec = envRecord(slot);
  k.cpu.charge(COSTS.envFree);
  const name = k.nameOf(id);
  for (let p = k.firstPage; p < k.pages; p++) {
    if (k.r32(pteAddress(p) + PT.OWNER) === id) freePage(k, p);
  }
  dropNetFilters(k, id);
  for (let i = 0; i < k.sliceCount; i++) {
    if (k.global(G.SLICES + 4 * i) === id) k.setGlobal(G.SLICES + 4 * i, 0);
  }
  const asid = k.r32(rec + E.ASID);
  if (asid !== 0) {
    purgeAsid(k, asid);
    k.setGlobal(G.ASID_OWNER + 4 * asid, 0);
  }
  for (let s = 1; s < ENV.SLOTS; s++) {
    const other = envRecord(s);
    if (k.r32(other + E.DONATED_TO) === id) k.w32(other + E.DONATED_TO, 0);
    if (k.r32(other + E.PARENT) === id) k.w32(other + E.PARENT, 0);
  }
  const inUpcall = k.global(G.UPCALL) === id;
  if (inUpcall) k.setGlobal(G.UPCALL, 0);
  const gen = k.r32(rec + E.GENERATION);
  const wasCurrent = k.currentRecord >>> 0 === rec >>> 0;
  k.zero(rec, ENV.BYTES);
  k.w32(rec + E.GENERATION, gen);
  k.host.handlers.delete(id);
  k.host.entries.delete(id);
  k.host.exits.push({ id, name, reason, ...where });
  // A host call made for it will not come back: end that call's run (host.ts).
  if (k.host.acting.includes(id)) k.machine.stop();
  if (wasCurrent && reschedule) leaveCpu(k, inUpcall);
  else if (wasCurrent) k.setGlobal(G.CURENV, 0);
}

/**
 * Gives slot `slot`'s environment an ASID, taking one back from another environment if all
 * are in use (never from the one on the CPU or one the host put aside); returns it.
 */
export function giveAsid(k: KernelState, slot: number): number {
  k.cpu.charge(COSTS.asid);
  let asid = 1;
  while (asid < 64 && k.global(G.ASID_OWNER + 4 * asid) !== 0) asid++;
  if (asid === 64) asid = reclaimAsid(k, slot);
  const rec = envRecord(slot);
  k.setGlobal(G.ASID_OWNER + 4 * asid, k.r32(rec + E.ID));
  k.w32(rec + E.ASID, asid);
  k.w32(rec + E.ENTRYHI, asid << 6);
  return asid;
}

/** Takes an ASID back from an environment that may lose it, for `slot`; returns it. */
function reclaimAsid(k: KernelState, slot: number): number {
  const keep = new Set([k.current, ...k.host.paused, k.r32(envRecord(slot) + E.ID)]);
  let hand = k.global(G.ASID_HAND);
  for (let tries = 0; tries < 63; tries++) {
    hand = hand % 63 + 1;
    const owner = k.global(G.ASID_OWNER + 4 * hand);
    if (keep.has(owner)) continue;
    k.setGlobal(G.ASID_HAND, hand);
    k.setField(owner, E.ASID, 0);
    k.setField(owner, E.ENTRYHI, 0);
    purgeAsid(k, hand);
    k.cpu.charge(COSTS.asidRecycle);
    return hand;
  }
  // 63 ASIDs and at most 127 environments: fewer than 63 can be on the CPU or put aside.
  throw new Error("Aegis found no ASID to take back: every owner is running or put aside");
}

/** Removes every TLB and STLB entry tagged with `asid`. */
export function purgeAsid(k: KernelState, asid: number): void {
  const cpu = k.cpu;
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((cpu.tlbLo[i] & TLB.G) === 0 && ((cpu.tlbHi[i] & TLB.ASID_MASK) >>> 6) === asid) {
      invalidateTlbEntry(k, i);
    }
  }
  for (let i = 0; i < STLB.ENTRIES; i++) {
    const a = K.STLB + i * STLB.ENTRY_BYTES;
    const tag = k.r32(a);
    if (tag !== 0 && ((tag & TLB.ASID_MASK) >>> 6) === asid) {
      k.w32(a, 0);
      k.w32(a + 4, 0);
    }
  }
  cpu.invalidateCaches();
}
