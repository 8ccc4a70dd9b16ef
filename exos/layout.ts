/**
 * The address space of an ExOS process: where the library lives, where the program, heap, mmap
 * area and stack go, and the rule that keeps the library's own TLB misses away.
 *
 *   0x00001000                library code (fault handlers, prot/unprot/dirty, process stubs)
 *   0x00002000                library data (the kernel save area, fault frames, start frame)
 *   0x00003000 - 0x00008fff   the page table (6 pages)
 *   0x00400000                the program
 *   after it                  the heap (sbrk), up to 0x00800000
 *   0x00800000 - 0x00ffffff   the mmap area (anonymous and shared mappings)
 *   0x7fd00000 - 0x7fdfffff   the stack, growing down from 0x7fe00000
 *
 * The library's code finds its data with `$zero`-relative loads and stores (everything it keeps
 * is below 0x8000), so it reserves no register and needs none to be set up.
 *
 * The rule. Aegis caches bindings in a direct-mapped STLB, and a TLB miss whose binding is not in
 * the STLB is forwarded to the library's handler; the handler, its data and the page table it
 * walks must therefore never be evicted from the STLB, or the handler would fault on itself
 * forever. Aegis picks the slot of a virtual page from the low 12 bits of its VPN, mixed with the
 * address-space id (aegis/layout.ts, stlbOffset): slot = VPN ^ ASID << 3 ^ (VPN & 7) << 9, in 12
 * bits. The XOR with the ASID touches bits 3-8 only, so:
 *
 * - every user address the library hands out (VPN low bits 0x400 and up: 0x00400000-0x00ffffff,
 *   and the stack) keeps slot bits 10-11 non-zero, and the library's pages (VPN 1..8) keep them
 *   zero: no user mapping of any address space evicts a library binding. sbrk, mmap and the stack
 *   refuse addresses outside these ranges, and prot/unprot refuse the library's;
 * - the library's 8 pages have distinct VPN bits 0-2, so two address spaces (whose ASIDs differ)
 *   never put library pages in the same slot either, although all use the same addresses.
 *
 * That is why the library is 8 pages and not the 15 the low 64 KB would hold: pages 1 and 9, say,
 * meet in one slot for two ASIDs that differ only in bit 0.
 *
 * The rule keeps the library's bindings in the STLB, but not through the loss of the ASID itself:
 * with more than 63 environments Aegis recycles ASIDs and purges every binding of the one it takes.
 * So the library's pages are also guaranteed mappings (SYS.GUARANTEE, allowed below 0x10000),
 * which Aegis refills itself after any loss; the slot rule keeps that refill rare.
 *
 * @module
 */

/** Bytes in a page. */
export const PAGE_SIZE = 4096;

/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;

/** The library's pages. */
export const LIB = {
  /** The library's code (one page). */
  CODE: 0x1000,
  /** The library's data page. */
  DATA: 0x2000,
  /** The page table. */
  TABLE: 0x3000,
  /** Pages of page table. */
  TABLE_PAGES: 6,
  /** One past the library's last page. */
  END: 0x9000,
} as const;

/** User address ranges. */
export const USER = {
  /** The lowest address a program, heap or mapping may use. */
  MIN: 0x00400000,
  /** Where a program is loaded. */
  PROGRAM: 0x00400000,
  /** The start of the mmap area; also the heap's limit. */
  MMAP: 0x00800000,
  /** One past the mmap area. */
  MMAP_END: 0x01000000,
  /** The stack's top: the first sp. */
  STACK_TOP: 0x7fe00000,
  /** The stack's lowest address (1 MB of stack at most). */
  STACK_LIMIT: 0x7fd00000,
} as const;

/** Offsets of the words in the library's data page (LIB.DATA + offset). */
export const DATA = {
  /**
   * The kernel's save area (SET_SAVE_AREA names it): t0, t1, t2 at an exception, then t0, t1,
   * t2 at a notice (six words).
   */
  SAVE: 0x000,
  /** The address of the frame the next fast fault path saves registers in. */
  XF: 0x060,
  /** Where the start stub jumps. */
  ENTRY: 0x064,
  /** The stack pointer the start stub loads. */
  STACK: 0x068,
  /** The application's fault handlers, one word per FAULT kind (0: none, the process dies). */
  HANDLERS: 0x020,
  /** prot/unprot save ra and s0-s3 here. */
  RSAVE: 0x040,
  /** The frame of a fault taken by the application. */
  FRAME_A: 0x080,
  /** The frame of a fault taken inside the application's fault handler. */
  FRAME_B: 0x100,
  /** Where a process starts (`resume`): registers 1-31 at 4 * r, then the pc at 128. */
  START: 0x200,
  /** What the `block` stub keeps across its yield: v0, a0, a1, a2, the trap's address. */
  BLOCK: 0x290,
  /**
   * The signal stubs' words (signal.ts): the program's t0, hi and lo and the pc its slice would
   * have resumed at, then the address of the environment's exported record.
   */
  SIGNAL: 0x2c0,
  /** What the pipe routines keep across a yield (pipe.ts): a0, a1, a2, the count so far. */
  PIPE: 0x2e0,
  /** LRPC's words (lrpc.ts): the client's, then the server's, then the registers lrpc keeps. */
  LRPC: 0x300,
} as const;

/** Why the library calls the application's fault handler (a1 of the call). */
export const FAULT = {
  /** An access to a page protected with prot. */
  PROT: 1,
  /** An access to an address with no mapping. */
  UNMAPPED: 2,
  /** A write to a page mapped read-only. */
  READONLY: 3,
  /** A write to a copy-on-write page. */
  COW: 4,
} as const;
