/**
 * Environments as scripts see them: an object per environment whose `sys` methods are its system
 * calls, each executed by the CPU in that environment through the real system-call path
 * (host.ts `hostCall`).
 *
 * `sys` returns what the kernel returns, turned into friendly values (a Page for ALLOC) and
 * AegisError for a negative code; `call` gives the raw result registers for tests that want the
 * codes. Arguments are checked here before anything runs: a TypeError or RangeError names the
 * value and says what to give.
 *
 * @module
 */

import type { Program } from "../machine/asm/mod.ts";
import { AsmSource, disassemble } from "../machine/asm/mod.ts";
import {
  AegisError,
  type Capability,
  capabilityOf,
  capabilityWords,
  encodeFilter,
  ENTRY,
  ERR,
  EXPORT,
  type Filter,
  formatCapability,
  HANDLER,
  handlerCode,
  NET_INFO,
  REFUSAL_TEXT,
  SYS,
  SYS_NAMES,
  type SyscallPath,
  type SyscallResult,
  TLBWR,
  type TsHandler,
} from "./abi.ts";
import { hex } from "../machine/table.ts";
import { parseFilter } from "./dpf.ts";
import type { Aegis } from "./kernel.ts";
import type { TsEntry } from "./state.ts";
import { E, PAGE_SIZE, U } from "./layout.ts";

export { AegisError };

/** A physical page given by number and capability. */
export interface PageRef {
  /** The physical page number. */
  readonly number: number;
  /** A capability for it (read-write, or read-only). */
  readonly capability: Capability;
}

/** A physical page an environment holds, with its capability. */
export class Page implements PageRef {
  /** Records page `number` held by `owner` with `capability`. */
  constructor(
    readonly number: number,
    readonly capability: Capability,
    readonly owner: Environment,
  ) {}

  /** The page's physical address. */
  get paddr(): number {
    return this.number * PAGE_SIZE;
  }

  /** One line: number, rights, owner, capability. */
  toString(): string {
    return `Page 0x${this.number.toString(16).padStart(4, "0")} rw, owner ${this.owner.name}, ` +
      `capability ${formatCapability(this.capability)}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** An exception code given by number or by name ("Ov", "Mod", "TLBL", ..., "Revoke"). */
export type ExceptionName =
  | number
  | "Mod"
  | "TLBL"
  | "TLBS"
  | "AdEL"
  | "AdES"
  | "IBE"
  | "DBE"
  | "Bp"
  | "RI"
  | "CpU"
  | "Ov"
  | "Revoke"
  | "Repossessed";

/** Resolves an exception name to its handler code; throws RangeError for an unknown one. */
export function exceptionCode(x: ExceptionName): number {
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0 || x >= HANDLER.COUNT) {
      throw new RangeError(`Exception code ${x} is out of range: give 0 to ${HANDLER.COUNT - 1}`);
    }
    return x;
  }
  const code = handlerCode(x);
  if (code < 0) {
    throw new RangeError(
      `Unknown exception ${String(x)}: use Mod, TLBL, TLBS, AdEL, AdES, IBE, DBE, Bp, RI, CpU, ` +
        "Ov, Revoke or Repossessed",
    );
  }
  return code;
}

/** Checks that `va` is a 32-bit address; returns it; throws TypeError or RangeError naming it. */
function address(what: string, va: number, pageAligned = false): number {
  if (typeof va !== "number" || !Number.isInteger(va)) {
    throw new TypeError(`${what} ${String(va)} is not an address: give a whole number`);
  }
  if (va < -0x80000000 || va > 0xffffffff) {
    throw new RangeError(`${what} 0x${va.toString(16)} does not fit 32 bits`);
  }
  if (pageAligned && (va & (PAGE_SIZE - 1)) !== 0) {
    throw new RangeError(
      `${what} 0x${(va >>> 0).toString(16)} is not page-aligned: give a multiple of 0x1000`,
    );
  }
  return va | 0;
}

/** Checks that `p` is a page reference; returns its number and capability words. */
function pageWords(p: PageRef): [number, number, number] {
  if (
    typeof p !== "object" || p === null || !Number.isInteger(p.number) ||
    typeof p.capability !== "bigint"
  ) {
    const shown = typeof p === "object" && p !== null
      ? `{ number: ${String(p.number)}, capability: ${String(p.capability)} (a ${typeof p
        .capability}) }`
      : String(p);
    throw new TypeError(
      `${shown} is not a page: give a Page from allocPage, or { number, capability } with a ` +
        "bigint capability",
    );
  }
  const [lo, hi] = capabilityWords(p.capability);
  return [p.number, lo, hi];
}

/** The system calls of one environment. */
export class Syscalls {
  readonly #env: Environment;

  /** The calls of `env`. */
  constructor(env: Environment) {
    this.#env = env;
  }

  /** Runs call `number`; throws AegisError when v0 is negative. */
  #ok(number: number, ...args: number[]): SyscallResult {
    const r = this.#env.call(number, ...args);
    if (r.v0 < 0) throw new AegisError(SYS_NAMES[number], r.v0, args);
    return r;
  }

  /** NULL: the cheapest trip into the kernel and back. */
  null(): number {
    return this.#ok(SYS.NULL).v0;
  }

  /** ALLOC: a physical page (any, or the one named); returns it with its capability. */
  allocPage(page = -1): Page {
    if (!Number.isInteger(page) || page < -1) {
      throw new RangeError(`Page ${String(page)} is not a page number: give one, or -1 for any`);
    }
    const r = this.#ok(SYS.ALLOC, page);
    return new Page(r.v0, capabilityOf(r.a2, r.a3), this.#env);
  }

  /** DEALLOC: frees `page`. */
  dealloc(page: PageRef): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.DEALLOC, n, 0, lo, hi);
  }

  /** The read-only capability of `page`. */
  readonlyCapability(page: PageRef): Capability {
    const [n, lo, hi] = pageWords(page);
    const r = this.#ok(SYS.CAP_READONLY, n, 0, lo, hi);
    return capabilityOf(r.a2, r.a3);
  }

  /**
   * TLBWR: binds virtual page `va` (page-aligned) to `page`; writable when asked (needs the
   * read-write capability), uncached when asked, in child `env` when given.
   */
  tlbWrite(
    va: number,
    page: PageRef,
    options: { writable?: boolean; uncached?: boolean; env?: Environment } = {},
  ): void {
    address("Virtual address", va, true);
    const [n, lo, hi] = pageWords(page);
    const flags = (options.writable ? TLBWR.WRITABLE : 0) | (options.uncached ? TLBWR.UNCACHED : 0);
    this.#ok(SYS.TLBWR, va | flags, n, lo, hi, options.env?.id ?? 0);
  }

  /** TLBVADELETE: removes the bindings of `pages` virtual pages from `va`. */
  tlbDelete(va: number, pages = 1): void {
    address("Virtual address", va);
    if (!Number.isInteger(pages) || pages < 1) {
      throw new RangeError(`Page count ${String(pages)} is not a whole number >= 1`);
    }
    this.#ok(SYS.TLBVADELETE, va, pages, 0);
  }

  /** SET_HANDLER: the handler for exception `code` at user address `va`. */
  setHandler(code: ExceptionName, va: number): void {
    this.#ok(SYS.SET_HANDLER, exceptionCode(code), address("Handler address", va), 0);
  }

  /** SET_SAVE_AREA: the save area at `offset` in `page`. */
  setSaveArea(page: PageRef, offset = 0): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.SET_SAVE_AREA, n, offset, lo, hi, 0);
  }

  /** SET_ENTRY: an entry point ("sync", "async", "sliceStart", "sliceEnd"); 0 for none. */
  setEntry(which: "sync" | "async" | "sliceStart" | "sliceEnd", va: number): void {
    const entries = {
      sync: ENTRY.SYNC,
      async: ENTRY.ASYNC,
      sliceStart: ENTRY.SLICE_START,
      sliceEnd: ENTRY.SLICE_END,
    };
    const n = entries[which];
    if (n === undefined) {
      throw new RangeError(`Unknown entry ${String(which)}: use sync, async, sliceStart, sliceEnd`);
    }
    this.#ok(SYS.SET_ENTRY, n, address("Entry point", va), 0);
  }

  /** SLICE_ALLOC: a slice position (the one named, or any); returns it. */
  sliceAlloc(position = -1): number {
    return this.#ok(SYS.SLICE_ALLOC, position, 0).v0;
  }

  /** SLICE_FREE: gives back a slice position. */
  sliceFree(position: number): void {
    this.#ok(SYS.SLICE_FREE, position, 0);
  }

  /** EXPORT: the user address where an exported structure is mapped read-only. */
  exported(which: "stlb" | "freeBitmap" | "env"): number {
    const n = { stlb: EXPORT.STLB, freeBitmap: EXPORT.FREE_BITMAP, env: EXPORT.ENV }[which];
    if (n === undefined) {
      throw new RangeError(`Unknown export ${String(which)}: use stlb, freeBitmap or env`);
    }
    return this.#ok(SYS.EXPORT, n).v0 >>> 0;
  }

  /** GETID: the environment's id. */
  getid(): number {
    return this.#ok(SYS.GETID).v0;
  }

  /** PIN: keeps `page` safe from revocation. */
  pin(page: PageRef): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.PIN, n, 0, lo, hi);
  }

  /** REVOKE_ANSWER: gives `page` back to the kernel after a revocation request. */
  revokeAnswer(page: PageRef): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.REVOKE_ANSWER, n, 0, lo, hi);
  }

  /**
   * NET_FILTER: installs the filter encoded at `offset` of `page`; returns its id. A refusal
   * throws AegisError naming the rule and the atom; an overlap names the other filter.
   */
  netFilter(page: PageRef, offset = 0): number {
    const [n, lo, hi] = pageWords(page);
    const r = this.#env.call(SYS.NET_FILTER, n, offset, lo, hi);
    if (r.v0 === ERR.REFUSED) {
      const reason = r.v1 >>> 16, index = r.v1 & 0xffff;
      const where = index === 0xffff ? "" : ` (atom ${index})`;
      throw new AegisError(
        "NET_FILTER",
        r.v0,
        [n, offset],
        `the filter breaks a rule${where}: ` +
          (REFUSAL_TEXT.filter[reason] ?? `rule ${reason}`),
      );
    }
    if (r.v0 === ERR.BUSY) {
      throw new AegisError(
        "NET_FILTER",
        r.v0,
        [n, offset],
        `the filter overlaps filter ${r.v1}, ` +
          "installed already: some frame would match both; make it more specific",
      );
    }
    if (r.v0 < 0) throw new AegisError("NET_FILTER", r.v0, [n, offset]);
    return r.v0;
  }

  /** NET_UNFILTER: removes filter `id`. */
  netUnfilter(id: number): void {
    this.#ok(SYS.NET_UNFILTER, id);
  }

  /** NET_RXPAGE: `page` (held read-write) becomes two receive slots of filter `id`. */
  netRxPage(id: number, page: PageRef): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.NET_RXPAGE, id, n, lo, hi);
  }

  /** NET_SEND: transmits the `length` bytes at `offset` of `page` as a frame. */
  netSend(page: PageRef, offset: number, length: number): void {
    const [n, lo, hi] = pageWords(page);
    this.#ok(SYS.NET_SEND, n, offset, lo, hi, length);
  }

  /**
   * NET_ASH: the `count` instructions at `offset` of `page` become filter `id`'s ASH, and `page`
   * its memory (count 0 removes it). A refusal throws AegisError naming the rule and showing
   * the instruction.
   */
  netAsh(id: number, page: PageRef, offset: number, count: number): void {
    const [n, lo, hi] = pageWords(page);
    const t0 = (offset & 0xffff) | (count << 16);
    const r = this.#env.call(SYS.NET_ASH, id, n, lo, hi, t0);
    if (r.v0 === ERR.REFUSED) {
      const reason = r.v1 >>> 16, index = r.v1 & 0xffff;
      let shown = "";
      try {
        const word = this.#env.aegis.machine.bus.ram32[(n * PAGE_SIZE + offset + 4 * index) >>> 2];
        shown = ` (${disassemble(word >>> 0, 4 * index)})`;
      } catch { /* nothing to show */ }
      throw new AegisError(
        "NET_ASH",
        r.v0,
        [id, n, offset, count],
        `instruction ${index}` +
          `${shown} breaks a rule: ${REFUSAL_TEXT.ash[reason] ?? `rule ${reason}`}`,
      );
    }
    if (r.v0 < 0) throw new AegisError("NET_ASH", r.v0, [id, n, offset, count]);
  }

  /** NET_INFO: the station address and the counters of frames received and dropped. */
  netInfo(): { mac: Uint8Array; received: number; dropped: number } {
    const m = this.#ok(SYS.NET_INFO, NET_INFO.MAC), c = this.#ok(SYS.NET_INFO, NET_INFO.COUNTS);
    const mac = Uint8Array.of(m.v0, m.v0 >>> 8, m.v0 >>> 16, m.v0 >>> 24, m.v1, m.v1 >>> 8);
    return { mac, received: c.v0 >>> 0, dropped: c.v1 >>> 0 };
  }

  /** CLOCK: slice-clock ticks since boot, and nanoseconds per tick. */
  clock(): { ticks: number; nsPerTick: number } {
    const r = this.#ok(SYS.CLOCK);
    return { ticks: r.v0 >>> 0, nsPerTick: r.v1 };
  }

  /** SCALL: a synchronous protected call to `target`, run until the callee's entry point. */
  scall(target: Environment): void {
    this.#transfer(SYS.SCALL, target);
  }

  /** ACALL: an asynchronous protected call to `target`, run until the callee's entry point. */
  acall(target: Environment): void {
    this.#transfer(SYS.ACALL, target);
  }

  /** Runs transfer `number` to `target`; throws AegisError when it is refused. */
  #transfer(number: number, target: Environment): void {
    if (!(target instanceof Environment)) {
      throw new TypeError(`${String(target)} is not an environment: give one from createEnv`);
    }
    const r = this.#env.call(number, target.id);
    if (r.v0 < 0) throw new AegisError(SYS_NAMES[number], r.v0, [target.id]);
  }
}

/** One environment, from TypeScript. */
export class Environment implements SyscallPath {
  /** Its system calls. */
  readonly sys: Syscalls = new Syscalls(this);

  /** Wraps environment `id` of `aegis`, called `name`. */
  constructor(readonly aegis: Aegis, readonly id: number, readonly name: string) {}

  /** Whether it still exists. */
  get alive(): boolean {
    return this.aegis.slotOf(this.id) >= 0;
  }

  /** Its address-space id. */
  get asid(): number {
    return this.aegis.field(this.id, E.ASID);
  }

  /**
   * Runs system call `number` with `args` (a0..a3, t0) through the real path; returns the raw
   * result registers. A transfer or directed yield stops where the kernel path hands the CPU to
   * the other environment (v0 = 0), before that environment runs.
   */
  call(number: number, ...given: (number | undefined)[]): SyscallResult {
    const args = given.map((a) => a ?? 0);
    for (const a of args) {
      if (!Number.isInteger(a)) throw new TypeError(`Argument ${String(a)} is not a whole number`);
    }
    const transfer = number === SYS.SCALL || number === SYS.ACALL ||
      (number === SYS.YIELD && (args[0] ?? 0) !== 0);
    return this.aegis.call(this.id, number, args, transfer);
  }

  /** The call path of environment `id`, a child of this one; throws for any other. */
  child(id: number): Environment {
    if (this.aegis.slotOf(id) < 0) {
      throw new RangeError(`Environment 0x${(id >>> 0).toString(16)} does not exist`);
    }
    if (this.aegis.field(id, E.PARENT) !== this.id) {
      throw new RangeError(`Environment ${hex(id, 4)} is not a child of ${this.name}`);
    }
    return this.aegis.env(id);
  }

  /** Reads the word at user address `va` through this environment's bindings. */
  read32(va: number): number {
    const pa = this.#physical(va, false);
    return this.aegis.machine.bus.ram32[pa >>> 2];
  }

  /** Writes the word at user address `va` through a writable binding of this environment. */
  write32(va: number, value: number): void {
    const pa = this.#physical(va, true);
    this.aegis.machine.bus.ram32[pa >>> 2] = value;
  }

  /** The physical address of `va` for this environment; throws when it is not bound. */
  #physical(va: number, write: boolean): number {
    address("Address", va);
    if ((va & 3) !== 0) {
      throw new RangeError(`Address 0x${(va >>> 0).toString(16)} is not word-aligned`);
    }
    const pa = this.aegis.physicalFor(this.id, va, write);
    if (pa < 0 || pa >= this.aegis.machine.bus.ramSize) {
      throw new RangeError(
        `${this.name} has no ${write ? "writable " : ""}binding for 0x${(va >>> 0).toString(16)}` +
          ": map the page with TLBWR first",
      );
    }
    this.aegis.machine.cpu.charge(1); // a load or store the library makes
    return pa;
  }

  /**
   * Installs `handler` for exception `code`: a user address, assembly (placed and mapped with
   * `load`), or a TypeScript function (which runs at user level in this environment).
   */
  onException(code: ExceptionName, handler: number | AsmSource | TsHandler): void {
    const c = exceptionCode(code);
    if (typeof handler === "number") return this.sys.setHandler(c, handler);
    if (handler instanceof AsmSource) return this.sys.setHandler(c, this.load(handler).origin);
    if (typeof handler !== "function") {
      throw new TypeError(
        `A handler is a user address, assembly or a function, not ${String(handler)}`,
      );
    }
    const tables = this.aegis.mem.host.handlers;
    let table = tables.get(this.id);
    if (table === undefined) tables.set(this.id, table = new Map());
    table.set(c, handler);
    this.sys.setHandler(c, U.TS_HANDLER);
  }

  /**
   * Accepts protected calls (SCALL and ACALL) with the TypeScript function `entry`, which gets
   * the caller's id; afterwards this environment resumes what it was doing.
   */
  onEntry(entry: TsEntry): void {
    if (typeof entry !== "function") {
      throw new TypeError(`An entry is a function, not ${String(entry)}`);
    }
    this.aegis.mem.host.entries.set(this.id, entry);
    this.sys.setEntry("sync", U.TS_ENTRY);
    this.sys.setEntry("async", U.TS_ENTRY);
  }

  #nextCode = 0x00400000;
  #scratch: Page | undefined;

  /**
   * Installs `filter` (atoms, or the text form: dpf.ts parseFilter) through a page of this
   * environment's own that holds the encoding; returns the filter's id. Throws as
   * `sys.netFilter` does.
   *
   * @example
   * ```ts
   * const id = e.installFilter("[12:2] == 0x0800 && [23:1] == 17 && [36:2] == 7000");
   * e.receivePages(id, 2);              // four slots
   * ```
   */
  installFilter(filter: Filter | string): number {
    const f = typeof filter === "string" ? parseFilter(filter) : filter;
    const words = encodeFilter(f);
    if (words.length * 4 > PAGE_SIZE) throw new RangeError("That filter has far too many atoms");
    const page = this.#scratchPage();
    this.aegis.machine.bus.ram32.set(words, page.paddr >>> 2);
    return this.sys.netFilter(page, 0);
  }

  /** The page `installFilter` and `sendFrame` write through: this environment's, made once. */
  #scratchPage(): Page {
    const p = this.#scratch;
    if (p !== undefined && this.aegis.capabilityOf(p.number) === p.capability) return p;
    return this.#scratch = this.sys.allocPage();
  }

  /** Gives filter `id` `count` fresh pages as receive slots (two each); returns them. */
  receivePages(id: number, count = 1): Page[] {
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) {
      const p = this.sys.allocPage();
      this.sys.netRxPage(id, p);
      pages.push(p);
    }
    return pages;
  }

  /**
   * Downloads the handler `source` (assembled at 0, the handler's own addresses; or its words)
   * for filter `id`, into `page` (a fresh one by default), which becomes its memory: the code is
   * copied to the page's end. Returns the page. Throws as `sys.netAsh` does.
   */
  installAsh(id: number, source: AsmSource | Uint32Array, page?: Page): Page {
    const words = source instanceof AsmSource ? source.at(0).text : source;
    if (!(words instanceof Uint32Array)) {
      throw new TypeError(`An ASH is assembly or its words (a Uint32Array), not ${String(source)}`);
    }
    const p = page ?? this.sys.allocPage();
    const offset = Math.max(0, PAGE_SIZE - 4 * words.length) & ~3;
    const ram = this.aegis.machine.bus.ram32;
    for (let i = 0; i < words.length && offset + 4 * i < PAGE_SIZE; i++) {
      ram[(p.paddr + offset) / 4 + i] = words[i];
    }
    this.sys.netAsh(id, p, offset, words.length);
    return p;
  }

  /** Sends `frame` (destination, source, type, data; no FCS) from a page of this environment's. */
  sendFrame(frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array)) {
      throw new TypeError(`sendFrame takes the frame's bytes (a Uint8Array), not ${String(frame)}`);
    }
    const page = this.#scratchPage();
    this.aegis.machine.bus.ram8.set(frame.subarray(0, PAGE_SIZE - 512), page.paddr + 512);
    this.sys.netSend(page, 512, frame.length);
  }

  /**
   * Assembles `source` at the next free code address (or `at`), allocates and maps the pages it
   * needs (writable), copies it in, and returns the program.
   */
  load(source: AsmSource, at?: number): Program {
    if (!(source instanceof AsmSource)) {
      throw new TypeError(`${String(source)} is not assembly: give an asm\`...\` source`);
    }
    const origin = at === undefined ? this.#nextCode : address("Load address", at);
    const p = source.at(origin);
    const bytes = new Uint8Array(p.text.buffer, p.text.byteOffset, p.text.byteLength);
    const end = p.data.length > 0 ? p.dataOrigin + p.data.length : origin + bytes.length;
    const ram = this.aegis.machine.bus.ram8;
    for (let va = origin & ~(PAGE_SIZE - 1); va < end; va += PAGE_SIZE) {
      const page = this.pageAt(va) ?? this.#mapNew(va);
      const lo = Math.max(va, origin), hi = Math.min(va + PAGE_SIZE, origin + bytes.length);
      if (hi > lo) ram.set(bytes.subarray(lo - origin, hi - origin), page.paddr + (lo - va));
      if (p.data.length > 0) {
        const dlo = Math.max(va, p.dataOrigin), dhi = Math.min(va + PAGE_SIZE, end);
        if (dhi > dlo) {
          ram.set(p.data.subarray(dlo - p.dataOrigin, dhi - p.dataOrigin), page.paddr + (dlo - va));
        }
      }
    }
    if (at === undefined) this.#nextCode = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    return p;
  }

  /** Pages this object mapped with `load` or `map`, by virtual page. */
  readonly mappings: Map<number, Page> = new Map();

  /** The page mapped at virtual page `va` by `load`/`map`, if any. */
  pageAt(va: number): Page | undefined {
    return this.mappings.get(va & ~(PAGE_SIZE - 1));
  }

  /** Allocates a page and maps it writable at `va`'s page; returns it. */
  map(va: number): Page {
    address("Address", va);
    return this.pageAt(va) ?? this.#mapNew(va & ~(PAGE_SIZE - 1));
  }

  #mapNew(va: number): Page {
    const page = this.sys.allocPage();
    this.sys.tlbWrite(va, page, { writable: true });
    this.mappings.set(va, page);
    return page;
  }

  /** This object's own bookkeeping (where `load` goes next, what it mapped), for snapshots. */
  faceState(): { nextCode: number; mappings: Map<number, Page> } {
    return { nextCode: this.#nextCode, mappings: new Map(this.mappings) };
  }

  /** Puts back bookkeeping taken by `faceState`. */
  restoreFace(s: { nextCode: number; mappings: Map<number, Page> }): void {
    this.#nextCode = s.nextCode;
    this.mappings.clear();
    for (const [va, p] of s.mappings) this.mappings.set(va, p);
  }

  /** Puts this environment on the CPU at `pc` (user mode); the next `machine.run` runs it. */
  enter(pc: number): void {
    this.aegis.enter(this.id, address("Entry pc", pc));
  }

  /** One line: name, id, ASID. */
  toString(): string {
    return `Environment ${this.name} · id ${hex(this.id, 4)} · ASID ${this.asid}` +
      (this.alive ? "" : " · ended");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

export { ENTRY, EXPORT };
