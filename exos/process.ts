/**
 * ExOS processes: the process table, fork with copy-on-write, exec, exit and wait, and the slice
 * scheduling that lets processes block. One ExOS instance serves the processes of a lab; it acts
 * for each process through that process's own call path (its SyscallPath), so every kernel request
 * is the process's own system call, executed by the CPU in its environment.
 *
 * A process is an environment, its AddressSpace (exos/vm.ts) and its UNIX state: pid, parent,
 * children, state, exit status, break. Its exceptions come to the library: TLB misses and write
 * faults to the guest handlers of vm.ts; a `break` to a TypeScript handler here, which runs UNIX
 * calls (exos/unix.ts) and the library's own traps (vm_asm.ts LIB_TRAP); the other exceptions end
 * it with a signal.
 *
 * Starting. `exec` makes an environment (the host's createEnv), builds the address space, loads
 * the ELF's PT_LOAD segments, puts argv on the stack and writes the start frame (DATA.START: sp,
 * a0 = argc, a1 = argv, a2 = 0, pc = the entry). The environment's first slice starts at its
 * start-of-slice entry, set to the library's `boot` stub, which clears that entry and loads the
 * frame (`resume`). A forked child is made with ENV_ALLOC by its parent with `resume` as its entry.
 *
 * Fork, copy-on-write. The parent's library scans its page table: every writable page becomes COW
 * (PTE.C) in both tables and the child's table gets the same pages; only pages that may be bound
 * writable (dirty ones) lose their binding, one TLBVADELETE each, since a clean page is never bound
 * writable. The stack page fork itself is using is copied for the child at once. The child's
 * library pages are its own (8 ALLOC, 9 GUARANTEE: vm.ts), and so are its handlers. A write to a
 * COW page faults into the library (Mod, then its `fault_trap`): if other processes still share
 * the page it is copied (privatize), else it is claimed writable where it is. `lastFork` says what
 * a fork cost in system calls.
 *
 * Who frees a shared page. A page belongs to the environment that allocated it, and Aegis frees
 * every page of an environment that ends. So ExOS counts, for each shared page, the tables that
 * map it and its owner; a page leaves memory when its last user lets go, through its owner's
 * path. A process that exits while others still use pages it owns keeps its environment (it
 * "holds"), parked with no slice, and is ended once the last of those pages is freed.
 *
 * Blocking and slices. A process runs only in a time slice it holds. Aegis has few positions (16
 * by default), so ExOS gives one to each runnable process while there are free ones and queues the
 * rest; a process that blocks (wait, read) or exits gives its position to the next in the queue.
 * A blocked call returns to the library's `block` stub with no slice: it yields, and runs the
 * call again when ExOS gives it a slice back (a child exited, input arrived). Nothing polls.
 * Processes that never block keep their slices: with more runnable processes than positions, the
 * queued ones wait for a position to come free.
 *
 * Exit. The process's pages are released (counts dropped), its children orphaned (they are
 * reaped when they exit), its slice handed on and its parent woken; the TypeScript handler then
 * ends the environment (Aegis destroys it at once, recording the exit) unless it holds shared
 * pages.
 *
 * `run` drives the machine until every process has exited, all are blocked (waiting for input,
 * say), or an instruction limit; the host stops the machine at the instruction where that became
 * so. Failures: `exec` throws ElfError for a bad program and Error when Aegis refuses something;
 * a UNIX call that fails returns a negative errno to the process.
 *
 * @module
 */

import {
  capabilityWords,
  ENTRY,
  EXC,
  type ExceptionInfo,
  SYS,
  type SyscallPath,
  type TsHandler,
} from "../aegis/abi.ts";
import { ElfError, type ElfImage, parseElf } from "../machine/elf.ts";
import { DATA, FAULT, LIB, PAGE_SHIFT, PAGE_SIZE, USER } from "./layout.ts";
import { type Mapping, type PageTableKind, PTE } from "./page_table.ts";
import { AddressSpace, writeBytes } from "./vm.ts";
import { isNetPage } from "./net/link.ts";
import { type NetConfig, NetStack } from "./net/stack.ts";
import { LIB_TRAP } from "./vm_asm.ts";
import {
  argvBytes,
  BadAddress,
  ERRNO,
  EXC_SIGNAL,
  SIGNAL,
  SIGNAL_NAMES,
  UNIX_TRAP,
  unixCall,
} from "./unix.ts";

/** What ExOS needs from the lab it runs on. */
export interface ExosHost {
  /** Creates a fresh environment for a program's first process. */
  createEnv(name: string): SyscallPath;
  /** Runs the machine for up to `maxInstructions`; `stopped` when `stop` ended the run. */
  run(maxInstructions: number): { instructions: number; stopped: boolean };
  /** Ends the current run after the instruction executing now. */
  stop(): void;
  /** Writes process output (fd 1 and 2) to the console. */
  write(bytes: Uint8Array): void;
  /** Takes the next byte typed at the console, or undefined when none waits. */
  read(): number | undefined;
  /** The bytes of the file at host path `path`, or undefined when there is none. */
  readFile?(path: string): Uint8Array | undefined;
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

/** Where a process is in its life. */
export type ProcessState = "runnable" | "waiting" | "reading" | "zombie" | "exited";

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

/** A page more than one table maps: its owner and how many tables map it. */
interface Shared {
  owner: Process;
  users: number;
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/** Exceptions that end a process with a signal (the library handles TLBL, TLBS, Mod, Bp). */
const SIGNAL_CODES = [EXC.AdEL, EXC.AdES, EXC.IBE, EXC.DBE, EXC.RI, EXC.CpU, EXC.Ov];

/** The Bp exception code. */
const BP = 9;

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
  /** The slice position it holds, or -1 (ExOS's). */
  slice = -1;
  /** Whether its environment still exists. */
  alive = true;
  /** Whether it has exited but keeps its environment for pages others share (ExOS's). */
  holding = false;
  /** Why the library ended it, when its own work for it failed (SIGKILL). */
  failure: string | undefined;

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

  /** How it ended, in words: "exited 0", "SIGSEGV", or its state. */
  get how(): string {
    if (this.waitStatus === undefined) return this.state;
    const end = this.signal === undefined
      ? `exit ${this.exitStatus}`
      : SIGNAL_NAMES[this.signal] ?? `signal ${this.signal}`;
    return `${this.state} (${end})`;
  }

  /** Mappings in its page table, or undefined once its environment is gone. */
  get pages(): number | undefined {
    return this.alive ? this.vm.table.size : undefined;
  }

  /** One line: pid, state, environment, pages, break, program. */
  toString(): string {
    return `Process ${this.pid} · ${this.how} · env 0x${this.path.id.toString(16)} · ` +
      `${this.pages ?? "-"} pages · break ${hex(this.vm.break)} · ${this.program}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
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

/** The library operating system's process layer, for the processes of one machine. */
export class ExOS {
  /** Programs exec may name, by path (a guest's exec looks only here). */
  readonly files: Map<string, Uint8Array>;
  /** System calls made for processes so far. */
  syscalls = 0;
  /** What the last fork cost. */
  lastFork: ForkStats | undefined;
  /** Copy-on-write faults: pages copied, pages claimed without a copy. */
  readonly cow = { copied: 0, claimed: 0 };
  /** The network stack, when the machine has an address (ExosOptions.net). */
  readonly net: NetStack | undefined;
  readonly #structure: PageTableKind;
  readonly #procs: Process[] = [];
  readonly #queue: Process[] = [];
  readonly #shared = new Map<number, Shared>();
  readonly #input: number[] = [];
  #inputEnded = false;
  #driving = false;

  /** ExOS on `host`, with `options`. */
  constructor(readonly host: ExosHost, options: ExosOptions = {}) {
    this.#structure = options.structure ?? "linear";
    this.files = new Map(options.files ?? []);
    this.net = options.net === undefined ? undefined : new NetStack(
      options.net,
      (name) => counted(host.createEnv(name), () => this.syscalls++),
      (cycles) => host.charge?.(cycles),
    );
  }

  /** Every process so far, oldest first; prints as a table. */
  get processes(): readonly Process[] {
    const list = [...this.#procs];
    Object.defineProperty(list, Symbol.for("Deno.customInspect"), {
      value: () => processTable(list),
    });
    return list;
  }

  /** Process `pid`, if there is one. */
  process(pid: number): Process | undefined {
    return this.#procs[pid - 1];
  }

  /** Says that console input has ended: a read with nothing left returns 0. */
  endInput(): void {
    this.#inputEnded = true;
  }

  // ---- starting programs ---------------------------------------------------------------------

  /**
   * Starts `program` (ELF bytes, or a path in `files` or on the host) as a new process with
   * `argv` (default: its name), in a fresh environment; it runs from the next `run`. Throws
   * ElfError for a bad program or one outside the user layout, Error for a missing file.
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
    const p = this.#process(env, undefined, name);
    const regs = new Int32Array(32);
    const pc = this.#image(p, image, argv ?? [name], regs);
    this.#writeFrame(p, regs, pc);
    p.path.call(SYS.SET_ENTRY, ENTRY.SLICE_START, p.vm.routines.boot, 0);
    this.#wake(p);
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

  /** A new process in the environment behind `path`: address space, handlers, table entry. */
  #process(path: SyscallPath, parent: Process | undefined, program: string): Process {
    const pid = this.#procs.length + 1;
    const vm = new AddressSpace(path, {
      structure: this.#structure,
      stackPages: parent === undefined ? 2 : 0,
      release: (m) => this.#release(p, m, false),
    });
    const p = new Process(pid, path, vm, program);
    this.#procs.push(p);
    vm.setFaultHandler(vm.routines.faultTrap);
    path.onException(BP, (x) => this.#handle(p, () => this.#onBreak(p, x)));
    const onSignal: TsHandler = (x) =>
      this.#handle(p, () => this.terminate(p, EXC_SIGNAL[x.code] ?? SIGNAL.SIGSEGV));
    for (const code of SIGNAL_CODES) path.onException(code, onSignal);
    if (parent !== undefined) {
      p.parent = parent;
      parent.children.push(p);
    }
    return p;
  }

  /** Loads `image` into `p` with `argv` on its stack; sets sp, a0-a2 in `regs`, returns the pc. */
  #image(p: Process, image: ElfImage, argv: string[], regs: Int32Array): number {
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
  #writeFrame(p: Process, regs: Int32Array, pc: number): void {
    const at = LIB.DATA + DATA.START;
    for (let r = 1; r < 32; r++) p.vm.write32(at + 4 * r, regs[r]);
    p.vm.write32(at + 128, pc);
  }

  /** EXEC: `image` replaces `p`'s program (same pid, same environment); returns the entry pc. */
  replace(p: Process, image: ElfImage, argv: string[], name: string, regs: Int32Array): number {
    this.net?.closeAll(p); // sockets do not survive exec here
    p.vm.reset();
    p.vm.stack(2);
    p.program = name;
    return this.#image(p, image, argv, regs);
  }

  // ---- fork and copy-on-write ------------------------------------------------------------------

  /**
   * FORK: a child of `parent` that resumes at `pc` with the parent's registers `regs` and v0 = 0,
   * sharing its pages copy-on-write; returns the child's pid, or -EAGAIN when Aegis has no
   * environment for it, -ENOMEM when it has no pages for the child's library.
   */
  fork(parent: Process, regs: Int32Array, pc: number): number {
    const before = this.syscalls;
    const r = parent.path.call(SYS.ENV_ALLOC, parent.vm.routines.resume);
    if (r.v0 < 0) return -ERRNO.EAGAIN;
    let child: Process;
    try {
      child = this.#process(parent.path.child(r.v0), parent, parent.program);
    } catch { // no memory for its library: the environment goes, with what it got
      parent.path.call(SYS.ENV_FREE, r.v0);
      return -ERRNO.ENOMEM;
    }
    child.vm.inherit(parent.vm);
    const sp = (regs[29] >>> PAGE_SHIFT) << PAGE_SHIFT;
    let shared = 0, unbound = 0, copied = 0;
    for (const m of parent.vm.entries()) {
      if (m.vpn < USER.MIN >>> PAGE_SHIFT) continue; // the library's own pages
      if (isNetPage(m.flags)) continue; // a socket's: the parent's alone
      let flags = m.flags;
      const va = m.vpn << PAGE_SHIFT;
      if ((flags & PTE.FOREIGN) === 0 && va !== sp) {
        if ((flags & (PTE.W | PTE.C)) === PTE.W) {
          flags |= PTE.C;
          parent.vm.table.update(m.vpn, flags);
          if ((flags & PTE.D) !== 0) { // it may be bound writable: drop the binding
            parent.path.call(SYS.TLBVADELETE, va, 1, 0);
            unbound++;
          }
        }
        this.#share(parent, m);
        shared++;
      }
      child.vm.table.insert({ ...m, flags });
    }
    if (child.vm.lookup(sp) !== undefined) { // the stack page fork uses: the child's own copy
      child.vm.privatize(sp, (a) => parent.vm.read32(a));
      copied++;
    }
    const frame = regs.slice();
    frame[2] = frame[3] = 0;
    this.#writeFrame(child, frame, pc);
    this.#wake(child);
    this.lastFork = { pid: child.pid, syscalls: this.syscalls - before, shared, unbound, copied };
    return child.pid;
  }

  /** Counts one more table mapping `m`'s page; a page not counted yet belongs to `p`. */
  #share(p: Process, m: Mapping): void {
    const s = this.#shared.get(m.page);
    if (s === undefined) this.#shared.set(m.page, { owner: p, users: 2 });
    else s.users++;
  }

  /** A write to the COW page at `va` of `p`: copy it if others share it, else claim it. */
  #copyOnWrite(p: Process, va: number): void {
    const m = p.vm.lookup(va);
    if (m === undefined || (m.flags & PTE.C) === 0) return;
    const s = this.#shared.get(m.page);
    if (s === undefined || (s.users === 1 && s.owner === p)) {
      this.#shared.delete(m.page);
      p.vm.claim(va);
      this.cow.claimed++;
      return;
    }
    p.vm.privatize(va);
    this.cow.copied++;
    this.#release(p, m, false);
  }

  /**
   * `p` stops mapping `m`'s page: the count drops, and the page is freed through its owner once
   * nobody maps it (a page of an exiting process is left to Aegis, which frees it with the
   * environment). An owner that exited and now holds nothing is let go.
   */
  #release(p: Process, m: Mapping, exiting: boolean): void {
    if ((m.flags & PTE.FOREIGN) !== 0) return;
    const s = this.#shared.get(m.page);
    if (s !== undefined && --s.users > 0) return;
    this.#shared.delete(m.page);
    const owner = s?.owner ?? p;
    if (owner === p && exiting) return;
    owner.path.call(SYS.DEALLOC, m.page, 0, ...capabilityWords(m.capability));
    if (owner.holding && !this.#owns(owner)) {
      owner.holding = false;
      this.#wake(owner); // it runs its park stub once more, and ends
    }
  }

  /** Whether `p` owns a page others still map. */
  #owns(p: Process): boolean {
    for (const s of this.#shared.values()) if (s.owner === p) return true;
    return false;
  }

  /** Writes `bytes` to `p`'s user memory at `va`, copying COW pages first; throws BadAddress. */
  writeUser(p: Process, va: number, bytes: Uint8Array): void {
    if ((va >>> 0) < USER.MIN || (va >>> 0) + bytes.length > 0x80000000) throw new BadAddress();
    for (let pg = va & ~(PAGE_SIZE - 1); pg < va + bytes.length; pg += PAGE_SIZE) {
      const m = p.vm.lookup(pg);
      if (m === undefined || (m.flags & PTE.W) === 0 || (m.flags & PTE.P) !== 0) {
        throw new BadAddress();
      }
      if ((m.flags & PTE.C) !== 0) this.#copyOnWrite(p, pg);
    }
    writeBytes(p.vm, va, bytes);
  }

  // ---- exit, wait, read, sbrk -----------------------------------------------------------------

  /**
   * Ends `p` with `waitStatus` ((status & 0xff) << 8, or a signal number): releases its pages,
   * orphans its children, hands its slice on and wakes its parent. Returns what its handler
   * does next: an End (Aegis ends the environment, recording why), or the park stub while it
   * holds pages others share.
   */
  terminate(p: Process, waitStatus: number): number | End {
    if (p.alive) this.net?.closeAll(p);
    p.waitStatus = waitStatus;
    p.state = p.parent === undefined ? "exited" : "zombie";
    for (const m of p.vm.entries()) {
      if (m.vpn >= USER.MIN >>> PAGE_SHIFT) this.#release(p, m, true);
    }
    for (const c of p.children) {
      c.parent = undefined;
      if (c.state === "zombie") c.state = "exited";
    }
    p.children.length = 0;
    this.#sleep(p);
    const parent = p.parent;
    if (parent?.state === "waiting") {
      parent.state = "runnable";
      this.#wake(parent);
    }
    p.holding = this.#owns(p);
    if (p.holding) return p.vm.routines.park;
    return this.#end(p);
  }

  /** Marks `p` gone and says why, for Aegis's record of ended environments. */
  #end(p: Process): End {
    p.alive = false;
    const s = p.waitStatus ?? SIGNAL.SIGKILL;
    const how = (s & 0x7f) === 0
      ? `exited with status ${(s >> 8) & 0xff}`
      : `killed by signal ${s & 0x7f}`;
    return { exit: `ExOS process ${p.pid} ${how}` };
  }

  /** WAIT: collects an exited child (its status to *statusVa), or blocks, or -ECHILD. */
  wait(p: Process, statusVa: number, x: ExceptionInfo): Outcome {
    const z = p.children.find((c) => c.state === "zombie");
    if (z !== undefined) {
      z.state = "exited";
      p.children.splice(p.children.indexOf(z), 1);
      if (statusVa !== 0) {
        const s = new Uint8Array(4);
        new DataView(s.buffer).setInt32(0, z.waitStatus!, true);
        this.writeUser(p, statusVa, s);
      }
      return z.pid;
    }
    if (p.children.length === 0) return -ERRNO.ECHILD;
    return this.#block(p, "waiting", x);
  }

  /** READ: console bytes for fd 0 into `buf`, blocking while none has been typed. */
  read(p: Process, fd: number, buf: number, n: number, x: ExceptionInfo): Outcome {
    if (fd !== 0) return -ERRNO.EBADF;
    if (n === 0) return 0;
    this.#pollInput();
    if (this.#input.length === 0) return this.#inputEnded ? 0 : this.#block(p, "reading", x);
    const bytes = Uint8Array.from(this.#input.slice(0, n));
    this.writeUser(p, buf, bytes);
    this.#input.splice(0, bytes.length);
    return bytes.length;
  }

  /** SBRK: moves `p`'s break by `increment`; returns the old break, or -ENOMEM. */
  sbrk(p: Process, increment: number): number {
    const old = p.vm.break;
    try {
      p.vm.sbrk(increment);
    } catch {
      return -ERRNO.ENOMEM;
    }
    const next = p.vm.break, pageEnd = ((next + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) >>> 0;
    if (increment < 0 && next < pageEnd) { // memory above the break reads as zero when regrown
      this.writeUser(p, next, new Uint8Array(Math.min(old, pageEnd) - next));
    }
    return old;
  }

  /** Blocks `p` in the call it trapped with: no slice until woken, then the call again. */
  #block(p: Process, state: "waiting" | "reading", x: ExceptionInfo): Outcome {
    p.state = state;
    this.#sleep(p);
    x.regs[8] = x.epc; // t0: where `block` goes back to
    return { to: p.vm.routines.block };
  }

  /** Takes what was typed at the console into ExOS's input buffer. */
  #pollInput(): void {
    for (let b = this.host.read(); b !== undefined; b = this.host.read()) this.#input.push(b);
  }

  // ---- traps -----------------------------------------------------------------------------------

  /**
   * Runs `work` for `p`'s handler and returns its verdict; ends `p` with SIGKILL if the library
   * itself fails (Aegis refusing a page, say). Then stops the run if no process can go on.
   */
  #handle(p: Process, work: () => "resume" | End | number): "resume" | End | number {
    let verdict;
    try {
      verdict = work();
    } catch (e) {
      p.failure = e instanceof Error ? e.message : String(e);
      verdict = p.waitStatus === undefined ? this.terminate(p, SIGNAL.SIGKILL) : this.#end(p);
    }
    if (this.#driving && !this.#procs.some((q) => this.#wants(q))) this.host.stop();
    return verdict;
  }

  /** A `break` in `p`: a UNIX call, a library trap (fault, park), or a fault (SIGTRAP). */
  #onBreak(p: Process, x: ExceptionInfo): number | End {
    let word = 0;
    try {
      word = p.vm.read32(x.epc);
    } catch { /* an unreadable pc: the signal below */ }
    const r = p.vm.routines;
    if (word === UNIX_TRAP) {
      const out = unixCall(this, p, x);
      if (typeof out !== "number") return out.to;
      x.regs[2] = out;
      return x.epc + 4;
    }
    if (word === LIB_TRAP.FAULT && x.epc === r.faultTrap) {
      // The upcall from a fault: a0 = address, a1 = kind (FAULT), a2 = EPC, a3 = code.
      if (x.regs[5] !== FAULT.COW) return this.terminate(p, SIGNAL.SIGSEGV);
      this.#copyOnWrite(p, x.regs[4]);
      return x.epc + 4;
    }
    if (word === LIB_TRAP.PARK && x.epc === r.parkTrap) {
      if (p.holding) return r.park;
      return this.#end(p);
    }
    return this.terminate(p, SIGNAL.SIGTRAP);
  }

  // ---- slices ----------------------------------------------------------------------------------

  /** Whether `p` needs the CPU: runnable, or an exited holder let go that must still end. */
  #wants(p: Process): boolean {
    return p.alive && (p.state === "runnable" || (p.waitStatus !== undefined && !p.holding));
  }

  /** Gives `p` a slice position, or queues it for the next one free. */
  #wake(p: Process): void {
    if (p.slice >= 0 || this.#queue.includes(p)) return;
    const r = p.path.call(SYS.SLICE_ALLOC, -1, 0);
    if (r.v0 >= 0) p.slice = r.v0;
    else this.#queue.push(p);
  }

  /** Takes `p`'s slice position away and hands it to the next queued process that wants one. */
  #sleep(p: Process): void {
    const i = this.#queue.indexOf(p);
    if (i >= 0) this.#queue.splice(i, 1);
    if (p.slice < 0) return;
    p.path.call(SYS.SLICE_FREE, p.slice, 0);
    p.slice = -1;
    for (let q = this.#queue.shift(); q !== undefined; q = this.#queue.shift()) {
      if (!this.#wants(q)) continue;
      this.#wake(q);
      break;
    }
  }

  // ---- running ---------------------------------------------------------------------------------

  /**
   * Runs the machine until every process has exited, all are blocked, or `maxInstructions`;
   * returns why it stopped. Input typed since the last run wakes the processes reading it.
   */
  run(options: { maxInstructions?: number } = {}): ExosRunResult {
    const max = options.maxInstructions ?? Infinity;
    this.#pollInput();
    if (this.#input.length > 0 || this.#inputEnded) {
      for (const p of this.#procs) {
        if (p.state !== "reading") continue;
        p.state = "runnable";
        this.#wake(p);
      }
    }
    let instructions = 0;
    this.#driving = true;
    try {
      for (;;) {
        if (!this.#procs.some((p) => p.alive)) return { reason: "exited", instructions };
        if (!this.#procs.some((p) => this.#wants(p))) {
          const reading = this.#procs.some((p) => p.state === "reading");
          return { reason: reading ? "input" : "blocked", instructions };
        }
        if (instructions >= max) return { reason: "instructions", instructions };
        const r = this.host.run(max - instructions);
        instructions += r.instructions;
        if (!r.stopped && instructions < max) return { reason: "halted", instructions };
      }
    } finally {
      this.#driving = false;
    }
  }

  /** One line: processes by state. */
  toString(): string {
    const count = (s: ProcessState) => this.#procs.filter((p) => p.state === s).length;
    const states: ProcessState[] = ["runnable", "waiting", "reading", "zombie", "exited"];
    return `ExOS · ${this.#procs.length} processes: ` +
      states.map((s) => `${count(s)} ${s}`).join(", ");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The processes as a table: pid, parent, state, status, environment, pages, break, program. */
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
    "0x" + p.path.id.toString(16),
    String(p.pages ?? "-"),
    hex(p.vm.break),
    p.program,
  ]);
  const head = ["pid", "ppid", "state", "status", "env", "pages", "break", "program"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
