/**
 * The kernel's state: the machine it runs on, the words it keeps in that machine's memory, and
 * the few host-side tables that cannot live there.
 *
 * One truth. Everything the paper's kernel keeps in kernel memory lives in kernel memory here
 * (aegis/layout.ts): environment records, the page table with owners and capabilities, the STLB,
 * the free-page bitmap, the slice vector and its accounting window, the ASID owners, the
 * revocation list, the notices waiting for each environment. The assembly reads them directly;
 * every mechanism file reads and writes the same words through the accessors below. What stays
 * on the host side is what cannot be a word of memory: the TypeScript functions environments
 * installed as handlers and entry points, the host's objects for environments, the log of why
 * environments ended, and the stack of environments the host has put aside while it acts for
 * another.
 *
 * Every mechanism (pages.ts, bindings.ts, environments.ts, exceptions.ts, pct.ts, slices.ts,
 * revocation.ts, host.ts) is a set of functions over this state; aegis/kernel.ts is their face.
 *
 * @module
 */

import type { DECstation } from "../machine/decstation.ts";
import type { Cpu } from "../machine/cpu.ts";
import { CP0 } from "../machine/cp0.ts";
import type { TsHandler } from "./abi.ts";
import {
  DEADLINE_INTERRUPT,
  E,
  envRecord,
  firstFreePage,
  G,
  K,
  PAGE_SIZE,
  slotOfId,
} from "./layout.ts";

/** Why an environment ended, as the host's log records it. */
export interface EnvExit {
  /** The environment's id. */
  id: number;
  /** Its name. */
  name: string;
  /** Why: "exited", "freed by ...", or what killed it. */
  reason: string;
  /** The pc it ended at (its exception pc, or where it was), when known. */
  pc?: number;
  /** The faulting address, for an ending caused by an exception that has one. */
  badVAddr?: number;
}

/** The log of exits: an array that prints as lines with ids and addresses in hex. */
export class ExitLog extends Array<EnvExit> {
  /** One line per exit: id, name, reason, and where. */
  override toString(): string {
    const hex = (v: number, w = 8) => "0x" + (v >>> 0).toString(16).padStart(w, "0");
    if (this.length === 0) return "No environment has ended";
    return this.map((x) =>
      `${hex(x.id, 4)} ${x.name}: ${x.reason}` +
      (x.pc === undefined ? "" : ` (pc ${hex(x.pc)}`) +
      (x.badVAddr === undefined ? "" : `, address ${hex(x.badVAddr)}`) +
      (x.pc === undefined ? "" : ")")
    ).join("\n");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** A TypeScript protected-entry function: runs when a protected call lands (v0 = the caller). */
export type TsEntry = (caller: number) => void;

/** The host-side tables: functions and objects, never kernel state. */
export interface HostTables {
  /** TypeScript exception handlers, by environment id then handler code. */
  readonly handlers: Map<number, Map<number, TsHandler>>;
  /** TypeScript protected-entry functions, by environment id. */
  readonly entries: Map<number, TsEntry>;
  /** Why environments ended, oldest first. */
  readonly exits: ExitLog;
  /**
   * Environments the host has put aside while it acts for another (aegis/host.ts `call`): their
   * ASIDs are never taken, since the CPU goes back to them.
   */
  readonly paused: number[];
  /** The environments the host is acting for, innermost last. */
  readonly acting: number[];
}

/** The machine, kernel memory and host tables; constants fixed at boot. */
export class KernelState {
  /** The machine. */
  readonly machine: DECstation;
  /** Its CPU. */
  readonly cpu: Cpu;
  /** Physical pages of RAM. */
  readonly pages: number;
  /** The first page environments may allocate. */
  readonly firstPage: number;
  /** Slice positions. */
  readonly sliceCount: number;
  /** Cycles in one slice (one period of the slice clock). */
  readonly sliceCycles: number;
  /** The kernel's symbols (labels of its assembly), set at boot. */
  symbols: Record<string, number> = {};
  /** Host-side tables. */
  readonly host: HostTables = {
    handlers: new Map(),
    entries: new Map(),
    exits: new ExitLog(),
    paused: [],
    acting: [],
  };
  /**
   * Fills words with random bits for capabilities: `crypto.getRandomValues`, unless the host
   * asked for reproducible ones (AegisOptions.insecureSeed).
   */
  random: (words: Int32Array) => void = (w) => void crypto.getRandomValues(w);
  /** Nesting depth of hypercall services: host entries are refused inside them. */
  inService = 0;
  /**
   * The machine event at the earliest revocation deadline: it only raises the deadline's
   * software interrupt, which the CPU takes where the kernel can be interrupted (revocation.ts).
   */
  readonly deadlineEvent: () => void;
  readonly #ram32: Int32Array;
  readonly #ram8: Uint8Array;

  /** State for a kernel on `machine` with `sliceCount` positions of `sliceCycles` each. */
  constructor(machine: DECstation, sliceCount: number, sliceCycles: number) {
    this.machine = machine;
    this.cpu = machine.cpu;
    this.#ram32 = machine.bus.ram32;
    this.#ram8 = machine.bus.ram8;
    this.pages = machine.bus.ramSize / PAGE_SIZE;
    this.firstPage = firstFreePage(machine.bus.ramSize);
    this.sliceCount = sliceCount;
    this.sliceCycles = sliceCycles;
    const cpu = this.cpu;
    this.deadlineEvent = () => cpu.writeCp0(CP0.Cause, cpu.cp0[CP0.Cause] | DEADLINE_INTERRUPT);
  }

  // ---- words of kernel memory, by kseg0 address ------------------------------------------

  /** The word at kseg0 address `k`. */
  r32(k: number): number {
    return this.#ram32[(k & 0x1fffffff) >>> 2];
  }

  /** Writes `v` at kseg0 address `k`. */
  w32(k: number, v: number): void {
    this.#ram32[(k & 0x1fffffff) >>> 2] = v;
  }

  /** The 64-bit count (a cycle count, below 2^53) in the two words at `k`. */
  r64(k: number): number {
    return (this.r32(k) >>> 0) + (this.r32(k + 4) >>> 0) * 0x100000000;
  }

  /** Writes the count `v` (0 <= v < 2^53) as two words at `k`. */
  w64(k: number, v: number): void {
    this.w32(k, v % 0x100000000);
    this.w32(k + 4, Math.floor(v / 0x100000000));
  }

  /** Fills `bytes` at kseg0 address `k` with zeros. */
  zero(k: number, bytes: number): void {
    const i = (k & 0x1fffffff) >>> 2;
    this.#ram32.fill(0, i, i + (bytes >>> 2));
  }

  /** Writes `text` as NUL-terminated UTF-8 in `bytes` at `k` (cut to fit). */
  writeString(k: number, bytes: number, text: string): void {
    const b = new TextEncoder().encode(text).subarray(0, bytes - 1);
    const at = k & 0x1fffffff;
    this.#ram8.fill(0, at, at + bytes);
    this.#ram8.set(b, at);
  }

  /** The NUL-terminated UTF-8 string in `bytes` at `k`. */
  readString(k: number, bytes: number): string {
    const at = k & 0x1fffffff;
    const b = this.#ram8.subarray(at, at + bytes);
    const end = b.indexOf(0);
    return new TextDecoder().decode(b.subarray(0, end < 0 ? bytes : end));
  }

  // ---- globals and records ---------------------------------------------------------------

  /** Global word `g` (an offset from layout.ts G). */
  global(g: number): number {
    return this.r32(K.GLOBALS + g);
  }

  /** Sets global word `g`. */
  setGlobal(g: number, v: number): void {
    this.w32(K.GLOBALS + g, v);
  }

  /** Field `offset` of the record of environment `id` (live or not: its slot's record). */
  field(id: number, offset: number): number {
    return this.r32(envRecord(slotOfId(id)) + offset);
  }

  /** Sets field `offset` of the record of environment `id`. */
  setField(id: number, offset: number, v: number): void {
    this.w32(envRecord(slotOfId(id)) + offset, v);
  }

  /** kseg0 address of the running environment's record, 0 while the kernel idles. */
  get currentRecord(): number {
    return this.global(G.CURENV);
  }

  /** The id of the running environment, or 0 while the kernel idles. */
  get current(): number {
    const rec = this.currentRecord;
    return rec === 0 ? 0 : this.r32(rec + E.ID);
  }

  /** The name environment `id` was given. */
  nameOf(id: number): string {
    return this.readString(envRecord(slotOfId(id)) + E.NAME, E.NAME_BYTES);
  }
}
