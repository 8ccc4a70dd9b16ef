/**
 * ExOS, the library operating system, as a lab offers it (`m.exos`): start programs, run them,
 * send them signals, look at the process table. Everything it does is done by the library's
 * parts (process.ts and the files it names), acting for each process through that process's
 * own call path; this class is their public face and holds nothing of its own.
 *
 * @module
 */

import type { NetStack } from "./net/stack.ts";
import {
  type ExosHost,
  type ExosOptions,
  type ExosRunResult,
  type ForkStats,
  Process,
  type ProcessState,
  ProcessTable,
  processTable,
} from "./process.ts";
import { post, SIGNAL, SIGNAL_NAMES } from "./signal.ts";
import { type ExosRecord, rebuildTable, recordTable } from "./snapshot.ts";
import type { SyscallPath } from "../aegis/abi.ts";

/** The library operating system's processes, for the processes of one machine. */
export class ExOS {
  #t: ProcessTable;

  /**
   * ExOS on `host`, with `options`.
   *
   * @example
   * ```ts
   * // m: a Lab (shell/lab.ts), whose m.exos is one
   * const sh = m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w"]);
   * m.exos.run();          // { reason: "exited", ... }
   * m.console.text;        // "2\n"
   * ```
   */
  constructor(readonly host: ExosHost, options: ExosOptions = {}) {
    this.#t = new ProcessTable(host, options);
  }

  /**
   * ExOS on `host` as `record` (from `record()`, perhaps through a file) describes it, over the
   * environments that already exist in the restored machine: `adopt` gives the call path of
   * each, and each live process's TypeScript handlers are installed through it (the host binds
   * them without a system call: see exos/snapshot.ts). Programs come from `options.files`.
   * Throws an Error naming what is wrong with a damaged record, building nothing.
   */
  static rebuild(
    host: ExosHost,
    record: ExosRecord,
    options: ExosOptions,
    adopt: (env: number) => SyscallPath,
  ): ExOS {
    const t = rebuildTable(host, record, options, adopt);
    const exos = new ExOS(host, { structure: t.structure });
    exos.#t = t;
    return exos;
  }

  /**
   * What ExOS keeps outside guest memory, as plain data (JSON-able) for `ExOS.rebuild`: the
   * process table, open files, pipes, segments, signals, the scheduler's queue, console input.
   * Throws for an ExOS with a network stack, which snapshots do not cover.
   */
  record(): ExosRecord {
    return recordTable(this.#t);
  }

  /** Programs exec may name, by path (a guest's exec looks only here). */
  get files(): Map<string, Uint8Array> {
    return this.#t.files;
  }

  /** System calls made for processes so far. */
  get syscalls(): number {
    return this.#t.syscalls;
  }

  /** What the last fork cost. */
  get lastFork(): ForkStats | undefined {
    return this.#t.lastFork;
  }

  /** Copy-on-write faults: pages copied, pages claimed without a copy. */
  get cow(): { copied: number; claimed: number } {
    return this.#t.cow;
  }

  /** The network stack, when the machine has an address (ExosOptions.net). */
  get net(): NetStack | undefined {
    return this.#t.net;
  }

  /** Every process so far, oldest first; prints as a table. */
  get processes(): readonly Process[] {
    const list = [...this.#t.procs];
    Object.defineProperty(list, Symbol.for("Deno.customInspect"), {
      value: () => processTable(list),
    });
    return list;
  }

  /** Process `pid`, if there is one. */
  process(pid: number): Process | undefined {
    return this.#t.procs[pid - 1];
  }

  /**
   * Starts `program` (ELF bytes, or a path in `files` or on the host) as a new process with
   * `argv` (default: its name), in a fresh environment, fds 0-2 on the console; it runs from the
   * next `run`. Throws ElfError for a bad program or one outside the user layout, Error for a
   * missing file.
   */
  exec(program: string | Uint8Array, argv?: string[]): Process {
    return this.#t.exec(program, argv);
  }

  /**
   * Runs the machine until every process has exited, all are blocked, or `maxInstructions`;
   * returns why it stopped. Input typed since the last run wakes the processes reading it.
   */
  run(options: { maxInstructions?: number } = {}): ExosRunResult {
    return this.#t.sched.run(options);
  }

  /**
   * Sends signal `sig` (a number, or a name: "SIGTERM", "TERM") to process `pid`, as kill(2)
   * does; it is delivered when the process next runs (a blocked call fails with EINTR if the
   * signal is caught). Throws RangeError for a pid with no live process or an unknown signal.
   *
   * @example
   * ```ts
   * const p = m.exos.exec("/bin/sleep", ["sleep", "10"]);
   * m.exos.run(100_000);
   * m.exos.kill(p.pid, "SIGTERM");
   * m.exos.run();           // p.how: "exited (SIGTERM)"
   * ```
   */
  kill(pid: number, sig: number | string = SIGNAL.SIGTERM): void {
    const p = Number.isInteger(pid) ? this.#t.procs[pid - 1] : undefined;
    if (p === undefined || p.waitStatus !== undefined) {
      throw new RangeError(`No live process ${String(pid)}: m.exos.processes lists them`);
    }
    const n = typeof sig === "number" ? sig : signalNumber(sig);
    if (!Number.isInteger(n) || n < 1 || n >= 32) {
      throw new RangeError(
        `Unknown signal ${String(sig)}: give 1 to 31 or a name (${Object.keys(SIGNAL).join(", ")})`,
      );
    }
    post(this.#t, p, n);
  }

  /**
   * Wakes the processes whose sleep has ended. `run` does it itself; a driver that runs the
   * machine on its own (the wire of shell/net.ts) calls it between its steps.
   */
  wakeSleepers(): void {
    this.#t.sched.expire();
  }

  /** Says that console input has ended: a read with nothing left returns 0. */
  endInput(): void {
    this.#t.inputEnded = true;
  }

  /** One line: processes by state. */
  toString(): string {
    const count = (s: ProcessState) => this.#t.procs.filter((p) => p.state === s).length;
    const states: ProcessState[] = [
      "runnable",
      "waiting",
      "reading",
      "writing",
      "sleeping",
      "zombie",
      "exited",
    ];
    return `ExOS · ${this.#t.procs.length} processes: ` +
      states.map((s) => `${count(s)} ${s}`).join(", ");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The number of signal `name` ("SIGTERM" or "TERM"), or NaN. */
function signalNumber(name: string): number {
  const key = name.startsWith("SIG") ? name : `SIG${name}`;
  for (const [n, s] of Object.entries(SIGNAL_NAMES)) if (s === key) return Number(n);
  return NaN;
}
