/**
 * `exo bench compare PROG.elf ...`: each bare DECstation program on exolab's two engines and on
 * gxemul, the emulator people would pick instead; the same console output, and who is faster.
 * With several programs, a summary table follows their reports, with the geometric mean of
 * gxemul's wall time over each engine's.
 *
 * Every runner is a fresh process timed from spawn to exit, so start-up (Deno compiling
 * exolab, gxemul setting up its machine) is in every wall time. exolab runs as
 * `exo run --engine E --stats`, whose stats line says when the first instruction ran
 * (`startupSeconds`, from its process start) and how many it ran. gxemul runs as
 * `gxemul -q -E dec -e 3max -M MB PROG.elf` under `script -qec` for the pseudo-terminal it needs
 * (it block-buffers its console otherwise and never exits), with `stty -onlcr` first so the
 * terminal keeps `\n` as `\n`; `-q` leaves no banner, so its output is compared byte for byte
 * as it comes, nothing stripped. A message of gxemul's own (an instruction it does not implement,
 * say) therefore shows as a difference, which is what it is. When gxemul (or script) is not on
 * PATH, or `useGxemul` is false, its row is left out and the report says which.
 *
 * A runner still running after the time limit (`timeoutSeconds`, default 120 s) is killed and
 * reported as such, never waited for: gxemul, on an exception its PROM does not handle (a
 * divide by zero's BREAK, say), loops in its own vectors forever, where exolab exits with
 * status 3. A killed run has no ratio and counts as a difference.
 *
 * @module
 */

import type { Engine } from "../machine/cpu.ts";
import { ENGINES } from "../machine/engine.ts";

/** One runner's result. */
export interface CompareRun {
  /** "interp", "jit" or "gxemul". */
  runner: Engine | "gxemul";
  /** Host seconds from spawning the process to its exit. */
  wallSeconds: number;
  /** exolab only: host seconds from process start to the first instruction. */
  startupSeconds?: number;
  /** exolab only: instructions executed. */
  instructions?: number;
  /** The process's exit status. */
  status: number;
  /** The console output (up to the kill, for a run that timed out). */
  output: string;
  /** Present (true) when the run was killed at the time limit. */
  timedOut?: true;
}

/** What `exo bench compare` found. */
export interface CompareResult {
  /** The program. */
  program: string;
  /** Each runner, exolab's engines first; gxemul's only when it is installed. */
  runs: CompareRun[];
  /** Whether gxemul ran, or why not: "ran", "not installed" or "left out" (--no-gxemul). */
  gxemul: "ran" | "not installed" | "left out";
  /** Whether every runner printed the same output with the same exit status. */
  match: boolean;
  /** gxemul's wall time over each engine's (above 1: exolab is faster); null without gxemul. */
  gxemulOverInterp: number | null;
  /** As gxemulOverInterp, for the translator. */
  gxemulOverJit: number | null;
}

/** Seconds a runner may take before it is killed, unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 120;

const mainTs = new URL("../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** Whether `command` is on PATH. */
function installed(command: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${command}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Runs `program` and `args` to exit, or kills it (SIGTERM, then SIGKILL a second later) once
 * `timeoutSeconds` have passed; returns its status, stdout, stderr, wall time and whether it
 * was killed.
 */
async function timed(program: string, args: string[], timeoutSeconds: number) {
  const t0 = performance.now();
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* it has exited */ }
  };
  let hard: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    kill("SIGTERM");
    hard = setTimeout(() => kill("SIGKILL"), 1000);
  }, timeoutSeconds * 1000);
  const out = await child.output();
  clearTimeout(timer);
  clearTimeout(hard);
  const wallSeconds = (performance.now() - t0) / 1000;
  return {
    status: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    wallSeconds,
    timedOut,
  };
}

/** What `timed` found of `runner`, as a run of the report (without exolab's stats). */
function asRun(runner: CompareRun["runner"], r: Awaited<ReturnType<typeof timed>>): CompareRun {
  const run: CompareRun = {
    runner,
    wallSeconds: r.wallSeconds,
    status: r.status,
    output: r.stdout,
  };
  if (r.timedOut) run.timedOut = true;
  return run;
}

/** `program` (bare ELF at `path`) on exolab's `engine`, as `exo run --engine E --stats`. */
async function exolab(
  path: string,
  engine: Engine,
  memoryMB: number,
  timeoutSeconds: number,
): Promise<CompareRun> {
  const r = await timed(Deno.execPath(), [
    "run",
    "-A",
    mainTs,
    "run",
    "--engine",
    engine,
    "--stats",
    "--memory",
    String(memoryMB),
    path,
  ], timeoutSeconds);
  if (r.timedOut) return asRun(engine, r);
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  let stats: { startupSeconds: number; instructions: number };
  try {
    stats = JSON.parse(last);
  } catch {
    throw new Error(`exo run --engine ${engine} ${path} printed no stats line: ${r.stderr}`);
  }
  return {
    runner: engine,
    wallSeconds: r.wallSeconds,
    startupSeconds: stats.startupSeconds,
    instructions: stats.instructions,
    status: r.status,
    output: r.stdout,
  };
}

/** A word quoted for sh. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `program` on gxemul under script(1). */
async function gxemul(path: string, memoryMB: number, timeoutSeconds: number): Promise<CompareRun> {
  const inner = `stty -onlcr; exec gxemul -q -E dec -e 3max -M ${memoryMB} ${shellQuote(path)}`;
  return asRun("gxemul", await timed("script", ["-qec", inner, "/dev/null"], timeoutSeconds));
}

/**
 * Runs the bare ELF at `path` on both engines and, when installed and `useGxemul`, on gxemul;
 * compares outputs and exit statuses and works out the wall-time ratios. Each runner is killed
 * after `timeoutSeconds`.
 */
export async function compareProgram(
  path: string,
  { memoryMB = 32, useGxemul = true, timeoutSeconds = DEFAULT_TIMEOUT_SECONDS }: {
    memoryMB?: number;
    useGxemul?: boolean;
    timeoutSeconds?: number;
  } = {},
): Promise<CompareResult> {
  const runs: CompareRun[] = [];
  for (const engine of ENGINES) runs.push(await exolab(path, engine, memoryMB, timeoutSeconds));
  const gx = !useGxemul
    ? "left out"
    : installed("gxemul") && installed("script")
    ? "ran"
    : "not installed";
  if (gx === "ran") runs.push(await gxemul(path, memoryMB, timeoutSeconds));
  const first = runs[0];
  const match = runs.every((r) =>
    !r.timedOut && r.output === first.output && r.status === first.status
  );
  const g = runs.find((r) => r.runner === "gxemul");
  const over = (e: Engine) => {
    const run = runs.find((r) => r.runner === e)!;
    return g === undefined || g.timedOut || run.timedOut ? null : g.wallSeconds / run.wallSeconds;
  };
  return {
    program: path,
    runs,
    gxemul: gx,
    match,
    gxemulOverInterp: over("interp"),
    gxemulOverJit: over("jit"),
  };
}

/** The first line where `a` and `b` differ, shown for a report. */
function firstDifference(a: string, b: string): string {
  const x = a.split("\n"), y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      return `line ${i + 1}: ${JSON.stringify(x[i] ?? "(end)")} vs ${
        JSON.stringify(y[i] ?? "(end)")
      }`;
    }
  }
  return "the same lines";
}

/** `r` as the text `exo bench compare` prints. */
export function formatCompare(r: CompareResult): string {
  const lines = [`compare ${r.program}:`];
  for (const run of r.runs) {
    if (run.timedOut) {
      lines.push(
        `  ${run.runner.padEnd(7)} ${run.wallSeconds.toFixed(3)} s wall · killed: still running ` +
          `at the time limit (--timeout)`,
      );
      continue;
    }
    const extra = run.startupSeconds === undefined
      ? ""
      : ` · first instruction at ${run.startupSeconds.toFixed(3)} s · ${
        (run.instructions! / 1e6).toFixed(1)
      } M instructions`;
    lines.push(
      `  ${run.runner.padEnd(7)} ${run.wallSeconds.toFixed(3)} s wall · exit ${run.status}${extra}`,
    );
  }
  const ratio = (x: number | null) => x === null ? "- (a run was killed)" : x.toFixed(2);
  if (r.gxemul !== "ran") lines.push(`  gxemul: ${r.gxemul}, not compared`);
  else {
    lines.push(
      `  gxemul/interp ${ratio(r.gxemulOverInterp)} · gxemul/jit ${ratio(r.gxemulOverJit)} ` +
        "(above 1: exolab is faster)",
    );
  }
  const first = r.runs[0];
  for (const run of r.runs.slice(1)) {
    if (run.timedOut || first.timedOut) continue;
    if (run.output !== first.output || run.status !== first.status) {
      lines.push(
        `  ${run.runner} differs from ${first.runner}: exit ${run.status} vs ${first.status}; ` +
          firstDifference(run.output, first.output),
      );
    }
  }
  lines.push(`  outputs: ${outputs(r)}`);
  return lines.join("\n");
}

/** Whether `r`'s outputs agree, as its report says it: identical, DIFFER or killed. */
function outputs(r: CompareResult): string {
  if (r.runs.some((run) => run.timedOut)) return "killed (a run reached the time limit)";
  return r.match ? "identical" : "DIFFER";
}

/** The geometric mean of `xs`; null when one is null (or there are none). */
export function geometricMean(xs: readonly (number | null)[]): number | null {
  if (xs.length === 0 || xs.some((x) => x === null)) return null;
  return Math.exp((xs as number[]).reduce((sum, x) => sum + Math.log(x), 0) / xs.length);
}

/**
 * Several results as the text `exo bench compare A.elf B.elf ...` prints: each one's report, then
 * one line per program (each runner's wall time, gxemul's over each engine's, whether the
 * outputs agree) and the geometric mean of each ratio.
 */
export function formatCompareMany(rs: readonly CompareResult[]): string {
  const ratio = (x: number | null) => x === null ? "-" : x.toFixed(2);
  const wall = (r: CompareResult, runner: string) => {
    const run = r.runs.find((x) => x.runner === runner);
    return run === undefined ? "-" : run.timedOut ? "killed" : run.wallSeconds.toFixed(3);
  };
  const rows = [
    ["program", ...ENGINES, "gxemul", "gxemul/interp", "gxemul/jit", "outputs"],
    ...rs.map((r) => [
      r.program,
      ...ENGINES.map((e) => wall(r, e)),
      wall(r, "gxemul"),
      ratio(r.gxemulOverInterp),
      ratio(r.gxemulOverJit),
      outputs(r).split(" ")[0],
    ]),
    [
      "geometric mean",
      ...ENGINES.map(() => ""),
      "",
      ratio(geometricMean(rs.map((r) => r.gxemulOverInterp))),
      ratio(geometricMean(rs.map((r) => r.gxemulOverJit))),
      "",
    ],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    "  " + row.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  const gx = rs.every((r) => r.gxemulOverInterp !== null)
    ? "wall seconds; gxemul over each engine's, above 1: exolab is faster"
    : "wall seconds; gxemul not compared for every program";
  return [
    ...rs.map(formatCompare),
    `summary of ${rs.length} programs (${gx}):\n${rows.map(line).join("\n").trimEnd()}`,
  ].join("\n\n").replace(/ +$/gm, "");
}
