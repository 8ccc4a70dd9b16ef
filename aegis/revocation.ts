/**
 * Revocation and the abort protocol (the paper's "visible revocation" and "abort protocol"), and
 * the bound on what revocation cannot take.
 *
 * Revocation is visible: the kernel asks the owner to give a page back (a REVOKE notice, t1 =
 * the page) within a grace period. The page goes on the revocation list in kernel memory
 * (K.REVOCATIONS) with its deadline. If the owner answers (REVOKE_ANSWER, or DEALLOC), the page
 * leaves the list. If not, the abort protocol takes it by force at the deadline: its bindings
 * leave the TLB and the STLB, it is recorded in the owner's repossession vector, zeroed and
 * freed, and the owner gets a REPOSSESSED notice.
 *
 * Deadlines act only where the kernel could be interrupted. The machine event at the earliest
 * deadline does nothing but raise software interrupt 0 (Cause.IP0), which the CPU takes like any
 * interrupt: in user mode or in the idle loop, never inside kernel assembly (which runs with
 * interrupts off) nor while the host acts for an environment. The interrupt service (HC.INTERRUPT)
 * then expires what is due. So a page is never taken between a capability check and the binding
 * it allows, nor while an exception is being forwarded into it.
 *
 * What revocation cannot take: pages pinned by their owner (PIN) and pages behind the owner's
 * guaranteed mappings (GUARANTEE). Each environment may hold at most UNREVOCABLE_MAX such pages,
 * and each tree (an environment the host created and its descendants) TREE_UNREVOCABLE_MAX, so
 * the kernel can always reclaim every page but those.
 *
 * @module
 */

import { CP0 } from "../machine/cp0.ts";
import { ERR, HANDLER, PINNED_MAX, TREE_UNREVOCABLE_MAX, UNREVOCABLE_MAX } from "./abi.ts";
import { COSTS } from "./costs.ts";
import { envIds, envSlot } from "./environments.ts";
import { notify } from "./exceptions.ts";
import {
  DEADLINE_INTERRUPT,
  E,
  envRecord,
  G,
  K,
  PAGE_SHIFT,
  PTF,
  REV,
  slotOfId,
} from "./layout.ts";
import { freePage, grantsWrite, isUserPage, ownerOf, setPageFlag } from "./pages.ts";
import type { KernelState } from "./state.ts";

/** The kseg0 address of revocation-list entry `i`. */
function entry(i: number): number {
  return K.REVOCATIONS + i * REV.ENTRY_BYTES;
}

/** The index of page `p` on the revocation list, or -1. */
function indexOf(k: KernelState, p: number): number {
  const n = k.global(G.REVOKING);
  for (let i = 0; i < n; i++) if (k.r32(entry(i) + REV.PAGE) === p) return i;
  return -1;
}

/** The pages being revoked, with owner and deadline (cycle), for views and the host. */
export function revocations(k: KernelState): { page: number; owner: number; deadline: number }[] {
  const out = [];
  for (let i = 0; i < k.global(G.REVOKING); i++) {
    const e = entry(i);
    out.push({ page: k.r32(e + REV.PAGE), owner: k.r32(e + REV.OWNER), deadline: k.r64(e + 8) });
  }
  return out;
}

/** Takes page `p` off the revocation list (answered, freed, or taken); nothing if not on it. */
export function dropRevocation(k: KernelState, p: number): void {
  const i = indexOf(k, p);
  if (i < 0) return;
  const n = k.global(G.REVOKING) - 1;
  for (let w = 0; w < REV.ENTRY_BYTES; w += 4) k.w32(entry(i) + w, k.r32(entry(n) + w));
  k.zero(entry(n), REV.ENTRY_BYTES);
  k.setGlobal(G.REVOKING, n);
  setPageFlag(k, p, PTF.REVOKING, false);
}

/** Whether page `p` is pinned by its owner or behind one of its owner's guaranteed mappings. */
export function isUnrevocable(k: KernelState, p: number): boolean {
  const owner = ownerOf(k, p);
  return owner > 0 && unrevocableOf(k, owner).has(p);
}

/** The distinct pages environment `id` holds beyond revocation's reach. */
export function unrevocableOf(k: KernelState, id: number): Set<number> {
  const rec = envRecord(slotOfId(id));
  const pages = new Set<number>();
  for (let i = 0; i < PINNED_MAX; i++) {
    const p = k.r32(rec + E.PINNED + 4 * i);
    if (p !== -1) pages.add(p);
  }
  const n = k.r32(rec + E.GUARANTEED_COUNT);
  for (let i = 0; i < n; i++) pages.add(k.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT);
  return pages;
}

/** How many unrevocable pages the tree rooted at `root` holds. */
export function treeUnrevocable(k: KernelState, root: number): number {
  let n = 0;
  for (const id of envIds(k)) if (k.field(id, E.ROOT) === root) n += unrevocableOf(k, id).size;
  return n;
}

/**
 * Whether environment `id` may make page `p` unrevocable (a pin or a guaranteed mapping),
 * `replaced` (or -1) being the page of a guaranteed mapping the new one replaces, within
 * UNREVOCABLE_MAX for it and TREE_UNREVOCABLE_MAX for its tree.
 */
export function checkUnrevocable(k: KernelState, id: number, p: number, replaced: number): boolean {
  const mine = unrevocableOf(k, id);
  if (mine.has(p)) return true;
  const keepsReplaced = replaced >= 0 && isPinnedBy(k, id, replaced);
  const size = mine.size + 1 - (replaced >= 0 && mine.has(replaced) && !keepsReplaced ? 1 : 0);
  if (size > UNREVOCABLE_MAX) return false;
  const tree = treeUnrevocable(k, k.field(id, E.ROOT)) - mine.size + size;
  return tree <= TREE_UNREVOCABLE_MAX;
}

/** Whether environment `id` has pinned page `p`. */
function isPinnedBy(k: KernelState, id: number, p: number): boolean {
  const rec = envRecord(slotOfId(id));
  for (let i = 0; i < PINNED_MAX; i++) if (k.r32(rec + E.PINNED + 4 * i) === p) return true;
  return false;
}

/** PIN: keeps `caller`'s page `p` (read-write capability `lo`:`hi`) safe from revocation. */
export function pin(k: KernelState, caller: number, p: number, lo: number, hi: number): number {
  k.cpu.charge(COSTS.setHandler);
  if (!isUserPage(k, p)) return ERR.INVAL;
  if (!grantsWrite(k, p, lo, hi)) return ERR.CAP;
  if (ownerOf(k, p) !== caller) return ERR.PERM;
  if (isPinnedBy(k, caller, p)) return 0;
  const rec = envRecord(slotOfId(caller));
  let free = 0;
  while (free < PINNED_MAX && k.r32(rec + E.PINNED + 4 * free) !== -1) free++;
  if (free === PINNED_MAX || !checkUnrevocable(k, caller, p, -1)) return ERR.NOSLOT;
  k.w32(rec + E.PINNED + 4 * free, p);
  dropRevocation(k, p); // a pinned page is not revoked any more
  return 0;
}

/**
 * Visible revocation, from the host: asks the owner of page `p` to give it back within
 * `graceCycles`. Returns false, changing nothing, for a free, kernel or unrevocable page; throws
 * RangeError when the revocation list is full.
 */
export function revoke(k: KernelState, p: number, graceCycles: number): boolean {
  const owner = ownerOf(k, p);
  if (owner <= 0 || envSlot(k, owner) < 0 || isUnrevocable(k, p)) return false;
  let i = indexOf(k, p);
  if (i < 0) {
    i = k.global(G.REVOKING);
    if (i === REV.MAX) {
      throw new RangeError(
        `The revocation list is full (${REV.MAX} pages being revoked): wait for deadlines`,
      );
    }
    k.setGlobal(G.REVOKING, i + 1);
  }
  k.cpu.charge(COSTS.revoke);
  k.w32(entry(i) + REV.PAGE, p);
  k.w32(entry(i) + REV.OWNER, owner);
  k.w64(entry(i) + REV.DEADLINE, k.cpu.cycles + Math.max(0, Math.round(graceCycles)));
  setPageFlag(k, p, PTF.REVOKING, true);
  armDeadline(k);
  notify(k, owner, HANDLER.REVOKE, p);
  return true;
}

/** Schedules the deadline interrupt for the earliest deadline on the list (or none). */
export function armDeadline(k: KernelState): void {
  const events = k.machine.events;
  events.cancel(k.deadlineEvent);
  let first = Infinity;
  for (const r of revocations(k)) first = Math.min(first, r.deadline);
  if (first !== Infinity) events.at(first, k.deadlineEvent);
}

/**
 * The deadline interrupt (from HC.INTERRUPT): clears it, takes by force every page whose
 * deadline has passed, and arms the next deadline.
 */
export function expireRevocations(k: KernelState): void {
  const cpu = k.cpu;
  cpu.cp0[CP0.Cause] &= ~DEADLINE_INTERRUPT;
  for (const r of revocations(k)) {
    if (r.deadline > cpu.cycles) continue;
    dropRevocation(k, r.page);
    if (ownerOf(k, r.page) === r.owner && repossess(k, r.page)) {
      notify(k, r.owner, HANDLER.REPOSSESSED, k.field(r.owner, E.REPOSSESSED_COUNT));
    }
  }
  armDeadline(k);
}

/**
 * Takes page `p` from its owner by force (the abort protocol's last step): records it in the
 * repossession vector (while there is room) and frees it. Returns false, changing nothing, for a
 * free, kernel or unrevocable page.
 */
export function repossess(k: KernelState, p: number): boolean {
  const owner = ownerOf(k, p);
  if (owner <= 0 || envSlot(k, owner) < 0 || isUnrevocable(k, p)) return false;
  k.cpu.charge(COSTS.revoke);
  const rec = envRecord(slotOfId(owner));
  const n = k.r32(rec + E.REPOSSESSED_COUNT);
  if (n < E.REPOSSESSED_MAX) {
    k.w32(rec + E.REPOSSESSED + 4 * n, p);
    k.w32(rec + E.REPOSSESSED_COUNT, n + 1);
  }
  freePage(k, p);
  return true;
}
