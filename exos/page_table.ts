/**
 * Page tables owned by the library, in the process's own memory: one interface, three structures
 * (the paper's linear table, the slides' clustered one and Table 13's inverted one).
 *
 * The table lives in pages the library mapped for itself, and every access to it goes through
 * the environment's own bindings (`Memory`, which a SyscallPath is), so the TypeScript side and
 * the guest TLB-miss handler read and write the same words. Insertion and removal happen in
 * TypeScript (sbrk, mmap, sharing); lookups and flag updates also happen in guest code, which
 * each structure supplies as an assembly fragment with two routines:
 *
 * - `pt_lookup`: a0 = a virtual address; returns v0 = the entry's handle, or 0 when the page is
 *   not mapped. Uses only v1 and t3-t7 (the fault handlers keep state in t0-t2, t8, t9).
 * - `pt_next`: the same for a0 when v0 holds the handle of the page just below a0 (or 0), so a
 *   loop over a range may step to the next entry without searching again. The linear table
 *   steps; the hashed ones search again (pt_next is pt_lookup), as the paper's ExOS did.
 *
 * A handle points at three words, the same in every structure: `page << 12 | flags`, then the
 * 64-bit capability, low word then high word (as TLBWR takes it in a2:a3). The flags are PTE
 * below; bits 6-11 are free for the layers above (a process layer's own marks).
 *
 * - linear (pt_linear.ts): a sorted vector of 16-byte entries searched by binary search.
 * - clustered (pt_clustered.ts): a hash table whose nodes each map 16 consecutive pages;
 *   clustered-walk is the same table with exolab's own range walk (pt_next steps in a node).
 * - inverted (pt_inverted.ts): a hash anchor table and one entry per mapped frame, chained.
 *
 * @module
 */

import type { AsmSource } from "../machine/asm/mod.ts";
import { type Capability, capabilityOf, capabilityWords } from "../aegis/abi.ts";

/** Flags of a page-table entry (the low 12 bits of its first word). */
export const PTE = {
  /** The entry maps a page. */
  V: 0x001,
  /** The application may write the page (the capability is read-write). */
  W: 0x002,
  /** The page was written since it was mapped or cleaned. */
  D: 0x004,
  /** The page is protected (prot): any access calls the application's fault handler. */
  P: 0x008,
  /** Copy-on-write: a write calls the COW fault handler instead of dirtying the page. */
  C: 0x010,
  /** The page belongs to another environment (mapped from a grant): never freed here. */
  FOREIGN: 0x020,
  /** Bits left to the layers above (SOFT names the ones taken). */
  SOFT: 0xfc0,
} as const;

/**
 * The PTE.SOFT bits the layers above use, given out here so that no two collide: SHARED, a page
 * shared on purpose (a pipe's ring, a segment's page: exos/fork.ts), and NET, a page of the
 * network's (rings, transmit page: exos/net/link.ts).
 */
export const SOFT = {
  SHARED: 0x040,
  NET: 0x080,
} as const;

/** One mapping: virtual page `vpn` to physical page `page`, with its capability and flags. */
export interface Mapping {
  /** Virtual page number (address >>> 12). */
  vpn: number;
  /** Physical page number. */
  page: number;
  /** The capability TLBWR presents for the page. */
  capability: Capability;
  /** PTE flags (V is always set in a mapping a table returns). */
  flags: number;
}

/** Words of memory as the environment's bindings show them (a SyscallPath is one). */
export interface Memory {
  /** The word at `va`; throws when `va` is not bound. */
  read32(va: number): number;
  /** Writes the word at `va`; throws when `va` has no writable binding. */
  write32(va: number, value: number): void;
}

/** The structures: the paper's three, and exolab's range-walking clustered variant. */
export type PageTableKind = "linear" | "clustered" | "clustered-walk" | "inverted";

/** Every structure, in the order the tables print them. */
export const PAGE_TABLE_KINDS: readonly PageTableKind[] = [
  "linear",
  "clustered",
  "clustered-walk",
  "inverted",
];

/** A page table in the process's memory. */
export interface PageTable {
  /** Which structure. */
  readonly kind: PageTableKind;
  /** The table's first address. */
  readonly base: number;
  /** How many mappings it can hold at most. */
  readonly capacity: number;
  /** How many mappings it holds. */
  readonly size: number;
  /** Writes an empty table. */
  init(): void;
  /** Adds `m`, replacing any mapping of the same page; throws RangeError when the table is full. */
  insert(m: Mapping): void;
  /** The mapping of virtual page `vpn`, or undefined. */
  lookup(vpn: number): Mapping | undefined;
  /** Sets the flags of `vpn`'s mapping (V is kept); false when there is none. */
  update(vpn: number, flags: number): boolean;
  /** Removes `vpn`'s mapping; false when there is none. */
  remove(vpn: number): boolean;
  /** Every mapping, by virtual page. */
  entries(): Mapping[];
  /** The handle (address of the first word) of `vpn`'s entry, or 0. */
  handle(vpn: number): number;
  /** The guest routines `pt_lookup` and `pt_next` (the table's header must be below 0x8000). */
  guest(): AsmSource;
}

/** The three words of a handle: `page << 12 | flags` and the capability's two. */
export function packEntry(m: Mapping): [number, number, number] {
  if (!Number.isInteger(m.page) || m.page < 0 || m.page >= 1 << 20) {
    throw new RangeError(`Physical page ${m.page} does not fit an entry: use 0..0xfffff`);
  }
  return [((m.page << 12) | (m.flags & 0xfff) | PTE.V) | 0, ...capabilityWords(m.capability)];
}

/** The mapping of `vpn` from the three words of its entry. */
export function unpackEntry(vpn: number, word: number, lo: number, hi: number): Mapping {
  return { vpn, page: word >>> 12, capability: capabilityOf(lo, hi), flags: word & 0xfff };
}

/** Writes the three words of `m`'s entry at handle `a`. */
export function writeEntry(mem: Memory, a: number, m: Mapping): void {
  const w = packEntry(m);
  for (let i = 0; i < 3; i++) mem.write32(a + 4 * i, w[i]);
}

/** The mapping of `vpn` whose entry is at handle `a`. */
export function readEntry(mem: Memory, a: number, vpn: number): Mapping {
  return unpackEntry(vpn, mem.read32(a), mem.read32(a + 4), mem.read32(a + 8));
}

/** The mapping of `vpn` whose entry is at handle `a`, or undefined when `a` is 0 (no entry). */
export function mappingAt(mem: Memory, a: number, vpn: number): Mapping | undefined {
  return a === 0 ? undefined : readEntry(mem, a, vpn >>> 0);
}

/** Sets the flags of the entry at handle `a` (V kept); false when `a` is 0 (no entry). */
export function setFlagsAt(mem: Memory, a: number, flags: number): boolean {
  if (a === 0) return false;
  mem.write32(a, (mem.read32(a) & ~0xfff) | (flags & 0xfff) | PTE.V);
  return true;
}

/**
 * Checks that `bytes` of table header at `address` are reachable by a `$zero`-relative load (the
 * guest code's way to its tables); returns `address`, or throws RangeError.
 */
export function lowAddress(address: number, bytes: number): number {
  if (address < 0 || address + bytes > 0x8000) {
    throw new RangeError(
      `A page table at 0x${address.toString(16)} is out of a load's reach: put it below 0x8000`,
    );
  }
  return address;
}
