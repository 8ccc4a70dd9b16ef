/**
 * The laboratory: a DECstation with Aegis booted on it, and the bench around it, as the REPL
 * and scripts use it. `m` in the REPL is a Lab.
 *
 * A Lab contains its DECstation rather than being one, so nothing a DECstation allows can break
 * Aegis behind its back: it forwards what a user works with (the CPU, the bus, the console, the
 * devices, runs and snapshots), `reset()` reboots the machine and Aegis together, and loading a
 * bare ELF says that it replaces Aegis. Around the machine it adds the bench (shell/debugger.ts):
 *
 * - looking: `m.cpu` (the register view), `m.disasm`, `m.dump`, `m.stats`, `m.symbols`;
 * - stopping: Ctrl-C (in the REPL), `m.step`, `m.next`, breakpoints (`m.break`), watchpoints
 *   (`m.watch`), `m.trace`; every run says why it stopped, where, and which environments died;
 * - keeping: `m.snapshot()`, `m.restore(s)`, snapshots written to and read from files.
 *
 * `m.exos` is ExOS's process layer (exos/process.ts), made on first use. The lab is its host: it
 * creates environments with Aegis, runs the machine and stops it when ExOS asks, and lends it the
 * console, which Aegis does not multiplex yet: process output goes to `m.console` (or to
 * `processOutput`, which `exo exec` sets to keep fd 2 apart), and what `m.console.type` sends is
 * what fd 0 reads. The programs a guest may exec are the /bin programs that ship with exolab
 * (guest/out/bin/NAME.elf, built from guest/bin), as /bin/NAME.
 *
 * Every public method checks its arguments and throws a TypeError naming the method, the
 * argument and what to give, before changing anything.
 *
 * @module
 */

import {
  DECstation,
  type DECstationOptions,
  type RunEnd,
  type RunLimits,
} from "../machine/decstation.ts";
import type { Bus } from "../machine/bus.ts";
import type { Cpu } from "../machine/cpu.ts";
import type { Console } from "../machine/console.ts";
import { EXC, EXC_NAMES } from "../machine/cp0.ts";
import { checkSegmentsFit, type ElfImage, parseElf } from "../machine/elf.ts";
import { hex } from "../machine/table.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { Aegis, aegisGeometry, type AegisOptions, type EnvExit } from "../aegis/kernel.ts";
import { Environment } from "../aegis/env.ts";
import type { ExceptionInfo, SyscallPath, TsHandler } from "../aegis/abi.ts";
import { SYS } from "../aegis/abi.ts";
import {
  ExOS,
  type ExosHost,
  type ExosRecord,
  type ExosRunResult,
  type PageTableKind,
  Process,
  UNIX,
} from "../exos/mod.ts";
import { address, atMost, count, oneOf, options, show } from "./args.ts";
import {
  type BreakCondition,
  Breakpoint,
  breakpointTable,
  Debugger,
  type Stop,
} from "./debugger.ts";
import { ctrlC } from "./interrupt.ts";
import { Text } from "./plot.ts";
import { type ExosState, type LabState, Snapshot } from "./snapshot.ts";
import { type Symbols, SymbolTable } from "./symbols.ts";
import type { Stats } from "./stats.ts";
import { disasmView, dumpView, type MemorySpace, reader } from "./views.ts";

/**
 * Options for booting a lab: the machine's (`memoryMB`, `engine`: "interp" or "jit", ...),
 * Aegis's, and ExOS's page-table structure.
 */
export interface LabOptions extends DECstationOptions, AegisOptions {
  /** The page-table structure of ExOS's processes (default "linear"). */
  pageTable?: PageTableKind;
}

/** Every option a Lab takes. */
const LAB_OPTIONS = [
  "memoryMB",
  "epoch",
  "cols",
  "rows",
  "slices",
  "clockRate",
  "insecureSeed",
  "pageTable",
  "engine",
] as const;

/** Where the programs a guest may exec live, each as /bin/NAME. */
const BIN_PROGRAMS = new URL("../guest/out/bin/", import.meta.url);

/** The programs that ship (guest/out/bin/NAME.elf), as [/bin/NAME, bytes]; none when unreadable. */
export function binPrograms(): [string, Uint8Array][] {
  try {
    return [...Deno.readDirSync(BIN_PROGRAMS)].filter((f) => f.name.endsWith(".elf")).map((f) => [
      `/bin/${f.name.slice(0, -4)}`,
      Deno.readFileSync(new URL(f.name, BIN_PROGRAMS)),
    ]);
  } catch {
    return [];
  }
}

/** An environment that ended during a run: who, why, and where it was when it did. */
export interface DiedEnvironment {
  /** Its id. */
  id: number;
  /** Its name, if it had one. */
  name?: string;
  /** Why it ended, as Aegis recorded it. */
  reason: string;
  /** The pc of the exception that ended it, when one did. */
  pc?: number;
  /** The faulting address of that exception, when it had one. */
  address?: number;
}

/** Why a lab's run ended: the machine's reasons, ExOS's, and the bench's. */
export type RunReason = RunEnd | ExosRunResult["reason"] | Stop["reason"];

/** The words for the reasons that need no detail. */
const HEADLINES: Partial<Record<RunReason, string>> = {
  interrupted: "Interrupted (Ctrl-C)",
  instructions: "Stopped at the instruction limit",
  cycles: "Stopped at the cycle limit",
  halt: "The machine halted",
  input: "Waiting for console input",
  stopped: "Stopped",
  exited: "Every process has exited",
  blocked: "Every process waits and none can go on",
  halted: "The machine stopped for another reason",
};

/** What a run did and why it ended; prints as a line or two. */
export class RunOutcome {
  /** Why it ended. */
  readonly reason: RunReason;
  /** Instructions executed in the run. */
  readonly instructions: number;
  /** Cycles elapsed in the run. */
  readonly cycles: number;
  /** The pc where it stopped. */
  readonly pc: number;
  /** The environment on the CPU when it stopped (0: none). */
  readonly env: number;
  /** Environments that ended during the run. */
  readonly died: DiedEnvironment[];
  /** What the bench stopped on, for a breakpoint, watchpoint, exception or system call. */
  readonly stop?: Stop;
  readonly #where: string;

  /** Records a run's end; `where` names the pc (a symbol, the environment). */
  constructor(
    fields: {
      reason: RunReason;
      instructions: number;
      cycles: number;
      pc: number;
      env: number;
      died: DiedEnvironment[];
      stop?: Stop;
    },
    where: string,
  ) {
    this.reason = fields.reason;
    this.instructions = fields.instructions;
    this.cycles = fields.cycles;
    this.pc = fields.pc;
    this.env = fields.env;
    this.died = fields.died;
    if (fields.stop !== undefined) this.stop = fields.stop;
    this.#where = where;
  }

  /** Why it stopped, in words. */
  get headline(): string {
    const s = this.stop, b = s?.breakpoint;
    if (this.reason === "breakpoint") {
      return b ? `Breakpoint ${b.id} (${b.what})` : "Reached the until address";
    }
    if (this.reason === "watchpoint" && s !== undefined && b !== undefined) {
      return `Watchpoint ${b.id}: ${s.access} of ${hex(s.address!)}` +
        (s.physical! >= 0 ? ` (physical ${hex(s.physical!)})` : "") +
        ` by the instruction at ${hex(s.accessPc!)}`;
    }
    if ((this.reason === "exception" || this.reason === "syscall") && s && b) {
      return `Breakpoint ${b.id} (${b.what}): EPC ${hex(s.epc!)}` +
        (this.reason === "exception" && s.badVAddr !== undefined
          ? `, BadVAddr ${hex(s.badVAddr)}`
          : "");
    }
    return HEADLINES[this.reason] ?? `Stopped (${this.reason})`;
  }

  /** The headline, where, what it cost; then a line per environment that died. */
  toString(): string {
    const n = this.instructions;
    const lines = [
      `${this.headline} · ${this.#where} · ${n} instruction${n === 1 ? "" : "s"} · ` +
      `${this.cycles} cycle${this.cycles === 1 ? "" : "s"} · ${fmtTime(cyclesToUs(this.cycles))}`,
    ];
    for (const d of this.died) {
      const at = d.pc === undefined ? "" : ` (pc ${hex(d.pc)}` +
        (d.address === undefined ? ")" : `, address ${hex(d.address)})`);
      lines.push(
        `  environment ${hex(d.id, 4)}${d.name ? ` ${d.name}` : ""} died: ${d.reason}${at}`,
      );
    }
    return lines.join("\n");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** ExOS as the lab offers it: `run` also stops for the bench and reports deaths. */
export type LabExOS = Omit<ExOS, "run"> & {
  /**
   * Runs the processes until every one has exited, all are blocked, a limit (a number is an
   * instruction count), a breakpoint or Ctrl-C; returns why.
   */
  run(limit?: number | { maxInstructions?: number }): RunOutcome;
};

/** An environment named as an object (an Environment, a Process) or by id. */
export type EnvRef = Environment | Process | number;

/** What `m.break` takes: an address, a symbol, or an exception or system call by name. */
export type BreakTarget = number | string | { exception: string } | { syscall: string };

/** What `m.watch` takes besides the address. */
export interface WatchOptions {
  /** Which accesses stop: "write" (default), "read" or "both". */
  access?: "read" | "write" | "both";
  /** Bytes watched from the address (default 4). */
  bytes?: number;
  /** The address is physical, not virtual (default false). */
  physical?: boolean;
}

/** The last exception a TypeScript handler of an environment saw (for deaths' pc and address). */
interface SeenFault {
  code: number;
  epc: number;
  badVAddr: number;
  a0: number;
  a2: number;
}

/** A DECstation 5000/200 running Aegis, with the bench around it. */
export class Lab {
  readonly #machine: DECstation;
  readonly #options: LabOptions;
  #aegis: Aegis | null;
  #bare: string | null = null;
  #exos: LabExOS | undefined;
  readonly #debugger: Debugger;
  /** Names for addresses: the kernel's, the loaded ELF's, each process's, and what you add. */
  readonly symbols: SymbolTable;
  readonly #faults = new Map<number, SeenFault>();
  /** Symbols of each environment's program, with the program's name they belong to. */
  readonly #programs = new Map<number, { program: string; symbols: Symbols }>();
  #symbolGeneration = 0;
  /** The TypeScript handlers ExOS installed through this lab (a snapshot's record remakes them). */
  readonly #exosHandlers = new WeakSet<TsHandler>();
  /** The programs that ship, read on first use: ExOS's files start as these very bytes. */
  #shipped: Map<string, Uint8Array> | undefined;
  /**
   * Where ExOS process output goes, with its fd (1 or 2); unset, both go to the console.
   * `exo exec` sets it to keep fd 2 on stderr.
   */
  processOutput: ((fd: number, bytes: Uint8Array) => void) | undefined;

  /**
   * Builds the machine and boots Aegis on it; throws TypeError for an unknown option and
   * RangeError for a value out of range.
   *
   * @example
   * ```ts
   * import { Lab } from "./mod.ts";
   * const m = new Lab({ insecureSeed: 1 });   // reproducible (and guessable) capabilities
   * console.log(String(m));           // DECstation 5000/200 (KN02) · ... · Aegis: 0 environments
   * ```
   */
  constructor(labOptions: LabOptions = {}) {
    options("new Lab", labOptions, LAB_OPTIONS);
    this.#options = { ...labOptions };
    this.#machine = new DECstation(labOptions);
    this.#aegis = new Aegis(this.#machine, labOptions);
    this.symbols = new SymbolTable({
      global: () => {
        const sets: Symbols[] = [];
        if (this.#aegis !== null) sets.push(this.#aegis.symbols);
        if (this.#machine.symbols.length > 0) sets.push(this.#machine.symbols);
        return sets;
      },
      user: (env) => {
        const s = this.#processSymbols(env);
        return s === undefined ? [] : [s];
      },
      generation: () => this.#symbolGeneration,
    });
    this.#debugger = new Debugger(this.#machine, {
      env: () => this.#aegis?.current ?? 0,
      envName: (id) => this.#envName(id),
      interrupted: () => ctrlC.pressed,
      symbols: this.symbols,
    });
  }

  /** Environment `id`'s name, live or from the exit log once it has ended; undefined for none. */
  #envName(id: number): string | undefined {
    const a = this.#aegis;
    if (a === null || a === undefined) return undefined;
    return a.nameOf(id) || a.exits.findLast((x) => x.id === id)?.name || undefined;
  }

  // ---- the machine ---------------------------------------------------------------------------

  /** The processor: prints as the register view; `.regs`, `.cp0`, `.pc` are the raw state. */
  get cpu(): Cpu {
    return this.#machine.cpu;
  }

  /** RAM and devices. */
  get bus(): Bus {
    return this.#machine.bus;
  }

  /** The console terminal on DZ line 3. */
  get console(): Console {
    return this.#machine.console;
  }

  /** Device events in emulated cycles. */
  get events(): DECstation["events"] {
    return this.#machine.events;
  }

  /** The DZ serial lines. */
  get dz(): DECstation["dz"] {
    return this.#machine.dz;
  }

  /** The MC146818 clock. */
  get rtc(): DECstation["rtc"] {
    return this.#machine.rtc;
  }

  /** The system CSR. */
  get csr(): DECstation["csr"] {
    return this.#machine.csr;
  }

  /** The boot PROM. */
  get prom(): DECstation["prom"] {
    return this.#machine.prom;
  }

  /** Set when the machine halted: the status and a message. */
  get halted(): DECstation["halted"] {
    return this.#machine.halted;
  }

  /** RAM size in bytes. */
  get ramBytes(): number {
    return this.#machine.ramBytes;
  }

  /** Emulated time since reset, in microseconds. */
  get us(): number {
    return this.#machine.us;
  }

  /** The exokernel; throws while a bare program replaced it (`loadElf`), until `reset`. */
  get aegis(): Aegis {
    if (this.#aegis === null) {
      throw new Error(
        `Aegis is not running: m.loadElf booted the bare program ${this.#bare}; ` +
          "m.reset() boots Aegis again",
      );
    }
    return this.#aegis;
  }

  /**
   * Reboots: resets the machine and boots Aegis afresh (with the lab's options), so every
   * environment, page and process is gone. Breakpoints stay; the statistics start again.
   */
  reset(...args: unknown[]): void {
    atMost("m.reset", args, 0);
    this.#aegis = new Aegis(this.#machine, this.#options);
    this.#bare = null;
    this.#machine.symbols = [];
    this.#exos = undefined;
    this.#faults.clear();
    this.#programs.clear();
    this.#symbolGeneration++;
    this.#debugger.stats.reset();
  }

  /**
   * Loads a bare DECstation ELF and reboots the machine into it through the PROM, as
   * `exo run` does: Aegis no longer runs (`m.aegis` says so) until `m.reset()`. The ELF's
   * symbols name addresses in disassembly, traces and breakpoints. Throws ElfError for a bad
   * file (the lab is left as it was).
   *
   * @example
   * ```ts
   * m.loadElf(Deno.readFileSync("tests/guest/out/hello.elf"))
   * m.break("main"); m.run()            // stops at main, Aegis is gone until m.reset()
   * ```
   */
  loadElf(bytes: Uint8Array, argv?: string[]): ElfImage {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`m.loadElf takes the ELF's bytes (a Uint8Array), not ${show(bytes)}`);
    }
    if (argv !== undefined && (!Array.isArray(argv) || argv.some((a) => typeof a !== "string"))) {
      throw new TypeError(`m.loadElf: argv must be an array of strings, not ${show(argv)}`);
    }
    // A bad file, or one that does not fit below the PROM's argv page, fails before any change.
    checkSegmentsFit(parseElf(bytes), this.ramBytes - 4096);
    this.#machine.reset();
    const image = this.#machine.loadElf(bytes, argv);
    this.#aegis = null;
    this.#bare = argv?.[0] ?? "prog";
    this.#exos = undefined;
    this.#symbolGeneration++;
    this.#debugger.stats.reset();
    return image;
  }

  // ---- running -------------------------------------------------------------------------------

  /**
   * Runs the machine until a limit (a number is an instruction count; or { maxInstructions,
   * maxCycles, until }), a halt, a wait for input, a breakpoint, or Ctrl-C. Returns what it did
   * and why it ended, with the environments that died meanwhile. With no limit in the REPL it
   * first says how to stop it. Throws TypeError for a bad limit, running nothing.
   *
   * @example
   * ```ts
   * m.run(1000)                          // 1000 instructions
   * m.run({ until: 0x80000080 })         // to an address
   * m.run()                              // until something stops it: Ctrl-C does
   * ```
   */
  run(limit?: number | RunLimits, ...rest: unknown[]): RunOutcome {
    atMost("m.run", [limit, ...rest], 1);
    const limits = runLimits("m.run", limit);
    if (Object.keys(limits).length === 0) this.#hint("m.run()", "m.run(n) runs n instructions");
    ctrlC.clear();
    return this.#run(limits);
  }

  /**
   * Executes `n` instructions (default 1), printing each with the registers it changed and the
   * memory it touched; stops early for a breakpoint. Throws TypeError for a bad count.
   *
   * @example
   * ```ts
   * m.step()       // one instruction
   * m.step(5)      // five, one line each
   * ```
   */
  step(n?: number, ...rest: unknown[]): RunOutcome {
    atMost("m.step", [n, ...rest], 1);
    const k = count("m.step", "the instruction count", n, 1, 1);
    ctrlC.clear();
    let lines: string[] = [];
    const print = () => {
      if (lines.length > 0) console.log(lines.join("\n"));
      lines = [];
    };
    this.#debugger.stepSink = (line) => {
      lines.push(line);
      if (lines.length >= 1000) print(); // a long step prints as it goes
    };
    try {
      return this.#run({ maxInstructions: k });
    } finally {
      this.#debugger.stepSink = null;
      print();
    }
  }

  /**
   * Steps one instruction, or, at a call (jal, jalr, bal, bgezal, bltzal), runs until it returns
   * to the instruction after its delay slot (or a breakpoint stops it first).
   */
  next(...args: unknown[]): RunOutcome {
    atMost("m.next", args, 0);
    const cpu = this.cpu, pc = cpu.pc;
    let word: number;
    try {
      word = cpu.readVirtual(pc, 4);
    } catch {
      return this.step();
    }
    const op = word >>> 26, rt = (word >>> 16) & 31;
    const call = op === 3 || (op === 0 && (word & 63) === 9) || (op === 1 && (rt & 0x1e) === 0x10);
    if (!call) return this.step();
    ctrlC.clear();
    console.log(`${hex(pc).slice(2)}  call; running to ${hex((pc + 8) >>> 0)}`);
    return this.#run({ until: (pc + 8) >>> 0 });
  }

  /** One run made for the user: armed for breakpoints and Ctrl-C; reports deaths. */
  #run(limits: RunLimits): RunOutcome {
    const m = this.#machine, cpu = m.cpu;
    const exits = this.#aegis?.exits.length ?? 0;
    const i0 = cpu.instructions, c0 = cpu.cycles;
    this.#debugger.arm();
    let reason: RunReason;
    let stop: Stop | null;
    try {
      reason = m.run(limits).reason;
    } finally {
      stop = this.#debugger.disarm();
      this.#flushTrace();
    }
    if (stop !== null && reason === "stopped") reason = stop.reason;
    return this.#outcome(reason, cpu.instructions - i0, cpu.cycles - c0, exits, stop ?? undefined);
  }

  /** A RunOutcome for a run that began with `exits` recorded exits. */
  #outcome(
    reason: RunReason,
    instructions: number,
    cycles: number,
    exits: number,
    stop?: Stop,
  ): RunOutcome {
    const env = this.#aegis?.current ?? 0;
    const pc = this.cpu.pc;
    const sym = this.symbols.describe(pc, env);
    const name = env === 0 ? undefined : (this.#aegis?.nameOf(env) || undefined);
    const where = `pc ${hex(pc)}${sym ? ` <${sym}>` : ""}` +
      (env === 0 ? "" : ` in ${hex(env, 4)}${name ? ` ${name}` : ""}`) +
      ` (${this.cpu.kernelMode ? "kernel" : "user"} mode)`;
    const died = (this.#aegis?.exits.slice(exits) ?? []).map((x) => this.#died(x));
    return new RunOutcome({ reason, instructions, cycles, pc, env, died, stop }, where);
  }

  /** A death as a run reports it: the name, and the pc and address where they can be known. */
  #died(x: EnvExit): DiedEnvironment {
    const d: DiedEnvironment = { id: x.id, reason: x.reason };
    const name = x.name || undefined;
    if (name !== undefined) d.name = name;
    const unhandled = /at EPC 0x([0-9a-f]+), BadVAddr 0x([0-9a-f]+)/.exec(x.reason);
    if (unhandled) {
      d.pc = parseInt(unhandled[1], 16);
      d.address = parseInt(unhandled[2], 16);
      return d;
    }
    const f = this.#faults.get(x.id);
    if (f !== undefined) {
      const faultTrap = this.#exos?.processes.find((p) => p.path.id === x.id)?.vm.routines
        .faultTrap;
      if (f.code === EXC.Bp && f.epc === faultTrap) {
        d.pc = f.a2 >>> 0; // ExOS's fault upcall: a0 = the address, a2 = the EPC
        d.address = f.a0 >>> 0;
      } else {
        d.pc = f.epc;
        if (f.code >= EXC.Mod && f.code <= EXC.AdES) d.address = f.badVAddr;
      }
    }
    return d;
  }

  /** Prints how to stop a run with no limit, when Ctrl-C can. */
  #hint(call: string, alternative: string): void {
    if (ctrlC.listening) {
      console.error(`${call} runs with no limit: Ctrl-C stops it (${alternative})`);
    }
  }

  /** Ends the current run after the instruction in progress, with reason "stopped". */
  stop(...args: unknown[]): void {
    atMost("m.stop", args, 0);
    this.#machine.stop();
  }

  // ---- ExOS ----------------------------------------------------------------------------------

  /** ExOS's processes on this machine: exec, run, processes (made on first use). */
  get exos(): LabExOS {
    return this.#exos ??= this.#makeExos();
  }

  /**
   * ExOS on this lab's Aegis, with `run` and `exec` made the bench's: a fresh one, or one rebuilt
   * from a snapshot's record (its handlers go into `handlers`, for Aegis's restore to bind).
   */
  #makeExos(
    from?: {
      record: ExosRecord;
      files: [string, Uint8Array][];
      handlers: Map<number, Map<number, TsHandler>>;
    },
  ): LabExOS {
    const aegis = this.aegis;
    const host: ExosHost = {
      createEnv: (name) => this.#path(aegis.createEnv(name)),
      run: (maxInstructions, maxCycles) => {
        const limits = maxCycles === undefined
          ? { maxInstructions }
          : { maxInstructions, maxCycles };
        const r = this.#lastExosRun = this.#run(limits);
        return { instructions: r.instructions, stopped: r.reason === "stopped" };
      },
      stop: () => this.#machine.stop(),
      write: (bytes, stream) => {
        if (this.processOutput !== undefined) this.processOutput(stream, bytes);
        else this.console.write(bytes);
      },
      cycles: () => this.#machine.cpu.cycles,
      alive: (id) => aegis.slotOf(id) >= 0,
      read: () => this.#machine.dz.takeConsoleInput(),
      readFile: (path) => {
        try {
          return Deno.readFileSync(path);
        } catch {
          return undefined;
        }
      },
    };
    let exos: ExOS;
    if (from === undefined) {
      exos = new ExOS(host, {
        files: this.#shippedFiles(),
        structure: this.#options.pageTable ?? "linear",
      });
    } else {
      exos = ExOS.rebuild(host, from.record, { files: from.files }, (id) => {
        const name = aegis.slotOf(id) >= 0 ? aegis.nameOf(id) : "";
        const env = aegis.environments.get(id) ?? new Environment(aegis, id, name);
        return this.#path(env, (code, handler) => {
          let table = from.handlers.get(id);
          if (table === undefined) from.handlers.set(id, table = new Map());
          table.set(code, handler);
        });
      });
    }
    const run = exos.run.bind(exos), exec = exos.exec.bind(exos);
    return Object.assign(exos, {
      run: (limit?: number | { maxInstructions?: number }, ...rest: unknown[]) => {
        atMost("m.exos.run", [limit, ...rest], 1);
        const { maxInstructions } = runLimits("m.exos.run", limit, ["maxInstructions"]);
        if (maxInstructions === undefined) {
          this.#hint("m.exos.run()", "m.exos.run(n) runs n instructions");
        }
        ctrlC.clear();
        return this.#runExos(run, maxInstructions);
      },
      exec: (program: string | Uint8Array, argv?: string[]) => {
        const p = exec(program, argv);
        if (program instanceof Uint8Array) {
          this.#programs.set(p.path.id, { program: p.program, symbols: parseElf(program).symbols });
        }
        this.#symbolGeneration++;
        return p;
      },
    }) as unknown as LabExOS;
  }

  /** The last run ExOS asked for during the current `m.exos.run`. */
  #lastExosRun: RunOutcome | undefined;

  /** ExOS's run, reported as one RunOutcome (a bench stop in one of its runs ends it). */
  #runExos(run: ExOS["run"], maxInstructions: number | undefined): RunOutcome {
    const cpu = this.cpu;
    const exits = this.aegis.exits.length, c0 = cpu.cycles;
    this.#lastExosRun = undefined;
    const r = run(maxInstructions === undefined ? {} : { maxInstructions });
    const last = this.#lastExosRun as RunOutcome | undefined;
    // A stop of the bench's ends ExOS's run as "halted": say which it was.
    const bench = last?.reason === "interrupted" || last?.stop !== undefined;
    const reason: RunReason = bench && r.reason === "halted" ? last!.reason : r.reason;
    return this.#outcome(reason, r.instructions, cpu.cycles - c0, exits, last?.stop);
  }

  /**
   * `env`'s call path as ExOS gets it: its TypeScript handlers are wrapped to note the fault
   * they saw (so a death reports its pc and address), and installed by `install` when given
   * (a rebuilt ExOS's, bound without a system call) instead of `env.onException`.
   */
  #path(env: SyscallPath, install?: (code: number, handler: TsHandler) => void): SyscallPath {
    return {
      id: env.id,
      call: (n, a0, a1, a2, a3, t0) => env.call(n, a0, a1, a2, a3, t0),
      read32: (va) => env.read32(va),
      write32: (va, v) => env.write32(va, v),
      onException: (code: number, handler: TsHandler) => {
        const wrapped = (x: ExceptionInfo) => {
          this.#faults.set(env.id, {
            code: x.code,
            epc: x.epc,
            badVAddr: x.badVAddr,
            a0: x.regs[4],
            a2: x.regs[6],
          });
          const exec = x.code === EXC.Bp && (x.regs[2] === UNIX.EXEC || x.regs[2] === UNIX.FORK);
          try {
            return handler(x);
          } finally {
            if (exec) this.#symbolGeneration++; // the process may run another program now
          }
        };
        this.#exosHandlers.add(wrapped);
        if (install !== undefined) install(code, wrapped);
        else env.onException(code, wrapped);
      },
      child: (id) => this.#path(env.child(id)),
    };
  }

  /**
   * The ELF symbols of the process running in environment `env`: its program's, from ExOS's
   * files or from the bytes `exec` was given (a forked child runs its parent's).
   */
  #processSymbols(env: number): Symbols | undefined {
    const exos = this.#exos;
    if (exos === undefined || env === 0) return undefined;
    const p = exos.processes.findLast((q) => q.path.id === env);
    if (p === undefined) return undefined;
    for (let q: Process | undefined = p; q !== undefined; q = q.parent) {
      const known = this.#programs.get(q.path.id);
      if (known !== undefined && known.program === p.program) return known.symbols;
    }
    const bytes = exos.files.get(p.program);
    if (bytes === undefined) return undefined;
    const symbols = parseElf(bytes).symbols;
    this.#programs.set(env, { program: p.program, symbols });
    return symbols;
  }

  // ---- breakpoints, watchpoints, trace -------------------------------------------------------

  /**
   * Stops runs at an address or symbol (before the instruction there), at an exception
   * ({ exception: "TLBL" }, at its vector) or at a system call ({ syscall: "TLBWR" }, at the
   * general vector with v0 = the call); returns the breakpoint. Throws TypeError for anything
   * else, or for a name that is not a symbol, an exception or a system call.
   *
   * @example
   * ```ts
   * m.break("main")                     // a symbol: the kernel's, the ELF's, a process's
   * m.break(0x80000080)                 // an address
   * m.break({ exception: "TLBL" })
   * m.break({ syscall: "TLBWR" })
   * m.run()                             // Breakpoint 1 (pc 0x... <main>) · ...
   * ```
   */
  break(target: BreakTarget, ...rest: unknown[]): Breakpoint {
    atMost("m.break", [target, ...rest], 1);
    return this.#debugger.add(this.#condition("m.break", target));
  }

  /**
   * Stops runs after an instruction reads or writes `bytes` bytes at `address` (virtual, or
   * physical with `physical: true`); returns the watchpoint. Loads and stores the CPU executes
   * are watched; memory TypeScript writes directly (a kernel service, `e.write32`) is not.
   *
   * @example
   * ```ts
   * m.watch(0x10000000)                          // a write to the word at 0x10000000
   * m.watch(0x00412000, { physical: true, access: "both", bytes: 4096 })
   * ```
   */
  watch(at: number, watchOptions?: WatchOptions, ...rest: unknown[]): Breakpoint {
    atMost("m.watch", [at, watchOptions, ...rest], 2);
    const o = options("m.watch", watchOptions, ["access", "bytes", "physical"] as const);
    const physical = o.physical ?? false;
    if (typeof physical !== "boolean") {
      throw new TypeError(`m.watch: physical must be true or false, not ${show(physical)}`);
    }
    return this.#debugger.add({
      kind: "watch",
      address: address("m.watch", "the address", at),
      bytes: count("m.watch", "bytes", o.bytes, 4, 1),
      access: oneOf("m.watch", "access", o.access ?? "write", ["read", "write", "both"] as const),
      physical,
    });
  }

  /**
   * Removes breakpoints: by number, by what `m.break` was given, or a Breakpoint; with no
   * argument, all of them. Returns how many went; throws TypeError when none matches.
   */
  unbreak(target?: BreakTarget | Breakpoint, ...rest: unknown[]): number {
    atMost("m.unbreak", [target, ...rest], 1);
    if (target === undefined) return this.#debugger.remove(() => true).length;
    let gone: Breakpoint[];
    if (target instanceof Breakpoint) gone = this.#debugger.remove((b) => b === target);
    else if (typeof target === "number" && this.#debugger.list.some((b) => b.id === target)) {
      gone = this.#debugger.remove((b) => b.id === target);
    } else {
      const c = JSON.stringify(this.#condition("m.unbreak", target));
      gone = this.#debugger.remove((b) =>
        JSON.stringify(b.condition) === c ||
        (b.condition.kind === "watch" && typeof target === "number" &&
          b.condition.address === target)
      );
    }
    if (gone.length === 0) {
      throw new TypeError(`m.unbreak: no breakpoint matches ${show(target)}: see m.breakpoints`);
    }
    return gone.length;
  }

  /** Every breakpoint and watchpoint; prints as a table. */
  get breakpoints(): readonly Breakpoint[] {
    const list = [...this.#debugger.list];
    Object.defineProperty(list, Symbol.for("Deno.customInspect"), {
      value: () => breakpointTable(list),
    });
    return list;
  }

  /** The condition `target` names, for `method`; throws TypeError naming what is wrong. */
  #condition(method: string, target: unknown): BreakCondition {
    if (typeof target === "number") {
      return { kind: "pc", address: address(method, "the address", target) };
    }
    if (typeof target === "string") {
      const at = this.#resolve(method, target, this.#aegis?.current ?? 0);
      return { kind: "pc", address: at, label: target };
    }
    if (typeof target === "object" && target !== null && !Array.isArray(target)) {
      const keys = Object.keys(target);
      const o = target as Record<string, unknown>;
      if (keys.length === 1 && keys[0] === "exception") {
        const code = EXC_NAMES.indexOf(String(o.exception));
        if (typeof o.exception !== "string" || code < 0) {
          throw new TypeError(
            `${method}: exception ${show(o.exception)} is not one of ${EXC_NAMES.join(", ")}`,
          );
        }
        return { kind: "exception", code };
      }
      if (keys.length === 1 && keys[0] === "syscall") {
        const n = typeof o.syscall === "string" ? (SYS as Record<string, number>)[o.syscall] : -1;
        if (n === undefined || n < 0) {
          throw new TypeError(
            `${method}: system call ${show(o.syscall)} is not one of ${
              Object.keys(SYS).join(", ")
            }`,
          );
        }
        return { kind: "syscall", number: n };
      }
    }
    throw new TypeError(
      `${method} takes an address, a symbol name, { exception: "TLBL" } or ` +
        `{ syscall: "TLBWR" }, not ${show(target)}`,
    );
  }

  /**
   * The address of `name` ("sym" or "sym+0x10") as environment `env` sees it, or else as the
   * first live environment that has it; throws TypeError when none has.
   */
  #resolve(method: string, name: string, env: number): number {
    const m = /^([^+]+)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(name.trim());
    // The environment asked about first, then every live one (a process's main, say).
    let base = m === null ? undefined : this.symbols.lookup(m[1], env);
    for (const id of this.#aegis?.envIds ?? []) {
      if (base !== undefined || m === null) break;
      base = this.symbols.lookup(m[1], id);
    }
    if (base === undefined) {
      throw new TypeError(
        `${method}: no symbol ${JSON.stringify(name)}: give an address, or a name from the ` +
          "kernel (m.aegis.symbols), the loaded ELF, a process's program, or m.symbols.add(...)",
      );
    }
    return (base + (m![2] === undefined ? 0 : Number(m![2]))) >>> 0;
  }

  #traceFile: Deno.FsFile | null = null;
  #traceBuffer: string[] = [];

  /**
   * Traces every instruction with the registers it changed and the memory it touched: `true`
   * to the screen, a path to that file, a function to be given each line, `false` off (closing
   * the file). Slow: the CPU then goes one instruction at a time. Returns what it does now.
   *
   * @example
   * ```ts
   * m.trace(true); m.run(20); m.trace(false)
   * m.trace("/tmp/boot.trace")            // for a long run; m.trace(false) closes it
   * ```
   */
  trace(on: boolean | string | ((line: string) => void), ...rest: unknown[]): Text {
    atMost("m.trace", [on, ...rest], 1);
    if (
      typeof on !== "boolean" && typeof on !== "function" && (typeof on !== "string" || on === "")
    ) {
      throw new TypeError(`m.trace takes true, false, a file path or a function, not ${show(on)}`);
    }
    const file = typeof on === "string"
      ? Deno.openSync(on, { write: true, create: true, truncate: true })
      : null;
    this.#flushTrace();
    this.#traceFile?.close();
    this.#traceFile = file;
    if (on === false) {
      this.#debugger.trace = null;
      return new Text("Trace off");
    }
    if (typeof on === "function") {
      this.#debugger.trace = on;
      return new Text("Tracing to a function");
    }
    this.#debugger.trace = (line) => {
      this.#traceBuffer.push(line);
      if (this.#traceBuffer.length >= 4096) this.#flushTrace();
    };
    return new Text(typeof on === "string" ? `Tracing to ${on}` : "Tracing to the screen");
  }

  /** Writes out buffered trace lines. */
  #flushTrace(): void {
    if (this.#traceBuffer.length === 0) return;
    const text = this.#traceBuffer.join("\n") + "\n";
    this.#traceBuffer = [];
    const bytes = new TextEncoder().encode(text);
    if (this.#traceFile !== null) this.#traceFile.writeSync(bytes);
    else Deno.stdout.writeSync(bytes);
  }

  // ---- looking -------------------------------------------------------------------------------

  /** What the views read memory through. */
  get #space(): MemorySpace {
    return {
      machine: this.#machine,
      symbols: this.symbols,
      userPhysical: (env, va) => this.#aegis?.physicalFor(env, va) ?? -1,
      current: () => this.#aegis?.current ?? 0,
      envName: (env) => this.#envName(env),
    };
  }

  /** The environment id `ref` names, for `method`; throws TypeError for anything else. */
  #envId(method: string, ref: unknown): number {
    if (ref === undefined) return 0;
    if (ref instanceof Environment) return ref.id;
    if (ref instanceof Process) return ref.path.id;
    if (typeof ref === "number" && this.#aegis !== null && this.#aegis.slotOf(ref) >= 0) return ref;
    throw new TypeError(
      `${method}: ${show(ref)} is not a live environment: give an Environment, a Process or an id`,
    );
  }

  /**
   * Disassembles `count` instructions (default 16) from `at` (an address or symbol; default:
   * around the pc, with an arrow at it), naming jump targets by symbol. With `env`, user
   * addresses are that environment's, through its bindings.
   *
   * @example
   * ```ts
   * m.disasm()                           // around the pc
   * m.disasm("utlb", 16)                 // the kernel's UTLB refill
   * m.disasm(0x400000, 8, e)             // environment e's code
   * ```
   */
  disasm(at?: number | string, n?: number, env?: EnvRef, ...rest: unknown[]): Text {
    atMost("m.disasm", [at, n, env, ...rest], 3);
    const id = this.#envId("m.disasm", env);
    const k = count("m.disasm", "the instruction count", n, 16, 1);
    const start = at === undefined ? undefined : this.#address("m.disasm", at, id);
    return new Text(disasmView(this.#space, reader(this.#space, id, false), start, k));
  }

  /**
   * A hex dump with ASCII of `bytes` bytes (default 64) at `at` (an address or symbol). Below
   * 0x80000000 the address is physical, unless `env` is given: then it is that environment's
   * user address, through its bindings. kseg0/kseg1 read as physical; kseg2 through the TLB.
   *
   * @example
   * ```ts
   * m.dump(0x80000000, 32)               // the UTLB vector, in kseg0
   * m.dump(0x10000000, 16, e)            // environment e's page at 0x10000000
   * ```
   */
  dump(at: number | string, bytes?: number, env?: EnvRef, ...rest: unknown[]): Text {
    atMost("m.dump", [at, bytes, env, ...rest], 3);
    const id = this.#envId("m.dump", env);
    const n = count("m.dump", "the byte count", bytes, 64, 1);
    if (n > 1 << 20) {
      throw new TypeError(
        `m.dump: ${n} bytes is more than a screen can hold: give at most 1048576`,
      );
    }
    const start = this.#address("m.dump", at, id);
    return new Text(dumpView(reader(this.#space, id, true), start, n));
  }

  /** `at` as an address (a number, or a symbol as `env` sees it). */
  #address(method: string, at: unknown, env: number): number {
    if (typeof at === "string") {
      return this.#resolve(method, at, env || (this.#aegis?.current ?? 0));
    }
    return address(method, "the address", at);
  }

  /**
   * The counters since the last `m.stats.reset()`: instructions in kernel and user mode,
   * exceptions and system calls by name, TLB misses and STLB refills, interrupts, hypercalls,
   * cycles; per environment too. Prints as a table; `.toJSON()` gives the numbers.
   */
  get stats(): Stats {
    return this.#debugger.stats;
  }

  // ---- snapshots -----------------------------------------------------------------------------

  /**
   * The whole state, machine, kernel and ExOS's processes, to repeat an experiment from here
   * with `restore`; prints as one line, and `.save(path)` writes it to a file. Throws for an
   * ExOS with a network stack (snapshots do not cover it).
   *
   * @example
   * ```ts
   * m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w"]); m.exos.run(30_000)
   * const s = m.snapshot()      // Snapshot · 32 MB · Aegis: 2 environments · ExOS: 3 processes, 2 live · ...
   * m.exos.run()                // the console shows 2
   * m.restore(s); m.exos.run()  // the same run again, from the same point: 2
   * s.save("/tmp/lab.snap")     // m.restore("/tmp/lab.snap"), in any lab of the same memory size
   * ```
   */
  snapshot(...args: unknown[]): Snapshot {
    atMost("m.snapshot", args, 0);
    const aegis = this.#aegis === null ? null : this.#aegis.snapshot();
    const exos = this.#exos === undefined || aegis === null ? null : this.#exosState(aegis);
    const machine = this.#machine.snapshot(), console = this.console.bytes.slice();
    const state: LabState = { machine, aegis, exos, console };
    const procs = exos?.record.processes;
    return Snapshot.of(this, state, {
      memoryMB: this.ramBytes >> 20,
      environments: this.#aegis === null ? -1 : this.#aegis.envIds.length,
      slices: this.#aegis?.sliceCount ?? 0,
      sliceCycles: this.#aegis?.sliceCycles ?? 0,
      processes: procs?.length ?? -1,
      live: procs?.filter((p) => p.waitStatus === null).length ?? 0,
      us: this.us,
      instructions: this.cpu.instructions,
      pc: this.cpu.pc,
    });
  }

  /** ExOS's part of a snapshot whose kernel part is `aegis`. */
  #exosState(aegis: NonNullable<LabState["aegis"]>): ExosState {
    const exos = this.#exos!, record = exos.record(), shipped = this.#shippedFiles();
    const files = [...exos.files].map(([name, bytes]): [string, Uint8Array | null] => [
      name,
      shipped.get(name) === bytes ? null : bytes,
    ]);
    const handlers = new Set<TsHandler>();
    for (const p of record.processes) {
      if (!p.alive) continue;
      for (const h of aegis.handlers.get(p.env)?.values() ?? []) {
        if (this.#exosHandlers.has(h)) handlers.add(h);
      }
    }
    return { record, files, handlers };
  }

  /**
   * Puts the machine, the kernel and ExOS's processes back as a snapshot found them: one taken
   * of this lab, or a file written by `save`. `m.exos` is rebuilt (its Process objects are new:
   * find them again with `m.exos.process(pid)`). Throws, changing nothing, for a snapshot of
   * another machine size or a damaged file.
   */
  restore(s: Snapshot | string, ...rest: unknown[]): void {
    atMost("m.restore", [s, ...rest], 1);
    if (typeof s !== "string" && !(s instanceof Snapshot)) {
      throw new TypeError(
        `m.restore takes a Snapshot (m.snapshot()) or a file path, not ${show(s)}`,
      );
    }
    const snap = typeof s === "string" ? Snapshot.read(s) : s;
    if (snap.summary.memoryMB !== this.ramBytes >> 20) {
      throw new RangeError(
        `This snapshot is of a machine with ${snap.summary.memoryMB} MB; this one has ` +
          `${
            this.ramBytes >> 20
          } MB: make the lab with new Lab({ memoryMB: ${snap.summary.memoryMB} })`,
      );
    }
    const ours = aegisGeometry(this.#options), { slices, sliceCycles } = snap.summary;
    if (snap.summary.environments >= 0 && slices !== ours.slices) {
      throw new RangeError(
        `This snapshot's Aegis has ${slices} slice positions; this lab's has ${ours.slices}: ` +
          `make the lab with new Lab({ slices: ${slices} })`,
      );
    }
    if (snap.summary.environments >= 0 && sliceCycles !== ours.sliceCycles) {
      throw new RangeError(
        `This snapshot's slices are ${sliceCycles} cycles; this lab's are ${ours.sliceCycles}: ` +
          "make the lab with the clock rate the snapshot was made with (new Lab({ clockRate }))",
      );
    }
    const bareBefore = this.#aegis === null;
    if (snap.summary.environments >= 0 && bareBefore) this.reset();
    const pending = this.#machine.events.snapshot().actions;
    const state = snap.bind(this, this.#aegis, {
      actions: [...pending, ...this.#machine.lance.eventActions], // the LANCE's, pending or not
    });
    const exos = state.exos;
    const files = exos === null ? [] : this.#programFiles(exos, s);
    this.#machine.restore(state.machine);
    const shown = this.console.bytes, saved = state.console;
    if (saved !== null && (shown.length !== saved.length || shown.some((b, i) => b !== saved[i]))) {
      this.console.truncate(0); // another lab's console, or a session's from a file: show the saved
      this.console.write(saved);
    }
    this.#exos = undefined;
    if (state.aegis === null) {
      this.#aegis = null;
      this.#bare ??= "prog";
    } else {
      // ExOS's handlers are made anew and bound in place of the snapshot's, with no system call.
      const handlers = new Map([...state.aegis.handlers].map(([id, t]) => [id, new Map(t)]));
      if (exos !== null) this.#exos = this.#makeExos({ record: exos.record, files, handlers });
      this.#aegis!.restore({ ...state.aegis, handlers });
    }
    this.#faults.clear();
    this.#programs.clear();
    this.#symbolGeneration++;
    this.#debugger.stats.reset();
  }

  /** The programs of a snapshot's ExOS, by name; throws for a shipped one this lab lacks. */
  #programFiles(exos: ExosState, from: Snapshot | string): [string, Uint8Array][] {
    const shipped = this.#shippedFiles();
    return exos.files.map(([name, bytes]) => {
      const b = bytes ?? shipped.get(name);
      if (b === undefined) {
        throw new Error(
          `The snapshot${typeof from === "string" ? ` ${from}` : ""} names the program ${name} ` +
            "that ships with exolab, and guest/out/bin has no such program: build it " +
            "(deno task guest) or restore where it exists",
        );
      }
      return [name, b];
    });
  }

  /** The programs that ship, read once. */
  #shippedFiles(): Map<string, Uint8Array> {
    return this.#shipped ??= new Map(binPrograms());
  }

  // ---- printing ------------------------------------------------------------------------------

  /** One line: the machine, the kernel's environments (or the bare program), emulated time. */
  toString(): string {
    const n = this.#aegis?.envIds.length ?? 0;
    const sw = this.#aegis === null
      ? `bare program ${this.#bare}`
      : `Aegis: ${n} environment${n === 1 ? "" : "s"}`;
    return `DECstation 5000/200 (KN02) · R3000A 25 MHz · ${this.ramBytes >> 20} MB · ` +
      `${sw} · ${fmtTime(this.us)} emulated`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** `limit` as RunLimits for `method`: a number is an instruction count; throws TypeError. */
function runLimits(
  method: string,
  limit: unknown,
  known: readonly ("maxInstructions" | "maxCycles" | "until")[] = [
    "maxInstructions",
    "maxCycles",
    "until",
  ],
): RunLimits {
  if (typeof limit === "number") {
    return { maxInstructions: count(method, "the instruction count", limit, 0) };
  }
  const o = options(method, limit, known);
  const out: RunLimits = {};
  if (o.maxInstructions !== undefined && o.maxInstructions !== Infinity) {
    out.maxInstructions = count(method, "maxInstructions", o.maxInstructions, 0);
  }
  if (o.maxCycles !== undefined && o.maxCycles !== Infinity) {
    out.maxCycles = count(method, "maxCycles", o.maxCycles, 0);
  }
  if (o.until !== undefined) out.until = address(method, "until", o.until) | 0;
  return out;
}

/** Emulated time in the unit that reads best. */
function fmtTime(us: number): string {
  return us >= 1e6
    ? `${(us / 1e6).toFixed(2)} s`
    : us >= 1000
    ? `${(us / 1000).toFixed(2)} ms`
    : `${us.toFixed(2)} us`;
}
