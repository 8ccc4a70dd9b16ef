/**
 * The kernel's invariants, checked from outside: what secure multiplexing means, as properties
 * of the machine's state that must hold whenever the kernel could be interrupted (after every
 * system call, between runs). The fuzzer (scripts/fuzz.ts) checks them after every call, and the
 * hostile tests after every attack.
 *
 * - Pages: every user page is free (no owner, no capabilities, its bitmap bit set) or owned by a
 *   live environment with two distinct nonzero capabilities; kernel pages are never allocated.
 * - Bindings: every valid TLB and STLB entry in kuseg is tagged with an ASID a live environment
 *   owns, and maps either a page that environment owns, a page it was granted (a capability for
 *   it was given to it: `grants`), with no more rights than granted, or one of the structures
 *   the kernel exports, read-only, at its address in the guaranteed region. No kernel page is
 *   mapped to user mode otherwise. An STLB entry sits in the slot its tag hashes to.
 * - ASIDs: the owner table and the records agree, and no ASID has two owners.
 * - The CPU: in user mode it runs the current environment, under that environment's own ASID.
 * - Records: ids match their slots; save areas lie in the record or in a page the environment
 *   owns; guaranteed mappings and pins are the environment's own pages, within the limits;
 *   slice holders and revocations name live environments and their pages.
 * - The network: every filter belongs to a live environment, within its limit, and is one the
 *   kernel would take; no two filters overlap (a frame has one owner at most); every receive
 *   slot lies in a page the filter's owner owns, once, and every ASH's page is the owner's and
 *   its code in a slot of its own; the classifier the kernel runs is the one the filters compile
 *   to.
 *
 * @module
 */

import { CP0, TLB } from "../machine/cp0.ts";
import {
  type Capability,
  capabilityOf,
  GUARANTEED_MAX,
  NET_FILTERS,
  NET_FILTERS_PER_ENV,
  NET_SLOT,
  NET_SLOTS,
  PINNED_MAX,
  SAVE_AREA_BYTES,
  TREE_UNREVOCABLE_MAX,
  UNREVOCABLE_MAX,
} from "./abi.ts";
import type { Aegis } from "./kernel.ts";
import {
  E,
  ENV,
  envRecord,
  F,
  G,
  K,
  N,
  PAGE_SHIFT,
  PAGE_SIZE,
  PT,
  pteAddress,
  PTF,
  slotOfId,
  STLB,
  stlbOffset,
  U,
} from "./layout.ts";
import { revocations, treeUnrevocable, unrevocableOf } from "./revocation.ts";
import { checkFilter, overlaps } from "./dpf.ts";
import {
  classifierWords,
  expectedClassifier,
  filterOf,
  filterRecord,
  liveFilters,
} from "./network.ts";

/** A capability an environment was given: a page, the capability, and whether it is the rw one. */
export interface Grant {
  /** The physical page. */
  page: number;
  /** The capability handed over. */
  capability: Capability;
}

/** Capabilities handed to environments (beyond their own pages'), by environment id. */
export type Grants = ReadonlyMap<number, readonly Grant[]>;

const hex = (v: number, w = 8) => "0x" + (v >>> 0).toString(16).padStart(w, "0");

/**
 * Checks every invariant of the module comment on `aegis`; `grants` (when given) names the
 * capabilities each environment may hold for pages it does not own. Returns one line per
 * violation found (none: an empty array).
 */
export function checkInvariants(aegis: Aegis, grants?: Grants): string[] {
  const out: string[] = [];
  checkPages(aegis, out);
  checkAsids(aegis, out);
  checkBindings(aegis, grants, out);
  checkCpu(aegis, out);
  checkRecords(aegis, out);
  checkNetwork(aegis, out);
  return out;
}

/** Filters, rings, ASHs and the compiled classifier. */
function checkNetwork(aegis: Aegis, out: string[]): void {
  const k = aegis.mem;
  const live = liveFilters(k);
  if (k.r32(K.NET + N.FILTERS) !== live.length) {
    out.push(`the network counts ${k.r32(K.NET + N.FILTERS)} filters, not ${live.length}`);
  }
  const perOwner = new Map<number, number>();
  const checked: { id: number; bytes: ReturnType<typeof checkFilter> }[] = [];
  const ashAt = new Set<number>();
  for (let id = 0; id < NET_FILTERS; id++) {
    const rec = filterRecord(id), owner = k.r32(rec + F.OWNER);
    if (owner === 0) {
      if (k.r32(rec + F.SLOTS) !== 0 || k.r32(rec + F.ASH) !== 0) {
        out.push(`free filter record ${id} keeps slots or an ASH`);
      }
      continue;
    }
    if (aegis.slotOf(owner) < 0) out.push(`filter ${id} is owned by ${hex(owner)}, which is dead`);
    perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1);
    const c = checkFilter(filterOf(k, id));
    if ("refusal" in c) out.push(`filter ${id} is one the kernel refuses`);
    else {
      for (const o of checked) {
        if ("bytes" in o.bytes && overlaps(c.bytes, o.bytes.bytes)) {
          out.push(`filters ${o.id} and ${id} overlap: a frame could reach both owners`);
        }
      }
      checked.push({ id, bytes: c });
    }
    const n = k.r32(rec + F.SLOTS), next = k.r32(rec + F.NEXT);
    if (n > NET_SLOTS || (n > 0 && next >= n) || (n === 0 && next !== 0)) {
      out.push(`filter ${id}'s ring has ${n} slots and its next is ${next}`);
    }
    const pages = new Set<number>();
    for (let i = 0; i < Math.min(n, NET_SLOTS); i++) {
      const slot = k.r32(rec + F.SLOT + 4 * i) >>> 0, p = (slot & 0x1fffffff) >>> PAGE_SHIFT;
      if (slot >>> 29 !== 4 || (slot & (NET_SLOT.BYTES - 1)) !== 0) {
        out.push(`filter ${id}'s slot ${i} at ${hex(slot)} is no slot of a page`);
      } else if (aegis.ownerOf(p) !== owner) {
        out.push(`filter ${id}'s slot ${i} is in page ${hex(p, 4)}, not its owner's`);
      }
      if ((slot & (PAGE_SIZE - 1)) === 0) {
        if (pages.has(p)) out.push(`filter ${id}'s ring has page ${hex(p, 4)} twice`);
        pages.add(p);
      }
    }
    const ash = k.r32(rec + F.ASH) >>> 0;
    if (ash !== 0) {
      const page = (k.r32(rec + F.ASH_PAGE) & 0x1fffffff) >>> PAGE_SHIFT;
      if (aegis.ownerOf(page) !== owner) out.push(`filter ${id}'s ASH page is not its owner's`);
      if (ash < K.ASH_CODE >>> 0 || ash >= K.STLB >>> 0 || (ash & (PAGE_SIZE - 1)) !== 0) {
        out.push(`filter ${id}'s ASH at ${hex(ash)} is not in a code slot`);
      }
      if (ashAt.has(ash)) out.push(`two filters share the ASH code at ${hex(ash)}`);
      ashAt.add(ash);
    }
  }
  for (const [owner, n] of perOwner) {
    if (n > NET_FILTERS_PER_ENV) out.push(`${hex(owner)} holds ${n} filters`);
  }
  const now = classifierWords(k), want = expectedClassifier(k);
  if (now.length !== want.length || now.some((w, i) => w !== want[i])) {
    out.push("the classifier the kernel runs is not the one its filters compile to");
  }
}

/** Page table and free bitmap. */
function checkPages(aegis: Aegis, out: string[]): void {
  const k = aegis.mem;
  for (let p = 0; p < k.pages; p++) {
    const pte = pteAddress(p);
    const owner = k.r32(pte + PT.OWNER);
    const rw = capabilityOf(k.r32(pte + PT.CAP_RW), k.r32(pte + PT.CAP_RW + 4));
    const ro = capabilityOf(k.r32(pte + PT.CAP_RO), k.r32(pte + PT.CAP_RO + 4));
    const flags = k.r32(pte + PT.FLAGS);
    const free = (k.r32(K.FREE_BITMAP + ((p >>> 5) << 2)) & (1 << (p & 31))) !== 0;
    if (p < k.firstPage) {
      if (owner !== 0 || rw !== 0n || ro !== 0n || free || flags !== PTF.KERNEL) {
        out.push(`kernel page ${hex(p, 4)} is allocated, free or has capabilities`);
      }
      continue;
    }
    if (owner === 0) {
      if (rw !== 0n || ro !== 0n || flags !== 0 || !free) {
        out.push(`free page ${hex(p, 4)} keeps capabilities or flags, or is not marked free`);
      }
    } else if (aegis.slotOf(owner) < 0) {
      out.push(`page ${hex(p, 4)} is owned by ${hex(owner)}, which does not exist`);
    } else if (rw === 0n || ro === 0n || rw === ro || free) {
      out.push(`page ${hex(p, 4)} of ${hex(owner)} has bad capabilities or is marked free`);
    }
  }
}

/** The ASID owner table against the records. */
function checkAsids(aegis: Aegis, out: string[]): void {
  const k = aegis.mem;
  for (let a = 1; a < 64; a++) {
    const owner = k.global(G.ASID_OWNER + 4 * a);
    if (owner === 0) continue;
    if (aegis.slotOf(owner) < 0) out.push(`ASID ${a} is owned by ${hex(owner)}, which is dead`);
    else if (k.field(owner, E.ASID) !== a) {
      out.push(`ASID ${a} is owned by ${hex(owner)}, whose record says ${k.field(owner, E.ASID)}`);
    }
  }
  for (const id of aegis.envIds) {
    const a = k.field(id, E.ASID);
    if (k.field(id, E.ENTRYHI) !== a << 6) out.push(`${hex(id)}'s EntryHi word is not its ASID`);
    if (a !== 0 && k.global(G.ASID_OWNER + 4 * a) !== id) {
      out.push(`${hex(id)} holds ASID ${a}, which the owner table gives to someone else`);
    }
  }
}

/** The owner of the live environment holding ASID `asid`, or 0. */
function asidOwner(aegis: Aegis, asid: number): number {
  const owner = aegis.mem.global(G.ASID_OWNER + 4 * asid);
  return owner !== 0 && aegis.slotOf(owner) >= 0 && aegis.field(owner, E.ASID) === asid ? owner : 0;
}

/** What a binding at user page `vpage` of `id` to physical address `pa` may be, or why not. */
function bindingFault(
  aegis: Aegis,
  grants: Grants | undefined,
  id: number,
  vpage: number,
  lo: number,
): string | undefined {
  const k = aegis.mem;
  const p = lo >>> PAGE_SHIFT, writable = (lo & TLB.D) !== 0;
  if (vpage >= U.GUARANTEED) {
    const pa = p << PAGE_SHIFT;
    const exported = (vpage === U.TRAMPOLINE && pa === (K.TRAMPOLINE & 0x1fffffff)) ||
      (vpage === U.ENV && pa === (envRecord(slotOfId(id)) & 0x1fffffff)) ||
      (vpage >= U.STLB && vpage < U.STLB + 8 * PAGE_SIZE &&
        pa === ((K.STLB & 0x1fffffff) + vpage - U.STLB)) ||
      (vpage >= U.FREE_BITMAP && vpage < U.FREE_BITMAP + 4 * PAGE_SIZE &&
        pa === ((K.FREE_BITMAP & 0x1fffffff) + vpage - U.FREE_BITMAP));
    if (!exported) return "maps something else in the guaranteed region";
    return writable ? "maps an exported kernel structure writable" : undefined;
  }
  if (p < k.firstPage || p >= k.pages) return "maps a kernel page or no RAM into user mode";
  const owner = aegis.ownerOf(p);
  if (owner === 0) return "maps a free page";
  if (owner === id) return undefined;
  if (grants === undefined) return undefined; // without the ledger, another's page is allowed
  const pte = pteAddress(p);
  const rw = capabilityOf(k.r32(pte + PT.CAP_RW), k.r32(pte + PT.CAP_RW + 4));
  const ro = capabilityOf(k.r32(pte + PT.CAP_RO), k.r32(pte + PT.CAP_RO + 4));
  const held = grants.get(id) ?? [];
  const rights = held.some((g) => g.page === p && g.capability === rw)
    ? "rw"
    : held.some((g) => g.page === p && g.capability === ro)
    ? "ro"
    : "none";
  if (rights === "none") return `maps page ${hex(p, 4)} of ${hex(owner)}, never granted`;
  if (rights === "ro" && writable) return `maps page ${hex(p, 4)} writable, granted read-only`;
  return undefined;
}

/** Every valid TLB and STLB entry in kuseg. */
function checkBindings(aegis: Aegis, grants: Grants | undefined, out: string[]): void {
  const k = aegis.mem, cpu = aegis.machine.cpu;
  const seen = new Set<number>();
  const check = (where: string, hi: number, lo: number) => {
    const vpage = (hi & TLB.VPN_MASK) >>> 0, asid = (hi & TLB.ASID_MASK) >>> 6;
    if ((lo & TLB.V) === 0 || vpage >= 0x80000000) return;
    if ((lo & TLB.G) !== 0) return out.push(`${where} ${hex(vpage)} is global`);
    const id = asidOwner(aegis, asid);
    if (id === 0) return out.push(`${where} ${hex(vpage)} has ASID ${asid}, which nobody holds`);
    const fault = bindingFault(aegis, grants, id, vpage, lo);
    if (fault !== undefined) out.push(`${where} ${hex(vpage)} of ${hex(id)} ${fault}`);
  };
  for (let i = 0; i < TLB.ENTRIES; i++) {
    const hi = cpu.tlbHi[i], lo = cpu.tlbLo[i];
    check(`TLB entry ${i}:`, hi, lo);
    if ((lo & TLB.V) !== 0 && (hi >>> 0) < 0x80000000) {
      const tag = hi & TLB.HI_MASK;
      if (seen.has(tag)) out.push(`TLB entry ${i}: ${hex(tag)} is in the TLB twice`);
      seen.add(tag);
    }
  }
  for (let s = 0; s < STLB.ENTRIES; s++) {
    const a = K.STLB + s * STLB.ENTRY_BYTES;
    const hi = k.r32(a), lo = k.r32(a + 4);
    if ((lo & TLB.V) === 0) continue;
    check(`STLB slot ${s}:`, hi, lo);
    const asid = (hi & TLB.ASID_MASK) >>> 6;
    if (stlbOffset(hi & TLB.VPN_MASK, asid) !== s * STLB.ENTRY_BYTES) {
      out.push(`STLB slot ${s}: ${hex(hi)} is not in the slot it hashes to`);
    }
  }
}

/** The CPU runs the current environment under its own ASID. */
function checkCpu(aegis: Aegis, out: string[]): void {
  const cpu = aegis.machine.cpu;
  if (cpu.kernelMode) return;
  const id = aegis.current;
  if (id === 0) return void out.push("the CPU is in user mode with no current environment");
  const asid = (cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK) >>> 6;
  if (asid === 0 || asid !== aegis.field(id, E.ASID)) {
    out.push(
      `the CPU runs ${hex(id)} under ASID ${asid}, not its own (${aegis.field(id, E.ASID)})`,
    );
  }
}

/** Records, save areas, guaranteed mappings, pins, slices and revocations. */
function checkRecords(aegis: Aegis, out: string[]): void {
  const k = aegis.mem;
  for (let s = 1; s < ENV.SLOTS; s++) {
    const rec = envRecord(s), id = k.r32(rec + E.ID);
    if (id === 0) continue;
    if (slotOfId(id) !== s || id >>> 7 !== k.r32(rec + E.GENERATION)) {
      out.push(`slot ${s} holds id ${hex(id)}, which is not its slot and generation`);
    }
    const save = k.r32(rec + E.SAVE) >>> 0;
    const page = (save & 0x1fffffff) >>> PAGE_SHIFT;
    const inRecord = save === (rec + E.DEFAULT_SAVE) >>> 0;
    const inOwnPage = aegis.ownerOf(page) === id &&
      (save & (PAGE_SIZE - 1)) <= PAGE_SIZE - SAVE_AREA_BYTES;
    if (!inRecord && !inOwnPage) out.push(`${hex(id)}'s save area ${hex(save)} is not its own`);
    const n = k.r32(rec + E.GUARANTEED_COUNT);
    if (n > GUARANTEED_MAX) out.push(`${hex(id)} holds ${n} guaranteed mappings`);
    for (let i = 0; i < Math.min(n, GUARANTEED_MAX); i++) {
      const p = k.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT;
      if (aegis.ownerOf(p) !== id) out.push(`${hex(id)} guarantees page ${hex(p, 4)}, not its own`);
    }
    for (let i = 0; i < PINNED_MAX; i++) {
      const p = k.r32(rec + E.PINNED + 4 * i);
      if (p !== -1 && aegis.ownerOf(p) !== id) {
        out.push(`${hex(id)} pins ${hex(p, 4)}, not its own`);
      }
    }
    if (unrevocableOf(k, id).size > UNREVOCABLE_MAX) {
      out.push(`${hex(id)} holds more than ${UNREVOCABLE_MAX} unrevocable pages`);
    }
    if (k.field(id, E.ROOT) === id && treeUnrevocable(k, id) > TREE_UNREVOCABLE_MAX) {
      out.push(`the tree of ${hex(id)} holds more than ${TREE_UNREVOCABLE_MAX} unrevocable pages`);
    }
  }
  for (let pos = 0; pos < k.sliceCount; pos++) {
    const holder = k.global(G.SLICES + 4 * pos);
    if (holder !== 0 && aegis.slotOf(holder) < 0) {
      out.push(`slice ${pos} is held by ${hex(holder)}, which is dead`);
    }
  }
  for (const r of revocations(k)) {
    if (aegis.ownerOf(r.page) !== r.owner) {
      out.push(`page ${hex(r.page, 4)} is being revoked from ${hex(r.owner)}, not its owner`);
    }
  }
}
