/**
 * The linear page table, as ExOS had it: a vector of mappings sorted by virtual page, searched by
 * binary search.
 *
 *   base + 0    the number of entries, n
 *   base + 16   entry 0: page << 12 | flags, capability (two words), vpn   (16 bytes each)
 *   ...         entry n - 1, then one spare entry (pt_next may read one past the end)
 *
 * A lookup takes log2(n) probes; stepping through a range is one compare per page, because the
 * next page's entry, when it exists, is the next entry. Inserting and removing shift the tail.
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

const ENTRY = 16;
const HEADER = 16;
/** Where an entry keeps its vpn, after the handle's three words. */
const VPN = 12;

/** A sorted vector of 16-byte mappings in the process's memory. */
export class LinearPageTable implements PageTable {
  /** This structure's name. */
  readonly kind = "linear";
  /** How many mappings fit. */
  readonly capacity: number;

  /** A table in `bytes` of `mem` at `base` (call `init` before first use). */
  constructor(readonly mem: Memory, readonly base: number, bytes: number) {
    this.capacity = Math.floor((bytes - HEADER) / ENTRY) - 1;
    if (this.capacity < 1) {
      throw new RangeError(`A linear page table needs more than ${bytes} bytes`);
    }
  }

  /** How many mappings it holds. */
  get size(): number {
    return this.mem.read32(this.base);
  }

  /** Writes an empty table. */
  init(): void {
    this.mem.write32(this.base, 0);
  }

  #at(i: number): number {
    return this.base + HEADER + i * ENTRY;
  }

  /** The index of `vpn`'s entry, or -(insertion point) - 1. */
  #search(vpn: number): number {
    let lo = 0, n = this.size;
    while (n > 0) {
      const half = n >>> 1, mid = lo + half;
      const v = this.mem.read32(this.#at(mid) + VPN) >>> 0;
      if (v === vpn) return mid;
      if (v < vpn) {
        lo = mid + 1;
        n -= half + 1;
      } else n = half;
    }
    return -lo - 1;
  }

  #write(i: number, m: Mapping): void {
    const a = this.#at(i);
    writeEntry(this.mem, a, m);
    this.mem.write32(a + VPN, m.vpn);
  }

  #move(from: number, to: number): void {
    for (let k = 0; k < ENTRY; k += 4) {
      this.mem.write32(this.#at(to) + k, this.mem.read32(this.#at(from) + k));
    }
  }

  /** Adds `m` in order (or replaces the same page's); throws RangeError when full. */
  insert(m: Mapping): void {
    const i = this.#search(m.vpn >>> 0);
    if (i >= 0) return this.#write(i, m);
    const n = this.size;
    if (n >= this.capacity) {
      throw new RangeError(`Linear page table full at ${n} mappings: unmap something first`);
    }
    const at = -i - 1;
    for (let k = n - 1; k >= at; k--) this.#move(k, k + 1);
    this.#write(at, m);
    this.mem.write32(this.base, n + 1);
  }

  /** The mapping of `vpn`, or undefined. */
  lookup(vpn: number): Mapping | undefined {
    return mappingAt(this.mem, this.handle(vpn), vpn);
  }

  /** The address of `vpn`'s entry, or 0. */
  handle(vpn: number): number {
    const i = this.#search(vpn >>> 0);
    return i < 0 ? 0 : this.#at(i);
  }

  /** Sets `vpn`'s flags; false when it is not mapped. */
  update(vpn: number, flags: number): boolean {
    return setFlagsAt(this.mem, this.handle(vpn), flags);
  }

  /** Removes `vpn`'s mapping; false when there is none. */
  remove(vpn: number): boolean {
    const i = this.#search(vpn >>> 0);
    if (i < 0) return false;
    const n = this.size;
    for (let k = i + 1; k < n; k++) this.#move(k, k - 1);
    this.mem.write32(this.base, n - 1);
    return true;
  }

  /** Every mapping, in order. */
  entries(): Mapping[] {
    const out: Mapping[] = [];
    for (let i = 0, n = this.size; i < n; i++) {
      const a = this.#at(i);
      out.push(readEntry(this.mem, a, this.mem.read32(a + VPN) >>> 0));
    }
    return out;
  }

  /** Binary search (pt_lookup) and a step to the next entry (pt_next). */
  guest(): AsmSource {
    const n = lowAddress(this.base, HEADER), first = n + HEADER;
    return asm`
# ---- linear page table: binary search over [lo, lo + n) ----------------------------------
pt_lookup:                                   # a0 = va -> v0 = handle or 0 (v1, t3-t7)
        srl     $t3, $a0, 12                 # the key
        lw      $t4, ${n}($zero)               # n
        addiu   $t5, $zero, ${first}           # lo
1:      beqz    $t4, 3f
        srl     $t6, $t4, 1                  # half
        sll     $t7, $t6, 4
        addu    $t7, $t5, $t7                # mid = lo + half
        lw      $v1, ${VPN}($t7)
        subu    $t4, $t4, $t6                # (n - half, for 4f)
        beq     $v1, $t3, 2f
        sltu    $v1, $v1, $t3                # mid below the key?
        bnez    $v1, 4f
        addiu   $t4, $t4, -1                 # (n - half - 1, for 4f)
        b       1b
        move    $t4, $t6                     # the key is below mid: n = half
4:      b       1b
        addiu   $t5, $t7, 16                 # above: lo = mid + 1
2:      jr      $ra
        move    $v0, $t7
3:      jr      $ra
        move    $v0, $zero

pt_next:                                     # a0 = va, v0 = the page below's handle or 0
        beqz    $v0, pt_lookup
        lw      $t4, ${n}($zero)
        addiu   $t5, $zero, ${first}
        sll     $t4, $t4, 4
        addu    $t4, $t4, $t5                # the end of the vector
        addiu   $v0, $v0, 16                 # the next entry
        sltu    $t5, $v0, $t4
        beqz    $t5, pt_lookup
        lw      $t5, ${VPN}($v0)
        srl     $t6, $a0, 12
        bne     $t5, $t6, pt_lookup
        nop
        jr      $ra
        nop
`;
  }
}
