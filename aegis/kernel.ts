/**
 * Aegis: the exokernel. Boots on a DECstation, multiplexes its hardware securely, and leaves all
 * policy to the environments.
 *
 * The kernel's state lives in the machine's memory (aegis/layout.ts): environment records, the
 * page table with owners and capabilities, the STLB, the free-page bitmap. The assembly hot paths
 * (aegis/kernel_asm.ts) read it directly; the TypeScript here and the system-call services
 * (aegis/services.ts) read and write the same words through `KernelMemory`, so there is one
 * truth. The services run behind a hypercall and charge the cycles aegis/costs.ts declares.
 *
 * Protection rests on three checks: a capability for every binding of a physical page (TLBWR,
 * the save area), an environment id that must match its record (transfers, configuration), and
 * user-space addresses for everything an environment names as code.
 *
 * @module
 */

import type { DECstation } from "../machine/decstation.ts";
import { periodicHz } from "../machine/rtc.ts";
import { assemble } from "../machine/asm/mod.ts";
import { CP0, EXC, EXC_NAMES, SR, TLB } from "../machine/cp0.ts";
import {
  ERR,
  type ExceptionInfo,
  HANDLER,
  NOTICE_SAVE,
  OWN_GUARANTEED,
  PINNED_MAX,
  SYS,
  SYS_NAMES,
  SYSCALL_COUNT,
  type SyscallResult,
  type TsHandler,
} from "./abi.ts";
import { ASM_SYSCALLS, HC, idleSource, kernelSource } from "./kernel_asm.ts";
import { COSTS } from "./costs.ts";
import { Environment } from "./env.ts";
import { systemCall } from "./services.ts";
import { aegisSummary, envTable, pageLine, stlbTable, tlbTable, View } from "./views.ts";
import {
  E,
  ENV,
  envRecord,
  firstFreePage,
  G,
  K,
  PAGE_SHIFT,
  PAGE_SIZE,
  PT,
  pteAddress,
  PTF,
  STLB,
  stlbOffset,
  TRAMP,
  U,
} from "./layout.ts";

/** The RTC's periodic-interrupt register offsets, as the KN02 places them. */
const RTC = { BASE: 0x1fe80000, A: 0x28, B: 0x2c, C: 0x30 } as const;

/**
 * How much abuse ends an environment: this many end-of-slice overruns in a row, or more than this
 * many slices of unpaid excess time.
 */
export const EXCESS_LIMIT = 4;

/** Options for booting Aegis. */
export interface AegisOptions {
  /** Slice positions in the time-slice vector (default 16). */
  slices?: number;
  /** RTC rate select for the slice clock, 3..15 (default 6: 1024 Hz, a 977 us slice). */
  clockRate?: number;
  /** Seed for the capability generator (default: random); fix it for reproducible runs. */
  seed?: number;
}

/** The kernel's TypeScript-side state, as `Aegis.snapshot` copies it. */
export interface AegisState {
  /** The slice vector. */
  slices: Int32Array;
  /** Slice position, capability seed, run counter. */
  words: [number, number, number];
  /** ASID owners and when each slot last ran. */
  asidOwner: Int32Array;
  /** When each slot last ran. */
  lastRun: Float64Array;
  /** Names of environments. */
  names: Map<number, string>;
  /** TypeScript handlers. */
  tsHandlers: Map<number, Map<number, TsHandler>>;
  /** TypeScript entry points. */
  tsEntries: Map<number, (caller: number) => void>;
  /** Environments that ended. */
  exits: EnvExit[];
  /** TypeScript faces, and each one's bookkeeping. */
  environments: Map<number, Environment>;
  /** Each face's bookkeeping. */
  faces: Map<number, ReturnType<Environment["faceState"]>>;
  /** Pages under revocation. */
  revocations: Map<number, number>;
  /** Notices waiting. */
  notices: Map<number, { code: number; value: number }[]>;
  /** Environments in their end-of-slice upcall. */
  inUpcall: Set<number>;
  /** Overruns in a row. */
  overruns: Map<number, number>;
}

/** Reads and writes the kernel's words in the machine's memory by kseg0 address. */
export class KernelMemory {
  readonly #ram32: Int32Array;

  /** Views `machine`'s RAM. */
  constructor(machine: DECstation) {
    this.#ram32 = machine.bus.ram32;
  }

  /** The word at kseg0 address `k`. */
  r32(k: number): number {
    return this.#ram32[(k & 0x1fffffff) >>> 2];
  }

  /** Writes `v` at kseg0 address `k`. */
  w32(k: number, v: number): void {
    this.#ram32[(k & 0x1fffffff) >>> 2] = v;
  }

  /** Fills `bytes` at kseg0 address `k` with zeros. */
  zero(k: number, bytes: number): void {
    const i = (k & 0x1fffffff) >>> 2;
    this.#ram32.fill(0, i, i + (bytes >>> 2));
  }
}

/** Why an environment ended. */
export interface EnvExit {
  /** The environment's id. */
  id: number;
  /** Why: "freed", or what killed it. */
  reason: string;
}

/** The exokernel. */
export class Aegis {
  /** The machine Aegis runs on. */
  readonly machine: DECstation;
  /** The kernel's memory. */
  readonly mem: KernelMemory;
  /** Physical pages of RAM. */
  readonly pages: number;
  /** The first page environments may allocate. */
  readonly firstPage: number;
  /** Slice positions. */
  readonly sliceCount: number;
  /** The slice vector: the owner id of each position, 0 where free. */
  readonly slices: Int32Array;
  /** The kernel's symbols (labels of its assembly). */
  readonly symbols: Record<string, number>;
  /** Environments that ended, most recent last. */
  readonly exits: EnvExit[] = [];
  /** Names given to environments from TypeScript, by id. */
  readonly names: Map<number, string> = new Map();
  /** TypeScript exception handlers, by env id then code. */
  readonly tsHandlers: Map<number, Map<number, TsHandler>> = new Map();
  /** TypeScript protected-entry functions, by env id. */
  readonly tsEntries: Map<number, (caller: number) => void> = new Map();
  #slicePos = 0;
  #rate: number;
  #seed: number;
  #asidOwner = new Int32Array(64);
  #lastRun = new Float64Array(ENV.SLOTS);
  /** Slots of environments put aside by `call` while it runs another: their ASIDs stay. */
  readonly #paused: number[] = [];
  #runs = 0;

  /** Boots Aegis on `machine`: assembles the kernel, lays out memory, starts the slice clock. */
  constructor(machine: DECstation, options: AegisOptions = {}) {
    this.machine = machine;
    this.mem = new KernelMemory(machine);
    this.pages = machine.bus.ramSize / PAGE_SIZE;
    this.firstPage = firstFreePage(machine.bus.ramSize);
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
    this.sliceCount = slices;
    this.#rate = rate;
    this.slices = new Int32Array(slices);
    this.#seed = (options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]) | 0 || 1;
    this.symbols = this.#boot(rate);
  }

  // ---- boot ------------------------------------------------------------------------------------

  /** Lays out kernel memory, loads the kernel and the trampoline, and enters the idle loop. */
  #boot(rate: number): Record<string, number> {
    const m = this.machine, mem = this.mem, cpu = m.cpu;
    m.reset();
    const kernel = kernelSource(this.pages).at(K.UTLB_VECTOR);
    if (K.UTLB_VECTOR + kernel.text.length * 4 > K.TEXT_END - 0x100) {
      throw new Error("The kernel text outgrew its room below K.GLOBALS");
    }
    if (kernel.symbols.general !== K.GENERAL_VECTOR) {
      throw new Error("The UTLB-miss code outgrew its 0x80 bytes: the general vector moved");
    }
    const idle = idleSource().at(K.TEXT_END - 0x100);
    m.bus.ram32.set(kernel.text, 0);
    m.bus.ram32.set(idle.text, ((K.TEXT_END - 0x100) & 0x1fffffff) >>> 2);
    const symbols: Record<string, number> = { ...kernel.symbols, idle: idle.symbols.idle };
    for (let n = 0; n < SYSCALL_COUNT; n++) {
      mem.w32(K.SYSCALL_TABLE + 4 * n, symbols[ASM_SYSCALLS[n] ?? "sys_ts"]);
    }
    const tramp = assemble(
      `
        .set noreorder
        syscall                   # TRAMP.SYSCALL: TypeScript runs a call from here
        break   0x3ff             # TRAMP.SYSCALL_DONE: where it stops
        .space  8
        li      $v0, ${SYS.UNHANDLED}
        syscall
        break   0x3fe
        nop
1:      li      $v0, ${SYS.YIELD}  # TRAMP.YIELD_LOOP: give the slice back, whenever it comes
        move    $a0, $zero
        syscall
        b       1b
        nop
      `,
      { origin: U.TRAMPOLINE },
    );
    m.bus.ram32.set(tramp.text, (K.TRAMPOLINE & 0x1fffffff) >>> 2);
    // Page table: kernel pages are marked and never carry capabilities; all others are free.
    mem.zero(K.PAGE_TABLE, this.pages * PT.ENTRY_BYTES);
    mem.zero(K.FREE_BITMAP, 4 * PAGE_SIZE);
    for (let p = 0; p < this.pages; p++) {
      if (p < this.firstPage) mem.w32(pteAddress(p) + PT.FLAGS, PTF.KERNEL);
      else this.#setFree(p, true);
    }
    mem.zero(K.STLB, STLB.ENTRIES * STLB.ENTRY_BYTES);
    for (let s = 0; s < ENV.SLOTS; s++) mem.zero(envRecord(s), ENV.BYTES);
    mem.w32(envRecord(0) + E.ID, -1); // slot 0 never matches an id, not even 0
    mem.w32(K.GLOBALS + G.CURENV, 0);
    // The slice clock: the RTC's periodic interrupt on IP3.
    m.bus.write(RTC.BASE + RTC.A, 1, 0x20 | rate);
    m.bus.write(RTC.BASE + RTC.B, 1, 0x46);
    for (let h = 0x100; h <= 0x103; h++) m.onHypercall(h, (code) => this.#hypercall(code));
    cpu.cp0[CP0.Status] = SR.IEc | (1 << 11); // IM3: the clock; kernel mode; BEV clear
    cpu.cp0[CP0.EntryHi] = 0;
    cpu.pc = symbols.idle;
    return symbols;
  }

  // ---- words in kernel memory ----------------------------------------------------------------

  /** Marks page `p` free or not in the exported bitmap. */
  #setFree(p: number, free: boolean): void {
    const k = K.FREE_BITMAP + ((p >>> 5) << 2);
    const bit = 1 << (p & 31);
    const w = this.mem.r32(k);
    this.mem.w32(k, free ? w | bit : w & ~bit);
  }

  /** A fresh nonzero 32-bit capability (xorshift32 over the seed). */
  #capability(): number {
    let x = this.#seed;
    do {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    } while (x === 0);
    this.#seed = x;
    return x;
  }

  // ---- environments --------------------------------------------------------------------------

  /** The slot of a live environment with id `id`, or -1. */
  slotOf(id: number): number {
    const slot = id & 0x7f;
    if (id <= 0 || slot === 0 || (id & 0x80) !== 0) return -1;
    return this.mem.r32(envRecord(slot) + E.ID) === id ? slot : -1;
  }

  /** kseg0 address of environment `id`'s record (whether or not it is alive). */
  envRecordOf(id: number): number {
    return envRecord(id & 0x7f);
  }

  /** The ids of the live environments. */
  get envIds(): number[] {
    const ids: number[] = [];
    for (let s = 1; s < ENV.SLOTS; s++) {
      const id = this.mem.r32(envRecord(s) + E.ID);
      if (id !== 0) ids.push(id);
    }
    return ids;
  }

  /** A field of environment `id`'s record. */
  field(id: number, offset: number): number {
    return this.mem.r32(envRecord(id & 0x7f) + offset);
  }

  /** The id of the environment running now, or 0 when the kernel idles. */
  get current(): number {
    const rec = this.mem.r32(K.GLOBALS + G.CURENV);
    return rec === 0 ? 0 : this.mem.r32(rec + E.ID);
  }

  /** Creates an environment called `name` from TypeScript; throws when no slot is free. */
  createEnv(name = `env${this.envIds.length + 1}`): Environment {
    this.machine.cpu.charge(COSTS.envAlloc);
    const id = this.createEnvironment(U.TS_ENTRY);
    if (id < 0) throw new Error(`No free environment slot: all ${ENV.SLOTS - 1} are in use`);
    this.names.set(id, name);
    const env = new Environment(this, id, name);
    this.environments.set(id, env);
    return env;
  }

  /** The TypeScript faces of the environments made with `createEnv`, by id. */
  readonly environments: Map<number, Environment> = new Map();

  /** Creates an environment whose entry points start at `entry`; returns its id or ERR.NOSLOT. */
  createEnvironment(entry: number, parent = 0): number {
    const mem = this.mem;
    let slot = 1;
    while (slot < ENV.SLOTS && mem.r32(envRecord(slot) + E.ID) !== 0) slot++;
    if (slot === ENV.SLOTS) return ERR.NOSLOT;
    const rec = envRecord(slot);
    // 16 bits of generation keep ids within 24 bits, so a TLBWR's a3 can name any of them.
    const gen = ((mem.r32(rec + E.GENERATION) + 1) & 0xffff) || 1;
    mem.zero(rec, ENV.BYTES);
    mem.w32(rec + E.GENERATION, gen);
    const id = (gen << 8) | slot;
    mem.w32(rec + E.ID, id);
    mem.w32(rec + E.SAVE, rec + E.DEFAULT_SAVE);
    mem.w32(rec + E.SYNC_ENTRY, entry);
    mem.w32(rec + E.ASYNC_ENTRY, entry);
    mem.w32(rec + E.PARENT, parent);
    for (let i = 0; i < PINNED_MAX; i++) mem.w32(rec + E.PINNED + 4 * i, -1);
    for (let c = 0; c < HANDLER.COUNT; c++) {
      mem.w32(rec + E.HANDLERS + 4 * c, U.TRAMPOLINE + TRAMP.UNHANDLED);
    }
    mem.w32(rec + E.CONTEXT + 136, entry);
    this.#lastRun[slot] = ++this.#runs; // a newcomer is not the least recently run
    this.giveAsid(slot);
    return id;
  }

  /**
   * Gives slot `slot` an ASID, taking one back from the least recently run env if need be
   * (kernel-internal, like takePage, freePage and invalidateTlb: for aegis/services.ts).
   */
  giveAsid(slot: number): number {
    const cpu = this.machine.cpu;
    let asid = 1;
    while (asid < 64 && this.#asidOwner[asid] !== 0) asid++;
    cpu.charge(COSTS.asid);
    if (asid === 64) {
      // Recycle: the victim is the least recently run environment that is not running now.
      const cur = this.current & 0x7f;
      let victim = -1;
      for (let a = 1; a < 64; a++) {
        const s = this.#asidOwner[a];
        if (s === cur || s === slot || this.#paused.includes(s)) continue;
        if (victim < 0 || this.#lastRun[s] < this.#lastRun[this.#asidOwner[victim]]) victim = a;
      }
      asid = victim;
      this.mem.w32(envRecord(this.#asidOwner[asid]) + E.ASID, 0);
      this.mem.w32(envRecord(this.#asidOwner[asid]) + E.ENTRYHI, 0);
      this.#purgeAsid(asid);
      cpu.charge(COSTS.asidRecycle);
    }
    this.#asidOwner[asid] = slot;
    this.mem.w32(envRecord(slot) + E.ASID, asid);
    this.mem.w32(envRecord(slot) + E.ENTRYHI, asid << 6);
    return asid;
  }

  /** Removes every TLB and STLB entry tagged with `asid`. */
  #purgeAsid(asid: number): void {
    const cpu = this.machine.cpu;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      if ((cpu.tlbLo[i] & TLB.G) === 0 && ((cpu.tlbHi[i] & TLB.ASID_MASK) >>> 6) === asid) {
        this.invalidateTlb(i);
      }
    }
    for (let i = 0; i < STLB.ENTRIES; i++) {
      const k = K.STLB + i * STLB.ENTRY_BYTES;
      if (((this.mem.r32(k) & TLB.ASID_MASK) >>> 6) === asid && this.mem.r32(k) !== 0) {
        this.mem.w32(k, 0);
        this.mem.w32(k + 4, 0);
      }
    }
    cpu.invalidateCaches();
  }

  /** Makes TLB entry `i` match nothing: a kseg0 VPN is never looked up in the TLB. */
  invalidateTlb(i: number): void {
    const cpu = this.machine.cpu;
    cpu.tlbHi[i] = (0x80000000 | (i << PAGE_SHIFT)) | 0;
    cpu.tlbLo[i] = 0;
  }

  /** Removes every binding of physical page `p` from the TLB and the STLB; returns how many. */
  purgePage(p: number): number {
    const cpu = this.machine.cpu;
    let n = 0;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      if ((cpu.tlbLo[i] & TLB.V) !== 0 && (cpu.tlbLo[i] >>> PAGE_SHIFT) === p) {
        this.invalidateTlb(i);
        n++;
      }
    }
    for (let i = 0; i < STLB.ENTRIES; i++) {
      const k = K.STLB + i * STLB.ENTRY_BYTES;
      const lo = this.mem.r32(k + 4);
      if ((lo & TLB.V) !== 0 && (lo >>> PAGE_SHIFT) === p) {
        this.mem.w32(k, 0);
        this.mem.w32(k + 4, 0);
        n++;
      }
    }
    // A save area in the page would let the kernel write into memory the env no longer owns.
    for (let s = 1; s < ENV.SLOTS; s++) {
      const rec = envRecord(s);
      const save = this.mem.r32(rec + E.SAVE);
      if (((save & 0x1fffffff) >>> PAGE_SHIFT) === p) {
        this.mem.w32(rec + E.SAVE, rec + E.DEFAULT_SAVE);
      }
    }
    cpu.invalidateCaches();
    return n;
  }

  /** Destroys environment `id`: frees its pages and slices, forgets its ASID. */
  destroyEnvironment(id: number, reason: string): void {
    const slot = this.slotOf(id);
    if (slot < 0) return;
    const mem = this.mem, rec = envRecord(slot);
    this.machine.cpu.charge(COSTS.envFree);
    for (let p = this.firstPage; p < this.pages; p++) {
      if (mem.r32(pteAddress(p) + PT.OWNER) === id) this.freePage(p);
    }
    for (let i = 0; i < this.sliceCount; i++) if (this.slices[i] === id) this.slices[i] = 0;
    const asid = mem.r32(rec + E.ASID);
    if (asid !== 0) {
      this.#purgeAsid(asid);
      this.#asidOwner[asid] = 0;
    }
    for (let s = 1; s < ENV.SLOTS; s++) {
      if (mem.r32(envRecord(s) + E.DONATED_TO) === id) mem.w32(envRecord(s) + E.DONATED_TO, 0);
    }
    const gen = mem.r32(rec + E.GENERATION);
    mem.zero(rec, ENV.BYTES);
    mem.w32(rec + E.GENERATION, gen);
    this.tsHandlers.delete(id);
    this.tsEntries.delete(id);
    this.#notices.delete(id);
    this.#inUpcall.delete(id);
    this.#overruns.delete(id);
    this.exits.push({ id, reason });
    if ((mem.r32(K.GLOBALS + G.CURENV) >>> 0) === rec) {
      mem.w32(K.GLOBALS + G.CURENV, 0);
      this.#schedule();
    }
  }

  // ---- pages ---------------------------------------------------------------------------------

  /** The owner of physical page `p` (0: free, -1: the kernel's). */
  ownerOf(p: number): number {
    if (!Number.isInteger(p) || p < 0 || p >= this.pages) return 0;
    if (p < this.firstPage) return -1;
    return this.mem.r32(pteAddress(p) + PT.OWNER);
  }

  /** Page `p`'s read-write capability (0 when free): for the kernel's own tests and views. */
  capabilityOf(p: number): number {
    return this.mem.r32(pteAddress(p) + PT.CAP_RW);
  }

  /** Gives page `p` (free) to `owner` with fresh capabilities; returns the read-write one. */
  takePage(p: number, owner: number): number {
    const pte = pteAddress(p);
    const rw = this.#capability();
    let ro = this.#capability();
    while (ro === rw) ro = this.#capability();
    this.mem.w32(pte + PT.OWNER, owner);
    this.mem.w32(pte + PT.CAP_RW, rw);
    this.mem.w32(pte + PT.CAP_RO, ro);
    this.mem.w32(pte + PT.FLAGS, 0);
    this.#setFree(p, false);
    return rw;
  }

  /** Frees page `p`: its capabilities die, its bindings go, its contents are cleared. */
  freePage(p: number): void {
    const pte = pteAddress(p);
    this.mem.w32(pte + PT.OWNER, 0);
    this.mem.w32(pte + PT.CAP_RW, 0);
    this.mem.w32(pte + PT.CAP_RO, 0);
    this.mem.w32(pte + PT.FLAGS, 0);
    this.purgePage(p);
    this.mem.zero(0x80000000 + (p << PAGE_SHIFT), PAGE_SIZE);
    this.#setFree(p, true);
    this.revocations.delete(p);
    for (let s = 1; s < ENV.SLOTS; s++) {
      const rec = envRecord(s);
      for (let i = 0; i < PINNED_MAX; i++) {
        if (this.mem.r32(rec + E.PINNED + 4 * i) === p) this.mem.w32(rec + E.PINNED + 4 * i, -1);
      }
      // Guaranteed mappings of the page die with its capabilities.
      let n = this.mem.r32(rec + E.GUARANTEED_COUNT);
      for (let i = 0; i < n; i++) {
        if (this.mem.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT !== p) continue;
        n--;
        this.mem.w32(rec + E.GUARANTEED + 8 * i, this.mem.r32(rec + E.GUARANTEED + 8 * n));
        this.mem.w32(rec + E.GUARANTEED + 8 * i + 4, this.mem.r32(rec + E.GUARANTEED + 8 * n + 4));
        this.mem.w32(rec + E.GUARANTEED_COUNT, n);
        i--;
      }
    }
  }

  /** Takes page `p` from its owner by force (the abort protocol's last step); true if taken. */
  repossess(p: number): boolean {
    const owner = this.ownerOf(p);
    const slot = this.slotOf(owner);
    if (owner <= 0 || slot < 0) return false;
    const rec = envRecord(slot);
    for (let i = 0; i < PINNED_MAX; i++) {
      if (this.mem.r32(rec + E.PINNED + 4 * i) === p) return false;
    }
    this.machine.cpu.charge(COSTS.revoke);
    const n = this.mem.r32(rec + E.REPOSSESSED_COUNT);
    if (n < E.REPOSSESSED_MAX) {
      this.mem.w32(rec + E.REPOSSESSED + 4 * n, p);
      this.mem.w32(rec + E.REPOSSESSED_COUNT, n + 1);
    }
    this.freePage(p);
    return true;
  }

  // ---- hypercalls ----------------------------------------------------------------------------

  /** Dispatches a hypercall from the kernel's assembly. */
  #hypercall(code: number): void {
    this.#inHypercall++;
    try {
      this.#dispatch(code);
    } finally {
      this.#inHypercall--;
    }
  }

  #inHypercall = 0;

  /** Runs the service behind hypercall `code`. */
  #dispatch(code: number): void {
    switch (code) {
      case HC.SYSCALL:
        return this.#syscall();
      case HC.INTERRUPT:
        return this.#interrupt();
      case HC.GUARANTEED:
        return this.#guaranteed();
      case HC.ASID: {
        const cpu = this.machine.cpu;
        const rec = this.mem.r32(K.GLOBALS + G.CURENV);
        const slot = ((rec & 0x1fffffff) - (K.ENVS & 0x1fffffff)) / ENV.BYTES;
        cpu.regs[27] = this.giveAsid(slot) << 6;
        return;
      }
    }
  }

  /** Returns from the exception to `pc` as RFE would: pops the KU/IE stack. */
  #eret(pc: number): void {
    const cpu = this.machine.cpu;
    const s = cpu.cp0[CP0.Status];
    cpu.cp0[CP0.Status] = (s & ~0xf) | ((s >>> 2) & 0xf);
    cpu.pc = pc;
  }

  /** The TypeScript system calls (aegis/services.ts); an undirected YIELD is the scheduler's. */
  #syscall(): void {
    const cpu = this.machine.cpu, r = cpu.regs;
    const caller = this.current;
    if (r[2] === SYS.YIELD) {
      // Undirected yield: give up the rest of this slice to the next position's owner.
      cpu.charge(COSTS.tick);
      if (this.#inUpcall.delete(caller)) this.#overruns.delete(caller);
      this.#saveContext(cpu.cp0[CP0.EPC] + 4, 0);
      this.#schedule(true);
      return;
    }
    const out = systemCall(this, caller, r[2], r[4], r[5], r[6], r[7], r);
    if (out === null) return;
    r[2] = out.v0;
    r[3] = out.v1;
  }

  /** The EntryLo of environment `id`'s guaranteed mapping of `va`, or 0 when it has none. */
  #guaranteedFor(id: number, va: number): number {
    const rec = envRecord(id & 0x7f);
    const n = this.mem.r32(rec + E.GUARANTEED_COUNT);
    for (let i = 0; i < n; i++) {
      if (this.mem.r32(rec + E.GUARANTEED + 8 * i) === (va & TLB.VPN_MASK)) {
        return this.mem.r32(rec + E.GUARANTEED + 8 * i + 4);
      }
    }
    return 0;
  }

  // ---- guaranteed mappings -------------------------------------------------------------------

  /** A kuseg miss at or above U.GUARANTEED: map the trampoline or an exported structure. */
  #guaranteed(): void {
    const cpu = this.machine.cpu;
    cpu.charge(COSTS.guaranteed);
    const va = cpu.cp0[CP0.BadVAddr] >>> 0;
    const page = va & ~(PAGE_SIZE - 1);
    if (va === U.TS_HANDLER) return this.#runTsHandler(this.current);
    if (va === U.TS_ENTRY) return this.#runTsEntry(this.current);
    let pa = -1;
    if (page === U.TRAMPOLINE) pa = K.TRAMPOLINE;
    else if (page === U.ENV) pa = this.mem.r32(K.GLOBALS + G.CURENV);
    else if (page >= U.STLB && page < U.STLB + 8 * PAGE_SIZE) pa = K.STLB + (page - U.STLB);
    else if (page >= U.FREE_BITMAP && page < U.FREE_BITMAP + 4 * PAGE_SIZE) {
      pa = K.FREE_BITMAP + (page - U.FREE_BITMAP);
    }
    const code = (cpu.cp0[CP0.Cause] >>> 2) & 31;
    if (va < OWN_GUARANTEED.end) {
      // The environment's own guaranteed mappings: refill from its record, or it is its fault.
      const lo = this.#guaranteedFor(this.current, va);
      if (lo === 0) return this.#forward(code);
      return this.#bindGuaranteed(page, lo);
    }
    if (pa === -1 || code === EXC.TLBS) {
      // Nothing is guaranteed there (or a write to a read-only structure): the env's fault.
      return this.#forward(code);
    }
    this.#bindGuaranteed(page, ((pa & 0x1fffffff) & ~(PAGE_SIZE - 1)) | TLB.V);
  }

  /**
   * Binds guaranteed page `page` to EntryLo `lo` for the current address space, in a random TLB
   * entry and in the STLB (so the next loss costs a refill, not this service), then returns.
   */
  #bindGuaranteed(page: number, lo: number): void {
    const cpu = this.machine.cpu;
    const hi = page | (cpu.cp0[CP0.EntryHi] & TLB.ASID_MASK);
    const i = cpu.random;
    cpu.tlbHi[i] = hi;
    cpu.tlbLo[i] = lo;
    const k = K.STLB + stlbOffset(page, (hi & TLB.ASID_MASK) >>> 6);
    this.mem.w32(k, hi);
    this.mem.w32(k + 4, lo);
    cpu.invalidateCaches();
    this.#eret(cpu.cp0[CP0.EPC]);
  }

  /** Forwards exception `code` to the current environment as the assembly does. */
  #forward(code: number, badVAddr?: number): void {
    const cpu = this.machine.cpu, r = cpu.regs, mem = this.mem;
    const rec = mem.r32(K.GLOBALS + G.CURENV);
    const save = mem.r32(rec + E.SAVE);
    mem.w32(save, r[8]);
    mem.w32(save + 4, r[9]);
    mem.w32(save + 8, r[10]);
    r[8] = cpu.cp0[CP0.EPC];
    r[9] = badVAddr ?? cpu.cp0[CP0.BadVAddr];
    r[10] = (cpu.cp0[CP0.Cause] & ~0x7c) | (code << 2);
    this.#eret(mem.r32(rec + E.HANDLERS + 4 * code));
  }

  /** Runs the TypeScript entry function of `id` (a protected call landed; v0 = the caller). */
  #runTsEntry(id: number): void {
    const cpu = this.machine.cpu;
    cpu.charge(COSTS.query);
    this.tsEntries.get(id)?.(cpu.regs[2]);
    if (this.slotOf(id) >= 0 && this.current === id) this.#eret(U.TRAMPOLINE + TRAMP.YIELD_LOOP);
  }

  /** Runs the TypeScript handler for the exception forwarded with t0-t2 = EPC, BadVAddr, Cause. */
  #runTsHandler(caller: number): void {
    const cpu = this.machine.cpu, r = cpu.regs, mem = this.mem;
    cpu.charge(COSTS.query);
    const code = (r[10] >>> 2) & 31;
    const handler = this.tsHandlers.get(caller)?.get(code);
    const info: ExceptionInfo = {
      code,
      name: code < 16
        ? EXC_NAMES[code] ?? String(code)
        : code === HANDLER.REVOKE
        ? "Revoke"
        : "Repossessed",
      epc: r[8] >>> 0,
      badVAddr: r[9] >>> 0,
      cause: r[10] >>> 0,
      regs: r,
    };
    // Show the handler the registers as the exception found them (t0-t2 from the save area);
    // its changes to them stand when it resumes.
    const save = mem.r32(envRecord(caller & 0x7f) + E.SAVE) + (code >= 16 ? NOTICE_SAVE : 0);
    r[8] = mem.r32(save);
    r[9] = mem.r32(save + 4);
    r[10] = mem.r32(save + 8);
    const verdict = handler === undefined ? "kill" : handler(info);
    if (this.slotOf(caller) < 0) return; // the handler ended it through the kernel already
    if (verdict === "kill" || typeof verdict === "object") {
      const reason = verdict === "kill"
        ? `killed by its TypeScript handler for ${info.name}`
        : verdict.exit;
      this.destroyEnvironment(caller, reason);
      return;
    }
    this.#eret(verdict === "resume" ? info.epc : verdict);
  }

  // ---- time slices ---------------------------------------------------------------------------

  /**
   * The clock interrupt: the current slice ends. An environment with an end-of-slice entry is
   * upcalled there and must yield before the next tick; one still in that upcall at the next
   * tick has overrun: the slice is charged to its excess time, the CPU is taken, and past
   * EXCESS_LIMIT slices of excess it is destroyed. Others have their context saved by the kernel.
   */
  #interrupt(): void {
    const m = this.machine, cpu = m.cpu, mem = this.mem;
    cpu.charge(COSTS.tick);
    if ((cpu.cp0[CP0.Cause] & (1 << 11)) !== 0) m.bus.read(RTC.BASE + RTC.C, 1); // acknowledge
    const cur = this.current;
    for (const id of this.#inUpcall) if (id !== cur) this.#inUpcall.delete(id);
    if (cur !== 0) {
      const rec = envRecord(cur & 0x7f);
      const epc = cpu.cp0[CP0.EPC];
      if (this.#inUpcall.has(cur)) {
        this.#inUpcall.delete(cur);
        const excess = mem.r32(rec + E.EXCESS) + this.sliceCycles;
        mem.w32(rec + E.EXCESS, excess);
        const strikes = (this.#overruns.get(cur) ?? 0) + 1;
        this.#overruns.set(cur, strikes);
        if (strikes >= EXCESS_LIMIT || excess > EXCESS_LIMIT * this.sliceCycles) {
          this.destroyEnvironment(
            cur,
            `abused its time slices: ${strikes} overruns in a row, ${excess} cycles of excess time`,
          );
          return;
        }
        this.#saveContext(epc, -1);
      } else {
        const end = mem.r32(rec + E.SLICE_END);
        if (end !== 0) {
          mem.w32(rec + E.RESUME_PC, epc);
          this.#inUpcall.add(cur);
          this.#eret(end);
          return;
        }
        this.#saveContext(epc, -1);
      }
    }
    this.#schedule(true);
  }

  /** Environments in their end-of-slice upcall, which must yield before the next tick. */
  readonly #inUpcall = new Set<number>();
  /** Overruns in a row, by environment; a timely yield clears them. */
  readonly #overruns = new Map<number, number>();

  /** Cycles in one slice (one period of the slice clock). */
  get sliceCycles(): number {
    return Math.round(25_000_000 / periodicHz(this.#rate));
  }

  /**
   * Saves the CPU's registers as the current environment's context, resuming at `pc`;
   * `v0` replaces v0 when it is not -1.
   */
  #saveContext(pc: number, v0: number): void {
    const cpu = this.machine.cpu, mem = this.mem;
    const rec = mem.r32(K.GLOBALS + G.CURENV);
    if (rec === 0) return;
    const ctx = rec + E.CONTEXT;
    for (let i = 1; i < 32; i++) if (i !== 26 && i !== 27) mem.w32(ctx + 4 * i, cpu.regs[i]);
    if (v0 !== -1) mem.w32(ctx + 8, v0);
    mem.w32(ctx + 128, cpu.hi);
    mem.w32(ctx + 132, cpu.lo);
    mem.w32(ctx + 136, pc);
  }

  /** Who runs in slice position `pos`: its owner, following synchronous donations. */
  #runnerOf(pos: number): number {
    let id = this.slices[pos];
    for (let hops = 0; id !== 0 && hops < ENV.SLOTS; hops++) {
      if (this.slotOf(id) < 0) return 0;
      const next = this.field(id, E.DONATED_TO);
      if (next === 0 || this.slotOf(next) < 0) return id;
      id = next;
    }
    return id;
  }

  /**
   * Puts the next runnable environment on the CPU (advancing the slice vector when `advance`),
   * or the idle loop when there is none. Exits the exception as RFE would.
   */
  #schedule(advance = false): void {
    const cpu = this.machine.cpu, mem = this.mem;
    let next = 0;
    for (let k = 0; k < this.sliceCount && next === 0; k++) {
      if (advance || k > 0) this.#slicePos = (this.#slicePos + 1) % this.sliceCount;
      next = this.#runnerOf(this.#slicePos);
      const excess = next === 0 ? 0 : this.field(next, E.EXCESS);
      if (excess > 0) {
        // Excess time is repaid with the environment's next slices.
        mem.w32(envRecord(next & 0x7f) + E.EXCESS, Math.max(0, excess - this.sliceCycles));
        next = 0;
      }
    }
    if (next === 0) return this.#idle();
    if (next !== this.current) cpu.charge(COSTS.contextSwitch);
    this.#enter(next);
  }

  /** Puts the CPU in the kernel's idle loop: kernel mode, interrupts on, no environment. */
  #idle(): void {
    const cpu = this.machine.cpu;
    this.mem.w32(K.GLOBALS + G.CURENV, 0);
    cpu.cp0[CP0.EntryHi] = 0;
    const s = cpu.cp0[CP0.Status];
    cpu.cp0[CP0.Status] = (s & ~0x3f) | SR.IEc;
    cpu.pc = this.symbols.idle;
  }

  /** Loads environment `id`'s saved context and returns to it in user mode. */
  #enter(id: number): void {
    const cpu = this.machine.cpu, mem = this.mem;
    const slot = id & 0x7f, rec = envRecord(slot);
    mem.w32(K.GLOBALS + G.CURENV, rec);
    const asid = mem.r32(rec + E.ASID) || this.giveAsid(slot);
    cpu.cp0[CP0.EntryHi] = asid << 6;
    this.#lastRun[slot] = ++this.#runs;
    const ctx = rec + E.CONTEXT;
    for (let i = 1; i < 32; i++) if (i !== 26 && i !== 27) cpu.regs[i] = mem.r32(ctx + 4 * i);
    cpu.hi = mem.r32(ctx + 128);
    cpu.lo = mem.r32(ctx + 132);
    const start = mem.r32(rec + E.SLICE_START);
    let pc = mem.r32(ctx + 136);
    if (start !== 0) {
      mem.w32(rec + E.RESUME_PC, pc); // the start-of-slice handler finds where it was here
      pc = start;
    }
    const s = cpu.cp0[CP0.Status];
    cpu.cp0[CP0.Status] = (s & ~0x3f) | SR.KUc | SR.IEc; // user mode, interrupts on
    // A pending notice (revocation, repossession) is delivered like an exception.
    const notices = this.#notices.get(id);
    while (notices !== undefined && notices.length > 0) {
      const { code, value } = notices.shift()!;
      const handler = mem.r32(rec + E.HANDLERS + 4 * code);
      if (handler === U.TRAMPOLINE + TRAMP.UNHANDLED) continue; // not listening: nothing to say
      // Notices use the save area's second half, so one that arrives while the environment's
      // own fault handler still needs the first half (its t0-t2) leaves that intact.
      const save = mem.r32(rec + E.SAVE) + NOTICE_SAVE;
      mem.w32(save, cpu.regs[8]);
      mem.w32(save + 4, cpu.regs[9]);
      mem.w32(save + 8, cpu.regs[10]);
      cpu.regs[8] = pc;
      cpu.regs[9] = value;
      cpu.regs[10] = code << 2;
      pc = handler;
      break;
    }
    cpu.pc = pc;
  }

  /** Notices waiting for each environment's next entry. */
  readonly #notices = new Map<number, { code: number; value: number }[]>();

  /** Queues a notice for `id` and delivers it now if `id` is on the CPU in user mode. */
  #notify(id: number, code: number, value: number): void {
    let q = this.#notices.get(id);
    if (q === undefined) this.#notices.set(id, q = []);
    q.push({ code, value });
    const cpu = this.machine.cpu;
    if (this.current === id && !cpu.kernelMode) {
      const pc = cpu.inDelaySlot ? cpu.pc - 4 : cpu.pc; // re-run the branch, as EPC would
      this.#saveContext(pc, -1);
      this.#enter(id);
    }
  }

  // ---- acting for an environment from TypeScript -------------------------------------------

  /**
   * Runs system call `number` for environment `id` through the real path: the CPU executes the
   * trampoline's `syscall` in that environment, in user mode, until it reaches `until` (by
   * default the trampoline's stop). What was on the CPU before is put back afterwards; the time
   * spent stays spent. Returns v0 and v1; throws when the call does not come back.
   */
  call(
    id: number,
    number: number,
    args: readonly number[] = [],
    until = U.TRAMPOLINE + TRAMP.SYSCALL_DONE,
  ): SyscallResult {
    const slot = this.slotOf(id);
    if (slot < 0) throw new RangeError(`Environment ${id} does not exist (it may have exited)`);
    const m = this.machine, cpu = m.cpu, mem = this.mem;
    const before = cpu.snapshot();
    const curenv = mem.r32(K.GLOBALS + G.CURENV);
    const pausedId = curenv === 0 ? 0 : mem.r32(curenv + E.ID);
    const rec = envRecord(slot);
    mem.w32(K.GLOBALS + G.CURENV, rec);
    const asid = mem.r32(rec + E.ASID) || this.giveAsid(slot);
    this.#lastRun[slot] = ++this.#runs;
    cpu.cp0[CP0.EntryHi] = asid << 6;
    cpu.cp0[CP0.Status] = (before.cp0[CP0.Status] & ~0x3f) | SR.KUc; // user, interrupts off
    cpu.regs[2] = number;
    for (let i = 0; i < 4; i++) cpu.regs[4 + i] = args[i] ?? 0;
    cpu.pc = U.TRAMPOLINE + TRAMP.SYSCALL;
    this.#paused.push(pausedId & 0x7f);
    let r;
    try {
      r = m.run({ until, maxInstructions: 1_000_000 });
    } finally {
      this.#paused.pop();
    }
    const result = { v0: cpu.regs[2], v1: cpu.regs[3] };
    const after = cpu.snapshot();
    cpu.restore({
      ...after,
      regs: before.regs,
      hi: before.hi,
      lo: before.lo,
      pc: before.pc,
      npc: before.npc,
      inDelay: before.inDelay,
      loadReg: before.loadReg,
      loadOld: before.loadOld,
      cp0: before.cp0,
    });
    if (pausedId !== 0 && this.slotOf(pausedId) < 0) {
      // The call ended the environment that was on the CPU: the kernel idles until the clock.
      this.#idle();
    } else {
      mem.w32(K.GLOBALS + G.CURENV, curenv);
    }
    if (r.reason !== "breakpoint" && this.slotOf(id) >= 0) {
      throw new Error(
        `System call ${SYS_NAMES[number] ?? number} for environment ${id} did not come back ` +
          `(${r.reason} after ${r.instructions} instructions)`,
      );
    }
    return result;
  }

  /**
   * The physical address environment `id` reaches at user address `va` through its own
   * bindings (the TLB, then the STLB), or -1 when it has none (or, for `write`, no writable one).
   */
  physicalFor(id: number, va: number, write = false): number {
    const slot = this.slotOf(id);
    if (slot < 0 || (va >>> 0) >= U.GUARANTEED) return -1;
    const asid = this.mem.r32(envRecord(slot) + E.ASID);
    if (asid === 0) return -1;
    const tag = (va & TLB.VPN_MASK) | (asid << 6);
    const ok = (lo: number) =>
      (lo & TLB.V) !== 0 && (!write || (lo & TLB.D) !== 0)
        ? ((lo & TLB.PFN_MASK) >>> 0) + (va & (PAGE_SIZE - 1))
        : -1;
    const cpu = this.machine.cpu;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      if ((cpu.tlbHi[i] & TLB.HI_MASK) === tag) return ok(cpu.tlbLo[i]);
    }
    const k = K.STLB + stlbOffset(va, asid);
    if (this.mem.r32(k) === tag) return ok(this.mem.r32(k + 4));
    const guaranteed = (va >>> 0) < OWN_GUARANTEED.end ? this.#guaranteedFor(id, va) : 0;
    return guaranteed !== 0 ? ok(guaranteed) : -1;
  }

  /**
   * Puts environment `id` on the CPU at user address `pc`, in user mode with interrupts on, as
   * the kernel does when it enters an environment. The next `machine.run` executes it.
   */
  enter(id: number, pc: number): void {
    const slot = this.slotOf(id);
    if (slot < 0) throw new RangeError(`Environment ${id} does not exist (it may have exited)`);
    this.#saveContext(this.machine.cpu.pc, -1);
    this.mem.w32(envRecord(slot) + E.CONTEXT + 136, pc);
    const start = this.mem.r32(envRecord(slot) + E.SLICE_START);
    this.mem.w32(envRecord(slot) + E.SLICE_START, 0);
    this.#enter(id);
    this.mem.w32(envRecord(slot) + E.SLICE_START, start);
  }

  // ---- revocation ----------------------------------------------------------------------------

  /** Pages being revoked: page -> the cycle by which the owner must give it back. */
  readonly revocations: Map<number, number> = new Map();

  /**
   * Visible revocation: asks the owner of `page` to give it back (a REVOKE notice, t1 = the
   * page) within `graceUs` emulated microseconds. If it has not by then, the abort protocol takes
   * the page by force: its bindings leave the TLB and the STLB, it is recorded in the owner's
   * repossession vector, and the owner gets a REPOSSESSED notice. Returns false, changing
   * nothing, for a free, kernel or pinned page.
   */
  revoke(page: number, graceUs = 1000): boolean {
    const owner = this.ownerOf(page);
    const slot = this.slotOf(owner);
    if (owner <= 0 || slot < 0 || this.isPinned(page)) return false;
    if (!(graceUs >= 0)) throw new RangeError(`Grace period ${graceUs} us is not a duration`);
    const cpu = this.machine.cpu;
    cpu.charge(COSTS.revoke);
    const deadline = cpu.cycles + Math.round(graceUs * 25);
    this.revocations.set(page, deadline);
    this.machine.events.at(deadline, () => {
      if (this.revocations.get(page) !== deadline) return; // answered, or revoked again
      this.revocations.delete(page);
      if (this.ownerOf(page) === owner && this.repossess(page)) {
        this.#notify(owner, HANDLER.REPOSSESSED, this.field(owner, E.REPOSSESSED_COUNT));
      }
    });
    this.#notify(owner, HANDLER.REVOKE, page);
    return true;
  }

  /** Whether page `p` is pinned by its owner against repossession. */
  isPinned(p: number): boolean {
    const owner = this.ownerOf(p);
    if (owner <= 0) return false;
    const rec = envRecord(owner & 0x7f);
    for (let i = 0; i < PINNED_MAX; i++) {
      if (this.mem.r32(rec + E.PINNED + 4 * i) === p) return true;
    }
    // A page behind one of its guaranteed mappings is never repossessed either.
    const n = this.mem.r32(rec + E.GUARANTEED_COUNT);
    for (let i = 0; i < n; i++) {
      if (this.mem.r32(rec + E.GUARANTEED + 8 * i + 4) >>> PAGE_SHIFT === p) return true;
    }
    return false;
  }

  /**
   * The kernel's TypeScript-side state (its memory-side state is in the machine's RAM and goes
   * with the machine's snapshot). Restore it into the same kernel only.
   */
  snapshot(): AegisState {
    return {
      slices: this.slices.slice(),
      words: [this.#slicePos, this.#seed, this.#runs] as [number, number, number],
      asidOwner: this.#asidOwner.slice(),
      lastRun: this.#lastRun.slice(),
      names: new Map(this.names),
      tsHandlers: new Map([...this.tsHandlers].map(([k, v]) => [k, new Map(v)])),
      tsEntries: new Map(this.tsEntries),
      exits: this.exits.map((x) => ({ ...x })),
      environments: new Map(this.environments),
      faces: new Map([...this.environments].map(([id, e]) => [id, e.faceState()])),
      revocations: new Map(this.revocations),
      notices: new Map([...this.#notices].map(([k, v]) => [k, v.map((n) => ({ ...n }))])),
      inUpcall: new Set(this.#inUpcall),
      overruns: new Map(this.#overruns),
    };
  }

  /** Puts back a state taken by `snapshot`. */
  restore(s: AegisState): void {
    this.slices.set(s.slices);
    [this.#slicePos, this.#seed, this.#runs] = s.words;
    this.#asidOwner.set(s.asidOwner);
    this.#lastRun.set(s.lastRun);
    const refill = <K, V>(to: Map<K, V>, from: Map<K, V>) => {
      to.clear();
      for (const [k, v] of from) to.set(k, v);
    };
    refill(this.names, s.names);
    refill(this.tsHandlers, new Map([...s.tsHandlers].map(([k, v]) => [k, new Map(v)])));
    refill(this.tsEntries, s.tsEntries);
    this.exits.splice(0, this.exits.length, ...s.exits.map((x) => ({ ...x })));
    refill(this.environments, s.environments);
    for (const [id, face] of s.faces) this.environments.get(id)?.restoreFace(face);
    refill(this.revocations, s.revocations);
    refill(this.#notices, new Map([...s.notices].map(([k, v]) => [k, v.map((n) => ({ ...n }))])));
    this.#inUpcall.clear();
    for (const id of s.inUpcall) this.#inUpcall.add(id);
    refill(this.#overruns, s.overruns);
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

  /** Who owns physical page `p`, and how. */
  page(p: number): View {
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
