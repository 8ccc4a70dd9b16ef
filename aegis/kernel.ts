/**
 * Aegis, the exokernel: a thin face over its mechanisms, one file each.
 *
 *   pages.ts        physical pages and capabilities
 *   bindings.ts     secure bindings: TLBwr, the STLB, guaranteed mappings
 *   environments.ts environments, ids and ASIDs
 *   exceptions.ts   exception forwarding and notices
 *   pct.ts          protected control transfer
 *   slices.ts       time slices, yields, the end-of-slice upcall, excess time
 *   revocation.ts   revocation, the abort protocol, unrevocable pages
 *   network.ts      the LANCE, packet filters (dpf.ts) and ASHs (ash.ts), sending
 *   host.ts         the host acting for environments; TypeScript handlers and entries
 *   syscalls.ts     the one system-call table
 *   boot.ts         the text, the layout, the clock
 *   snapshot.ts     snapshots
 *
 * The kernel's state is in the machine's memory (layout.ts, state.ts); this class holds the
 * machine, the state and the host's objects for environments (env.ts), and answers the
 * questions the REPL, scripts and tests ask. Everything that changes the kernel goes through a
 * mechanism, and every host action waits for the kernel to be interruptible (host.ts `settle`).
 *
 * @module
 */

import type { DECstation } from "../machine/decstation.ts";
import { periodicHz } from "../machine/rtc.ts";
import type { Capability, SyscallResult } from "./abi.ts";
import { physicalFor } from "./bindings.ts";
import { boot } from "./boot.ts";
import { COSTS } from "./costs.ts";
import { createEnvironment, destroyEnvironment, envIds, envSlot } from "./environments.ts";
import { Environment } from "./env.ts";
import { hostCall, hostEnter, settle } from "./host.ts";
import { E, ENV, envRecord, G, slotOfId, TRAMP, U } from "./layout.ts";
import { CP0 } from "../machine/cp0.ts";
import { capabilityOfPage, ownerOf } from "./pages.ts";
import { Network } from "./network.ts";
import { isUnrevocable, repossess, revocations, revoke } from "./revocation.ts";
import { type AegisState, restoreSnapshot, takeSnapshot } from "./snapshot.ts";
import { type ExitLog, KernelState } from "./state.ts";
import { aegisSummary, envTable, pageLine, stlbTable, tlbTable, View } from "./views.ts";

export type { AegisState } from "./snapshot.ts";
export type { EnvExit } from "./state.ts";
export { EXCESS_LIMIT } from "./slices.ts";

/** Options for booting Aegis. */
export interface AegisOptions {
  /** Slice positions in the time-slice vector (default 16). */
  slices?: number;
  /** RTC rate select for the slice clock, 3..15 (default 6: 1024 Hz, a 977 us slice). */
  clockRate?: number;
  /**
   * Draws capabilities from a generator seeded with this number instead of
   * `crypto.getRandomValues`, so that a run repeats exactly (the fuzzer's reproductions).
   * Insecure by design: anyone who knows the seed knows every capability. Never the default.
   */
  insecureSeed?: number;
}

/**
 * The slice positions, clock rate select and cycles per slice `options` give a kernel; throws
 * RangeError for options out of range.
 */
export function aegisGeometry(
  options: AegisOptions,
): { slices: number; rate: number; sliceCycles: number } {
  const slices = options.slices ?? 16;
  if (!Number.isInteger(slices) || slices < 1 || slices > 256) {
    throw new RangeError(`Slice count ${slices} is out of range: give 1 to 256`);
  }
  const rate = options.clockRate ?? 6;
  if (!Number.isInteger(rate) || rate < 3 || rate > 15) {
    throw new RangeError(
      `Clock rate select ${rate} is out of range: give 3 (8192 Hz) to 15 (2 Hz)`,
    );
  }
  return { slices, rate, sliceCycles: Math.round(25_000_000 / periodicHz(rate)) };
}

/** The exokernel. */
export class Aegis {
  /** The machine Aegis runs on. */
  readonly machine: DECstation;
  /** The kernel's state: its words in memory, its constants, the host tables. */
  readonly mem: KernelState;
  /** The host's objects for environments, by id (made by `createEnv` and `child`). */
  readonly environments: Map<number, Environment> = new Map();
  /** The network: counters, filters, rings, the classifier (aegis/network.ts). */
  readonly network: Network;
  readonly #rate: number;

  /** Boots Aegis on `machine`; throws RangeError for options out of range. */
  constructor(machine: DECstation, options: AegisOptions = {}) {
    const { slices, rate, sliceCycles } = aegisGeometry(options);
    this.machine = machine;
    this.#rate = rate;
    this.mem = new KernelState(machine, slices, sliceCycles);
    if (options.insecureSeed !== undefined) this.mem.random = seededWords(options.insecureSeed);
    this.network = new Network(this.mem, () => settle(this.mem));
    boot(this.mem, rate);
  }

  /** Reboots Aegis on its machine (which is reset): every environment is gone. */
  reboot(): void {
    this.environments.clear();
    boot(this.mem, this.#rate);
  }

  /**
   * Turns the slice clock's interrupt on or off, for every environment and the idle loop: with
   * it off, time slices do not end and a run is bounded by its own limits only (experiments and
   * tests that must not depend on where the ticks fall).
   */
  sliceClock(on: boolean): void {
    if (typeof on !== "boolean") throw new TypeError(`sliceClock takes true or false, not ${on}`);
    const k = this.mem, bit = 1 << 11;
    const set = (v: number) => on ? v | bit : v & ~bit;
    k.setGlobal(G.USER_STATUS, set(k.global(G.USER_STATUS)));
    for (const id of envIds(k)) k.setField(id, E.STATUS, set(k.field(id, E.STATUS)));
    this.machine.cpu.cp0[CP0.Status] = set(this.machine.cpu.cp0[CP0.Status]);
  }

  /** Physical pages of RAM. */
  get pages(): number {
    return this.mem.pages;
  }

  /** The first page environments may allocate. */
  get firstPage(): number {
    return this.mem.firstPage;
  }

  /** Slice positions. */
  get sliceCount(): number {
    return this.mem.sliceCount;
  }

  /** Cycles in one slice. */
  get sliceCycles(): number {
    return this.mem.sliceCycles;
  }

  /** The kernel's symbols (labels of its assembly). */
  get symbols(): Record<string, number> {
    return this.mem.symbols;
  }

  /** Why environments ended, oldest first (the host's log; prints with ids in hex). */
  get exits(): ExitLog {
    return this.mem.host.exits;
  }

  /** The slice vector: the holder of each position, 0 where free (a copy). */
  get slices(): Int32Array {
    const out = new Int32Array(this.sliceCount);
    for (let i = 0; i < out.length; i++) out[i] = this.mem.global(G.SLICES + 4 * i);
    return out;
  }

  // ---- environments --------------------------------------------------------------------------

  /** Creates a tree-root environment called `name`; throws when no slot is free. */
  createEnv(name = `env${this.envIds.length + 1}`): Environment {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`An environment's name must be a non-empty string, not ${String(name)}`);
    }
    settle(this.mem);
    this.machine.cpu.charge(COSTS.envAlloc);
    const id = createEnvironment(this.mem, U.TRAMPOLINE + TRAMP.YIELD_LOOP, 0, name);
    if (id < 0) throw new Error(`No free environment slot: all ${ENV.SLOTS - 1} are in use`);
    const env = new Environment(this, id, name);
    this.environments.set(id, env);
    return env;
  }

  /** Ends environment `id` from the host, recording `reason`; false if it was not alive. */
  destroyEnvironment(id: number, reason: string): boolean {
    if (envSlot(this.mem, id) < 0) return false;
    settle(this.mem);
    destroyEnvironment(this.mem, id, reason);
    return true;
  }

  /** The ids of the live environments. */
  get envIds(): number[] {
    return envIds(this.mem);
  }

  /** The slot of live environment `id`, or -1. */
  slotOf(id: number): number {
    return envSlot(this.mem, id);
  }

  /** kseg0 address of environment `id`'s record (whether or not it is alive). */
  envRecordOf(id: number): number {
    return envRecord(slotOfId(id));
  }

  /** A field of environment `id`'s record (layout.ts E). */
  field(id: number, offset: number): number {
    return this.mem.field(id, offset);
  }

  /** The name environment `id` was given. */
  nameOf(id: number): string {
    return this.mem.nameOf(id);
  }

  /** The id of the environment running now, or 0 when the kernel idles. */
  get current(): number {
    return this.mem.current;
  }

  /** The TypeScript face of environment `id` (made on first use); throws for a dead id. */
  env(id: number): Environment {
    if (envSlot(this.mem, id) < 0) {
      throw new RangeError(`Environment 0x${(id >>> 0).toString(16)} does not exist`);
    }
    let env = this.environments.get(id);
    if (env === undefined) {
      env = new Environment(this, id, this.nameOf(id));
      this.environments.set(id, env);
    }
    return env;
  }

  // ---- pages ---------------------------------------------------------------------------------

  /** The owner of physical page `p` (0: free, -1: the kernel's). */
  ownerOf(p: number): number {
    return ownerOf(this.mem, p);
  }

  /** Page `p`'s read-write capability (0n when free): for the kernel's own tests and views. */
  capabilityOf(p: number): Capability {
    return capabilityOfPage(this.mem, p);
  }

  /** Whether page `p` is beyond revocation's reach (pinned, or behind a guaranteed mapping). */
  isPinned(p: number): boolean {
    return isUnrevocable(this.mem, p);
  }

  // ---- revocation ----------------------------------------------------------------------------

  /** The pages being revoked: page, owner, deadline in cycles. */
  get revocations(): { page: number; owner: number; deadline: number }[] {
    return revocations(this.mem);
  }

  /**
   * Visible revocation: asks the owner of `page` to give it back (a REVOKE notice, t1 = the
   * page) within `graceUs` emulated microseconds; past that the abort protocol takes it by force
   * (revocation.ts). Returns false, changing nothing, for a free, kernel or unrevocable page.
   */
  revoke(page: number, graceUs = 1000): boolean {
    if (!Number.isInteger(page)) throw new TypeError(`Page ${String(page)} is not a page number`);
    if (!(graceUs >= 0) || !Number.isFinite(graceUs)) {
      throw new RangeError(`Grace period ${graceUs} us is not a duration: give 0 or more`);
    }
    settle(this.mem);
    return revoke(this.mem, page, graceUs * 25);
  }

  /** Takes page `p` from its owner by force at once; true if taken. */
  repossess(p: number): boolean {
    settle(this.mem);
    return repossess(this.mem, p);
  }

  // ---- acting for environments ---------------------------------------------------------------

  /**
   * Runs system call `number` for environment `id` through the real path (host.ts `hostCall`),
   * arguments a0..a3 and t0 in `args`; a `transfer` (SCALL, ACALL, a directed YIELD) stops at
   * the first user instruction after the kernel path.
   */
  call(id: number, number: number, args: readonly number[] = [], transfer = false): SyscallResult {
    return hostCall(this.mem, id, number, args, transfer);
  }

  /** Puts environment `id` on the CPU at user address `pc`; the next run executes it. */
  enter(id: number, pc: number): void {
    hostEnter(this.mem, id, pc);
  }

  /**
   * The physical address environment `id` reaches at user address `va` through its own
   * bindings, or -1 when it has none (or, for `write`, no writable one).
   */
  physicalFor(id: number, va: number, write = false): number {
    return physicalFor(this.mem, id, va, write);
  }

  // ---- snapshots and views -------------------------------------------------------------------

  /**
   * The kernel's host-side state (its memory-side state is the machine's RAM and goes with the
   * machine's snapshot). Restore it into the same kernel only.
   */
  snapshot(): AegisState {
    const faces = new Map([...this.environments].map(([id, e]) => [id, e.faceState()]));
    const names = new Map([...this.environments].map(([id, e]) => [id, e.name]));
    return takeSnapshot(this.mem, faces, names);
  }

  /** Puts back a state taken by `snapshot`. */
  restore(s: AegisState): void {
    restoreSnapshot(this.mem, s);
    for (const id of [...this.environments.keys()]) {
      if (!s.faces.has(id)) this.environments.delete(id);
    }
    for (const [id, face] of s.faces) {
      let env = this.environments.get(id);
      if (env === undefined || env.name !== s.names.get(id)) {
        env = new Environment(this, id, s.names.get(id) ?? this.nameOf(id));
        this.environments.set(id, env);
      }
      env.restoreFace(face as ReturnType<Environment["faceState"]>);
    }
  }

  /** The hardware TLB's valid entries, as a table. */
  tlb(): View {
    return new View(() => tlbTable(this));
  }

  /** The STLB's valid entries, as a table. */
  stlb(): View {
    return new View(() => stlbTable(this));
  }

  /** The environments, as a table. */
  envs(): View {
    return new View(() => envTable(this));
  }

  /** Who owns physical page `p` (a number, or a Page), and how. */
  page(page: number | { number: number }): View {
    const p = typeof page === "object" && page !== null ? page.number : page;
    if (!Number.isInteger(p) || p < 0 || p >= this.pages) {
      throw new RangeError(
        `Page ${String(p)} is not a page of this machine: give 0 to ${this.pages - 1}`,
      );
    }
    return new View(() => pageLine(this, p));
  }

  /** A summary: environments, free pages, slices. */
  toString(): string {
    return aegisSummary(this);
  }

  /** Prints the summary in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** A reproducible (and insecure) source of random words: xorshift32 from `seed`. */
function seededWords(seed: number): (words: Int32Array) => void {
  if (!Number.isInteger(seed)) throw new TypeError(`Seed ${String(seed)} is not a whole number`);
  let x = (seed | 0) || 0x9e3779b9;
  return (words) => {
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
  };
}
