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
import { AsmSource } from "../machine/asm/mod.ts";
import {
  AegisError,
  type Capability,
  capabilityOf,
  capabilityWords,
  ENTRY,
  EXPORT,
  formatCapability,
  HANDLER,
  handlerCode,
  SYS,
  SYS_NAMES,
  type SyscallPath,
  type SyscallResult,
  TLBWR,
  type TsHandler,
} from "./abi.ts";
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
      throw new RangeError(`Environment 0x${id.toString(16)} is not a child of ${this.name}`);
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
    return `Environment ${this.name} · id 0x${this.id.toString(16)} · ASID ${this.asid}` +
      (this.alive ? "" : " · ended");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

export { ENTRY, EXPORT };
