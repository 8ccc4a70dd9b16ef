/**
 * Environments as scripts see them: an object per environment whose `sys` methods are its system
 * calls, each executed by the CPU in that environment through the real system-call path.
 *
 * `sys` returns what the kernel returns, turned into friendly values (a Page for ALLOC) and
 * AegisError for a negative code; `call` gives the raw v0/v1 for tests that want the codes.
 *
 * @module
 */

import type { Program } from "../machine/asm/mod.ts";
import { AsmSource } from "../machine/asm/mod.ts";
import { EXC, EXC_NAMES } from "../machine/cp0.ts";
import {
  ENTRY,
  ERR_TEXT,
  errorName,
  EXPORT,
  HANDLER,
  SYS,
  SYS_NAMES,
  type SyscallPath,
  type SyscallResult,
  TLBWR,
  type TsHandler,
} from "./abi.ts";
import type { Aegis } from "./kernel.ts";
import { E, PAGE_SIZE, U } from "./layout.ts";

/** A system call that failed: carries the kernel's error code. */
export class AegisError extends Error {
  /** Builds the error for `call` (with its arguments) failing with `code`. */
  constructor(readonly call: string, readonly code: number, readonly args: readonly number[] = []) {
    const shown = args.map((a) => (a < 0 && a > -1000 ? String(a) : "0x" + (a >>> 0).toString(16)));
    super(
      `${call}(${shown.join(", ")}) failed: ${errorName(code)} (${code}): ` +
        (ERR_TEXT[code] ?? "an error code this library does not know"),
    );
  }
}

/** A physical page an environment holds, with its capability. */
export class Page {
  /** Records page `number` held by `owner` with `capability`. */
  constructor(
    readonly number: number,
    readonly capability: number,
    readonly owner: Environment,
  ) {}

  /** The page's physical address. */
  get paddr(): number {
    return this.number * PAGE_SIZE;
  }

  /** One line: number, rights, owner, capability. */
  toString(): string {
    return `Page 0x${this.number.toString(16).padStart(4, "0")} rw, owner ${this.owner.name}, ` +
      `capability 0x${(this.capability >>> 0).toString(16).padStart(8, "0")}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** An exception code given by number or by name ("Ov", "Mod", "TLBL", ..., "Revoke"). */
export type ExceptionName = number | keyof typeof EXC | "Revoke" | "Repossessed";

/** Resolves an exception name to its handler code; throws RangeError for an unknown one. */
export function exceptionCode(x: ExceptionName): number {
  if (typeof x === "number") return x;
  if (x === "Revoke") return HANDLER.REVOKE;
  if (x === "Repossessed") return HANDLER.REPOSSESSED;
  const code = EXC_NAMES.indexOf(x);
  if (code < 0) {
    throw new RangeError(`Unknown exception ${x}: use one of ${EXC_NAMES.join(", ")}, Revoke`);
  }
  return code;
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
    const r = this.#ok(SYS.ALLOC, page);
    return new Page(r.v0, r.v1, this.#env);
  }

  /** DEALLOC: frees `page`. */
  dealloc(page: Page): void {
    this.#ok(SYS.DEALLOC, page.number, page.capability);
  }

  /** The read-only capability of `page`. */
  readonlyCapability(page: Page): number {
    return this.#ok(SYS.CAP_READONLY, page.number, page.capability).v1;
  }

  /** TLBWR: maps virtual page `va` to `page`; writable when asked (needs the rw capability). */
  tlbWrite(
    va: number,
    page: Page | { number: number; capability: number },
    options: { writable?: boolean; uncached?: boolean; env?: Environment } = {},
  ): void {
    const flags = (options.writable ? TLBWR.WRITABLE : 0) |
      (options.uncached ? TLBWR.UNCACHED : 0) |
      ((options.env?.id ?? 0) << 8);
    this.#ok(SYS.TLBWR, va, page.number, page.capability, flags);
  }

  /** TLBVADELETE: removes the mapping of virtual page `va`. */
  tlbDelete(va: number): void {
    this.#ok(SYS.TLBVADELETE, va, 0);
  }

  /** SET_HANDLER: the handler for exception `code` at user address `va`. */
  setHandler(code: ExceptionName, va: number): void {
    this.#ok(SYS.SET_HANDLER, exceptionCode(code), va, 0);
  }

  /** SET_SAVE_AREA: the save area at `offset` in `page`. */
  setSaveArea(page: Page, offset = 0): void {
    this.#ok(SYS.SET_SAVE_AREA, page.number, page.capability, offset, 0);
  }

  /** SET_ENTRY: an entry point ("sync", "async", "sliceStart", "sliceEnd"). */
  setEntry(which: "sync" | "async" | "sliceStart" | "sliceEnd", va: number): void {
    const n = {
      sync: ENTRY.SYNC,
      async: ENTRY.ASYNC,
      sliceStart: ENTRY.SLICE_START,
      sliceEnd: ENTRY.SLICE_END,
    }[which];
    this.#ok(SYS.SET_ENTRY, n, va, 0);
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
    return this.#ok(SYS.EXPORT, n).v0 >>> 0;
  }

  /** GETID: the environment's id. */
  getid(): number {
    return this.#ok(SYS.GETID).v0;
  }

  /** PIN: keeps `page` safe from repossession. */
  pin(page: Page): void {
    this.#ok(SYS.PIN, page.number, page.capability);
  }

  /** REVOKE_ANSWER: gives `page` back to the kernel after a revocation request. */
  revokeAnswer(page: Page): void {
    this.#ok(SYS.REVOKE_ANSWER, page.number, page.capability);
  }

  /** SCALL: a synchronous protected call to `target`, run until the callee's entry point. */
  scall(target: Environment): void {
    this.#env.call(SYS.SCALL, target.id);
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

  /** Runs system call `number` with `args` through the real path; returns v0 and v1 raw. */
  call(number: number, ...args: number[]): SyscallResult {
    if (number === SYS.SCALL || number === SYS.ACALL || number === SYS.YIELD) {
      const target = this.aegis.slotOf(args[0] ?? 0);
      const entry = number === SYS.SCALL
        ? E.SYNC_ENTRY
        : number === SYS.ACALL
        ? E.ASYNC_ENTRY
        : E.CONTEXT + 136;
      if (target >= 0) {
        return this.aegis.call(this.id, number, args, this.aegis.field(args[0], entry) >>> 0);
      }
    }
    return this.aegis.call(this.id, number, args);
  }

  /** The call path of environment `id`, a child of this one; throws for any other. */
  child(id: number): Environment {
    if (this.aegis.slotOf(id) < 0) throw new RangeError(`Environment ${id} does not exist`);
    if (this.aegis.field(id, E.PARENT) !== this.id) {
      throw new RangeError(`Environment 0x${id.toString(16)} is not a child of ${this.name}`);
    }
    let env = this.aegis.environments.get(id);
    if (env === undefined) {
      env = new Environment(this.aegis, id, `${this.name}.${id.toString(16)}`);
      this.aegis.environments.set(id, env);
      this.aegis.names.set(id, env.name);
    }
    return env;
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
    if ((va & 3) !== 0) {
      throw new RangeError(`Address 0x${(va >>> 0).toString(16)} is not word-aligned`);
    }
    const pa = this.aegis.physicalFor(this.id, va, write);
    if (pa < 0 || pa >= this.aegis.machine.bus.ramSize) {
      throw new RangeError(
        `${this.name} has no ${write ? "writable " : ""}binding for 0x${
          (va >>> 0).toString(16)
        }: ` +
          `map the page with TLBWR first`,
      );
    }
    this.aegis.machine.cpu.charge(1); // a load or store the library makes
    return pa;
  }

  /**
   * Installs `handler` for exception `code`: a user address, assembly (placed and mapped with
   * `load`), or a TypeScript function.
   */
  onException(code: ExceptionName, handler: number | AsmSource | TsHandler): void {
    const c = exceptionCode(code);
    if (typeof handler === "number") return this.sys.setHandler(c, handler);
    if (handler instanceof AsmSource) return this.sys.setHandler(c, this.load(handler).origin);
    let table = this.aegis.tsHandlers.get(this.id);
    if (table === undefined) this.aegis.tsHandlers.set(this.id, table = new Map());
    table.set(c, handler);
    this.sys.setHandler(c, U.TS_HANDLER);
  }

  #nextCode = 0x00400000;

  /**
   * Assembles `source` at the next free code address (or `at`), allocates and maps the pages it
   * needs (writable), copies it in, and returns the program.
   */
  load(source: AsmSource, at?: number): Program {
    const origin = at ?? this.#nextCode;
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

  /** Allocates a page and maps it writable at `va`; returns it. */
  map(va: number): Page {
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
    this.aegis.enter(this.id, pc);
  }

  /** One line: name, id, ASID. */
  toString(): string {
    return `Environment ${this.name} · id 0x${this.id.toString(16)} · ASID ${this.asid}` +
      (this.alive ? "" : " · exited");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

export { ENTRY, EXPORT };
