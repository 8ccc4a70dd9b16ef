/**
 * Open files and file descriptors (as JOS's lib/fd.c): what each of a process's fds refers to.
 * There is no file system yet, so an open file is the console or one end of a pipe.
 *
 * An open file is shared by every fd that refers to it: fork gives the child the parent's fds,
 * and dup2 makes one fd refer to what another does. A pipe counts the fds open on each of its
 * ends, across processes: a read end gone makes its writers fail with EPIPE, a write end gone
 * makes its readers see the end of the file, and the processes blocked on it are woken either
 * way. The ring of a pipe (pipe.ts) is a page its creator allocates and every process with an fd
 * on the pipe maps (SHARED: fork shares it, the table counts its users); a process unmaps it
 * when it closes its last fd on the pipe, and the page goes when the last one does. The ring's
 * header follows the counts, so guest code reading or writing the ring directly sees the same
 * ends.
 *
 * Console fds carry the stream their output goes to: 1 (stdout) for fds 0 and 1 and anything
 * opened as /dev/console, 2 (stderr) for fd 2, so `exo exec` keeps a process's error output
 * apart wherever dup2 moves it.
 *
 * @module
 */

import type { Capability } from "../aegis/abi.ts";
import { SHARED } from "./fork.ts";
import { PAGE_SHIFT, PAGE_SIZE } from "./layout.ts";
import { connectRing, initRing } from "./pipe.ts";
import type { Process, ProcessTable } from "./process.ts";

/** The console: what fds 0, 1 and 2 start on; output goes to `stream`. */
export interface ConsoleFile {
  /** What it is. */
  readonly kind: "console";
  /** Where writes go: 1 the console's output, 2 its error stream. */
  readonly stream: 1 | 2;
}

/** One end of a pipe. */
export interface PipeEnd {
  /** What it is. */
  readonly kind: "pipe";
  /** Its pipe. */
  readonly pipe: Pipe;
  /** Which end. */
  readonly end: "read" | "write";
}

/** What an fd refers to. */
export type OpenFile = ConsoleFile | PipeEnd;

/** A UNIX pipe: its ring's page, who maps it where, and how many fds each end has. */
export class Pipe {
  /** Fds open on the read end, in every process. */
  readers = 0;
  /** Fds open on the write end. */
  writers = 0;
  /** Where each process with an fd on the pipe maps its ring. */
  readonly at: Map<Process, number> = new Map();
  /** The read end, as fds refer to it. */
  readonly readEnd: PipeEnd;
  /** The write end. */
  readonly writeEnd: PipeEnd;

  /** The pipe whose ring is page `page` (with `capability`), allocated by `owner`. */
  constructor(readonly owner: Process, readonly page: number, readonly capability: Capability) {
    this.readEnd = { kind: "pipe", pipe: this, end: "read" };
    this.writeEnd = { kind: "pipe", pipe: this, end: "write" };
  }

  /** Processes with an fd on end `end`. */
  holders(end: "read" | "write"): Process[] {
    return [...this.at.keys()].filter((p) =>
      p.fds.some((f) =>
        f?.kind === "pipe" &&
        f.pipe === this && f.end === end
      )
    );
  }
}

const CONSOLE_OUT: ConsoleFile = { kind: "console", stream: 1 };
const CONSOLE_ERR: ConsoleFile = { kind: "console", stream: 2 };

/** The console as /dev/console opens it. */
export const CONSOLE: ConsoleFile = CONSOLE_OUT;

/** The console file whose writes go to `stream` (the one every such fd shares). */
export function consoleFile(stream: 1 | 2): ConsoleFile {
  return stream === 1 ? CONSOLE_OUT : CONSOLE_ERR;
}

/** Puts `p`'s fds 0, 1 and 2 on the console. */
export function installConsole(p: Process): void {
  p.fds[0] = CONSOLE_OUT;
  p.fds[1] = CONSOLE_OUT;
  p.fds[2] = CONSOLE_ERR;
}

/** The lowest free fd of `p`, or -1. */
export function freeFd(p: Process): number {
  return p.fds.indexOf(undefined);
}

/** Counts one more fd on `f` (for a pipe end). */
function count(f: OpenFile, by: 1 | -1): void {
  if (f.kind !== "pipe") return;
  if (f.end === "read") f.pipe.readers += by;
  else f.pipe.writers += by;
}

/**
 * Makes a pipe with its ring in `p`'s memory and its two ends as fds `r` and `w` of `p`;
 * throws when Aegis has no page for the ring (the caller says ENOMEM).
 */
export function makePipe(t: ProcessTable, p: Process, r: number, w: number): Pipe {
  const va = p.vm.mmap(PAGE_SIZE);
  const m = p.vm.lookup(va)!;
  p.vm.table.update(m.vpn, m.flags | SHARED);
  t.shareable(p, m.page, m.capability);
  initRing(p.vm, va);
  const pipe = new Pipe(p, m.page, m.capability);
  pipe.at.set(p, va);
  p.fds[r] = pipe.readEnd;
  p.fds[w] = pipe.writeEnd;
  pipe.readers = pipe.writers = 1;
  syncRing(pipe);
  return pipe;
}

/** Makes fd `to` of `p` refer to what fd `from` does (closing `to` first). */
export function dupFd(t: ProcessTable, p: Process, from: number, to: number): void {
  const f = p.fds[from]!;
  if (from === to) return;
  if (p.fds[to] !== undefined) closeFd(t, p, to);
  p.fds[to] = f;
  count(f, 1);
  if (f.kind === "pipe") syncRing(f.pipe);
}

/**
 * Closes fd `fd` of `p` (which must be open): a pipe end's count drops, the ring leaves `p`'s
 * memory if it was its last fd on the pipe, and processes blocked on the pipe are woken.
 */
export function closeFd(t: ProcessTable, p: Process, fd: number): void {
  const f = p.fds[fd]!;
  p.fds[fd] = undefined;
  count(f, -1);
  if (f.kind !== "pipe") return;
  const pipe = f.pipe;
  if (!p.fds.some((g) => g?.kind === "pipe" && g.pipe === pipe)) {
    const va = pipe.at.get(p);
    pipe.at.delete(p);
    if (va !== undefined && p.alive) p.vm.munmap(va, PAGE_SIZE);
  }
  syncRing(pipe);
  if ((f.end === "read" && pipe.readers === 0) || (f.end === "write" && pipe.writers === 0)) {
    wakeBlocked(t, pipe);
  }
}

/** Closes every fd of `p` (it is ending). */
export function closeAll(t: ProcessTable, p: Process): void {
  for (let fd = 0; fd < p.fds.length; fd++) if (p.fds[fd] !== undefined) closeFd(t, p, fd);
}

/** Gives fork's `child` the fds of `parent` (the ring pages come with the address space). */
export function inheritFds(parent: Process, child: Process): void {
  parent.fds.forEach((f, fd) => {
    if (f === undefined) return;
    child.fds[fd] = f;
    count(f, 1);
    if (f.kind === "pipe" && !f.pipe.at.has(child)) {
      f.pipe.at.set(child, f.pipe.at.get(parent)!);
    }
  });
  const pipes = new Set(child.fds.flatMap((f) => f?.kind === "pipe" ? [f.pipe] : []));
  for (const pipe of pipes) syncRing(pipe);
}

/**
 * For exec: the rings `p` keeps (its fds stay open) are taken out of its address space before
 * it is emptied and mapped again afterwards, so their pages never lose their last user; call
 * `before` with the process as it is and `after` once the new image is loaded.
 */
export function keepRings(t: ProcessTable, p: Process): { after(): void } {
  const pipes = [...new Set(p.fds.flatMap((f) => f?.kind === "pipe" ? [f.pipe] : []))];
  for (const pipe of pipes) {
    const m = p.vm.lookup(pipe.at.get(p)!);
    if (m !== undefined) t.share(pipe.owner, m, p); // the hold that outlives the reset
  }
  return {
    after: () => {
      for (const pipe of pipes) {
        const va = p.vm.mapShared({ page: pipe.page, capability: pipe.capability, writable: true });
        const m = p.vm.lookup(va)!;
        p.vm.table.update(m.vpn, m.flags | SHARED);
        pipe.at.set(p, va);
      }
    },
  };
}

/** Wakes every process blocked reading or writing `pipe`. */
export function wakeBlocked(t: ProcessTable, pipe: Pipe): void {
  for (const q of t.procs) if (q.blockedOn === pipe) t.sched.resume(q);
}

/**
 * Writes the pipe's ends into its ring's header (through any process that maps it): the counts,
 * and a reader and a writer for the guest routines to yield to.
 */
export function syncRing(pipe: Pipe): void {
  const [p, va] = [...pipe.at].find(([q]) => q.alive) ?? [];
  if (p === undefined || va === undefined) return;
  const id = (q: Process | undefined) => q?.path.id ?? 0;
  try {
    connectRing(p.vm, va, {
      reader: id(pipe.holders("read")[0]),
      writer: id(pipe.holders("write")[0]),
      readers: pipe.readers,
      writers: pipe.writers,
    });
  } catch { /* that environment is gone (Aegis ended it): the library notices on its next look */ }
}

/** The virtual page of `va`. */
export const vpnOf = (va: number): number => va >>> PAGE_SHIFT;
