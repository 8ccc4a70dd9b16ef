/**
 * Symbols for the bench: the names a disassembly, a trace, a breakpoint or a stop line uses
 * instead of bare addresses (`jal main`, `main+0x1c`).
 *
 * A SymbolTable merges several sources. Kernel addresses (0x80000000 and up) are one space: the
 * kernel's labels (Aegis's `aegis.symbols`) and a bare program's ELF symbols live there. User
 * addresses are per environment, since every ExOS process links at 0x00400000: a source may be
 * tied to an environment id, and a lookup names the environment it asks about. Sources are
 * functions, read again whenever their owner's generation count moves (the lab counts a reboot,
 * a new ELF, an exec), so a trace looks names up without rebuilding anything per instruction.
 *
 * `nameAt` gives a symbol defined exactly at an address (what a jump target prints as, so the
 * disassembly still assembles); `describe` gives the enclosing one with an offset.
 *
 * @module
 */

import type { ElfSymbol } from "../machine/elf.ts";

/** Symbols as a name-to-address record (an assembled program's labels, the kernel's) or an ELF's. */
export type Symbols = Readonly<Record<string, number>> | readonly ElfSymbol[];

/** Where a table finds its symbols: global ones, and those of the environment asked about. */
export interface SymbolSources {
  /** Kernel and bare-program symbols, valid in every environment. */
  global(): readonly Symbols[];
  /** The symbols of environment `env`'s user program, if it has one. */
  user(env: number): readonly Symbols[];
  /** A number that changes whenever what `global` or `user` return may have changed. */
  generation(): number;
}

/** Labels assemblers make that name nothing worth printing: numeric locals and the like. */
const NAME = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** How far past a symbol without a size `describe` still names it. */
const REACH = 0x10000;

/** One scope's symbols, sorted by address. */
class Scope {
  readonly byName = new Map<string, number>();
  readonly byAddress = new Map<number, string>();
  addresses: number[] = [];
  sizes = new Map<number, number>();

  /** Adds every symbol of `set` (first definition of an address wins its name). */
  add(set: Symbols): void {
    const entries: [string, number, number][] = Array.isArray(set)
      ? (set as readonly ElfSymbol[]).map((s) => [s.name, s.value >>> 0, s.size])
      : Object.entries(set as Record<string, number>).map(([n, v]) => [n, v >>> 0, 0]);
    for (const [name, value, size] of entries) {
      if (!NAME.test(name)) continue;
      if (!this.byName.has(name)) this.byName.set(name, value);
      if (!this.byAddress.has(value)) {
        this.byAddress.set(value, name);
        if (size > 0) this.sizes.set(value, size);
      }
    }
  }

  /** Sorts the addresses, once every source is in. */
  seal(): this {
    this.addresses = [...this.byAddress.keys()].sort((a, b) => a - b);
    return this;
  }

  /** The greatest symbol address at or below `addr`, or -1. */
  floor(addr: number): number {
    const a = this.addresses;
    let lo = 0, hi = a.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= addr) {
        best = a[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }
}

/** Whether `v` is a symbol set: an array of ELF symbols or a record of numbers. */
function isSymbols(v: unknown): v is Symbols {
  if (Array.isArray(v)) {
    return v.every((s) => typeof s?.name === "string" && typeof s?.value === "number");
  }
  if (typeof v !== "object" || v === null || "symbols" in v) return false;
  return Object.values(v).every((x) => typeof x === "number");
}

/** Names for addresses, from the kernel, bare programs and each environment's program. */
export class SymbolTable {
  readonly #sources: SymbolSources;
  readonly #added: { set: Symbols; env?: number }[] = [];
  readonly #cache = new Map<number, Scope>();
  #generation = NaN;

  /** A table over `sources` (more can be added with `add`). */
  constructor(sources: SymbolSources) {
    this.#sources = sources;
  }

  /**
   * Adds `symbols` (an assembled program, its `.symbols`, a record of names, or an ELF's
   * symbols), for every environment or, with `env` (an id, or anything with an `id`: an
   * Environment), for that environment's user addresses only. Throws TypeError for anything else.
   *
   * @example
   * ```ts
   * const prog = e.load(asm`top: addiu $s0, $s0, 1; b top; nop`)
   * m.symbols.add(prog, e)       // m.disasm(), traces and m.break("top") now name it
   * ```
   */
  add(symbols: Symbols | { symbols: Symbols }, env?: number | { readonly id: number }): void {
    const set = isSymbols(symbols)
      ? symbols
      : typeof symbols === "object" && symbols !== null && "symbols" in symbols &&
          isSymbols(symbols.symbols)
      ? symbols.symbols
      : undefined;
    if (set === undefined) {
      throw new TypeError(
        "m.symbols.add takes an assembled program, its .symbols ({ name: address }) or an " +
          "ELF's symbols",
      );
    }
    const id = typeof env === "object" && env !== null ? env.id : env;
    if (id !== undefined && (typeof id !== "number" || !Number.isInteger(id) || id < 0)) {
      throw new TypeError(`m.symbols.add: the environment must be an id or an Environment`);
    }
    this.#added.push({ set, env: id });
    this.#cache.clear();
  }

  /** The scope for environment `env` (0: none), rebuilt when the sources' generation moved. */
  #scope(env: number): Scope {
    const g = this.#sources.generation();
    if (g !== this.#generation) {
      this.#cache.clear();
      this.#generation = g;
    }
    const hit = this.#cache.get(env);
    if (hit !== undefined) return hit;
    const scope = new Scope();
    for (const a of this.#added) if (a.env === undefined || a.env === env) scope.add(a.set);
    const user = env === 0 ? [] : this.#sources.user(env);
    for (const set of [...this.#sources.global(), ...user]) scope.add(set);
    this.#cache.set(env, scope.seal());
    return scope;
  }

  /** The address of symbol `name` as environment `env` sees it, or undefined. */
  lookup(name: string, env = 0): number | undefined {
    return this.#scope(env).byName.get(name);
  }

  /** The name of a symbol defined exactly at `addr`, or undefined. */
  nameAt(addr: number, env = 0): string | undefined {
    return this.#scope(env).byAddress.get(addr >>> 0);
  }

  /** `addr` as "name" or "name+0xoff" from the enclosing symbol, or undefined when none is near. */
  describe(addr: number, env = 0): string | undefined {
    const a = addr >>> 0, scope = this.#scope(env);
    const base = scope.floor(a);
    if (base < 0 || (base >= 0x80000000) !== (a >= 0x80000000)) return undefined;
    const size = scope.sizes.get(base);
    if (a - base >= (size ?? REACH)) return undefined;
    const name = scope.byAddress.get(base)!;
    return a === base ? name : `${name}+0x${(a - base).toString(16)}`;
  }

  /** One line: how many names there are, and how to use them. */
  toString(): string {
    const n = this.#scope(0).byName.size;
    return `Symbols: ${n} kernel and program names, ${this.#added.length} set(s) added; ` +
      "m.symbols.lookup(name, env?), .describe(addr, env?), .add(prog, env?)";
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** A lookup for the disassembler: exact names at addresses as environment `env` sees them. */
  resolver(env = 0): (addr: number) => string | undefined {
    const scope = this.#scope(env);
    return (addr) => scope.byAddress.get(addr >>> 0);
  }
}
