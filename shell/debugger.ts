/**
 * The bench's debugger: breakpoints, watchpoints, the instruction trace, the statistics and
 * Ctrl-C, all built outside the CPU's inner loop.
 *
 * It attaches to a DECstation by wrapping its CPU's `execute` (the only entry into the inner
 * loop), `hypercall` (to know when TypeScript runs for the kernel) and setting its `onException`
 * hook. Left alone, `execute` runs as fast as ever, in slices of at most a million instructions
 * while a run is armed so Ctrl-C is seen within milliseconds; one pc breakpoint rides on the
 * CPU's own stop address at full speed. With more, a watchpoint, or the trace on, `execute`
 * single-steps instead: before each instruction
 * it reads the word at pc and works out the address a load or store will touch; after it, the
 * trace shows the registers that changed. Splitting one `execute` into many is invisible to the
 * machine: the CPU takes interrupts only at the start of an `execute`, and every event that could
 * make one pending (an interrupt line, a Status or Cause write, an RFE) already ends `execute`.
 * While it single-steps (the trace, a step, a watchpoint, several pc breakpoints), the CPU runs
 * on the interpreter whatever its engine, and goes back to that engine after; one pc breakpoint
 * (the CPU's own stop address) and exception breakpoints keep the engine.
 *
 * Stops. Breakpoints stop only a run the lab started for the user (`m.run`, `m.step`,
 * `m.exos.run`: `arm` ... `disarm`) and only in guest code it runs directly: the system calls
 * TypeScript makes (`e.sys.*`, ExOS's library code, a TypeScript handler's calls) run inside a
 * hypercall or outside an armed run, and stopping them halfway would leave the kernel mid-call,
 * so they run through (they still show in the trace and the statistics). A pc breakpoint never
 * fires on the first instruction of a run, so continuing from one steps over it. An exception
 * breakpoint stops at the vector, before the handler's first instruction; a watchpoint stops
 * after the instruction that made the access.
 *
 * @module
 */

import type { DECstation } from "../machine/decstation.ts";
import type { StopReason } from "../machine/cpu.ts";
import { CP0, EXC, EXC_NAMES } from "../machine/cp0.ts";
import { formatTable, hex } from "../machine/table.ts";
import { SYS_NAMES } from "../aegis/abi.ts";
import { Stats } from "./stats.ts";
import type { SymbolTable } from "./symbols.ts";
import { type Access, Tracer, type TraceSink } from "./trace.ts";

/** Instructions one `execute` runs at most while a run is armed: the Ctrl-C latency. */
const POLL_INSTRUCTIONS = 1 << 20;

/** Steps between looks at the Ctrl-C flag while single-stepping. */
const POLL_STEPS = 1 << 14;

/** Which accesses a watchpoint sees. */
export type WatchAccess = "read" | "write" | "both";

/** What a breakpoint stops on. */
export type BreakCondition =
  | { kind: "pc"; address: number; label?: string }
  | { kind: "exception"; code: number }
  | { kind: "syscall"; number: number }
  | { kind: "watch"; address: number; bytes: number; access: WatchAccess; physical: boolean };

/** A breakpoint or watchpoint: its number, what it stops on, and how often it has. */
export class Breakpoint {
  /** Times it stopped a run. */
  hits = 0;

  /** Breakpoint number `id` on `condition`. */
  constructor(readonly id: number, readonly condition: BreakCondition) {}

  /** What it stops on, in words: "pc 0x80030040 <main>", "exception TLBL", ... */
  get what(): string {
    const c = this.condition;
    switch (c.kind) {
      case "pc":
        return `pc ${hex(c.address)}${c.label ? ` <${c.label}>` : ""}`;
      case "exception":
        return `exception ${EXC_NAMES[c.code] ?? c.code}`;
      case "syscall":
        return `system call ${SYS_NAMES[c.number] ?? c.number}`;
      default:
        return `${c.access === "both" ? "read or write" : c.access} of ${c.bytes} byte` +
          `${c.bytes === 1 ? "" : "s"} at ${c.physical ? "physical" : "virtual"} ${hex(c.address)}`;
    }
  }

  /** One line: number, what, hits. */
  toString(): string {
    return `Breakpoint ${this.id}: ${this.what} · ${this.hits} hit${this.hits === 1 ? "" : "s"}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Breakpoints as a table, as `m.breakpoints` prints them. */
export function breakpointTable(list: readonly Breakpoint[]): string {
  if (list.length === 0) return "No breakpoints: m.break(addressOrSymbol), m.watch(address)";
  return formatTable(
    [{ header: "id", right: true }, "stops on", { header: "hits", right: true }],
    list.map((b) => [b.id, b.what, b.hits]),
  );
}

/** Why an armed run stopped, when the debugger stopped it. */
export interface Stop {
  /** The kind of stop. */
  reason: "breakpoint" | "watchpoint" | "exception" | "syscall" | "interrupted";
  /** The breakpoint that fired (none for an interruption). */
  breakpoint?: Breakpoint;
  /** For a watchpoint: the instruction that made the access. */
  accessPc?: number;
  /** For a watchpoint: the address accessed (virtual), and the physical one. */
  address?: number;
  /** For a watchpoint: the physical address accessed, or -1 when it did not translate. */
  physical?: number;
  /** For a watchpoint: "read" or "write". */
  access?: "read" | "write";
  /** For an exception or system call: the exception PC and the faulting address. */
  epc?: number;
  /** For an exception with an address: BadVAddr. */
  badVAddr?: number;
}

/** What the debugger needs from the lab: whose code runs, names, the Ctrl-C flag. */
export interface DebuggerHost {
  /** The id of the environment on the CPU, or 0. */
  env(): number;
  /** The name of environment `id`, if it has one. */
  envName(id: number): string | undefined;
  /** Whether the user asked the run to stop (Ctrl-C). */
  interrupted(): boolean;
  /** Names for addresses in traces. */
  symbols?: SymbolTable;
}

/** Breakpoints, watchpoints, trace and statistics on one DECstation's CPU. */
export class Debugger {
  /** The counters (`m.stats`). */
  readonly stats: Stats;
  readonly #machine: DECstation;
  readonly #host: DebuggerHost;
  readonly #tracer: Tracer;
  readonly #exec: (max: number, breakAt?: number) => StopReason;
  readonly #list: Breakpoint[] = [];
  #nextId = 1;
  readonly #pc = new Map<number, Breakpoint>();
  #traceSink: TraceSink | null = null;
  #stepSink: TraceSink | null = null;
  #armed = false;
  #runStart = -1;
  #depth = 0;
  #hit: Stop | null = null;
  #stepException = -1;
  #stepVector = 0;

  /** Attaches to `machine`'s CPU (once per machine). */
  constructor(machine: DECstation, host: DebuggerHost) {
    this.#machine = machine;
    this.#host = host;
    const cpu = machine.cpu;
    this.stats = new Stats(cpu, () => host.env(), (id) => host.envName(id));
    this.#tracer = new Tracer(cpu, host.symbols, () => host.env(), (id) => host.envName(id));
    this.#exec = cpu.execute.bind(cpu);
    cpu.execute = (max: number, breakAt = -1) => this.#execute(max, breakAt);
    const hypercall = cpu.hypercall;
    cpu.hypercall = (code) => {
      this.stats.hypercall();
      this.#depth++;
      try {
        return hypercall(code);
      } finally {
        this.#depth--;
      }
    };
    cpu.onException = (code) => this.#exception(code);
  }

  // ---- breakpoints ---------------------------------------------------------------------------

  /** Every breakpoint and watchpoint, oldest first. */
  get list(): readonly Breakpoint[] {
    return this.#list;
  }

  /** Adds a breakpoint on `condition`, or returns the one already there. */
  add(condition: BreakCondition): Breakpoint {
    const same = this.#list.find((b) => JSON.stringify(b.condition) === JSON.stringify(condition));
    if (same !== undefined) return same;
    const b = new Breakpoint(this.#nextId++, condition);
    this.#list.push(b);
    if (condition.kind === "pc") this.#pc.set(condition.address, b);
    return b;
  }

  /** Removes the breakpoints `match` selects; returns them. */
  remove(match: (b: Breakpoint) => boolean): Breakpoint[] {
    const gone = this.#list.filter(match);
    for (const b of gone) {
      this.#list.splice(this.#list.indexOf(b), 1);
      if (b.condition.kind === "pc") this.#pc.delete(b.condition.address);
    }
    return gone;
  }

  // ---- trace ---------------------------------------------------------------------------------

  /** Sends trace lines to `sink`, or stops tracing (null). */
  set trace(sink: TraceSink | null) {
    this.#traceSink = sink;
  }

  /** Where trace lines go, or null. */
  get trace(): TraceSink | null {
    return this.#traceSink;
  }

  /** Sends the lines of the steps of one `m.step` to `sink` (null after it). */
  set stepSink(sink: TraceSink | null) {
    this.#stepSink = sink;
    if (sink !== null) this.#tracer.reset(); // each m.step says where it is
  }

  // ---- runs ----------------------------------------------------------------------------------

  /** Starts a run made for the user: breakpoints and Ctrl-C may stop it. */
  arm(): void {
    this.#armed = true;
    this.#hit = null;
    this.#runStart = this.#machine.cpu.instructions;
  }

  /** Ends it; returns what stopped it, if the debugger did. */
  disarm(): Stop | null {
    this.#armed = false;
    const hit = this.#hit;
    this.#hit = null;
    return hit;
  }

  /** Whether breakpoints may stop the code running now. */
  get #live(): boolean {
    return this.#armed && this.#depth === 0 && this.#hit === null;
  }

  /** Whether `execute` must go one instruction at a time now. */
  #stepping(breakAt: number): boolean {
    if (this.#traceSink !== null || this.#stepSink !== null) return true;
    if (!this.#live) return false;
    if (this.#list.some((b) => b.condition.kind === "watch")) return true;
    // One pc breakpoint rides on the CPU's own stop address, unless the run uses that already.
    return this.#pc.size > 1 || (this.#pc.size === 1 && breakAt !== -1);
  }

  /** The address of the one pc breakpoint the CPU can stop at by itself, or -1. */
  #onlyPc(): number {
    if (!this.#live || this.#pc.size !== 1) return -1;
    return this.#pc.keys().next().value!;
  }

  /** Records `hit` and asks the CPU to stop at once. */
  #stop(hit: Stop): void {
    this.#hit = hit;
    hit.breakpoint && hit.breakpoint.hits++;
    this.#machine.cpu.stop();
  }

  /** The CPU's exception hook: statistics, the trace's note, exception and syscall breakpoints. */
  #exception(code: number): void {
    this.stats.exception(code);
    this.#stepException = code;
    this.#stepVector = this.#machine.cpu.pc;
    if (!this.#live) return;
    const cpu = this.#machine.cpu;
    for (const b of this.#list) {
      const c = b.condition;
      const fires = (c.kind === "exception" && c.code === code) ||
        (c.kind === "syscall" && code === EXC.Sys && cpu.regs[2] === c.number);
      if (!fires) continue;
      const hit: Stop = {
        reason: c.kind === "syscall" ? "syscall" : "exception",
        breakpoint: b,
        epc: cpu.cp0[CP0.EPC] >>> 0,
      };
      // Mod, TLBL, TLBS, AdEL and AdES set BadVAddr; for the others it is stale.
      if (code >= EXC.Mod && code <= EXC.AdES) hit.badVAddr = cpu.cp0[CP0.BadVAddr] >>> 0;
      this.#stop(hit);
      return;
    }
  }

  /**
   * The wrapped `execute`. While the debugger goes one instruction at a time (the trace, a
   * step, watchpoints, several pc breakpoints) the CPU runs on the interpreter and gets its
   * engine back after; one pc breakpoint, exception and system-call breakpoints need no such
   * thing (the translator stops at the CPU's stop address, and leaves on every exception).
   */
  #execute(max: number, breakAt: number): StopReason {
    const cpu = this.#machine.cpu, engine = cpu.engine;
    if (engine === "interp" || !this.#stepping(breakAt)) return this.#run(max, breakAt);
    cpu.engine = "interp";
    try {
      return this.#run(max, breakAt);
    } finally {
      cpu.engine = engine;
    }
  }

  /** One `execute` under the debugger: statistics checkpoints, slices, stepping, stops. */
  #run(max: number, breakAt: number): StopReason {
    const stats = this.stats, cpu = this.#machine.cpu;
    stats.checkpoint();
    let r: StopReason;
    const bp = this.#onlyPc();
    if (this.#stepping(breakAt)) {
      r = this.#steps(max, breakAt);
    } else if (this.#live && cpu.interruptPending && this.#list.some((b) => isInt(b))) {
      r = this.#exec(0, breakAt); // takes the interrupt (the hook may stop here), runs nothing
    } else if (bp >= 0 && cpu.pc === bp && cpu.instructions === this.#runStart) {
      r = this.#steps(1, breakAt); // a run from the breakpoint steps over it first
    } else {
      const slice = this.#armed ? Math.min(max, POLL_INSTRUCTIONS) : max;
      r = this.#exec(slice, bp >= 0 ? bp | 0 : breakAt);
      if (r === "limit" && slice < max) r = "attention";
      if (r === "breakpoint" && bp >= 0 && cpu.pc === bp) {
        this.#stop({ reason: "breakpoint", breakpoint: this.#pc.get(bp) });
      }
    }
    stats.checkpoint();
    if (this.#live && this.#host.interrupted()) this.#hit = { reason: "interrupted" };
    if (this.#hit !== null && this.#armed && this.#depth === 0) {
      this.#machine.stop();
      return "stop";
    }
    return r;
  }

  /** Writes `lines` to the trace and the step sink. */
  #emit(lines: string[]): void {
    for (const line of lines) {
      this.#traceSink?.(line);
      this.#stepSink?.(line);
    }
  }

  /** Runs up to `max` instructions one at a time: trace, pc breakpoints, watchpoints. */
  #steps(max: number, breakAt: number): StopReason {
    const cpu = this.#machine.cpu, tracer = this.#tracer;
    const tracing = this.#traceSink !== null || this.#stepSink !== null;
    const start = cpu.instructions;
    let polls = 0;
    while (cpu.instructions - start < max) {
      if (cpu.interruptPending) {
        this.#exec(0, breakAt); // the interrupt, on its own line
        this.stats.checkpoint();
        if (tracing) this.#emit([tracer.interrupt()]);
        if (this.#hit !== null) return "stop";
      }
      const pc = cpu.pc;
      if (this.#live && cpu.instructions !== this.#runStart) {
        const b = this.#pc.get(pc);
        if (b !== undefined) {
          this.#stop({ reason: "breakpoint", breakpoint: b });
          return "stop";
        }
      }
      tracer.before();
      const access = tracer.access;
      const physical = access === undefined ? -1 : cpu.translate(access.va, access.write);
      this.#stepException = -1;
      const before = cpu.instructions;
      const stepped = this.#exec(1, breakAt);
      // A hypercall's service is part of its instruction: run it before the trace line.
      if (stepped === "hypercall") cpu.serviceHypercall();
      const r: StopReason = stepped === "hypercall" ? "stop" : stepped;
      this.stats.checkpoint(); // the step may have changed the mode (an RFE, a hypercall)
      const executed = cpu.instructions - before;
      if (tracing && (executed > 0 || this.#stepException >= 0)) {
        this.#emit(tracer.after(this.#stepException, this.#stepVector, executed));
      }
      if (access !== undefined && this.#stepException < 0 && this.#live) {
        this.#watch(access, physical, pc);
      }
      if (r !== "limit" || this.#hit !== null) return r;
      if (cpu.instructions === before) return "attention";
      if (++polls === POLL_STEPS) {
        polls = 0;
        if (this.#live && this.#host.interrupted()) return "attention";
      }
    }
    return "limit";
  }

  /** Stops the run if `access` (made by the instruction at `pc`) hits a watchpoint. */
  #watch(access: Access, physical: number, pc: number): void {
    for (const b of this.#list) {
      const c = b.condition;
      if (c.kind !== "watch") continue;
      if (c.access !== "both" && (c.access === "write") !== access.write) continue;
      const at = c.physical ? physical : access.va;
      if (at < 0 || at + access.bytes <= c.address || at >= c.address + c.bytes) continue;
      this.#stop({
        reason: "watchpoint",
        breakpoint: b,
        accessPc: pc,
        address: access.va,
        physical,
        access: access.write ? "write" : "read",
      });
      return;
    }
  }
}

/** Whether `b` stops on interrupts. */
function isInt(b: Breakpoint): boolean {
  return b.condition.kind === "exception" && b.condition.code === EXC.Int;
}
