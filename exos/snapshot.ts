/**
 * ExOS's state as plain data, for snapshots: what the library keeps in TypeScript, outside guest
 * memory, written as a record (JSON-able: numbers, strings, arrays), and a process table rebuilt
 * from one over the same environments.
 *
 * Most of ExOS lives in guest memory, which the machine's snapshot already holds: each process's
 * page table, the library's code and data pages, the pipes' rings, the segments' pages, every
 * program's image; Aegis's records of the environments (handlers, entry points, slices) are in
 * kernel memory. What the library keeps only in TypeScript is its bookkeeping: the process table
 * (pid, parent, children, state, exit status, fault, slice, open files, signals, sleep deadline,
 * the pipe a process is blocked on), each address space's heap bounds and library pages, the
 * pipes' end counts and mappings, the segments, the counts of shared pages, the scheduler's
 * queue, console input not read yet, and the counters. A record holds all of it, with objects
 * named by number: a process by its pid, a pipe by its place in `pipes`, a capability as a
 * decimal string; every Map and list keeps its order, since the order decides what the library
 * does next (which holder of a pipe a writer yields to, which page is freed first).
 *
 * Rebuilding makes new Process, AddressSpace (`AddressSpace.adopt`: nothing allocated, bound,
 * written or assembled), Pipe and Segment objects bound to the existing environments, through
 * call paths the host gives (`adopt`), and installs each live process's TypeScript handlers on
 * them; it makes no system call and runs no guest code, so a restored machine goes on exactly as
 * the saved one would. The handlers are host closures: the host must install them without a
 * system call (the kernel's record already names them) and in place of the ones it had.
 *
 * What a record does not cover: the network stack (ExosOptions.net), whose sockets and
 * environments are the stack's own (`recordTable` refuses a table that has one), and the programs
 * exec may name (`files`), which are the host's to keep and give back in the options. A record
 * is taken between runs, never while the library handles a trap.
 *
 * @module
 */

import type { SyscallPath } from "../aegis/abi.ts";
import { consoleFile, type OpenFile, Pipe } from "./fd.ts";
import { NOFILE } from "./unix.ts";
import { PAGE_TABLE_KINDS, type PageTableKind } from "./page_table.ts";
import type {
  ExosHost,
  ExosOptions,
  FaultSite,
  ForkStats,
  Process,
  ProcessState,
  Shared,
} from "./process.ts";
import { ProcessTable } from "./process.ts";
import { Segment } from "./shm.ts";
import { NSIG } from "./signal.ts";
import type { Routines, SpaceRecord } from "./vm.ts";

/** An open file as a record holds it: none, the console (its stream), or a pipe's end. */
export type FdRecord = null | { console: 1 | 2 } | { pipe: number; end: "read" | "write" };

/** A process's signals (signal.ts Signals) as plain data. */
export interface SignalsRecord {
  /** The action of each signal, by number (0..31). */
  actions: number[];
  /** Signals pending. */
  pending: number;
  /** Signals blocked. */
  mask: number;
  /** Whether its start-of-slice entry is set to sigtramp. */
  armed: boolean;
  /** While in sigsuspend: the mask it replaced. */
  suspended: number | null;
  /** A caught fault on its way to sigsave: the signal. */
  faulting: number;
  /** Whether sigtramp knows where the exported record is. */
  recordKnown: boolean;
}

/** One process as a record holds it; other processes by pid, pipes by their place in `pipes`. */
export interface ProcessRecord {
  /** Its pid. */
  pid: number;
  /** Its environment's id. */
  env: number;
  /** The program it runs. */
  program: string;
  /** Its parent's pid, or 0. */
  parent: number;
  /** Its children's pids, in order. */
  children: number[];
  /** Where it is in its life. */
  state: ProcessState;
  /** Its wait status, once it has ended. */
  waitStatus: number | null;
  /** Where the fault that ended it was. */
  fault: FaultSite | null;
  /** Its slice position, or -1. */
  slice: number;
  /** Whether its environment exists. */
  alive: boolean;
  /** Whether it has exited but holds pages others share. */
  holding: boolean;
  /** Why the library ended it, if its own work failed. */
  failure: string | null;
  /** Its open files, by fd. */
  fds: FdRecord[];
  /** Its signals. */
  signals: SignalsRecord;
  /** While it sleeps: the cycle count it wakes at. */
  wakeAt: number | null;
  /** The pipe it is blocked on (its place in `pipes`), or null. */
  blockedOn: number | null;
  /** Its address space's state outside guest memory. */
  vm: SpaceRecord;
}

/** A pipe as a record holds it. */
export interface PipeRecord {
  /** The pid of the process that allocated its ring. */
  owner: number;
  /** The ring's physical page. */
  page: number;
  /** The ring's read-write capability (decimal). */
  capability: string;
  /** Fds open on the read end. */
  readers: number;
  /** Fds open on the write end. */
  writers: number;
  /** Where each process maps the ring: [pid, address], in order. */
  at: [number, number][];
}

/** A shared-memory segment as a record holds it. */
export interface SegmentRecord {
  /** Its id. */
  id: number;
  /** Its key. */
  key: number;
  /** Its size in bytes. */
  size: number;
  /** Its mode. */
  mode: number;
  /** Its creator's pid. */
  owner: number;
  /** Its pages with their read-write capabilities (decimal). */
  pages: { page: number; capability: string }[];
  /** Where each process has it attached: [pid, addresses], in order. */
  attached: [number, number[]][];
  /** Whether it can still be found by key. */
  live: boolean;
}

/** The count of a page more than one table maps, as a record holds it. */
export interface SharedRecord {
  /** The physical page. */
  page: number;
  /** Its owner's pid. */
  owner: number;
  /** Its read-write capability (decimal). */
  capability: string;
  /** How many tables map it. */
  users: number;
  /** How many of those are each process's: [pid, count], in order. */
  by: [number, number][];
}

/** ExOS's state outside guest memory, as plain data (see the module comment). */
export interface ExosRecord {
  /** The page-table structure of every process. */
  structure: PageTableKind;
  /** System calls made for processes so far. */
  syscalls: number;
  /** What the last fork cost. */
  lastFork: ForkStats | null;
  /** Copy-on-write faults so far. */
  cow: { copied: number; claimed: number };
  /** Console bytes typed and not read yet. */
  input: number[];
  /** Whether console input has ended. */
  inputEnded: boolean;
  /** The pids waiting for a slice position, first first. */
  queue: number[];
  /** Every process so far, by pid. */
  processes: ProcessRecord[];
  /** The pipes with an fd open on them, or a process blocked on them. */
  pipes: PipeRecord[];
  /** The segments still known, in order. */
  segments: SegmentRecord[];
  /** The id the next segment gets. */
  nextSegment: number;
  /** The counts of shared pages, in order. */
  shared: SharedRecord[];
}

/**
 * `t`'s state outside guest memory as a record. Throws, naming it, for a table with a network
 * stack, or one whose library is in the middle of a trap.
 */
export function recordTable(t: ProcessTable): ExosRecord {
  if (t.net !== undefined) {
    throw new Error(
      "Snapshots do not cover ExOS's network stack (ExosOptions.net): its sockets and " +
        "environments are the stack's own; snapshot a lab without a network",
    );
  }
  if (t.current !== undefined) {
    throw new Error(
      `ExOS is handling a trap of process ${t.current.pid}: take the snapshot between runs`,
    );
  }
  const pipes: Pipe[] = [];
  const pipeOf = (x: unknown): number => {
    if (!(x instanceof Pipe)) {
      throw new Error(`A process is blocked on ${String(x)}, which a record cannot name`);
    }
    const i = pipes.indexOf(x);
    return i >= 0 ? i : pipes.push(x) - 1;
  };
  const pid = (p: Process) => p.pid;
  const fd = (f: OpenFile | undefined): FdRecord =>
    f === undefined
      ? null
      : f.kind === "console"
      ? { console: f.stream }
      : { pipe: pipeOf(f.pipe), end: f.end };
  const processes = t.procs.map((p): ProcessRecord => ({
    pid: p.pid,
    env: p.path.id,
    program: p.program,
    parent: p.parent?.pid ?? 0,
    children: p.children.map(pid),
    state: p.state,
    waitStatus: p.waitStatus ?? null,
    fault: p.fault === undefined ? null : { ...p.fault },
    slice: p.slice,
    alive: p.alive,
    holding: p.holding,
    failure: p.failure ?? null,
    fds: p.fds.map(fd),
    signals: {
      actions: Array.from(p.signals.actions),
      pending: p.signals.pending,
      mask: p.signals.mask,
      armed: p.signals.armed,
      suspended: p.signals.suspended ?? null,
      faulting: p.signals.faulting,
      recordKnown: p.signals.recordKnown,
    },
    wakeAt: p.wakeAt ?? null,
    blockedOn: p.blockedOn === undefined ? null : pipeOf(p.blockedOn),
    vm: p.vm.record(),
  }));
  return {
    structure: t.structure,
    syscalls: t.syscalls,
    lastFork: t.lastFork === undefined ? null : { ...t.lastFork },
    cow: { ...t.cow },
    input: [...t.input],
    inputEnded: t.inputEnded,
    queue: t.sched.queued.map(pid),
    processes,
    pipes: pipes.map((x) => ({
      owner: x.owner.pid,
      page: x.page,
      capability: x.capability.toString(),
      readers: x.readers,
      writers: x.writers,
      at: [...x.at].map(([p, va]) => [p.pid, va]),
    })),
    segments: t.segments.all.map((s) => ({
      id: s.id,
      key: s.key,
      size: s.size,
      mode: s.mode,
      owner: s.owner.pid,
      pages: s.pages.map((g) => ({ page: g.page, capability: g.capability.toString() })),
      attached: [...s.attached].map(([p, list]) => [p.pid, [...list]]),
      live: s.live,
    })),
    nextSegment: t.segments.nextId,
    shared: [...t.shared].map(([page, s]) => ({
      page,
      owner: s.owner.pid,
      capability: s.capability.toString(),
      users: s.users,
      by: [...s.by].map(([p, n]) => [p.pid, n]),
    })),
  };
}

/**
 * A process table for `host` rebuilt from `record` (with `options`; its structure is the
 * record's), each process over the call path `adopt` gives for its environment; the live ones
 * get their TypeScript handlers through that path. Reads `record` only. Throws an Error naming
 * what is wrong with a damaged record (before building anything), or for `options.net`.
 */
export function rebuildTable(
  host: ExosHost,
  record: ExosRecord,
  options: ExosOptions,
  adopt: (env: number) => SyscallPath,
): ProcessTable {
  checkRecord(record);
  if (options.net !== undefined) {
    throw new Error("Snapshots do not cover ExOS's network stack: rebuild without options.net");
  }
  const r = record;
  const t = new ProcessTable(host, { ...options, structure: r.structure });
  for (const q of r.processes) {
    t.adopt(q.pid, adopt(q.env), q.vm, q.program, q.alive && host.alive(q.env));
  }
  const proc = (pid: number) => t.procs[pid - 1];
  const cap = (s: string) => BigInt(s);
  const pipes = r.pipes.map((x) => {
    const pipe = new Pipe(proc(x.owner), x.page, cap(x.capability));
    pipe.readers = x.readers;
    pipe.writers = x.writers;
    for (const [pid, va] of x.at) pipe.at.set(proc(pid), va);
    return pipe;
  });
  r.processes.forEach((q, i) => {
    const p = t.procs[i];
    p.parent = q.parent === 0 ? undefined : proc(q.parent);
    p.children.push(...q.children.map(proc));
    p.state = q.state;
    p.waitStatus = q.waitStatus ?? undefined;
    p.fault = q.fault === null ? undefined : { ...q.fault };
    p.slice = q.slice;
    p.alive = q.alive;
    p.holding = q.holding;
    p.failure = q.failure ?? undefined;
    q.fds.forEach((f, n) => {
      p.fds[n] = f === null
        ? undefined
        : "console" in f
        ? consoleFile(f.console)
        : f.end === "read"
        ? pipes[f.pipe].readEnd
        : pipes[f.pipe].writeEnd;
    });
    const s = p.signals, g = q.signals;
    s.actions.set(g.actions);
    s.pending = g.pending;
    s.mask = g.mask;
    s.armed = g.armed;
    s.suspended = g.suspended ?? undefined;
    s.faulting = g.faulting;
    s.recordKnown = g.recordKnown;
    p.wakeAt = q.wakeAt ?? undefined;
    p.blockedOn = q.blockedOn === null ? undefined : pipes[q.blockedOn];
  });
  t.segments.restore(
    r.segments.map((x) => {
      const s = new Segment(
        x.id,
        x.key,
        x.size,
        x.mode,
        proc(x.owner),
        x.pages.map((g) => ({ page: g.page, capability: cap(g.capability) })),
      );
      for (const [pid, list] of x.attached) s.attached.set(proc(pid), [...list]);
      s.live = x.live;
      return s;
    }),
    r.nextSegment,
  );
  t.restoreShared(r.shared.map((x): [number, Shared] => [x.page, {
    owner: proc(x.owner),
    capability: cap(x.capability),
    users: x.users,
    by: new Map(x.by.map(([pid, n]) => [proc(pid), n])),
  }]));
  t.sched.requeue(r.queue.map(proc));
  t.input.push(...r.input);
  t.inputEnded = r.inputEnded;
  t.cow.copied = r.cow.copied;
  t.cow.claimed = r.cow.claimed;
  t.lastFork = r.lastFork === null ? undefined : { ...r.lastFork };
  t.syscalls = r.syscalls; // installing the handlers counted; the record's count is the truth
  return t;
}

// ---- checking a record -------------------------------------------------------------------------

/** What a value of a record must be: a kind, a nullable, a list, a pair, one of some strings, an object. */
type Shape =
  | "int"
  | "string"
  | "bool"
  | "capability"
  | "fd"
  | { null: Shape }
  | { list: Shape }
  | { pair: [Shape, Shape] }
  | { oneOf: readonly unknown[] }
  | { [field: string]: Shape };

/** The library's entry points a record's address space names. */
const ROUTINES: readonly (keyof Routines)[] = [
  "start",
  "prot",
  "unprot",
  "dirty",
  "lookup",
  "tlbl",
  "tlbs",
  "mod",
  "boot",
  "resume",
  "block",
  "park",
  "parkTrap",
  "faultTrap",
  "blockTo",
  "sigtramp",
  "sigtrampTrap",
  "sigsave",
  "sigreturn",
  "sigreturnTrap",
  "pipeRead",
  "pipeWrite",
  "lrpcCall",
  "lrpcReply",
  "lrpcEntry",
  "tlrpcEntry",
];

const INT = "int", BOOL = "bool", CAP = "capability";
const PIDS: Shape = { list: INT };
const VM: Shape = {
  heapBase: INT,
  break: INT,
  mmapNext: INT,
  lib: { list: { vpn: INT, page: INT, capability: CAP, flags: INT } },
  routines: Object.fromEntries(ROUTINES.map((k) => [k, INT])),
};
const PROCESS: Shape = {
  pid: INT,
  env: INT,
  program: "string",
  parent: INT,
  children: PIDS,
  state: { oneOf: ["runnable", "waiting", "reading", "writing", "sleeping", "zombie", "exited"] },
  waitStatus: { null: INT },
  fault: { null: { pc: INT } },
  slice: INT,
  alive: BOOL,
  holding: BOOL,
  failure: { null: "string" },
  fds: { list: "fd" },
  signals: {
    actions: { list: INT },
    pending: INT,
    mask: INT,
    armed: BOOL,
    suspended: { null: INT },
    faulting: INT,
    recordKnown: BOOL,
  },
  wakeAt: { null: INT },
  blockedOn: { null: INT },
  vm: VM,
};
const RECORD: Shape = {
  structure: { oneOf: PAGE_TABLE_KINDS },
  syscalls: INT,
  lastFork: { null: { pid: INT, syscalls: INT, shared: INT, unbound: INT, copied: INT } },
  cow: { copied: INT, claimed: INT },
  input: { list: INT },
  inputEnded: BOOL,
  queue: PIDS,
  processes: { list: PROCESS },
  pipes: {
    list: {
      owner: INT,
      page: INT,
      capability: CAP,
      readers: INT,
      writers: INT,
      at: { list: { pair: [INT, INT] } },
    },
  },
  segments: {
    list: {
      id: INT,
      key: INT,
      size: INT,
      mode: INT,
      owner: INT,
      pages: { list: { page: INT, capability: CAP } },
      attached: { list: { pair: [INT, { list: INT }] } },
      live: BOOL,
    },
  },
  nextSegment: INT,
  shared: {
    list: {
      page: INT,
      owner: INT,
      capability: CAP,
      users: INT,
      by: { list: { pair: [INT, INT] } },
    },
  },
};

/** A damaged record: what is wrong, where. */
function damaged(where: string, what: string): Error {
  return new Error(
    `The snapshot's ExOS record is damaged: ${where} ${what}; take the snapshot again`,
  );
}

/** Throws naming the first place where `v` is not of shape `s` (`where` names `v`). */
function check(v: unknown, s: Shape, where: string): void {
  const is = `is ${JSON.stringify(v)?.slice(0, 40)}`;
  if (typeof s === "string") {
    const x = v as Record<string, unknown> | null;
    const ok = s === "int"
      ? Number.isSafeInteger(v)
      : s === "string"
      ? typeof v === "string"
      : s === "bool"
      ? typeof v === "boolean"
      : s === "capability"
      ? typeof v === "string" && /^\d{1,20}$/.test(v)
      : x === null || x.console === 1 || x.console === 2 ||
        (Number.isSafeInteger(x.pipe) && (x.end === "read" || x.end === "write"));
    const kind = { int: "a whole number", fd: "null, a console or a pipe's end" }[s as string];
    if (!ok) throw damaged(where, `${is}, not ${kind ?? `a ${s}`}`);
    return;
  }
  if ("null" in s && Object.keys(s).length === 1) {
    if (v !== null) check(v, s.null as Shape, where);
    return;
  }
  if ("oneOf" in s && Object.keys(s).length === 1) {
    const values = s.oneOf as readonly unknown[];
    if (values.length > 0 && !values.includes(v)) {
      throw damaged(where, `${is}, not one of ${values.join(", ")}`);
    }
    return;
  }
  const single = Object.keys(s).length === 1;
  if (single && ("list" in s || "pair" in s)) {
    if (!Array.isArray(v)) throw damaged(where, `${is}, not a list`);
    if ("pair" in s) {
      const [a, b] = s.pair as [Shape, Shape];
      if (v.length !== 2) throw damaged(where, "is not a pair");
      check(v[0], a, `${where}[0]`);
      return check(v[1], b, `${where}[1]`);
    }
    v.forEach((x, i) => check(x, s.list as Shape, `${where}[${i}]`));
    return;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw damaged(where, `${is}, not an object`);
  }
  for (const [k, shape] of Object.entries(s as Record<string, Shape>)) {
    if (!(k in v)) throw damaged(`${where}.${k}`, "is missing");
    check((v as Record<string, unknown>)[k], shape, `${where}.${k}`);
  }
}

/**
 * Throws an Error naming the first thing wrong with `r` (a record read from a file, say): its
 * shapes, then the pids and pipes it names. `rebuildTable` checks first; a host checks sooner to
 * change nothing when a record is damaged.
 */
export function checkRecord(r: ExosRecord): void {
  check(r, RECORD, "the record");
  const n = r.processes.length;
  const pid = (v: number, where: string, none = false) => {
    if (!((v === 0 && none) || (v >= 1 && v <= n))) {
      throw damaged(where, `names process ${v}, which the record does not have`);
    }
  };
  const pipe = (v: number, where: string) => {
    if (v < 0 || v >= r.pipes.length) throw damaged(where, `names pipe ${v}, which it has not`);
  };
  r.queue.forEach((q, i) => pid(q, `queue[${i}]`));
  r.processes.forEach((p, i) => {
    const w = `processes[${i}]`;
    if (p.pid !== i + 1) throw damaged(`${w}.pid`, `is ${p.pid}, not ${i + 1}`);
    pid(p.parent, `${w}.parent`, true);
    p.children.forEach((c, k) => pid(c, `${w}.children[${k}]`));
    if (p.fds.length !== NOFILE) {
      throw damaged(`${w}.fds`, `has ${p.fds.length} fds, not ${NOFILE}`);
    }
    p.fds.forEach((f, k) => {
      if (f !== null && "pipe" in f) pipe(f.pipe, `${w}.fds[${k}].pipe`);
    });
    if (p.signals.actions.length !== NSIG) {
      throw damaged(`${w}.signals.actions`, `has ${p.signals.actions.length} actions, not ${NSIG}`);
    }
    if (p.blockedOn !== null) pipe(p.blockedOn, `${w}.blockedOn`);
  });
  r.pipes.forEach((x, i) => {
    pid(x.owner, `pipes[${i}].owner`);
    x.at.forEach(([p], k) => pid(p, `pipes[${i}].at[${k}]`));
  });
  r.segments.forEach((x, i) => {
    pid(x.owner, `segments[${i}].owner`);
    x.attached.forEach(([p], k) => pid(p, `segments[${i}].attached[${k}]`));
  });
  r.shared.forEach((x, i) => {
    pid(x.owner, `shared[${i}].owner`);
    x.by.forEach(([p], k) => pid(p, `shared[${i}].by[${k}]`));
  });
}
