/**
 * `exo`, the command line: the machine's operations for scripts, CI and people at a shell.
 *
 *   exo repl
 *   exo run [--engine E] [--max-instructions N] [--memory MB] [--stats] [--trace] PROG.elf ...
 *   exo exec [--engine E] [--max-instructions N] [--memory MB] [--stats] [--trace] PROG ...
 *   exo bench cpu|fairness [--engine E] [--json] [--seconds S] [--slices N]
 *   exo bench compare [--memory MB] [--no-gxemul] [--timeout S] [--json] PROG.elf ...
 *   exo fuzz [--calls N] [--seed S] [--envs K] [--json]
 *   exo disasm PROG.elf [--json]
 *   exo paper [aegis|avm|ipc|net|sched|all]... [--json] [--svg PATH] [--rounds N]
 *             [--figure-rounds N]
 *   exo net ping [--count N] [--pcap FILE]
 *
 * Each command has --help (or -h), and --json wherever a program reads the output. stdout
 * carries only the result; a long run shows a progress line on stderr when stderr is a terminal
 * (shell/progress.ts). Exit status: 0 success, 1 bad input (a bad ELF, a bad option),
 * 2 a limit reached, 3 the guest died on an unexpected exception; `exo exec` passes the guest's
 * own status through and keeps its own codes apart (EXEC_STATUS).
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { DECstation } from "./machine/decstation.ts";
import { ElfError, parseElf } from "./machine/elf.ts";
import type { CpuBenchResult } from "./machine/bench.ts";
import type { Engine } from "./machine/cpu.ts";
import {
  DEFAULT_ENGINE,
  defaultEngine,
  ENGINES,
  envJitHotness,
  parseEngine,
} from "./machine/engine.ts";
import type { DiedEnvironment, Lab } from "./shell/lab.ts";
import type { Debugger } from "./shell/debugger.ts";
import type { Process, SIGNAL_NAMES } from "./exos/mod.ts";
import { Progress } from "./shell/progress.ts";
import config from "./deno.json" with { type: "json" };

/** A command: its usage text and what it does with its arguments; returns the exit status. */
interface Command {
  /** The usage text, or a function making it for a text that needs a module of its own. */
  usage: string | (() => Promise<string>);
  run(args: string[]): Promise<number> | number;
  /** The exit status for a usage mistake (default 1). */
  usageStatus?: number;
  /** Options that take a value, for a command that runs a program with arguments of its own. */
  programOptions?: readonly string[];
}

/**
 * `args` of a command that runs a program, split where the program's own arguments begin: after
 * the first word that is neither an option nor an option's value (the program). A `--` right
 * after the program is dropped. Returns [the command's options and the program, its arguments].
 */
function splitProgram(args: string[], valued: readonly string[]): [string[], string[]] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return [args.slice(0, i), args.slice(i + 1)];
    if (a.startsWith("-") && a !== "-") {
      if (!a.includes("=") && valued.includes(a.replace(/^--?/, ""))) i++;
      continue;
    }
    const rest = args.slice(i + 1);
    return [args.slice(0, i + 1), rest[0] === "--" ? rest.slice(1) : rest];
  }
  return [args, []];
}

/** Thrown for a usage mistake: the message goes to stderr with exit status 1. */
class UsageError extends Error {}

const encoder = new TextEncoder();

/** Parses `args` with `options`, turning parseArgs's errors into UsageError. */
function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Reads a whole-number option value in `min`..`max`, or throws UsageError naming the option,
 * the value and the range.
 */
function whole(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      max === Number.MAX_SAFE_INTEGER
        ? `--${name} ${value} is not a whole number >= ${min}`
        : `--${name} ${value} is not a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/** The --engine value, or undefined (the default engine) when not given; UsageError for another. */
function engineOption(value: string | undefined): Engine | undefined {
  if (value === undefined) return undefined;
  try {
    return parseEngine("--engine", value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The --engine line of a usage text. */
const ENGINE_HELP =
  `  --engine E             the CPU engine: interp (the interpreter) or jit (the translator,
                         the same results); default ${DEFAULT_ENGINE}, or EXOLAB_ENGINE when set`;

/** RAM sizes the machine takes, in MB. */
const MEMORY_MB = { min: 1, max: 480 } as const;

/** Reads the ELF file at `path` for `command`, or throws UsageError saying what is wrong. */
function readProgram(command: string, path: string | undefined): Uint8Array {
  if (path === undefined) throw new UsageError(`Give the program: exo ${command} PROG.elf`);
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    throw new UsageError(`Cannot read ${path}: ${(e as Error).message}`);
  }
}

/** A writer of trace lines to stderr, buffered; `flush` writes what is left. */
function stderrTrace(): { sink: (line: string) => void; flush: () => void } {
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    Deno.stderr.writeSync(encoder.encode(lines.join("\n") + "\n"));
    lines = [];
  };
  return {
    sink: (line) => {
      lines.push(line);
      if (lines.length >= 4096) flush();
    },
    flush,
  };
}

const run: Command = {
  programOptions: ["engine", "max-instructions", "memory"],
  usage: `exo run [options] PROG.elf [ARGS...]

Boots a bare DECstation ELF as the PROM would and runs it. stdout carries exactly what the
program writes to the console; stdin feeds the console's input.

Options:
${ENGINE_HELP}
  --max-instructions N   stop after N instructions (exit status 2)
  --memory MB            RAM size in MB, 1 to 480 (default 32)
  --stats                one JSON line on stderr: engine, instructions, cycles, modeledCycles,
                         us, hostSeconds, instructionsPerSecond, startupSeconds (process start
                         to the first instruction), and the bench's counters
                         (kernelInstructions, userInstructions, exceptions, tlbMisses, ...)
  --trace                an instruction trace on stderr: each instruction with the registers
                         it changed and the memory it touched, symbols as labels (slow)
  --help, -h             this text

Exit status: the program's halt status (0 for a clean PROM halt), 1 for a bad ELF or option,
2 when --max-instructions is reached, 3 when the program dies on an unexpected exception.`,
  async run(all) {
    const [args, argv] = splitProgram(all, run.programOptions!);
    const { values, positionals } = parse(args, {
      engine: { type: "string" },
      "max-instructions": { type: "string" },
      memory: { type: "string" },
      stats: { type: "boolean" },
      trace: { type: "boolean" },
    });
    const path = positionals[0];
    const bytes = readProgram("run", path);
    const maxI = whole("max-instructions", values["max-instructions"], Infinity);
    const memoryMB = whole("memory", values.memory, 32, MEMORY_MB.min, MEMORY_MB.max);
    const m = new DECstation({ memoryMB, engine: engineOption(values.engine) });
    try {
      m.loadElf(bytes, [path!, ...argv]);
    } catch (e) {
      if (e instanceof ElfError) {
        console.error(`exo run: ${path}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const trace = values.trace ? stderrTrace() : null;
    let bench: Debugger | null = null;
    if (values.trace || values.stats) {
      // Loaded here, not with main.ts, for start-up: a plain run needs neither.
      const [{ Debugger }, { SymbolTable }] = await Promise.all([
        import("./shell/debugger.ts"),
        import("./shell/symbols.ts"),
      ]);
      bench = new Debugger(m, {
        env: () => 0,
        envName: () => undefined,
        interrupted: () => false,
        symbols: new SymbolTable({
          global: () => [m.symbols],
          user: () => [],
          generation: () => 0,
        }),
      });
    }
    if (bench !== null && trace !== null) bench.trace = trace.sink;
    const progress = values.trace ? null : Progress.forStderr();
    const out = Deno.stdout;
    m.console.onOutput((b) => (progress?.clear(), trace?.flush(), out.writeSync(b)));
    const stdin = Deno.stdin.readable.getReader();
    const started = performance.now();
    let remaining = maxI;
    let status = 0;
    for (;;) {
      const r = m.run({ maxInstructions: Math.min(remaining, RUN_CHUNK) });
      trace?.flush();
      remaining -= r.instructions;
      if (r.reason === "instructions" && remaining > 0) {
        progress?.tick(() => runProgress(m, progress.seconds));
        continue;
      }
      if (r.reason === "input") {
        progress?.clear();
        const { value, done } = await stdin.read();
        if (done || value === undefined) {
          console.error("exo run: the program waits for console input, and stdin is closed");
          status = 1;
          break;
        }
        m.console.type(value);
        continue;
      }
      if (r.reason === "instructions") {
        console.error(
          `exo run: stopped after ${m.cpu.instructions} instructions (--max-instructions); ` +
            `pc 0x${m.cpu.pc.toString(16).padStart(8, "0")}`,
        );
        status = 2;
      } else {
        status = m.halted?.status ?? 0;
      }
      break;
    }
    progress?.clear();
    stdin.releaseLock();
    const hostSeconds = (performance.now() - started) / 1000;
    if (values.stats) console.error(JSON.stringify(statsLine(m, bench!, hostSeconds, started)));
    return status;
  },
};

/**
 * The --stats line: the run's figures and the bench's counters; `started` is when the run
 * began, in ms since the process started (performance.now()).
 */
function statsLine(
  m: { cpu: DECstation["cpu"]; us: number },
  bench: Debugger | { stats: Lab["stats"] },
  hostSeconds: number,
  started: number,
) {
  const cpu = m.cpu;
  const { instructions: _i, cycles: _c, modeledCycles: _m, us: _u, ...counters } = bench.stats
    .toJSON();
  return {
    engine: cpu.engine,
    instructions: cpu.instructions,
    cycles: cpu.cycles,
    modeledCycles: cpu.modeledCycles,
    us: m.us,
    hostSeconds,
    instructionsPerSecond: Math.round(cpu.instructions / hostSeconds),
    startupSeconds: started / 1000,
    ...counters,
  };
}

/** Instructions `exo run` executes between looks at the progress line (a few ms of host time). */
const RUN_CHUNK = 2_000_000;

/** The progress line of a run: instructions so far, their rate, host seconds. */
function runProgress(m: { cpu: DECstation["cpu"] }, seconds: number, command = "exo run"): string {
  const n = m.cpu.instructions;
  return `${command}: ${(n / 1e6).toFixed(0)} million instructions · ` +
    `${(n / seconds / 1e6).toFixed(1)} million/s · ${seconds.toFixed(0)} s (ctrl+c stops)`;
}

/** `benchCpu(seconds, engine)` in a worker of its own (shell/_bench_worker.ts). */
async function benchIsolated(seconds: number, engine: Engine): Promise<CpuBenchResult> {
  const w = new Worker(new URL("./shell/_bench_worker.ts", import.meta.url), { type: "module" });
  try {
    const done = new Promise<CpuBenchResult>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => (e.preventDefault(), reject(new Error(e.message)));
    });
    w.postMessage([seconds, engine]);
    return await done;
  } finally {
    w.terminate();
  }
}

const bench: Command = {
  usage: `exo bench cpu [--engine E] [--json] [--seconds S]
exo bench compare [--memory MB] [--no-gxemul] [--timeout S] [--json] PROG.elf ...
exo bench fairness [--json] [--slices N]

cpu: runs a CPU-bound guest loop (ALU, loads, stores, branches, in kseg0) on each engine
(interp, the interpreter, and jit, the translator; --engine E for one), each in a fresh
isolate (a worker) so neither runs on code optimized for the other, and prints emulated
instructions per host second and the host time measured. Each engine first runs the same 20
million instructions from the same start; the digest of the state they leave must be the same
("results match"). --seconds S per engine (default 2). --json prints one line:
{"interp": R, "jit": R, "match": true|false|null, "jitOverInterp": N|null}, R being
{"engine", "instructionsPerSecond", "instructions", "hostSeconds", "cycles", "digest"}; with
--engine only that engine's key, and match and jitOverInterp null.

compare: runs the bare ELF PROG on both engines (exo run --engine E) and, when installed, on
gxemul (gxemul -q -E dec -e 3max -M MB, under script(1) for a terminal), each as a fresh
process, start-up included; checks that every output and exit status is the same and prints
wall times, the time to exolab's first instruction, and gxemul's wall time over each
engine's. Exit status 1 when the outputs differ. --memory MB (default 32) for all of them;
--no-gxemul leaves gxemul out; --timeout S (default 120) kills a runner still running after S
seconds (gxemul loops forever on an exception its PROM does not handle), which counts as a
difference and leaves that ratio null. --json prints one line: {"program", "runs": [{"runner",
"wallSeconds", "startupSeconds"?, "instructions"?, "status", "output", "timedOut"?}], "gxemul" ("ran",
"not installed" or "left out"), "match", "gxemulOverInterp", "gxemulOverJit"} (the ratios
null without gxemul). Given several programs, it runs them one after another and prints each
report, then a summary: a line per program (wall times, ratios, outputs) and the geometric
mean of each ratio; exit status 1 when any outputs differ; --json prints one line, an array
of those objects. tests/guest/out/long/*.elf are the benchmarks at ten times the length, so
that start-up weighs little.

fairness: two environments with one slice position each under Aegis, an honest one and an
attacker trying each stolen-time trick (long TLBVADELETEs, an end-of-slice upcall donating to a
child, capability guesses, protected calls, all together), for N slices (default 1000); prints
each one's share of the CPU. --json prints one line per trick: {"trick", "slices", "honest",
"attacker", "attackerEnded"}.`,
  async run(args) {
    const { values, positionals } = parse(args, {
      engine: { type: "string" },
      json: { type: "boolean" },
      memory: { type: "string" },
      "no-gxemul": { type: "boolean" },
      timeout: { type: "string" },
      seconds: { type: "string" },
      slices: { type: "string" },
    });
    const what = positionals[0] ?? "cpu";
    if (what === "fairness") {
      // Each command's own modules are loaded when it runs, not with main.ts (start-up).
      const { formatFairness, measureFairness, TRICKS } = await import("./scripts/fairness.ts");
      const slices = whole("slices", values.slices, 1000, 10, 1_000_000);
      const rows = TRICKS.map((t) => measureFairness(t, slices));
      if (values.json) { for (const r of rows) console.log(JSON.stringify(r)); }
      else console.log(formatFairness(rows));
      return 0;
    }
    if (what === "compare") {
      const paths = positionals.slice(1);
      readProgram("bench compare", paths[0]);
      for (const path of paths.slice(1)) readProgram("bench compare", path);
      const memoryMB = whole("memory", values.memory, 32, MEMORY_MB.min, MEMORY_MB.max);
      const { compareProgram, DEFAULT_TIMEOUT_SECONDS, formatCompare, formatCompareMany } =
        await import("./shell/compare.ts");
      const timeoutSeconds = whole("timeout", values.timeout, DEFAULT_TIMEOUT_SECONDS, 1, 86_400);
      const rs = [];
      for (const path of paths) {
        rs.push(
          await compareProgram(path, {
            memoryMB,
            useGxemul: !values["no-gxemul"],
            timeoutSeconds,
          }),
        );
      }
      if (rs.length === 1) console.log(values.json ? JSON.stringify(rs[0]) : formatCompare(rs[0]));
      else console.log(values.json ? JSON.stringify(rs) : formatCompareMany(rs));
      return rs.every((r) => r.match) ? 0 : 1;
    }
    if (what !== "cpu") {
      throw new UsageError(`Unknown benchmark ${what}: give cpu, compare or fairness`);
    }
    const seconds = Number(values.seconds ?? "2");
    if (!(seconds > 0 && seconds <= 600)) {
      throw new UsageError(`--seconds ${values.seconds} is not a number of seconds in (0, 600]`);
    }
    const one = engineOption(values.engine);
    const results: Partial<Record<Engine, CpuBenchResult>> = {};
    for (const e of one === undefined ? ENGINES : [one]) {
      results[e] = await benchIsolated(seconds, e);
    }
    const { interp, jit } = results;
    const both = interp !== undefined && jit !== undefined;
    const match = both ? interp.digest === jit.digest : null;
    const jitOverInterp = both ? jit.instructionsPerSecond / interp.instructionsPerSecond : null;
    if (values.json) console.log(JSON.stringify({ ...results, match, jitOverInterp }));
    else {
      for (const r of Object.values(results)) {
        console.log(
          `cpu ${r.engine.padEnd(6)} ${(r.instructionsPerSecond / 1e6).toFixed(1)} million ` +
            `emulated instructions per host second (${r.instructions} instructions in ` +
            `${r.hostSeconds.toFixed(2)} s; digest ${r.digest})`,
        );
      }
      if (both) {
        console.log(
          `jit/interp ${jitOverInterp!.toFixed(2)} · results ${
            match ? "match" : "DIFFER"
          } (the digest after the first 20 million instructions)`,
        );
      }
    }
    return match === false ? 1 : 0;
  },
};

const fuzzCommand: Command = {
  usage: `exo fuzz [--calls N] [--seed S] [--envs K] [--json]

Hostile environments against Aegis (scripts/fuzz.ts): K environments (default 4) run random
instruction streams and system calls with random and real capabilities, targets and addresses,
the host makes random calls for them, revokes random pages, and the slice clock runs; after
every one of N calls (default 10000) the kernel's invariants are checked. The same seed (default
1) repeats the same run. --json prints one line: {"calls", "environments", "violations",
"hostExceptions", "seed"}. A violation prints the seed and the call that reproduce it, on stderr,
and the exit status is 1.`,
  async run(args) {
    const { values, positionals } = parse(args, {
      calls: { type: "string" },
      seed: { type: "string" },
      envs: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`exo fuzz takes no ${positionals[0]}`);
    const calls = whole("calls", values.calls, 10_000, 1);
    const seed = whole("seed", values.seed, 1, 0, 0xffffffff);
    const envs = whole("envs", values.envs, 4, 1, 100);
    const { fuzz } = await import("./scripts/fuzz.ts");
    const progress = Progress.forStderr();
    const r = fuzz({
      calls,
      seed,
      envs,
      progress: (n) => progress?.tick(() => `exo fuzz: ${n} of ${calls} calls`),
    });
    progress?.clear();
    const { calls: n, environments, violations, hostExceptions } = r;
    if (values.json) {
      console.log(JSON.stringify({ calls: n, environments, violations, hostExceptions, seed }));
    } else {
      console.log(
        `fuzz: ${n} calls from ${environments} environments, ${violations} violations, ` +
          `${hostExceptions} host exceptions (seed ${seed}); the network: ${r.network} calls ` +
          `succeeded, ${r.frames} frames received, ${r.ashRuns} ASH runs`,
      );
    }
    const first = r.first;
    for (const f of first) {
      console.error(
        `call ${f.call}: ${f.message} ` +
          `(reproduce: exo fuzz --seed ${seed} --envs ${envs} --calls ${f.call + 1})`,
      );
    }
    return r.violations > 0 || r.hostExceptions > 0 ? 1 : 0;
  },
};

/** One disassembled instruction, as `exo disasm --json` prints it. */
interface DisasmLine {
  addr: number;
  word: number;
  text: string;
  symbol?: string;
}

const disasm: Command = {
  usage: `exo disasm PROG.elf [--json]

Disassembles the executable segments of an ELF, with its function symbols as labels and its
symbols as jump and branch targets (jal main, not jal 0x4008f0), as m.disasm and traces do.

Options:
  --json       one JSON array: {addr, word, text, symbol?} per instruction (addr and word as
               numbers; symbol where a function starts)
  --help, -h   this text`,
  async run(args) {
    const { values, positionals } = parse(args, {
      json: { type: "boolean" },
    });
    const bytes = readProgram("disasm", positionals[0]);
    const [{ disassemble }, { SymbolTable }] = await Promise.all([
      import("./machine/asm/mod.ts"),
      import("./shell/symbols.ts"),
    ]);
    let image;
    try {
      image = parseElf(bytes);
    } catch (e) {
      if (e instanceof ElfError) {
        console.error(`exo disasm: ${positionals[0]}: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const names = new Map(
      image.symbols.filter((s) => s.type === "func").map((s) => [s.value >>> 0, s.name]),
    );
    const symbols = new SymbolTable({
      global: () => [image.symbols],
      user: () => [],
      generation: () => 0,
    }).resolver();
    const rows: DisasmLine[] = [];
    for (const seg of image.segments) {
      if ((seg.flags & 1) === 0) continue;
      const view = new DataView(seg.data.buffer, seg.data.byteOffset, seg.data.byteLength);
      for (let off = 0; off + 4 <= seg.data.length; off += 4) {
        const addr = (seg.vaddr + off) >>> 0, word = view.getUint32(off, true);
        const symbol = names.get(addr);
        const text = disassemble(word, addr, symbols);
        rows.push({ addr, word, text, ...(symbol ? { symbol } : {}) });
      }
    }
    if (values.json) {
      console.log(JSON.stringify(rows));
      return 0;
    }
    const hex = (v: number) => v.toString(16).padStart(8, "0");
    console.log(
      rows.map((r) =>
        `${r.symbol ? `\n${r.symbol}:\n` : ""}${hex(r.addr)}  ${hex(r.word)}  ${r.text}`
      )
        .join("\n"),
    );
    return 0;
  },
};

const paper: Command = {
  // A function, so the defaults come from scripts/paper_net.ts without main.ts importing it.
  usage: async () => {
    const { FIGURE_ROUNDS, ROUNDS } = await import("./scripts/paper_net.ts");
    return `exo paper [aegis|avm|ipc|net|sched|all]... [--json] [--svg PATH] [--rounds N]
                 [--figure-rounds N]

Measures the exokernel paper's tables on the emulated machine and prints them beside the
paper's figures (shared/PAPER.md). aegis: the kernel's primitives (system call, exception
dispatch, protected control transfer, STLB refill, TLBwr). avm: ExOS's application-level
virtual memory (dirty, prot, unprot, trap, Appel1, Appel2) on the linear (Table 10),
clustered (the slides) and inverted (Table 13) page tables, and Table 9's matrix multiply as
an ExOS process and bare. ipc: ExOS's pipes, inlined pipes, shared memory, LRPC and trusted
LRPC (Tables 8 and 12), each beside the same exchange through the UNIX personality. net:
packet classification (Table 7: dpf, mpf), the 60-byte UDP round trip between two machines
with and without ASHs (Table 11: udp, udp+ash), and Figure 2 (that round trip against 1 to
10 busy processes on the receiver), drawn in the terminal. sched: Figure 3, a stride
scheduler giving three processes 3:2:1 of its slices, drawn in the terminal. all (the
default): aegis, avm, ipc and net. Several may be named (exo paper aegis ipc); each is
measured once, in that order.

Options:
  --json               aegis, avm, ipc, net: one JSON array of rows: name, instructions,
                       cycles, modeledCycles, us, paper, and ratio (us over paper) and ultrix
                       in every table; table (aegis, avm), structure and paperMachine (avm),
                       per, speedup (ultrix over us) and unix, the same exchange through the
                       UNIX personality (ipc), speedup and note (net); Figure 2's points as
                       rows named fig2 with variant and processes.
                       sched: one JSON object: slices, sliceCycles, clients (name, tickets,
                       slices, count, sliceShare, countShare, ideal) and counts (per slice,
                       per client)
  --svg PATH           write the figure of the one figure table named as an SVG file at PATH:
                       Figure 2 with net, Figure 3 with sched
  --rounds N           net: Table 11's round trips (default ${ROUNDS})
  --figure-rounds N    net: round trips a point of Figure 2 (default ${FIGURE_ROUNDS})
  --help, -h           this text`;
  },
  async run(args) {
    const { values, positionals } = parse(args, {
      json: { type: "boolean" },
      svg: { type: "string" },
      rounds: { type: "string" },
      "figure-rounds": { type: "string" },
    });
    const tables = positionals.length === 0 ? ["all"] : positionals;
    const known = ["aegis", "avm", "ipc", "net", "sched", "all"];
    for (const t of tables) {
      if (!known.includes(t)) {
        throw new UsageError(`Unknown table ${t}: give aegis, avm, ipc, net, sched or all`);
      }
    }
    // The tables' modules are loaded when they are measured, not with main.ts (start-up).
    const paperNet = await import("./scripts/paper_net.ts");
    const rounds = whole("rounds", values.rounds, paperNet.ROUNDS, 2, 100_000);
    const figureRounds = whole(
      "figure-rounds",
      values["figure-rounds"],
      paperNet.FIGURE_ROUNDS,
      2,
      10_000,
    );
    const wants = (t: string) => tables.includes(t) || (tables.includes("all") && t !== "sched");
    if (values.json && wants("sched") && tables.some((t) => t !== "sched")) {
      throw new UsageError("--json prints sched alone: exo paper sched --json");
    }
    if (values.svg !== undefined && wants("sched") === wants("net")) {
      throw new UsageError(
        "--svg writes one figure: exo paper net --svg PATH (Figure 2) or exo paper sched " +
          "--svg PATH (Figure 3)",
      );
    }
    const progress = Progress.forStderr();
    const rows: unknown[] = [], texts: string[] = [];
    if (wants("aegis")) {
      progress?.show("exo paper: measuring the Aegis primitives (aegis)");
      const { formatAegis, measureAegis } = await import("./scripts/paper_aegis.ts");
      const aegis = measureAegis();
      rows.push(...aegis);
      texts.push(formatAegis(aegis));
    }
    if (wants("avm")) {
      progress?.show("exo paper: measuring ExOS's virtual memory (avm)");
      const { formatAvm, measureAvm } = await import("./scripts/paper_avm.ts");
      const avm = measureAvm();
      rows.push(...avm);
      texts.push(formatAvm(avm));
    }
    if (wants("ipc")) {
      progress?.show("exo paper: measuring ExOS's IPC (ipc)");
      const { formatIpc, measureIpc } = await import("./scripts/paper_ipc.ts");
      const ipc = measureIpc();
      rows.push(...ipc);
      texts.push(formatIpc(ipc));
    }
    if (wants("net")) {
      progress?.show("exo paper: measuring the network (net: Tables 7 and 11)");
      const table = paperNet.measureNet(rounds);
      progress?.show("exo paper: measuring the network (net: Figure 2)");
      const points = paperNet.measureFigure2(10, figureRounds);
      rows.push(...table);
      for (const p of points) {
        for (const variant of ["udp", "udp+ash"] as const) {
          const us = variant === "udp" ? p.library : p.ash;
          rows.push({
            name: "fig2",
            variant,
            processes: p.processes,
            us,
            paper: null,
            ultrix: null,
            ratio: null,
          });
        }
      }
      texts.push(paperNet.formatNet(table, points, rounds, figureRounds));
      if (values.svg !== undefined) {
        Deno.writeTextFileSync(values.svg, paperNet.figure2Svg(points));
        texts.push(`Figure 2 as SVG: ${values.svg}`);
      }
    }
    let sched;
    if (wants("sched")) {
      progress?.show("exo paper: running the stride scheduler (sched)");
      const { formatSched, measureSched, writeSchedSvg } = await import(
        "./scripts/paper_sched.ts"
      );
      sched = measureSched();
      texts.push(formatSched(sched));
      if (values.svg !== undefined) {
        texts.push(`Figure 3 as SVG: ${writeSchedSvg(sched, values.svg)}`);
      }
    }
    progress?.clear();
    if (values.json) console.log(JSON.stringify(sched ?? rows));
    else console.log(texts.join("\n\n"));
    return 0;
  },
};

const root = new URL("./", import.meta.url);

const repl: Command = {
  usage: `exo repl

Opens the REPL, as \`deno task start\` does: a Deno REPL with a booted DECstation running Aegis in
scope as m, the assembler as asm, time for emulated-time measurements, and help(). Leave it with
close() or ctrl+d. Exit status: the REPL's.`,
  async run(args) {
    const { positionals } = parse(args, {});
    if (positionals.length > 0) throw new UsageError(`repl takes no arguments, not ${positionals}`);
    const prelude = new URL("shell/repl.ts", root).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "repl",
        "-A",
        "--config",
        new URL("deno.json", root).pathname,
        "--eval",
        `await import(${JSON.stringify(prelude)})`,
      ],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  },
};

/**
 * `exo exec`'s exit statuses: the guest's own exit status passes through (0 to 255); the
 * command's own outcomes use the codes shells and timeout(1) use, so a script tells them apart.
 */
const EXEC_STATUS = {
  /** --max-instructions was reached (as timeout(1) exits 124). */
  LIMIT: 124,
  /** exo exec itself failed: a bad option, an unreadable or bad ELF, an emulator error. */
  ERROR: 125,
  /** Every process waits for something that will never come (a deadlock). */
  BLOCKED: 126,
  /** Added to the number of the signal that killed the first process (as shells do). */
  SIGNAL: 128,
} as const;

const exec: Command = {
  programOptions: ["engine", "max-instructions", "memory"],
  usage: `exo exec [options] PROG [ARGS...]

Runs a UNIX program (guest/libc/unix.h) as the first ExOS process, pid 1, on a DECstation
running Aegis, with argv = PROG ARGS. PROG is /bin/NAME, a program that ships with exolab
(guest/bin: sh, echo, cat, wc, true, false, kill, sleep, ps), or the path of an ELF on this
host. Everything after PROG is its own (exo exec /bin/sh -c "echo hello world | wc -w").
stdout carries exactly what its processes write to fd 1, stderr what they write to fd 2; stdin
feeds fd 0. It may fork, exec /bin/NAME, make pipes, signal, wait and exit; the command ends
when every process has.

Options:
${ENGINE_HELP}
  --max-instructions N   stop after N instructions (exit status 124)
  --memory MB            RAM size in MB, 1 to 480 (default 32)
  --stats                one JSON line on stderr: engine, instructions, cycles, modeledCycles,
                         us, hostSeconds, instructionsPerSecond, startupSeconds, kernel and
                         user instructions, exceptions and system calls by name, TLB misses,
                         STLB refills, interrupts, hypercalls, and the same per environment
  --trace                an instruction trace on stderr, kernel and processes alike (slow)
  --help, -h             this text

Exit status, so the guest's status and exo's own outcomes never mix:
  0-123   the first process's exit status (as it gave it: 0 to 255)
  124     --max-instructions was reached
  125     exo exec failed: a bad option, an unreadable or bad ELF, an emulator error
  126     every process is blocked for good
  128+N   the first process was killed by signal N (139: SIGSEGV); stderr says by which,
          at which pc and which address
A guest status of 124 or more reads like one of exo's, as with a shell.`,
  usageStatus: EXEC_STATUS.ERROR,
  async run(all) {
    const [args, argv] = splitProgram(all, exec.programOptions!);
    const { values, positionals } = parse(args, {
      engine: { type: "string" },
      "max-instructions": { type: "string" },
      memory: { type: "string" },
      stats: { type: "boolean" },
      trace: { type: "boolean" },
    });
    const path = positionals[0];
    const maxI = whole("max-instructions", values["max-instructions"], Infinity);
    const memoryMB = whole("memory", values.memory, 32, MEMORY_MB.min, MEMORY_MB.max);
    // Loaded here, not with main.ts, for start-up: only exo exec runs Aegis and ExOS.
    const [{ Lab }, { SIGNAL_NAMES }] = await Promise.all([
      import("./shell/lab.ts"),
      import("./exos/mod.ts"),
    ]);
    const m = new Lab({ memoryMB, engine: engineOption(values.engine) });
    const bytes = path !== undefined && m.exos.files.has(path)
      ? m.exos.files.get(path)!
      : readProgram("exec", path);
    let p;
    try {
      // By its path, so the process and its environment are named after the file.
      m.exos.files.set(path!, bytes);
      p = m.exos.exec(path!, [path!, ...argv]);
    } catch (e) {
      if (e instanceof ElfError) {
        console.error(`exo exec: ${path}: ${e.message}`);
        return EXEC_STATUS.ERROR;
      }
      throw e;
    }
    const trace = values.trace ? stderrTrace() : null;
    if (trace !== null) m.trace(trace.sink);
    const progress = values.trace ? null : Progress.forStderr();
    m.processOutput = (fd, b) => {
      progress?.clear();
      trace?.flush();
      (fd === 2 ? Deno.stderr : Deno.stdout).writeSync(b);
    };
    const stdin = Deno.stdin.readable.getReader();
    const started = performance.now();
    const died: DiedEnvironment[] = [];
    let remaining = maxI;
    try {
      for (;;) {
        const r = m.exos.run({ maxInstructions: Math.min(remaining, RUN_CHUNK) });
        trace?.flush();
        died.push(...r.died);
        remaining -= r.instructions;
        if (r.reason === "instructions" && remaining > 0) {
          progress?.tick(() => runProgress(m, progress.seconds, "exo exec"));
          continue;
        }
        if (r.reason === "input") {
          progress?.clear();
          const { value, done } = await stdin.read();
          if (done || value === undefined) m.exos.endInput();
          else m.console.type(value);
          continue;
        }
        progress?.clear();
        if (values.stats) {
          const hostSeconds = (performance.now() - started) / 1000;
          console.error(JSON.stringify(statsLine(m, m, hostSeconds, started)));
        }
        if (r.reason === "instructions") {
          console.error(
            `exo exec: stopped after ${maxI - remaining} instructions (--max-instructions)`,
          );
          return EXEC_STATUS.LIMIT;
        }
        if (r.reason !== "exited") {
          console.error(`exo exec: every process waits and none can go on (${r.reason})`);
          return EXEC_STATUS.BLOCKED;
        }
        if (p.signal !== undefined) {
          console.error(`exo exec: ${path}: ${killed(m, p, died, SIGNAL_NAMES)}`);
          return EXEC_STATUS.SIGNAL + p.signal;
        }
        return p.exitStatus ?? 0;
      }
    } finally {
      stdin.releaseLock();
    }
  },
};

/**
 * How process `p` was killed: the signal (its name from `names`, ExOS's SIGNAL_NAMES), and the
 * pc and address of the fault when known.
 */
function killed(
  m: Lab,
  p: Process,
  died: DiedEnvironment[],
  names: typeof SIGNAL_NAMES,
): string {
  const signal = p.signal!;
  const name = names[signal] ?? `signal ${signal}`;
  const d = died.find((x) => x.id === p.path.id);
  const hex = (v: number) => "0x" + v.toString(16).padStart(8, "0");
  let where = "";
  if (d?.pc !== undefined) {
    const sym = m.symbols.describe(d.pc, p.path.id);
    where = ` at pc ${hex(d.pc)}${sym ? ` <${sym}>` : ""}`;
    if (d.address !== undefined) where += `, address ${hex(d.address)}`;
  }
  const why = p.failure === undefined ? "" : ` (${p.failure})`;
  return `killed by ${name} (signal ${signal})${where}${why}`;
}

const net: Command = {
  usage: `exo net ping [--count N] [--pcap FILE]

Boots two DECstations on one wire, each running Aegis and ExOS (a at 10.0.0.1, b at 10.0.0.2),
and runs /bin/ping on a towards b: N echo requests (default 4), one at a time. b answers in its
kernel, with the ASH ExOS downloaded there. Prints what ping printed, then each round trip in
emulated microseconds, from the cycle ping's sendto trapped to the cycle its recvfrom returned
the reply (the first includes resolving b's address with ARP).

Options:
  --count N     echo requests, 1 to 1000 (default 4)
  --pcap FILE   write every frame on the wire to FILE (tcpdump -r FILE reads it)
  --help, -h    this text

Exit status: ping's (0 when every request was answered).`,
  async run(args) {
    const { values, positionals } = parse(args, {
      count: { type: "string" },
      pcap: { type: "string" },
    });
    if (positionals[0] !== "ping" || positionals.length > 1) {
      throw new UsageError(
        `Give what to run: exo net ping${
          positionals.length ? `, not ${positionals.join(" ")}` : ""
        }`,
      );
    }
    const count = whole("count", values.count, 4, 1, 1000);
    const { ping } = await import("./shell/net.ts"); // loaded here for start-up
    const r = ping(count, values.pcap);
    const us = (v: number) => v.toFixed(2);
    const lines = r.roundTrips.map((t, i) =>
      `icmp_seq=${i + 1}  ${us(t)} us${i === 0 ? "  (with the ARP exchange for 10.0.0.2)" : ""}`
    );
    const rt = r.roundTrips;
    console.log(
      [
        r.output.trimEnd(),
        "",
        "round trips (emulated us, from ping's sendto to its recvfrom's return):",
        ...lines,
        ...(rt.length > 0
          ? [
            `min/avg/max ${us(Math.min(...rt))}/${us(rt.reduce((a, b) => a + b, 0) / rt.length)}/${
              us(Math.max(...rt))
            } us`,
          ]
          : []),
        ...(values.pcap ? [`${r.frames} frames written to ${values.pcap}`] : []),
      ].join("\n"),
    );
    return r.status ?? 1;
  },
};

const commands: Record<string, Command> = {
  repl,
  run,
  exec,
  bench,
  disasm,
  paper,
  net,
  fuzz: fuzzCommand,
};

const usage = `exo: the exolab command line (a DECstation 5000/200 with the Aegis exokernel)

Commands:
  repl              the REPL, with the machine in scope (as deno task start)
  run PROG.elf      run a bare DECstation program
  exec PROG         run a UNIX program as an ExOS process (/bin/sh, /bin/echo, an ELF)
  bench cpu         emulated instructions per host second, on each CPU engine
  bench compare P   bare programs on both engines and gxemul: same output, wall times
  disasm PROG.elf   disassemble a program
  paper [TABLE]     the paper's tables, measured (aegis, avm, ipc, net, sched, all)
  net ping          two machines on a wire; ping from one to the other

Run \`exo COMMAND --help\` for a command's options. --json, where a command has it, prints one
JSON value on stdout; progress, when stderr is a terminal, goes to stderr.

Exit status:
  0   success
  1   bad input: an unknown command or option, an unreadable or bad ELF
  2   a limit reached (--max-instructions)
  3   the guest died on an unexpected exception
exo exec instead passes the first process's exit status through and keeps its own outcomes
apart: 124 a limit, 125 bad input, 126 blocked for good, 128+N killed by signal N.

Environment: EXOLAB_ENGINE=interp|jit picks the CPU engine where --engine does not;
EXOLAB_JIT_HOTNESS=N sets the translator's threshold (page entries before it translates; 1:
at once).

exo --version prints the version; -h is --help.`;

/** Runs the command line `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage);
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(`exo (exolab) ${config.version} · deno ${Deno.version.deno}`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`exo: unknown command ${name}\n\n${usage}`);
    return 1;
  }
  const options = command.programOptions
    ? splitProgram(rest, command.programOptions)[0]
    : rest.includes("--")
    ? rest.slice(0, rest.indexOf("--"))
    : rest;
  if (options.includes("--help") || options.includes("-h")) {
    console.log(typeof command.usage === "string" ? command.usage : await command.usage());
    return 0;
  }
  try {
    // The environment's engine settings, checked once so a bad one is a usage mistake.
    try {
      defaultEngine();
      envJitHotness();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`exo ${name}: ${e.message}`);
      return command.usageStatus ?? 1;
    }
    if (command === exec) {
      // An emulator error, not the guest's: say so, with the stack for a bug report.
      console.error(`exo exec: an emulator error (not the guest's): ${(e as Error).stack ?? e}`);
      return EXEC_STATUS.ERROR;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
