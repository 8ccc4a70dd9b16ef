/**
 * One environment's attachment to Aegis's network: its filters, the receive rings in its own
 * pages, a transmit page, and the ASHs it downloads. Everything goes through the environment's
 * call path (NET_FILTER, NET_RXPAGE, NET_SEND, NET_ASH, NET_UNFILTER) and its address space: the
 * library reads a ring's slots and writes frames with the environment's own loads and stores.
 *
 * The pages live in the environment's mmap area, marked NET_PAGE in its page table, which fork
 * neither shares nor copies (the kernel writes into them; a copy-on-write copy would leave the
 * kernel writing into the old page). A ring is read in the kernel's order: the library keeps its
 * own index, reads the next slot's status word (0: empty; else the frame's length), takes the
 * frame and writes 0 to hand the slot back.
 *
 * @module
 */

import {
  capabilityWords,
  encodeFilter,
  ERR,
  type Filter,
  NET_SLOT,
  SYS,
  type SyscallPath,
} from "../../aegis/abi.ts";
import { asm, type AsmSource } from "../../machine/asm/mod.ts";
import { PAGE_SIZE } from "../layout.ts";
import { PTE, SOFT } from "../page_table.ts";
import type { AddressSpace } from "../vm.ts";
import { ASH_PAGE } from "./ash.ts";

/** The page-table bit (one of PTE.SOFT) marking a page the network uses: fork leaves it out. */
export const NET_PAGE: number = SOFT.NET;

/** A page of the environment's, mapped at `va`, with its number and capability. */
interface NetPage {
  va: number;
  page: number;
  capability: bigint;
}

/** Where the transmit page keeps a filter's encoding (frames go at 0). */
const FILTER_AT = 0x800;

/** A failure of a network call: the kernel's error code, and v1. */
export class NetCallError extends Error {
  /** The call, its error and v1. */
  constructor(readonly call: string, readonly code: number, readonly v1 = 0) {
    super(`${call} failed with ${code} (v1 = ${v1})`);
  }
}

/** A filter of the environment's with its ring. */
export class Ring {
  #next = 0;
  /** The page of its filter's ASH, when it has one. */
  ashPage: NetPage | undefined;

  /** Filter `id` of `link`, its slots in `pages` (two each). */
  constructor(readonly link: Link, readonly id: number, readonly pages: readonly NetPage[]) {}

  /** The user address of the status word of the slot the next frame will be in, or undefined. */
  get nextStatus(): number | undefined {
    if (this.pages.length === 0) return undefined;
    return this.pages[this.#next >> 1].va + (this.#next & 1) * NET_SLOT.BYTES + NET_SLOT.STATUS;
  }

  /** The next frame waiting (its slot handed back), or undefined. */
  take(): Uint8Array | undefined {
    const vm = this.link.vm, n = 2 * this.pages.length;
    if (n === 0) return undefined;
    const at = this.pages[this.#next >> 1].va + (this.#next & 1) * NET_SLOT.BYTES;
    const length = vm.read32(at + NET_SLOT.STATUS);
    if (length === 0) return undefined;
    const frame = new Uint8Array(Math.min(length, NET_SLOT.BYTES - NET_SLOT.FRAME));
    for (let i = 0; i < frame.length; i += 4) {
      const w = vm.read32(at + NET_SLOT.FRAME + i);
      for (let k = 0; k < 4 && i + k < frame.length; k++) frame[i + k] = w >>> (8 * k);
    }
    vm.write32(at + NET_SLOT.STATUS, 0);
    this.#next = (this.#next + 1) % n;
    return frame;
  }
}

/** Where the wait stub's page keeps its words (from the page's start). */
const WAIT = { SAVED: 0x800, WATCH: 0x820, POLLS: 0x824, ZERO: 0x828 } as const;

/**
 * The wait stub, in guest code at `va` (its words at va + WAIT): entered with v0, a0-a2 as a
 * blocked call had them and t0 = the call's trap, it keeps them, then, at each of its turns,
 * looks at the word WATCH names (a ring's next status word) and yields while it is 0, POLLS
 * times at most; then it runs the call again. So a process waiting for a frame costs the library
 * nothing until the frame is there (or a few turns have gone by, for its timeouts).
 */
function waitStub(va: number): AsmSource {
  const hiOf = (a: number) => ((a + 0x8000) >>> 16) & 0xffff, loOf = (a: number) => (a << 16) >> 16;
  const d = va + WAIT.SAVED, w = va + WAIT.WATCH, n = va + WAIT.POLLS;
  return asm`
        .set noreorder
        .set noat
        lui     $at, ${hiOf(d)}
        sw      $v0, ${loOf(d)}($at)
        sw      $a0, ${loOf(d + 4)}($at)
        sw      $a1, ${loOf(d + 8)}($at)
        sw      $a2, ${loOf(d + 12)}($at)
        sw      $t0, ${loOf(d + 16)}($at)
1:      lui     $at, ${hiOf(w)}
        lw      $t1, ${loOf(w)}($at)         # the word to watch
        lw      $t2, ${loOf(n)}($at)         # turns left
        nop
        lw      $t3, 0($t1)
        addiu   $t4, $t2, -1
        blez    $t2, 2f                      # enough turns: the library looks (timeouts, ARP)
        nop
        bnez    $t3, 2f                      # a frame: the library's turn
        nop
        sw      $t4, ${loOf(n)}($at)
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
        b       1b
        nop
2:      lui     $at, ${hiOf(d)}
        lw      $v0, ${loOf(d)}($at)
        lw      $a0, ${loOf(d + 4)}($at)
        lw      $a1, ${loOf(d + 8)}($at)
        lw      $t0, ${loOf(d + 16)}($at)
        lw      $a2, ${loOf(d + 12)}($at)
        jr      $t0                          # the call again
        nop
`;
}

/** An environment's network: its rings, its transmit page, its ASH pages. */
export class Link {
  #tx: NetPage | undefined;
  #wait: NetPage | undefined;
  readonly rings: Ring[] = [];

  /** The network of the environment behind `path`, whose address space is `vm`. */
  constructor(readonly path: SyscallPath, readonly vm: AddressSpace) {}

  /** A fresh page of the environment's in its mmap area, marked NET_PAGE. */
  #page(): NetPage {
    const va = this.vm.mmap(PAGE_SIZE);
    this.vm.setFlags(va, 1, NET_PAGE, 0);
    const m = this.vm.lookup(va)!;
    return { va, page: m.page, capability: m.capability };
  }

  /** Writes `words` at `va` through the environment's own stores. */
  #write(va: number, words: ArrayLike<number>): void {
    for (let i = 0; i < words.length; i++) this.vm.write32(va + 4 * i, words[i]);
  }

  /**
   * Installs `filter` with a ring of `pages` pages (two slots each); throws NetCallError with
   * the kernel's code (REFUSED, BUSY, NOSLOT...), having given back what it took.
   */
  open(filter: Filter, pages: number): Ring {
    const tx = this.#tx ??= this.#page();
    this.#write(tx.va + FILTER_AT, encodeFilter(filter));
    const r = this.path.call(SYS.NET_FILTER, tx.page, FILTER_AT, ...capabilityWords(tx.capability));
    if (r.v0 < 0) throw new NetCallError("NET_FILTER", r.v0, r.v1);
    const id = r.v0, got: NetPage[] = [];
    for (let i = 0; i < pages; i++) {
      const p = this.#page();
      const q = this.path.call(SYS.NET_RXPAGE, id, p.page, ...capabilityWords(p.capability));
      if (q.v0 < 0) {
        this.path.call(SYS.NET_UNFILTER, id);
        for (const g of [...got, p]) this.vm.munmap(g.va, PAGE_SIZE);
        throw new NetCallError("NET_RXPAGE", q.v0);
      }
      got.push(p);
    }
    const ring = new Ring(this, id, got);
    this.rings.push(ring);
    return ring;
  }

  /**
   * Downloads `source` as the ASH of `ring`'s filter, with `words` written at their offsets of
   * its page first (the data it reads: ASH_PAGE); throws NetCallError (REFUSED with the reason in
   * v1) when the kernel will not take it.
   */
  ash(ring: Ring, source: AsmSource, words: ReadonlyMap<number, number>): void {
    const page = this.#page();
    const code = source.at(0).text;
    for (const [offset, w] of words) this.vm.write32(page.va + offset, w);
    this.#write(page.va + ASH_PAGE.CODE, code);
    const t0 = ASH_PAGE.CODE | (code.length << 16);
    const r = this.path.call(
      SYS.NET_ASH,
      ring.id,
      page.page,
      ...capabilityWords(page.capability),
      t0,
    );
    if (r.v0 < 0) {
      this.vm.munmap(page.va, PAGE_SIZE);
      throw new NetCallError("NET_ASH", r.v0, r.v1);
    }
    if (ring.ashPage !== undefined) this.vm.munmap(ring.ashPage.va, PAGE_SIZE);
    ring.ashPage = page;
  }

  /** Sends `frame`; false when every transmit buffer is busy (try again). Throws for the rest. */
  send(frame: Uint8Array): boolean {
    const tx = this.#tx ??= this.#page();
    const words = new Int32Array(Math.ceil(frame.length / 4));
    for (let i = 0; i < frame.length; i++) words[i >> 2] |= frame[i] << (8 * (i & 3));
    this.#write(tx.va, words);
    const r = this.path.call(
      SYS.NET_SEND,
      tx.page,
      0,
      ...capabilityWords(tx.capability),
      frame.length,
    );
    if (r.v0 === ERR.NOSLOT) return false;
    if (r.v0 < 0) throw new NetCallError("NET_SEND", r.v0);
    return true;
  }

  /**
   * Where a blocked call goes: the wait stub (see `waitStub`), watching the word at `watch` (none:
   * it only counts turns) for at most `turns` turns; t0 must hold the call's trap address.
   */
  waitFor(watch: number | undefined, turns: number): number {
    let stub = this.#wait;
    if (stub === undefined) {
      stub = this.#wait = this.#page();
      this.#write(stub.va, waitStub(stub.va).at(stub.va).text);
    }
    this.vm.write32(stub.va + WAIT.WATCH, watch ?? stub.va + WAIT.ZERO);
    this.vm.write32(stub.va + WAIT.POLLS, turns);
    return stub.va;
  }

  /** Whether `pc` is the wait stub's. */
  waitsAt(pc: number): boolean {
    return this.#wait !== undefined && pc === this.#wait.va;
  }

  /** Removes `ring`'s filter (and its ASH) and frees its pages. */
  close(ring: Ring): void {
    this.path.call(SYS.NET_UNFILTER, ring.id);
    for (const p of ring.ashPage ? [...ring.pages, ring.ashPage] : ring.pages) {
      this.vm.munmap(p.va, PAGE_SIZE);
    }
    this.rings.splice(this.rings.indexOf(ring), 1);
  }
}

/** Whether page-table flags `flags` mark a network page (fork leaves those out). */
export function isNetPage(flags: number): boolean {
  return (flags & NET_PAGE) !== 0 && (flags & PTE.V) !== 0;
}
