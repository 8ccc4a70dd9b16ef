/**
 * ExOS virtual memory: an address space built by the library, at application level, for one
 * environment. Everything here goes through the environment's SyscallPath: pages come from ALLOC,
 * bindings from TLBWR/TLBVADELETE, and the page table, the library's code and its data are words
 * the environment reads and writes through its own bindings.
 *
 * Creating an AddressSpace lays out the library's pages (layout.ts): it allocates the library's
 * pages and binds them as guaranteed mappings (GUARANTEE, so Aegis refills them after any loss,
 * ASID recycling included), writes an empty page table (linear, clustered or inverted:
 * page_table.ts) and enters them in it, assembles the guest code (vm_asm.ts, then the IPC stubs
 * of pipe.ts, lrpc.ts, signal.ts and sched.ts) into the code page and binds it read-only, names the
 * data page as Aegis's save area and installs the TLBL, TLBS and Mod handlers, and maps a stack.
 * The TypeScript side reads and writes the library's words through the same bindings; when the
 * kernel has lost one (a recycled ASID), it asks for the guaranteed mapping again.
 * From then on a TLB miss anywhere in the process is the library's business: the guest handler
 * walks the table and binds the page, or calls the application's fault handler.
 *
 * Memory comes from sbrk (the heap after the program), mmap (anonymous pages in the mmap area) and
 * mapShared (another environment's page, given its capability). Pages are allocated at once and
 * bound lazily, clean: a page is bound writable only once it is dirty (PTE.D), so the first store
 * to it faults into the library, which records the write. prot, unprot, dirty and clean work from
 * TypeScript here and from guest code through `routines` (same table, same effect): prot drops
 * the pages' bindings, unprot only edits the table and leaves the rebinding to the next miss.
 *
 * Hooks for a process layer: `setFaultHandler` installs a guest routine per FAULT kind (a COW
 * handler for FAULT.COW, say), `setFlags` marks pages (PTE.C for copy-on-write, PTE.SOFT bits for
 * its own use) and drops their bindings so the next access consults the table again, `entries`
 * lists every mapping (to copy an address space), `routines.lookup` finds an entry from guest
 * code, and `entry` starts guest code with sp set. For processes (exos/process.ts):
 * `loadSegments` maps a program image, `reset` empties the user part for exec, `inherit` copies
 * the heap's bounds to a fork's child, `privatize` gives a page a private copy (the copy of
 * copy-on-write) and `claim` makes a COW page plainly writable again; the `release` option lets
 * the process layer free pages that leave the table (it counts who shares them). For snapshots,
 * `record` gives what the address space keeps outside guest memory (the heap's bounds, the
 * library's pages and entry points) and `AddressSpace.adopt` takes it back over the same
 * environment, building nothing: the table, the code and the pages are in memory. Failures throw:
 * RangeError for an address or size outside the layout, Error naming the system call and its
 * error code when Aegis refuses something.
 *
 * @module
 */

import { asm, type AsmSource, type Program } from "../machine/asm/mod.ts";
import {
  type Capability,
  capabilityOf,
  capabilityWords,
  errorName,
  EXC,
  SYS,
  SYS_NAMES,
  type SyscallPath,
  type SyscallResult,
  TLBWR,
} from "../aegis/abi.ts";
import { DATA, FAULT, LIB, PAGE_SHIFT, PAGE_SIZE, USER } from "./layout.ts";
import {
  type Mapping,
  type Memory,
  PAGE_TABLE_KINDS,
  type PageTable,
  type PageTableKind,
  PTE,
} from "./page_table.ts";
import { LinearPageTable } from "./pt_linear.ts";
import { ClusteredPageTable } from "./pt_clustered.ts";
import { InvertedPageTable } from "./pt_inverted.ts";
import { vmSource } from "./vm_asm.ts";
import { lrpcAsm } from "./lrpc.ts";
import { pipeAsm } from "./pipe.ts";
import { blockToAsm } from "./sched.ts";
import { signalAsm } from "./signal.ts";

/** How to build an address space. */
export interface AddressSpaceOptions {
  /** The page-table structure (default "linear"). */
  structure?: PageTableKind;
  /** Pages of stack mapped below USER.STACK_TOP (default 2). */
  stackPages?: number;
  /**
   * Frees the page of a mapping that left the table (sbrk down, munmap, reset), instead of the
   * default: DEALLOC unless the page is foreign.
   */
  release?: (m: Mapping) => void;
}

/** A piece of a program image: bytes at a user address, zero-filled to `memSize`. */
export interface Segment {
  /** Where it starts. */
  vaddr: number;
  /** Its initial bytes. */
  data: Uint8Array;
  /** Its size in memory (at least data.length); the rest reads as zero. */
  memSize: number;
  /** Whether the program may write it. */
  writable: boolean;
}

/** A page handed to another environment: its number and a capability for it. */
export interface Grant {
  /** Physical page number. */
  page: number;
  /** The capability (read-write, or read-only when `writable` is false). */
  capability: Capability;
  /** Whether the capability allows writable bindings. */
  writable: boolean;
}

/** Guest addresses of the library's entry points. */
export interface Routines {
  /** The start stub: sets sp, jumps to the address `entry` recorded. */
  start: number;
  /** prot(a0 = va, a1 = pages) -> v0 = pages not mapped. */
  prot: number;
  /** unprot(a0 = va, a1 = pages) -> v0 = pages not mapped. */
  unprot: number;
  /** dirty(a0 = va) -> v0 = 1, 0, or -1 when not mapped. */
  dirty: number;
  /**
   * lookup(a0 = va) -> v0 = the entry's handle (page << 12 | flags, then the capability's two
   * words) or 0;
   * changes only v0, v1 and t3-t7. A COW handler edits the entry through it.
   */
  lookup: number;
  /** The TLBL handler Aegis forwards load and fetch misses to. */
  tlbl: number;
  /** The TLBS handler (store misses). */
  tlbs: number;
  /** The Mod handler (stores to pages bound read-only). */
  mod: number;
  /** Clears the start-of-slice entry, then resume. */
  boot: number;
  /** Loads every register and the pc from the start frame (DATA.START). */
  resume: number;
  /** Yields, then runs the blocked call (v0, a0-a2 at the trap t0) again. */
  block: number;
  /** Yields, then traps with LIB_TRAP.PARK. */
  park: number;
  /** The LIB_TRAP.PARK word. */
  parkTrap: number;
  /** A fault handler that traps with LIB_TRAP.FAULT, then returns. */
  faultTrap: number;
  /** As block, but its yield goes to the environment in t1 (sched.ts). */
  blockTo: number;
  /** The start-of-slice entry while a signal waits (signal.ts). */
  sigtramp: number;
  /** Its LIB_TRAP.SIGNAL word. */
  sigtrampTrap: number;
  /** Where a caught fault goes to have its signal delivered (signal.ts). */
  sigsave: number;
  /** Where a signal handler returns (signal.ts). */
  sigreturn: number;
  /** Its LIB_TRAP.SIGRETURN word. */
  sigreturnTrap: number;
  /** pipe_read(a0 = ring, a1 = buf, a2 = n) -> v0 (pipe.ts). */
  pipeRead: number;
  /** pipe_write(a0 = ring, a1 = buf, a2 = n) -> v0 (pipe.ts). */
  pipeWrite: number;
  /** lrpc_call(a0 = server, a1 = argument) -> v0 (lrpc.ts). */
  lrpcCall: number;
  /** A client's synchronous entry, where replies land (lrpc.ts). */
  lrpcReply: number;
  /** A server's synchronous entry that saves the callee-saved registers (lrpc.ts). */
  lrpcEntry: number;
  /** A server's synchronous entry that trusts the procedure with them (lrpc.ts). */
  tlrpcEntry: number;
}

/**
 * A page table of structure `kind` in `bytes` of `mem` at `base` (not yet initialised); throws
 * RangeError for an unknown structure.
 */
export function newPageTable(
  kind: PageTableKind,
  mem: Memory,
  base: number,
  bytes: number,
): PageTable {
  switch (kind) {
    case "linear":
      return new LinearPageTable(mem, base, bytes);
    case "clustered":
    case "clustered-walk":
      return new ClusteredPageTable(mem, base, bytes, kind === "clustered-walk");
    case "inverted":
      return new InvertedPageTable(mem, base, bytes);
  }
  throw new RangeError(
    `Unknown page-table structure ${JSON.stringify(kind)}: use ${PAGE_TABLE_KINDS.join(", ")}`,
  );
}

/** Every FAULT kind. */
const ALL_FAULTS = Object.values(FAULT);

const pageDown = (va: number) => (va & ~(PAGE_SIZE - 1)) >>> 0;
const pageUp = (va: number) => ((va + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) >>> 0;
const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/**
 * Writes `bytes` at user address `va` of `mem` a word at a time (reading the words it only partly
 * covers); throws as `mem.write32` does.
 */
export function writeBytes(mem: Memory, va: number, bytes: Uint8Array): void {
  const end = va + bytes.length;
  for (let w = va & ~3; w < end; w += 4) {
    let word = w >= va && w + 4 <= end ? 0 : mem.read32(w);
    for (let k = 0; k < 4; k++) {
      const at = w + k;
      if (at >= va && at < end) word = (word & ~(0xff << (8 * k))) | (bytes[at - va] << (8 * k));
    }
    mem.write32(w, word);
  }
}

/** Reads `n` bytes at user address `va` of `mem`; throws as `mem.read32` does. */
export function readBytes(mem: Memory, va: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let w = va & ~3; w < va + n; w += 4) {
    const word = mem.read32(w);
    for (let k = 0; k < 4; k++) {
      const at = w + k - va;
      if (at >= 0 && at < n) out[at] = word >>> (8 * k);
    }
  }
  return out;
}

/** Whether a page with `flags` may be bound writable: written already, writable, not COW. */
export function bindsWritable(flags: number): boolean {
  return (flags & (PTE.W | PTE.D | PTE.C)) === (PTE.W | PTE.D);
}

/** One library page of an address space as a record holds it (the capability in decimal). */
export interface MappingRecord {
  /** Virtual page number. */
  vpn: number;
  /** Physical page number. */
  page: number;
  /** The capability, as a decimal string (JSON has no 64-bit integers). */
  capability: string;
  /** PTE flags. */
  flags: number;
}

/**
 * What an address space keeps outside guest memory, as plain data (`record`, `adopt`): the
 * heap's bounds, the next mmap address, the library's pages and the library's entry points.
 */
export interface SpaceRecord {
  /** Where the heap starts (the program's end). */
  heapBase: number;
  /** The break. */
  break: number;
  /** The address the next mmap without `at` gets. */
  mmapNext: number;
  /** The library's pages (code, data, page table), by virtual page. */
  lib: MappingRecord[];
  /** The library's guest entry points. */
  routines: Routines;
}

/** The library's code for page table `table`: vm_asm.ts and the IPC stubs; throws when too big. */
function libraryCode(table: PageTable): Program {
  const ipc = [pipeAsm(), lrpcAsm(), signalAsm(), blockToAsm()].join("\n");
  const code = vmSource(asm`${table.guest()}
${ipc}`).at(LIB.CODE);
  if (code.text.length * 4 > LIB.DATA - LIB.CODE || code.data.length > 0) {
    throw new RangeError(`The library's code takes ${code.text.length * 4} bytes: one page fits`);
  }
  return code;
}

/** One process's virtual memory, managed by the library in the environment behind `path`. */
export class AddressSpace {
  /** The page table. */
  readonly table: PageTable;
  /** The library's guest entry points. */
  readonly routines: Routines;
  #code: Program | undefined;
  #heapBase: number = USER.PROGRAM;
  #break: number = USER.PROGRAM;
  #mmapNext: number = USER.MMAP;
  /** The library's pages, by virtual page - 1: rebound from here when a binding was lost. */
  readonly #lib: Mapping[] = [];
  readonly #release: ((m: Mapping) => void) | undefined;
  /** The record `adopt` is building from, for the constructor. */
  static #adopting: SpaceRecord | undefined;

  /**
   * The address space of the environment behind `path` as `record` describes it, adopted: its
   * pages, table and code are already in guest memory, so nothing is allocated, bound, written
   * or assembled, and no system call is made. For a process table rebuilt from a snapshot.
   */
  static adopt(
    path: SyscallPath,
    record: SpaceRecord,
    options: AddressSpaceOptions = {},
  ): AddressSpace {
    AddressSpace.#adopting = record;
    try {
      return new AddressSpace(path, options);
    } finally {
      AddressSpace.#adopting = undefined;
    }
  }

  /**
   * Builds the address space of the environment behind `path` (see the module comment); throws
   * when Aegis refuses a page or a binding.
   */
  constructor(readonly path: SyscallPath, options: AddressSpaceOptions = {}) {
    const adopted = AddressSpace.#adopting;
    AddressSpace.#adopting = undefined;
    this.#release = options.release;
    const bytes = LIB.TABLE_PAGES * PAGE_SIZE;
    this.table = newPageTable(options.structure ?? "linear", this, LIB.TABLE, bytes);
    if (adopted !== undefined) {
      this.routines = { ...adopted.routines };
      this.#heapBase = adopted.heapBase;
      this.#break = adopted.break;
      this.#mmapNext = adopted.mmapNext;
      for (const m of adopted.lib) {
        this.#lib.push({
          vpn: m.vpn,
          page: m.page,
          capability: BigInt(m.capability),
          flags: m.flags,
        });
      }
      return;
    }
    const code = this.#code = libraryCode(this.table);
    // The library's pages, guaranteed and writable while we fill them: code, data, page table.
    const lib = this.#lib;
    for (let va = LIB.CODE; va < LIB.END; va += PAGE_SIZE) {
      const [page, capability] = this.#alloc();
      lib.push({ vpn: va >>> PAGE_SHIFT, page, capability, flags: PTE.V | PTE.W | PTE.D });
      this.#guarantee(lib[lib.length - 1]);
    }
    code.text.forEach((w, i) => this.write32(code.origin + 4 * i, w));
    this.table.init();
    lib[0].flags = PTE.V; // code: read-only from now on
    for (const m of lib) this.table.insert(m);
    this.#guarantee(lib[0]);
    this.write32(LIB.DATA + DATA.XF, LIB.DATA + DATA.FRAME_A);
    const s = code.symbols;
    this.routines = {
      start: s.start,
      prot: s.prot,
      unprot: s.unprot,
      dirty: s.dirty,
      lookup: s.pt_lookup,
      tlbl: s.tlbl,
      tlbs: s.tlbs,
      mod: s.mod,
      boot: s.boot,
      resume: s.resume,
      block: s.block,
      park: s.park,
      parkTrap: s.park_trap,
      faultTrap: s.fault_trap,
      blockTo: s.block_to,
      sigtramp: s.sigtramp,
      sigtrampTrap: s.sigtramp_trap,
      sigsave: s.sigsave,
      sigreturn: s.sigreturn,
      sigreturnTrap: s.sigreturn_trap,
      pipeRead: s.pipe_read,
      pipeWrite: s.pipe_write,
      lrpcCall: s.lrpc_call,
      lrpcReply: s.lrpc_reply,
      lrpcEntry: s.lrpc_entry,
      tlrpcEntry: s.tlrpc_entry,
    };
    const data = lib[1];
    this.#sys(SYS.SET_SAVE_AREA, data.page, DATA.SAVE, ...capabilityWords(data.capability), 0);
    this.#sys(SYS.SET_HANDLER, EXC.TLBL, s.tlbl, 0);
    this.#sys(SYS.SET_HANDLER, EXC.TLBS, s.tlbs, 0);
    this.#sys(SYS.SET_HANDLER, EXC.Mod, s.mod, 0);
    this.stack(options.stackPages ?? 2);
    this.write32(LIB.DATA + DATA.STACK, USER.STACK_TOP);
  }

  /** The library's assembled code (assembled again on first use in an adopted space). */
  get code(): Program {
    return this.#code ??= libraryCode(this.table);
  }

  /** What this address space keeps outside guest memory, as plain data for `adopt`. */
  record(): SpaceRecord {
    return {
      heapBase: this.#heapBase,
      break: this.#break,
      mmapNext: this.#mmapNext,
      lib: this.#lib.map((m) => ({ ...m, capability: m.capability.toString() })),
      routines: { ...this.routines },
    };
  }

  /** Maps `pages` fresh pages of stack below USER.STACK_TOP; throws RangeError over a mapping. */
  stack(pages: number): void {
    this.#checkFree(
      USER.STACK_TOP - pages * PAGE_SIZE,
      pages,
      USER.STACK_LIMIT,
      USER.STACK_TOP,
      "Stack",
    );
    for (let i = 1; i <= pages; i++) this.#mapNew(USER.STACK_TOP - i * PAGE_SIZE, PTE.W);
  }

  // ---- kernel requests -----------------------------------------------------------------------

  /** Runs system call `n`; throws Error naming the call and the kernel's error code. */
  #sys(n: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, t0 = 0): SyscallResult {
    const r = this.path.call(n, a0, a1, a2, a3, t0);
    if (r.v0 < 0) {
      throw new Error(
        `${SYS_NAMES[n]}(${[a0, a1, a2, a3, t0].map(hex).join(", ")}) failed: ` +
          `${errorName(r.v0)} (${r.v0}) in environment ${hex(this.path.id)}`,
      );
    }
    return r;
  }

  /** A fresh physical page: [page, read-write capability]. */
  #alloc(): [number, Capability] {
    const r = this.#sys(SYS.ALLOC, -1);
    return [r.v0, capabilityOf(r.a2, r.a3)];
  }

  /** Binds virtual page `va` to `page`, writable when asked (TLBWR checks the capability). */
  #bind(va: number, page: number, capability: Capability, writable: boolean): void {
    const flags = writable ? TLBWR.WRITABLE : 0;
    this.#sys(SYS.TLBWR, pageDown(va) | flags, page, ...capabilityWords(capability), 0);
  }

  /** Binds library page `m` as a guaranteed mapping, writable as its flags say. */
  #guarantee(m: Mapping): void {
    const flags = (m.flags & PTE.W) !== 0 ? TLBWR.WRITABLE : 0;
    this.#sys(
      SYS.GUARANTEE,
      (m.vpn << PAGE_SHIFT) | flags,
      m.page,
      ...capabilityWords(m.capability),
      0,
    );
  }

  #unbind(va: number): void {
    this.#sys(SYS.TLBVADELETE, va, 1, 0);
  }

  /** Allocates a page and enters it at `va` with `flags`; bound only when `bind` says so. */
  #mapNew(va: number, flags: number, bind = false): Mapping {
    const [page, capability] = this.#alloc();
    const m = { vpn: va >>> PAGE_SHIFT, page, capability, flags: flags | PTE.V };
    this.table.insert(m);
    if (bind) this.#bind(va, page, capability, bindsWritable(m.flags));
    return m;
  }

  /** Removes the mapping at `va` (if any), its binding, and frees the page unless foreign. */
  #unmapPage(va: number): void {
    const m = this.table.lookup(va >>> PAGE_SHIFT);
    if (m === undefined) return;
    this.table.remove(m.vpn);
    this.#unbind(va);
    if (this.#release !== undefined) this.#release(m);
    else if ((m.flags & PTE.FOREIGN) === 0) {
      this.#sys(SYS.DEALLOC, m.page, 0, ...capabilityWords(m.capability));
    }
  }

  /** Throws RangeError unless the `pages` pages at `va` are free and inside [lo, hi). */
  #checkFree(va: number, pages: number, lo: number, hi: number, what: string): void {
    if ((va & (PAGE_SIZE - 1)) !== 0 || va < lo || va + pages * PAGE_SIZE > hi) {
      throw new RangeError(
        `${what} at ${hex(va)} for ${pages} pages is outside ${hex(lo)}-${hex(hi)} or unaligned`,
      );
    }
    for (let i = 0; i < pages; i++) {
      if (this.table.lookup((va >>> PAGE_SHIFT) + i) !== undefined) {
        throw new RangeError(`${what}: ${hex(va + i * PAGE_SIZE)} is already mapped`);
      }
    }
  }

  /** Throws RangeError unless `va` is a user address (library pages are not the user's). */
  #checkUser(va: number, what: string): void {
    if ((va >>> 0) < USER.MIN) {
      throw new RangeError(`${what} ${hex(va)}: below ${hex(USER.MIN)} is the library's`);
    }
  }

  // ---- program, heap, mmap -------------------------------------------------------------------

  /**
   * Assembles `source` at USER.PROGRAM (or `at`), maps and fills its pages (dirty, writable) and
   * puts the heap after it; returns the program. Throws RangeError if sbrk has already moved.
   */
  load(source: AsmSource, at: number = USER.PROGRAM): Program {
    if (this.#break !== this.#heapBase) {
      throw new RangeError(`Load the program before the first sbrk (break is ${hex(this.#break)})`);
    }
    const p = source.at(at);
    const end = p.data.length > 0 ? p.dataOrigin + p.data.length : at + p.text.length * 4;
    const first = pageDown(at), pages = (pageUp(end) - first) / PAGE_SIZE;
    this.#checkFree(first, pages, USER.PROGRAM, USER.MMAP, "Program");
    for (let i = 0; i < pages; i++) this.#mapNew(first + i * PAGE_SIZE, PTE.W | PTE.D, true);
    p.text.forEach((w, i) => this.path.write32(at + 4 * i, w));
    for (let i = 0; i < p.data.length; i += 4) {
      const b = (k: number) => p.data[i + k] ?? 0;
      this.path.write32(p.dataOrigin + i, b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24);
    }
    this.#heapBase = this.#break = Math.max(this.#break, pageUp(end));
    return p;
  }

  /** The current break: the end of the heap. */
  get break(): number {
    return this.#break;
  }

  /**
   * Moves the break by `increment` bytes and returns the old one; new pages are allocated now
   * and bound on first touch, pages wholly above a lowered break are freed. Throws RangeError
   * past the heap's limits (the program's end, USER.MMAP).
   */
  sbrk(increment: number): number {
    const old = this.#break, next = old + increment;
    if (!Number.isInteger(increment) || next < this.#heapBase || next > USER.MMAP) {
      throw new RangeError(
        `sbrk(${increment}) would put the break at ${hex(next)}, outside ` +
          `${hex(this.#heapBase)}-${hex(USER.MMAP)}`,
      );
    }
    for (let va = pageUp(old); va < pageUp(next); va += PAGE_SIZE) this.#mapNew(va, PTE.W);
    for (let va = pageUp(next); va < pageUp(old); va += PAGE_SIZE) this.#unmapPage(va);
    this.#break = next;
    return old;
  }

  /**
   * Maps `bytes` (rounded up to pages) of fresh zeroed memory in the mmap area, at `at` or at the
   * next free address; returns the address. Throws RangeError outside the area or over a mapping.
   */
  mmap(bytes: number, options: { writable?: boolean; at?: number } = {}): number {
    const pages = Math.ceil(bytes / PAGE_SIZE), va = options.at ?? this.#mmapNext;
    this.#checkFree(va, pages, USER.MMAP, USER.MMAP_END, "mmap");
    const flags = options.writable === false ? 0 : PTE.W;
    for (let i = 0; i < pages; i++) this.#mapNew(va + i * PAGE_SIZE, flags);
    if (options.at === undefined) this.#mmapNext = va + pages * PAGE_SIZE;
    return va;
  }

  /** Unmaps `bytes` (rounded up to pages) at `va`, freeing pages that are not foreign. */
  munmap(va: number, bytes: number): void {
    this.#checkUser(va, "munmap");
    for (let a = pageDown(va); a < va + bytes; a += PAGE_SIZE) this.#unmapPage(a);
  }

  // ---- sharing -------------------------------------------------------------------------------

  /**
   * A grant for the page mapped at `va`, to give another environment: its read-write capability,
   * or a read-only one when `writable` is false. Throws RangeError when `va` is not mapped or a
   * writable grant is asked of a read-only mapping.
   */
  share(va: number, options: { writable?: boolean } = {}): Grant {
    const m = this.table.lookup(va >>> PAGE_SHIFT);
    if (m === undefined) throw new RangeError(`share: ${hex(va)} is not mapped`);
    const writable = options.writable ?? true;
    if (writable && (m.flags & PTE.W) === 0) {
      throw new RangeError(`share: ${hex(va)} is mapped read-only; grant it read-only`);
    }
    let capability = m.capability;
    if (!writable && (m.flags & PTE.W) !== 0) {
      const r = this.#sys(SYS.CAP_READONLY, m.page, 0, ...capabilityWords(m.capability));
      capability = capabilityOf(r.a2, r.a3);
    }
    return { page: m.page, capability, writable };
  }

  /**
   * Maps another environment's page from `grant` in the mmap area (at `at`, or the next free
   * address), writable when asked and granted; returns the address. Aegis checks the capability
   * here, so a forged grant throws (CAP) and maps nothing.
   */
  mapShared(grant: Grant, options: { writable?: boolean; at?: number } = {}): number {
    const writable = options.writable ?? grant.writable;
    const va = options.at ?? this.#mmapNext;
    this.#checkFree(va, 1, USER.MMAP, USER.MMAP_END, "mapShared");
    this.#bind(va, grant.page, grant.capability, writable); // Aegis checks the capability
    if (writable) this.#bind(va, grant.page, grant.capability, false); // clean until written
    const flags = PTE.V | PTE.FOREIGN | (writable ? PTE.W : 0);
    this.table.insert({
      vpn: va >>> PAGE_SHIFT,
      page: grant.page,
      capability: grant.capability,
      flags,
    });
    if (options.at === undefined) this.#mmapNext = va + PAGE_SIZE;
    return va;
  }

  // ---- for a process layer: images, exec, fork ------------------------------------------------

  /**
   * Maps `segments` (a program image) in [USER.PROGRAM, USER.MMAP), fills them (zero past their
   * data) and puts the heap after the last one; pages of read-only segments end up read-only.
   * Throws RangeError for a segment outside that range or when sbrk has already moved.
   */
  loadSegments(segments: readonly Segment[]): void {
    if (this.#break !== this.#heapBase) {
      throw new RangeError(`Load the program before the first sbrk (break is ${hex(this.#break)})`);
    }
    let end = this.#heapBase;
    const readonly = new Set<number>(), writable = new Set<number>();
    for (const seg of segments) {
      const top = seg.vaddr + seg.memSize;
      if (seg.vaddr < USER.PROGRAM || top > USER.MMAP || seg.memSize < seg.data.length) {
        throw new RangeError(
          `Segment ${hex(seg.vaddr)}-${hex(top)} is outside ${hex(USER.PROGRAM)}-${hex(USER.MMAP)}`,
        );
      }
      for (let va = pageDown(seg.vaddr); va < top; va += PAGE_SIZE) {
        if (this.table.lookup(va >>> PAGE_SHIFT) === undefined) {
          this.#mapNew(va, PTE.W | PTE.D, true);
        }
        (seg.writable ? writable : readonly).add(va);
      }
      writeBytes(this, seg.vaddr, seg.data);
      end = Math.max(end, pageUp(top));
    }
    for (const va of readonly) {
      if (writable.has(va)) continue;
      this.table.update(va >>> PAGE_SHIFT, PTE.V);
      this.#unbind(va);
    }
    this.#heapBase = this.#break = end;
  }

  /** Unmaps every user page (releasing it) and puts the heap and mmap area back: for exec. */
  reset(): void {
    for (const m of this.entries()) {
      if (m.vpn >= USER.MIN >>> PAGE_SHIFT) this.#unmapPage(m.vpn << PAGE_SHIFT);
    }
    this.#heapBase = this.#break = USER.PROGRAM;
    this.#mmapNext = USER.MMAP;
  }

  /** Takes the heap's bounds and the next mmap address from `parent` (a fork's child does). */
  inherit(parent: AddressSpace): void {
    this.#heapBase = parent.#heapBase;
    this.#break = parent.#break;
    this.#mmapNext = parent.#mmapNext;
  }

  /**
   * Gives `va` a page of its own: allocates one, copies the 1024 words of the page mapped there
   * (read through `source`, by default through this address space), binds it writable and enters
   * it dirty, not COW, not foreign; returns the mapping it replaced. Throws RangeError when `va`
   * is not mapped, Error when Aegis has no page.
   */
  privatize(va: number, source: (va: number) => number = (a) => this.read32(a)): Mapping {
    const base = pageDown(va), old = this.table.lookup(base >>> PAGE_SHIFT);
    if (old === undefined) throw new RangeError(`privatize: ${hex(va)} is not mapped`);
    const words = new Int32Array(PAGE_SIZE / 4);
    for (let i = 0; i < words.length; i++) words[i] = source(base + 4 * i);
    const [page, capability] = this.#alloc();
    this.#bind(base, page, capability, true);
    words.forEach((w, i) => this.path.write32(base + 4 * i, w));
    const flags = (old.flags | PTE.D) & ~(PTE.C | PTE.FOREIGN);
    this.table.insert({ vpn: old.vpn, page, capability, flags });
    return old;
  }

  /** Makes the COW page at `va` plainly writable (no copy) and binds it so; false if unmapped. */
  claim(va: number): boolean {
    const m = this.table.lookup(va >>> PAGE_SHIFT);
    if (m === undefined) return false;
    const flags = (m.flags | PTE.D) & ~PTE.C;
    this.table.update(m.vpn, flags);
    this.#bind(pageDown(va), m.page, m.capability, bindsWritable(flags));
    return true;
  }

  // ---- application-level primitives -----------------------------------------------------------

  /** Applies `change` to the flags of each mapped page in range; returns pages not mapped. */
  #each(va: number, pages: number, what: string, change: (m: Mapping) => void): number {
    this.#checkUser(va, what);
    let missing = 0;
    for (let i = 0, a = pageDown(va); i < pages; i++, a += PAGE_SIZE) {
      const m = this.table.lookup(a >>> PAGE_SHIFT);
      if (m === undefined) missing++;
      else change(m);
    }
    return missing;
  }

  /** Protects `pages` pages at `va` (any access faults); returns how many were not mapped. */
  prot(va: number, pages = 1): number {
    return this.#each(va, pages, "prot", (m) => {
      this.table.update(m.vpn, m.flags | PTE.P);
      this.#unbind(m.vpn << PAGE_SHIFT);
    });
  }

  /**
   * Unprotects `pages` pages at `va` in the table only: each is bound again by the miss of its
   * next access, as the guest routine does (vm_asm.ts); returns pages not mapped.
   */
  unprot(va: number, pages = 1): number {
    return this.#each(va, pages, "unprot", (m) => {
      this.table.update(m.vpn, m.flags & ~PTE.P);
    });
  }

  /** Whether the page at `va` was written since it was mapped or cleaned; throws if unmapped. */
  dirty(va: number): boolean {
    const m = this.table.lookup(va >>> PAGE_SHIFT);
    if (m === undefined) throw new RangeError(`dirty: ${hex(va)} is not mapped`);
    return (m.flags & PTE.D) !== 0;
  }

  /** Marks `pages` pages at `va` clean (the next write faults and dirties them again). */
  clean(va: number, pages = 1): number {
    return this.setFlags(va, pages, 0, PTE.D);
  }

  /**
   * Sets `set` and clears `clear` in the flags of `pages` pages at `va` and drops their bindings,
   * so the next access binds them as the new flags say (PTE.C for copy-on-write, PTE.SOFT bits
   * for a layer above); returns pages not mapped.
   */
  setFlags(va: number, pages: number, set: number, clear: number): number {
    return this.#each(va, pages, "setFlags", (m) => {
      this.table.update(m.vpn, (m.flags | set) & ~clear);
      this.#unbind(m.vpn << PAGE_SHIFT);
    });
  }

  /**
   * Installs guest routine `handler` (0 for none: the process dies) for the FAULT kinds given
   * (all by default). It is called as handler(a0 = address, a1 = kind, a2 = EPC, a3 = exception
   * code) on the program's stack, may clobber what a C function may, and the access is retried
   * when it returns.
   */
  setFaultHandler(handler: number, kinds: readonly number[] = ALL_FAULTS): void {
    for (const k of kinds) {
      if (!ALL_FAULTS.includes(k as never)) {
        throw new RangeError(`Unknown fault kind ${k}: use one of FAULT (1..4)`);
      }
      this.write32(LIB.DATA + DATA.HANDLERS + 4 * k, handler);
    }
  }

  /** Records `pc` as where the start stub goes; returns the stub's address, to `enter` there. */
  entry(pc: number): number {
    this.write32(LIB.DATA + DATA.ENTRY, pc);
    return this.routines.start;
  }

  // ---- memory from TypeScript ----------------------------------------------------------------

  /** The mapping at `va`, or undefined. */
  lookup(va: number): Mapping | undefined {
    return this.table.lookup(va >>> PAGE_SHIFT);
  }

  /** Every mapping, by virtual page. */
  entries(): Mapping[] {
    return this.table.entries();
  }

  /**
   * Binds `va` for a read (or a write, dirtying it) as the guest handler would, or throws; a
   * library page is guaranteed again (its binding was lost with the ASID, say).
   */
  #touch(va: number, write: boolean): void {
    const lib = this.#lib[(va >>> PAGE_SHIFT) - 1];
    if (lib !== undefined && (va >>> 0) < LIB.END) {
      if (write && (lib.flags & PTE.W) === 0) throw new RangeError(`${hex(va)} is not writable`);
      return this.#guarantee(lib);
    }
    const m = this.table.lookup(va >>> PAGE_SHIFT);
    if (m === undefined) throw new RangeError(`${hex(va)} is not mapped`);
    if ((m.flags & PTE.P) !== 0) throw new RangeError(`${hex(va)} is protected`);
    let flags = m.flags;
    if (write) {
      if (!bindsWritable(flags | PTE.D)) throw new RangeError(`${hex(va)} is not writable`);
      this.table.update(m.vpn, flags |= PTE.D);
    }
    this.#bind(pageDown(va), m.page, m.capability, bindsWritable(flags));
  }

  /** The word at `va`, binding the page if need be; throws RangeError if unmapped or protected. */
  read32(va: number): number {
    try {
      return this.path.read32(va);
    } catch {
      this.#touch(va, false);
      return this.path.read32(va);
    }
  }

  /** Writes the word at `va`, binding and dirtying the page; throws RangeError as read32 does. */
  write32(va: number, value: number): void {
    try {
      this.path.write32(va, value);
    } catch {
      this.#touch(va, true);
      this.path.write32(va, value);
    }
  }

  /** One line: structure, environment, mappings, break. */
  toString(): string {
    return `AddressSpace ${this.table.kind} · environment ${this.path.id} · ` +
      `${this.table.size} mappings · break ${hex(this.#break)}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
