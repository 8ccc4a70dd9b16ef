/**
 * The clustered page table (Talluri, Hill and Khalidi, SOSP 1995): a hash table whose nodes each
 * map a block of 16 consecutive virtual pages, so one tag and one chain step serve 16 pages.
 *
 *   base + 0       BUCKETS words: the first node of each chain (0: empty)
 *   base + 1024    the free-node list, then the next never-used node
 *   base + 1040    nodes of 264 bytes: block tag (vpn >> 4), next node, 16 subentries of 16
 *                  bytes (page << 12 | flags, the capability's two words, a spare word); a
 *                  subentry without PTE.V maps nothing
 *
 * The hash of a block is its low 8 bits, so blocks a multiple of 16 MB apart (0x00d00000 and
 * 0x7fd00000, say) share a chain. A node whose 16 subentries are all empty
 * goes back to the free list.
 *
 * Range operations. The paper's ExOS looked each page of a range up on its own in its hashed
 * tables (so its prot100 was slower on the clustered table than on the linear one: the slides'
 * 238 us against 109), and so does this table's `pt_next` by default: it is `pt_lookup`. With
 * `walk` (kind "clustered-walk", exolab's own variant, never reported under the paper's name)
 * `pt_next` steps to the next subentry of the same node instead, searching only at a block's
 * first page.
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
  PTE,
  readEntry,
  setFlagsAt,
  writeEntry,
} from "./page_table.ts";

/** Chains in the hash table. */
export const BUCKETS = 256;
/** Pages per node. */
export const CLUSTER = 16;

const FREE = BUCKETS * 4;
const TOP = FREE + 4;
const NODES = FREE + 16;
/** Bytes of a subentry (log2: SUB_SHIFT). */
const SUB = 16;
const SUB_SHIFT = 4;
const NODE = 8 + CLUSTER * SUB;

/** A hash table of 16-page clusters in the process's memory. */
export class ClusteredPageTable implements PageTable {
  /** This structure's name: "clustered-walk" when `pt_next` walks a node (exolab's variant). */
  readonly kind: "clustered" | "clustered-walk";
  /** How many nodes fit. */
  readonly nodes: number;

  /**
   * A table in `bytes` of `mem` at `base` (call `init` before first use); with `walk`, range
   * operations step through a node instead of looking each page up.
   */
  constructor(readonly mem: Memory, readonly base: number, bytes: number, readonly walk = false) {
    this.kind = walk ? "clustered-walk" : "clustered";
    this.nodes = Math.floor((bytes - NODES) / NODE);
    if (this.nodes < 1) {
      throw new RangeError(`A clustered page table needs more than ${bytes} bytes`);
    }
  }

  /** How many pages it can map at most (every node full). */
  get capacity(): number {
    return this.nodes * CLUSTER;
  }

  /** How many mappings it holds (a walk over every chain). */
  get size(): number {
    return this.entries().length;
  }

  /** Writes an empty table. */
  init(): void {
    for (let b = 0; b < BUCKETS; b++) this.mem.write32(this.base + 4 * b, 0);
    this.mem.write32(this.base + FREE, 0);
    this.mem.write32(this.base + TOP, this.base + NODES);
  }

  #bucket(block: number): number {
    return this.base + 4 * (block & (BUCKETS - 1));
  }

  /** The node of `block`, or 0. */
  #node(block: number): number {
    let n = this.mem.read32(this.#bucket(block)) >>> 0;
    while (n !== 0 && this.mem.read32(n) >>> 0 !== block) n = this.mem.read32(n + 4) >>> 0;
    return n;
  }

  /** A new empty node for `block`, first in its chain; throws RangeError when none is left. */
  #newNode(block: number): number {
    let n = this.mem.read32(this.base + FREE) >>> 0;
    if (n !== 0) this.mem.write32(this.base + FREE, this.mem.read32(n + 4));
    else {
      n = this.mem.read32(this.base + TOP) >>> 0;
      if (n + NODE > this.base + NODES + this.nodes * NODE) {
        throw new RangeError(`Clustered page table full at ${this.nodes} nodes: unmap something`);
      }
      this.mem.write32(this.base + TOP, n + NODE);
    }
    const head = this.#bucket(block);
    this.mem.write32(n, block);
    this.mem.write32(n + 4, this.mem.read32(head));
    for (let i = 0; i < CLUSTER; i++) this.mem.write32(n + 8 + SUB * i, 0);
    this.mem.write32(head, n);
    return n;
  }

  /** The address of `vpn`'s entry, or 0. */
  handle(vpn: number): number {
    const n = this.#node(vpn >>> 4);
    if (n === 0) return 0;
    const a = n + 8 + SUB * (vpn & (CLUSTER - 1));
    return (this.mem.read32(a) & PTE.V) !== 0 ? a : 0;
  }

  /** Adds `m` (or replaces the same page's); throws RangeError when no node is left. */
  insert(m: Mapping): void {
    const block = m.vpn >>> 4;
    const n = this.#node(block) || this.#newNode(block);
    writeEntry(this.mem, n + 8 + SUB * (m.vpn & (CLUSTER - 1)), m);
  }

  /** The mapping of `vpn`, or undefined. */
  lookup(vpn: number): Mapping | undefined {
    return mappingAt(this.mem, this.handle(vpn), vpn);
  }

  /** Sets `vpn`'s flags; false when it is not mapped. */
  update(vpn: number, flags: number): boolean {
    return setFlagsAt(this.mem, this.handle(vpn), flags);
  }

  /** Removes `vpn`'s mapping, and its node once empty; false when there is none. */
  remove(vpn: number): boolean {
    const a = this.handle(vpn);
    if (a === 0) return false;
    this.mem.write32(a, 0);
    const block = vpn >>> 4, n = this.#node(block);
    for (let i = 0; i < CLUSTER; i++) {
      if ((this.mem.read32(n + 8 + SUB * i) & PTE.V) !== 0) return true;
    }
    // Empty: unlink it and put it on the free list.
    let link = this.#bucket(block);
    while (this.mem.read32(link) >>> 0 !== n) link = (this.mem.read32(link) >>> 0) + 4;
    this.mem.write32(link, this.mem.read32(n + 4));
    this.mem.write32(n + 4, this.mem.read32(this.base + FREE));
    this.mem.write32(this.base + FREE, n);
    return true;
  }

  /** Every mapping, by virtual page. */
  entries(): Mapping[] {
    const out: Mapping[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      for (let n = this.mem.read32(this.base + 4 * b) >>> 0; n !== 0;) {
        const block = this.mem.read32(n) >>> 0;
        for (let i = 0; i < CLUSTER; i++) {
          const a = n + 8 + SUB * i;
          if ((this.mem.read32(a) & PTE.V) !== 0) {
            out.push(readEntry(this.mem, a, block * CLUSTER + i));
          }
        }
        n = this.mem.read32(n + 4) >>> 0;
      }
    }
    return out.sort((x, y) => x.vpn - y.vpn);
  }

  /** Hash and chain walk (pt_lookup); pt_next searches again, or (walk) steps within a node. */
  guest(): AsmSource {
    const b = lowAddress(this.base, FREE);
    const next = this.walk
      ? `
pt_next:                                     # a0 = va, v0 = the page below's handle or 0
        beqz    $v0, pt_lookup
        andi    $t3, $a0, 0xf000
        beqz    $t3, pt_lookup               # a new block: search
        addiu   $v0, $v0, ${SUB}                 # the next subentry of the same node
        lw      $t5, 0($v0)
        nop
        andi    $t5, $t5, ${PTE.V}
        bnez    $t5, 2b
        nop
        b       2b
        move    $v0, $zero`
      : "";
    return asm`
# ---- clustered page table: hash the block, walk the chain, index the node --------------
${
      this.walk
        ? ""
        : "pt_next:                                     # a range looks each page up on its own"
    }
pt_lookup:                                   # a0 = va -> v0 = handle or 0 (v1, t3-t7)
        srl     $t4, $a0, 16
        andi    $t4, $t4, ${BUCKETS - 1}
        sll     $t4, $t4, 2
        lw      $t4, ${b}($t4)               # the chain
        srl     $t3, $a0, 16                 # the block: vpn >> 4
1:      beqz    $t4, 3f
        move    $t7, $t4
        lw      $t5, 0($t4)                  # the node's block
        lw      $t4, 4($t4)                  # (the next node)
        bne     $t5, $t3, 1b
        srl     $t5, $a0, ${12 - SUB_SHIFT}
        andi    $t5, $t5, ${(CLUSTER - 1) * SUB}
        addu    $v0, $t7, $t5
        lw      $t5, 8($v0)
        addiu   $v0, $v0, 8                  # the subentry
        andi    $t5, $t5, ${PTE.V}
        bnez    $t5, 2f
        nop
3:      move    $v0, $zero
2:      jr      $ra
        nop
${next}
`;
  }
}
