/**
 * The inverted page table of the paper's Table 13: a hash anchor table leading from a virtual
 * page to its entry, and a table of entries, one per physical page the process maps, chained
 * where virtual pages hash alike (as on the IBM RT PC and HP PA-RISC).
 *
 *   base + 0       BUCKETS words: the number (1-based) of the first entry of each chain, or 0
 *   base + 1024    the number of mappings, the free-entry list (a number or 0), the next
 *                  never-used entry number
 *   base + 1040    entries of 16 bytes: page << 12 | flags, the capability's two words (the
 *                  handle's three words, page_table.ts), then vpn << 12 | the next entry's number
 *
 * A machine-wide inverted table has one entry per frame of RAM, indexed by the frame's number,
 * so its size follows physical memory, not the address space. ExOS owns only the frames Aegis
 * gave it, a few among the machine's thousands, so its table has one entry per frame the process
 * maps, numbered in the order they came, and the anchor table is what finds them: the size still
 * follows the frames held, not the virtual range used. Entry numbers fit the link field's 12 bits.
 *
 * The hash of a virtual page is (vpn ^ vpn >> 8) mod BUCKETS, so consecutive pages go to
 * consecutive chains. A lookup hashes, then walks its chain comparing tags: a few instructions
 * whatever the table holds. Range operations have nothing better: neighbouring virtual pages
 * are not neighbours here, so `pt_next` is `pt_lookup` (each page of a range is looked up on its
 * own, as the paper's ExOS did, which is why its prot100 and unprot100 were slower on hashed
 * tables).
 *
 * @module
 */

import { asm, type AsmSource } from "../machine/asm/mod.ts";
import {
  lowAddress,
  type Mapping,
  mappingAt,
  type Memory,
  type PageTable,
  readEntry,
  setFlagsAt,
  writeEntry,
} from "./page_table.ts";

/** Chains in the hash anchor table. */
export const ANCHORS = 256;

const COUNT = ANCHORS * 4;
const FREE = COUNT + 4;
const TOP = COUNT + 8;
const ENTRIES = COUNT + 16;
const ENTRY = 16;
/** Where an entry keeps its tag and link, after the handle's three words. */
const LINK = 12;
/** The most entries a 12-bit link can name (number 0 is the end of a chain). */
const MAX_ENTRIES = 0xfff;

/** The anchor-table chain of virtual page `vpn`. */
export function anchorOf(vpn: number): number {
  return ((vpn ^ (vpn >>> 8)) & (ANCHORS - 1)) >>> 0;
}

/** A hash anchor table and a table of per-frame entries in the process's memory. */
export class InvertedPageTable implements PageTable {
  /** This structure's name. */
  readonly kind = "inverted";
  /** How many mappings fit. */
  readonly capacity: number;

  /** A table in `bytes` of `mem` at `base` (call `init` before first use). */
  constructor(readonly mem: Memory, readonly base: number, bytes: number) {
    this.capacity = Math.min(MAX_ENTRIES, Math.floor((bytes - ENTRIES) / ENTRY));
    if (this.capacity < 1) {
      throw new RangeError(`An inverted page table needs more than ${bytes} bytes`);
    }
  }

  /** How many mappings it holds. */
  get size(): number {
    return this.mem.read32(this.base + COUNT);
  }

  /** Writes an empty table. */
  init(): void {
    for (let b = 0; b < ANCHORS; b++) this.mem.write32(this.base + 4 * b, 0);
    this.mem.write32(this.base + COUNT, 0);
    this.mem.write32(this.base + FREE, 0);
    this.mem.write32(this.base + TOP, 1);
  }

  /** The address of entry number `n` (1-based). */
  #at(n: number): number {
    return this.base + ENTRIES + (n - 1) * ENTRY;
  }

  #anchor(vpn: number): number {
    return this.base + 4 * anchorOf(vpn);
  }

  /** The number of `vpn`'s entry, or 0. */
  #find(vpn: number): number {
    let n = this.mem.read32(this.#anchor(vpn));
    while (n !== 0) {
      const link = this.mem.read32(this.#at(n) + LINK);
      if (link >>> 12 === vpn) return n;
      n = link & 0xfff;
    }
    return 0;
  }

  /** The address of `vpn`'s entry, or 0. */
  handle(vpn: number): number {
    const n = this.#find(vpn >>> 0);
    return n === 0 ? 0 : this.#at(n);
  }

  /** Adds `m` (or replaces the same page's); throws RangeError when no entry is left. */
  insert(m: Mapping): void {
    const vpn = m.vpn >>> 0;
    const old = this.#find(vpn);
    if (old !== 0) return writeEntry(this.mem, this.#at(old), m);
    let n = this.mem.read32(this.base + FREE);
    if (n !== 0) this.mem.write32(this.base + FREE, this.mem.read32(this.#at(n) + LINK) & 0xfff);
    else {
      n = this.mem.read32(this.base + TOP);
      if (n > this.capacity) {
        throw new RangeError(
          `Inverted page table full at ${this.capacity} mappings: unmap something first`,
        );
      }
      this.mem.write32(this.base + TOP, n + 1);
    }
    const anchor = this.#anchor(vpn);
    writeEntry(this.mem, this.#at(n), m);
    this.mem.write32(this.#at(n) + LINK, ((vpn << 12) | this.mem.read32(anchor)) | 0);
    this.mem.write32(anchor, n);
    this.mem.write32(this.base + COUNT, this.size + 1);
  }

  /** The mapping of `vpn`, or undefined. */
  lookup(vpn: number): Mapping | undefined {
    return mappingAt(this.mem, this.handle(vpn), vpn);
  }

  /** Sets `vpn`'s flags; false when it is not mapped. */
  update(vpn: number, flags: number): boolean {
    return setFlagsAt(this.mem, this.handle(vpn), flags);
  }

  /** Removes `vpn`'s mapping (its entry goes to the free list); false when there is none. */
  remove(vpn: number): boolean {
    vpn >>>= 0;
    let link = this.#anchor(vpn), n = this.mem.read32(link);
    while (n !== 0 && this.mem.read32(this.#at(n) + LINK) >>> 12 !== vpn) {
      link = this.#at(n) + LINK;
      n = this.mem.read32(link) & 0xfff;
    }
    if (n === 0) return false;
    const next = this.mem.read32(this.#at(n) + LINK) & 0xfff;
    const keep = link === this.#anchor(vpn) ? 0 : this.mem.read32(link) & ~0xfff;
    this.mem.write32(link, keep | next);
    this.mem.write32(this.#at(n), 0);
    this.mem.write32(this.#at(n) + LINK, this.mem.read32(this.base + FREE));
    this.mem.write32(this.base + FREE, n);
    this.mem.write32(this.base + COUNT, this.size - 1);
    return true;
  }

  /** Every mapping, by virtual page. */
  entries(): Mapping[] {
    const out: Mapping[] = [];
    for (let b = 0; b < ANCHORS; b++) {
      for (let n = this.mem.read32(this.base + 4 * b); n !== 0;) {
        const link = this.mem.read32(this.#at(n) + LINK);
        out.push(readEntry(this.mem, this.#at(n), link >>> 12));
        n = link & 0xfff;
      }
    }
    return out.sort((x, y) => x.vpn - y.vpn);
  }

  /** Hash and chain walk (pt_lookup); pt_next is the same search. */
  guest(): AsmSource {
    const b = lowAddress(this.base, ENTRIES), first = b + ENTRIES - ENTRY;
    return asm`
# ---- inverted page table: hash the page, walk the anchor's chain of entries --------------
pt_next:                                     # a range looks each page up on its own
pt_lookup:                                   # a0 = va -> v0 = handle or 0 (v1, t3-t7)
        srl     $t3, $a0, 12                 # the vpn
        srl     $t4, $t3, 8
        xor     $t4, $t4, $t3
        andi    $t4, $t4, ${ANCHORS - 1}
        sll     $t4, $t4, 2
        lw      $t4, ${b}($t4)               # the chain's first entry number
        sll     $t3, $t3, 12                 # the tag: vpn << 12
1:      beqz    $t4, 2f
        sll     $v0, $t4, 4
        addiu   $v0, $v0, ${first}           # the entry
        lw      $t5, ${LINK}($v0)            # its tag and link
        nop
        xor     $t6, $t5, $t3
        srl     $t6, $t6, 12                 # 0: the tags match
        bnez    $t6, 1b
        andi    $t4, $t5, 0xfff              # (the next entry's number)
        jr      $ra
        nop
2:      jr      $ra
        move    $v0, $zero
`;
  }
}
