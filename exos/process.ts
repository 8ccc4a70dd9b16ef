/**
 * ExOS processes: the process table and a process's life from its first instruction to the
 * status its parent collects. One table serves the processes of a lab; the library acts for each
 * process through that process's own call path (its SyscallPath), so every kernel request is the
 * process's own system call, executed by the CPU in its environment. The rest of the library is
 * one file per part: fork.ts (fork and copy-on-write), sched.ts (slices, blocking, sleeping),
 * unix.ts (the UNIX calls), fd.ts (open files), pipe.ts, shm.ts, signal.ts, and exos.ts, the face
 * a lab offers as `m.exos`.
 *
 * A process is an environment, its AddressSpace (exos/vm.ts) and its UNIX state: pid, parent,
 * children, state, exit status, open files, signals. Its exceptions come to the library: TLB
 * misses and write faults to the guest handlers of vm.ts; a `break` to the TypeScript handler
 * here, which runs UNIX calls (unix.ts) and the library's own traps (vm_asm.ts LIB_TRAP: a fault
 * upcall, park, signal delivery and return); the other exceptions become signals (signal.ts).
 *
 * Starting. `exec` makes an environment (the host's createEnv), builds the address space, loads
 * the ELF's PT_LOAD segments, puts argv on the stack and writes the start frame (DATA.START: sp,
 * a0 = argc, a1 = argv, a2 = 0, pc = the entry). The environment's first slice starts at its
 * start-of-slice entry, set to the library's `boot` stub, which clears that entry and loads the
 * frame (`resume`). A forked child (fork.ts) is made with ENV_ALLOC by its parent, with `resume`
 * as its entry.
 *
 * Who frees a shared page. A page belongs to the environment that allocated it, and Aegis frees
 * every page of an environment that ends. So the table counts, for each page more than one table
 * maps (copy-on-write pages, pipe rings, shared-memory segments), the tables that map it and its
 * owner; a page leaves memory when its last user lets go, through its owner's path. A process
 * that exits while others still use pages it owns keeps its environment (it "holds"), parked
 * with no slice, and is ended once the last of those pages is freed.
 *
 * Exit. `terminate` closes the process's files, detaches its segments, releases its pages
 * (counts dropped), orphans its children, hands its slice on, wakes its parent and sends it
 * SIGCHLD; the TypeScript handler then ends the environment (Aegis destroys it at once, recording
 * the exit) unless it holds shared pages. Failures: `exec` throws ElfError for a bad program and
 * Error when Aegis refuses something; a UNIX call that fails returns a negative errno to the
 * process; when the library's own work for a process fails, the process ends with SIGKILL and
 * `failure` says why.
 *
 * @module
 */

import {
  type Capability,
  capabilityWords,
  ENTRY,
  EXC,
  type ExceptionInfo,
  SYS,
  type SyscallPath,
} from "../aegis/abi.ts";
import { ElfError, type ElfImage, parseElf } from "../machine/elf.ts";
import { closeAll, installConsole, type OpenFile } from "./fd.ts";
import { copyOnWrite, SHARED } from "./fork.ts";
import { DATA, FAULT, LIB, PAGE_SHIFT, PAGE_SIZE, USER } from "./layout.ts";
import { type Mapping, type PageTableKind, PTE } from "./page_table.ts";
import { type NetConfig, NetStack } from "./net/stack.ts";
import { Scheduler } from "./sched.ts";
import { detachAll, Segments } from "./shm.ts";
import {
  EXC_SIGNAL,
  fault,
  post,
  SIGNAL,
  SIGNAL_NAMES,
  Signals,
  sigreturn,
  sliceStartSignal,
} from "./signal.ts";
import { argvBytes, BadAddress, NOFILE, UNIX_TRAP, unixCall } from "./unix.ts";
import { AddressSpace, type SpaceRecord, writeBytes } from "./vm.ts";
import { LIB_TRAP } from "./vm_asm.ts";

/** What ExOS needs from the lab it runs on. */
export interface ExosHost {
  /** Creates a fresh environment for a program's first process. */
  createEnv(name: string): SyscallPath;
  /**
   * Runs the machine for up to `maxInstructions` (and `maxCycles`, when given); `stopped` when
   * `stop` ended the run.
   */
  run(maxInstructions: number, maxCycles?: number): { instructions: number; stopped: boolean };
  /** Ends the current run after the instruction executing now. */
  stop(): void;
  /** Writes process output to the console: `stream` 1 is its output, 2 its error stream. */
  write(bytes: Uint8Array, stream: 1 | 2): void;
  /** Takes the next byte typed at the console, or undefined when none waits. */
  read(): number | undefined;
  /** The bytes of the file at host path `path`, or undefined when there is none. */
  readFile?(path: string): Uint8Array | undefined;
  /** Emulated cycles since the machine started: the clock `sleep` counts in. */
  cycles(): number;
  /** Whether environment `id` still exists (Aegis may have ended it behind the library). */
  alive(id: number): boolean;
  /** Charges the CPU `cycles` for the library's own TypeScript work (the network stack's). */
  charge?(cycles: number): void;
}

/** Options for an ExOS instance. */
export interface ExosOptions {
  /** Page-table structure of every process (default "linear"). */
  structure?: PageTableKind;
  /** Programs that exec may name, by path. */
  files?: Iterable<[string, Uint8Array]>;
  /** The machine's network address: processes get sockets (exos/net). */
  net?: NetConfig;
}

/**
 * Where a process is in its life: runnable; blocked waiting for a child, reading (the console or
 * an empty pipe), writing (a full pipe) or sleeping (sleep, sigsuspend); a zombie (ended, not
 * yet collected by its parent); exited.
 */
export type ProcessState =
  | "runnable"
  | "waiting"
  | "reading"
  | "writing"
  | "sleeping"
  | "zombie"
  | "exited";

/** How a UNIX call goes on: v0 for a plain return, or where the process continues. */
export type Outcome = number | { to: number | End };

/** How a process's environment ends: Aegis destroys it and records the reason. */
export type End = { exit: string };

/** Why `run` returned. */
export interface ExosRunResult {
  /**
   * exited: every process has; input: the rest wait for console input; blocked: all wait for
   * something else; instructions: the limit; halted: the machine stopped for another reason.
   */
  reason: "exited" | "input" | "blocked" | "instructions" | "halted";
  /** Instructions executed. */
  instructions: number;
}

/** What the last fork did. */
export interface ForkStats {
  /** The child's pid. */
  pid: number;
  /** System calls the fork made (parent's and child's). */
  syscalls: number;
  /** User pages the child shares with its parent. */
  shared: number;
  /** Bindings dropped (dirty writable pages). */
  unbound: number;
  /** Pages copied at once (the stack page fork uses). */
  copied: number;
}

/** Where a fault that ended a process was. */
export interface FaultSite {
  /** The pc of the faulting instruction. */
  pc: number;
  /** The address it touched, when the fault had one. */
  address?: number;
}

/**
 * A page more than one table maps: its owner and its read-write capability (to free it with),
 * how many tables map it, and how many of those are each process's.
 */
export interface Shared {
  owner: Process;
  capability: Capability;
  users: number;
  by: Map<Process, number>;
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/** Exceptions that become signals (the library handles TLBL, TLBS, Mod and Bp itself). */
const SIGNAL_CODES = [EXC.AdEL, EXC.AdES, EXC.IBE, EXC.DBE, EXC.RI, EXC.CpU, EXC.Ov];

/** One process: an environment, its address space, its UNIX state. */
export class Process {
  /** Its parent, while both live (orphans have none). */
  parent: Process | undefined;
  /** Its children not yet collected by wait. */
  readonly children: Process[] = [];
  /** Where it is in its life. */
  state: ProcessState = "runnable";
  /** Once it has ended: (exit status & 0xff) << 8, or the number of the signal that ended it. */
  waitStatus: number | undefined;
  /** Where the fault that ended it was, if a fault did. */
  fault: FaultSite | undefined;
  /** The slice position it holds, or -1 (ExOS's). */
  slice: number = -1;
  /** Whether its environment still exists. */
  alive: boolean = true;
  /** Whether it has exited but keeps its environment for pages others share (ExOS's). */
  holding: boolean = false;
  /** Why the library ended it, when its own work for it failed (SIGKILL). */
  failure: string | undefined;
  /** Its open files, by fd (fd.ts). */
  readonly fds: (OpenFile | undefined)[] = new Array(NOFILE).fill(undefined);
  /** Its signal actions, pending and blocked signals (signal.ts). */
  readonly signals: Signals = new Signals();
  /** While it sleeps: the cycle count it wakes at (undefined: until a signal). */
  wakeAt: number | undefined;
  /** While it is blocked on a pipe: that pipe's ring (fd.ts). */
  blockedOn: object | undefined;

  /** Process `pid` running `program` in the environment behind `path`, with address space `vm`. */
  constructor(
    readonly pid: number,
    readonly path: SyscallPath,
    readonly vm: AddressSpace,
    public program: string,
  ) {}

  /** The exit status, when it exited by itself. */
  get exitStatus(): number | undefined {
    const s = this.waitStatus;
    return s !== undefined && (s & 0x7f) === 0 ? (s >> 8) & 0xff : undefined;
  }

  /** The signal that ended it, if one did. */
  get signal(): number | undefined {
    const s = this.waitStatus;
    return s !== undefined && (s & 0x7f) !== 0 ? s & 0x7f : undefined;
  }

  /** How it ended, in words: "exited (exit 0)", "exited (SIGSEGV at pc 0x...)", or its state. */
  get how(): string {
    if (this.waitStatus === undefined) return this.state;
    return `${this.state} (${endOf(this)})`;
  }

  /** Mappings in its page table, or undefined once its environment is gone. */
  get pages(): number | undefined {
    return this.alive ? this.vm.table.size : undefined;
  }

  /** One line: pid, state, environment, pages, break, program. */
  toString(): string {
    return `Process ${this.pid} · ${this.how} · env 0x${
      this.path.id.toString(16).padStart(4, "0")
    } · ` +
      `${this.pages ?? "-"} pages · break ${hex(this.vm.break)} · ${this.program}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** How `p` ended: "exit 3", "SIGTERM", "SIGSEGV at pc 0x... address 0x...". */
function endOf(p: Process): string {
  if (p.signal === undefined) return `exit ${p.exitStatus}`;
  const name = SIGNAL_NAMES[p.signal] ?? `signal ${p.signal}`;
  const f = p.fault;
  if (f === undefined) return name;
  return `${name} at pc ${hex(f.pc)}` +
    (f.address === undefined ? "" : `, address ${hex(f.address)}`);
}

/** `path` with every system call (and handler installation) counted by `count`. */
function counted(path: SyscallPath, count: () => void): SyscallPath {
  return {
    id: path.id,
    call: (n, a0, a1, a2, a3, t0) => (count(), path.call(n, a0, a1, a2, a3, t0)),
    read32: (va) => path.read32(va),
    write32: (va, v) => path.write32(va, v),
    onException: (code, handler) => (count(), path.onException(code, handler)),
    child: (id) => counted(path.child(id), count),
  };
}

/**
 * The process table and what every part of the library shares: the host, the programs exec may
 * name, the counts of shared pages, console input, the scheduler and the segments. ExOS's own
 * (exos.ts wraps it for the REPL); its methods report failure as the module comment says.
 */
export class ProcessTable {
  /** Programs exec may name, by path (a guest's exec looks only here). */
  readonly files: Map<string, Uint8Array>;
  /** System calls made for processes so far. */
  syscalls = 0;
  /** What the last fork cost. */
  lastFork: ForkStats | undefined;
  /** Copy-on-write faults: pages copied, pages claimed without a copy. */
  readonly cow = { copied: 0, claimed: 0 };
  /** Every process so far, oldest first (pid - 1 is the index). */
  readonly procs: Process[] = [];
  /** Console bytes typed and not read yet. */
  readonly input: number[] = [];
  /** Whether console input has ended (a read with nothing left returns 0). */
  inputEnded = false;
  /** Slices, blocking and sleeping. */
  readonly sched: Scheduler;
  /** Shared-memory segments. */
  readonly segments: Segments = new Segments();
  /** The process whose trap the library is handling now, if any. */
  current: Process | undefined;
  /** The network stack, when the machine has an address (ExosOptions.net). */
  readonly net: NetStack | undefined;
  readonly structure: PageTableKind;
  readonly #shared = new Map<number, Shared>();

  /** The table for the processes of `host`, with `options`. */
  constructor(readonly host: ExosHost, options: ExosOptions = {}) {
    this.structure = options.structure ?? "linear";
    this.files = new Map(options.files ?? []);
    this.sched = new Scheduler(this);
    this.net = options.net === undefined ? undefined : new NetStack(
      options.net,
      (name) => counted(host.createEnv(name), () => this.syscalls++),
      (cycles) => host.charge?.(cycles),
    );
  }

  // ---- starting programs ---------------------------------------------------------------------

  /**
   * Starts `program` (ELF bytes, or a path in `files` or on the host) as a new process with
   * `argv` (default: its name), in a fresh environment, its fds 0-2 on the console; it runs from
   * the next `run`. Throws ElfError for a bad program or one outside the user layout, Error for a
   * missing file.
   */
  exec(program: string | Uint8Array, argv?: string[]): Process {
    const name = typeof program === "string" ? program : "program";
    let bytes = typeof program === "string" ? this.files.get(program) : program;
    if (bytes === undefined) bytes = this.host.readFile?.(name);
    if (bytes === undefined) {
      throw new Error(`No program ${name}: give ELF bytes, a host path or a name in files`);
    }
    const image = this.loadable(parseElf(bytes));
    if (argvBytes(argv ?? [name]) > PAGE_SIZE) {
      throw new RangeError(`argv takes ${argvBytes(argv ?? [name])} bytes of stack: 4096 fit`);
    }
    const env = counted(this.host.createEnv(name.split("/").pop()!), () => this.syscalls++);
    const p = this.create(env, undefined, name);
    installConsole(p);
    const regs = new Int32Array(32);
    const pc = this.image(p, image, argv ?? [name], regs);
    this.writeFrame(p, regs, pc);
    p.path.call(SYS.SET_ENTRY, ENTRY.SLICE_START, p.vm.routines.boot, 0);
    this.sched.wake(p);
    return p;
  }

  /** `image` if every segment fits the user program area; throws ElfError naming one that does not. */
  loadable(image: ElfImage): ElfImage {
    if (image.segments.length === 0) throw new ElfError("No PT_LOAD segment: nothing to load");
    for (const s of image.segments) {
      if (s.vaddr < USER.PROGRAM || s.vaddr + s.memSize > USER.MMAP) {
        throw new ElfError(
          `Segment ${hex(s.vaddr)}-${hex(s.vaddr + s.memSize)} is outside the program area ` +
            `${hex(USER.PROGRAM)}-${hex(USER.MMAP)}: link the program at 0x00400000`,
        );
      }
    }
    return image;
  }

  /**
   * A new process in the environment behind `path`: address space, handlers, table entry, the
   * address of its exported record for the signal stubs. Throws when Aegis refuses its library.
   */
  create(path: SyscallPath, parent: Process | undefined, program: string): Process {
    const pid = this.procs.length + 1;
    const vm = new AddressSpace(path, {
      structure: this.structure,
      stackPages: parent === undefined ? 2 : 0,
      release: (m) => this.release(p, m, false),
    });
    const p = new Process(pid, path, vm, program);
    this.procs.push(p);
    vm.setFaultHandler(vm.routines.faultTrap);
    this.#install(p);
    if (parent !== undefined) {
      p.parent = parent;
      parent.children.push(p);
    }
    return p;
  }

  /**
   * Process `pid` of a table rebuilt from a record (snapshot.ts), in the existing environment
   * behind `path`, its address space adopted from `space` (nothing allocated or assembled); its
   * TypeScript handlers are installed when `live`. The caller puts back the rest of its state.
   */
  adopt(
    pid: number,
    path: SyscallPath,
    space: SpaceRecord,
    program: string,
    live: boolean,
  ): Process {
    const own = counted(path, () => this.syscalls++);
    const vm = AddressSpace.adopt(own, space, {
      structure: this.structure,
      release: (m) => this.release(p, m, false),
    });
    const p = new Process(pid, own, vm, program);
    this.procs.push(p);
    if (live) this.#install(p);
    return p;
  }

  /** Installs `p`'s TypeScript handlers: the break (UNIX calls, library traps) and the signals. */
  #install(p: Process): void {
    p.path.onException(EXC.Bp, (x) => this.#handle(p, () => this.#onBreak(p, x)));
    for (const code of SIGNAL_CODES) {
      p.path.onException(code, (x) => this.#handle(p, () => this.#onSignal(p, x)));
    }
  }

  /** Loads `image` into `p` with `argv` on its stack; sets sp, a0-a2 in `regs`, returns the pc. */
  image(p: Process, image: ElfImage, argv: string[], regs: Int32Array): number {
    p.vm.loadSegments(image.segments.map((s) => ({ ...s, writable: (s.flags & 2) !== 0 })));
    const strings = argv.map((a) => new TextEncoder().encode(a + "\0"));
    let at = USER.STACK_TOP - strings.reduce((n, s) => n + s.length, 0);
    const table = USER.STACK_TOP - argvBytes(argv);
    const pointers = new Uint8Array(4 * (argv.length + 1));
    const view = new DataView(pointers.buffer);
    strings.forEach((s, i) => {
      writeBytes(p.vm, at, s);
      view.setUint32(4 * i, at, true);
      at += s.length;
    });
    writeBytes(p.vm, table, pointers);
    regs.fill(0);
    regs[29] = table;
    regs[4] = argv.length;
    regs[5] = table;
    return image.entry;
  }

  /** Writes `regs` and `pc` as `p`'s start frame, where `resume` loads them from. */
  writeFrame(p: Process, regs: Int32Array, pc: number): void {
    const at = LIB.DATA + DATA.START;
    for (let r = 1; r < 32; r++) p.vm.write32(at + 4 * r, regs[r]);
    p.vm.write32(at + 128, pc);
  }

  /** `image` replaces `p`'s program (same pid, same environment); returns the entry pc. */
  replace(p: Process, image: ElfImage, argv: string[], name: string, regs: Int32Array): number {
    this.net?.closeAll(p); // sockets do not survive exec here
    p.vm.reset();
    p.vm.stack(2);
    p.program = name;
    return this.image(p, image, argv, regs);
  }

  // ---- shared pages ----------------------------------------------------------------------------

  /**
   * Counts `user`'s table mapping `m`'s page too; a page not counted yet is `owner`'s, mapped in
   * its table (`m` is its mapping, with the read-write capability).
   */
  share(owner: Process, m: Mapping, user: Process): void {
    let s = this.#shared.get(m.page);
    if (s === undefined) {
      s = { owner, capability: m.capability, users: 1, by: new Map([[owner, 1]]) };
      this.#shared.set(m.page, s);
    }
    s.users++;
    s.by.set(user, (s.by.get(user) ?? 0) + 1);
  }

  /**
   * Records page `page` of `owner` (read-write `capability`), held once by `owner` (its table, or
   * a segment's own hold), as one others may map.
   */
  shareable(owner: Process, page: number, capability: Capability): void {
    if (this.#shared.has(page)) return;
    this.#shared.set(page, { owner, capability, users: 1, by: new Map([[owner, 1]]) });
  }

  /** Whether the page `m` maps is mapped by other tables than `p`'s, or is not `p`'s own. */
  sharedWithOthers(p: Process, m: Mapping): boolean {
    const s = this.#shared.get(m.page);
    return s !== undefined && !(s.users === 1 && s.owner === p);
  }

  /** The pages more than one table maps, by page, oldest first (for a snapshot). */
  get shared(): ReadonlyMap<number, Readonly<Shared>> {
    return this.#shared;
  }

  /** Puts back the counts of shared pages (a table rebuilt from a record); the old ones go. */
  restoreShared(pages: Iterable<[number, Shared]>): void {
    this.#shared.clear();
    for (const [page, s] of pages) this.#shared.set(page, s);
  }

  /** Forgets the count of `page` (a COW page one process claimed as its own). */
  unshare(page: number): void {
    this.#shared.delete(page);
  }

  /**
   * `p` stops mapping `m`'s page: the count drops, and the page is freed through its owner once
   * nobody maps it (a page of an exiting process is left to Aegis, which frees it with the
   * environment). An owner that exited and now holds nothing is let go. A foreign page that is
   * not a shared one (a grant mapped by hand) is never counted.
   */
  release(p: Process, m: Mapping, exiting: boolean): void {
    if ((m.flags & PTE.FOREIGN) !== 0 && (m.flags & SHARED) === 0) return;
    const s = this.#shared.get(m.page);
    if (s !== undefined) {
      const mine = s.by.get(p) ?? 0;
      if (mine > 1) s.by.set(p, mine - 1);
      else s.by.delete(p);
      if (--s.users > 0) return;
    }
    this.#shared.delete(m.page);
    const owner = s?.owner ?? p;
    if (owner === p && exiting) return;
    if (!owner.alive || !this.host.alive(owner.path.id)) return;
    const capability = s?.capability ?? m.capability;
    owner.path.call(SYS.DEALLOC, m.page, 0, ...capabilityWords(capability));
    if (owner.holding && !this.owns(owner)) {
      owner.holding = false;
      this.sched.wake(owner); // it runs its park stub once more, and ends
    }
  }

  /** Whether `p` owns a page others still map. */
  owns(p: Process): boolean {
    for (const s of this.#shared.values()) if (s.owner === p) return true;
    return false;
  }

  /** Throws BadAddress unless `p` may write the `n` bytes at `va` (mapped, writable, unprotected). */
  checkWritable(p: Process, va: number, n: number): void {
    if ((va >>> 0) < USER.MIN || (va >>> 0) + n > 0x80000000) throw new BadAddress();
    for (let pg = va & ~(PAGE_SIZE - 1); pg < va + n; pg += PAGE_SIZE) {
      const m = p.vm.lookup(pg);
      if (m === undefined || (m.flags & PTE.W) === 0 || (m.flags & PTE.P) !== 0) {
        throw new BadAddress();
      }
    }
  }

  /** Writes `bytes` to `p`'s user memory at `va`, copying COW pages first; throws BadAddress. */
  writeUser(p: Process, va: number, bytes: Uint8Array): void {
    this.checkWritable(p, va, bytes.length);
    for (let pg = va & ~(PAGE_SIZE - 1); pg < va + bytes.length; pg += PAGE_SIZE) {
      if ((p.vm.lookup(pg)!.flags & PTE.C) !== 0) copyOnWrite(this, p, pg);
    }
    writeBytes(p.vm, va, bytes);
  }

  // ---- console input -------------------------------------------------------------------------

  /** Takes what was typed at the console into the input buffer. */
  pollInput(): void {
    for (let b = this.host.read(); b !== undefined; b = this.host.read()) this.input.push(b);
  }

  // ---- exit ------------------------------------------------------------------------------------

  /**
   * Ends `p` with `waitStatus` ((status & 0xff) << 8, or a signal number) and, for a fault,
   * where it was: closes its files, detaches its segments, releases its pages, orphans its
   * children, hands its slice on, wakes its parent and sends it SIGCHLD. Returns what its
   * handler does next: an End (Aegis ends the environment, recording why), or the park stub
   * while it holds pages others share.
   */
  terminate(p: Process, waitStatus: number, where?: FaultSite): number | End {
    if (p.waitStatus !== undefined) return p.holding ? p.vm.routines.park : this.end(p);
    p.waitStatus = waitStatus;
    p.fault = where;
    p.state = p.parent === undefined ? "exited" : "zombie";
    closeAll(this, p);
    if (p.alive) this.net?.closeAll(p);
    detachAll(this, p);
    for (const m of p.vm.entries()) {
      if (m.vpn >= USER.MIN >>> PAGE_SHIFT) this.release(p, m, true);
    }
    for (const c of p.children) {
      c.parent = undefined;
      if (c.state === "zombie") c.state = "exited";
    }
    p.children.length = 0;
    this.sched.unschedule(p);
    const parent = p.parent;
    if (parent !== undefined) {
      if (parent.state === "waiting") this.sched.resume(parent);
      post(this, parent, SIGNAL.SIGCHLD);
    }
    p.holding = this.owns(p);
    if (p.holding) return p.vm.routines.park;
    return this.end(p);
  }

  /**
   * Takes note that `p`'s environment is gone although the library did not end it (Aegis ended
   * it: a fault inside its fault handler, say): it is as if SIGKILL had ended it.
   */
  lost(p: Process): void {
    p.failure = "its environment ended outside the library (Aegis ended it: see m.aegis.exits)";
    p.alive = false;
    if (p.waitStatus !== undefined) return;
    p.waitStatus = SIGNAL.SIGKILL;
    p.state = p.parent === undefined ? "exited" : "zombie";
    p.slice = -1;
    this.sched.unschedule(p);
    closeAll(this, p);
    detachAll(this, p);
    // Its page table went with its environment: drop the counts it held from the table's side.
    for (const [page, s] of [...this.#shared]) {
      for (let n = s.by.get(p) ?? 0; n > 0; n--) {
        this.release(p, { vpn: 0, page, capability: s.capability, flags: SHARED }, true);
      }
    }
    for (const c of p.children) {
      c.parent = undefined;
      if (c.state === "zombie") c.state = "exited";
    }
    p.children.length = 0;
    const parent = p.parent;
    if (parent?.state === "waiting") this.sched.resume(parent);
  }

  /** Marks `p` gone and says why, for Aegis's record of ended environments. */
  end(p: Process): End {
    p.alive = false;
    const s = p.waitStatus ?? SIGNAL.SIGKILL;
    const how = (s & 0x7f) === 0
      ? `exited with status ${(s >> 8) & 0xff}`
      : `killed by signal ${s & 0x7f}`;
    return { exit: `ExOS process ${p.pid} ${how}` };
  }

  // ---- traps -----------------------------------------------------------------------------------

  /**
   * Runs `work` for `p`'s handler and returns its verdict; ends `p` with SIGKILL if the library
   * itself fails (Aegis refusing a page, say). Then stops the run if no process can go on.
   */
  #handle(p: Process, work: () => "resume" | End | number): "resume" | End | number {
    let verdict;
    const before = this.current;
    this.current = p;
    try {
      verdict = work();
    } catch (e) {
      p.failure = e instanceof Error ? e.message : String(e);
      verdict = p.waitStatus === undefined ? this.terminate(p, SIGNAL.SIGKILL) : this.end(p);
    } finally {
      this.current = before;
    }
    this.sched.stopIfStuck();
    return verdict;
  }

  /**
   * A `break` in `p`: a UNIX call, a library trap (fault upcall, park, signal delivery and
   * return), or a break of the program's own (SIGTRAP).
   */
  #onBreak(p: Process, x: ExceptionInfo): number | End {
    let word = 0;
    try {
      word = p.vm.read32(x.epc);
    } catch { /* an unreadable pc: the signal below */ }
    const r = p.vm.routines;
    if (word === UNIX_TRAP) return unixCall(this, p, x);
    if (word === LIB_TRAP.FAULT && x.epc === r.faultTrap) {
      // The upcall from a fault: a0 = address, a1 = kind (FAULT), a2 = EPC, a3 = code.
      if (x.regs[5] === FAULT.COW) {
        copyOnWrite(this, p, x.regs[4]);
        return x.epc + 4;
      }
      const code = x.regs[7];
      const sig = EXC_SIGNAL[code] ?? SIGNAL.SIGSEGV;
      return fault(this, p, x, sig, { pc: x.regs[6] >>> 0, address: x.regs[4] >>> 0 }, true);
    }
    if (word === LIB_TRAP.PARK && x.epc === r.parkTrap) {
      if (p.holding) return r.park;
      return this.end(p);
    }
    if (word === LIB_TRAP.SIGNAL && x.epc === r.sigtrampTrap) return sliceStartSignal(this, p, x);
    if (word === LIB_TRAP.SIGRETURN && x.epc === r.sigreturnTrap) return sigreturn(this, p, x);
    return fault(this, p, x, SIGNAL.SIGTRAP, { pc: x.epc }, false);
  }

  /** An exception the library does not handle itself: the signal for it (signal.ts). */
  #onSignal(p: Process, x: ExceptionInfo): number | End {
    const sig = EXC_SIGNAL[x.code] ?? SIGNAL.SIGSEGV;
    const address = x.code === EXC.AdEL || x.code === EXC.AdES ? x.badVAddr : undefined;
    return fault(
      this,
      p,
      x,
      sig,
      address === undefined ? { pc: x.epc } : { pc: x.epc, address },
      false,
    );
  }
}

/**
 * The processes as a table: pid, parent, state, status (an exit status, or the signal that
 * ended it), where a fault ended it, environment, pages, break, program.
 */
export function processTable(procs: readonly Process[]): string {
  const rows = procs.map((p) => [
    String(p.pid),
    p.parent === undefined ? "-" : String(p.parent.pid),
    p.state,
    p.waitStatus === undefined
      ? "-"
      : p.signal === undefined
      ? String(p.exitStatus)
      : SIGNAL_NAMES[p.signal] ?? `signal ${p.signal}`,
    p.fault === undefined
      ? "-"
      : `pc ${hex(p.fault.pc)}` + (p.fault.address === undefined ? "" : ` ${hex(p.fault.address)}`),
    "0x" + p.path.id.toString(16),
    String(p.pages ?? "-"),
    hex(p.vm.break),
    p.program,
  ]);
  const head = ["pid", "ppid", "state", "status", "fault", "env", "pages", "break", "program"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
