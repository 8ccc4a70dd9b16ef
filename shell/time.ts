/**
 * Timing in emulated time, as the REPL's `time` offers it.
 *
 * `time(fn)` runs `fn` and returns a Measurement: what the machine counted while it ran
 * (instructions, cycles, the modeled part of those cycles, emulated microseconds), printed as one
 * line. `time("label", fn)` names it. `time.compare({ a, b }, { repeat, warmup })` runs each case
 * (`warmup` times uncounted, to fill the TLB and the caches the kernel keeps, then `repeat`
 * times) and returns a Comparison: a table of medians, means and minima, a terminal bar chart of
 * the medians, and an SVG chart for a paper (shell/plot.ts). The median is the figure to quote:
 * a cold first run (TLB misses, an ASID to give) moves the mean, not the median. Ctrl-C between
 * two runs stops a long comparison with an error saying how far it got.
 *
 * The counting itself is shell/measure.ts's `measure`, the same the paper's tables use, so a
 * number in the REPL and a number in a table mean the same thing. Everything is emulated time:
 * the host's speed never shows.
 *
 * @module
 */

import type { Cpu } from "../machine/cpu.ts";
import { formatTable } from "../machine/table.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { measure, type Measurement as Counts } from "./measure.ts";
import { barChart, formatValue, svgBarChart, Text } from "./plot.ts";
import { ctrlC } from "./interrupt.ts";

export type { Counts };

/** What an operation cost in emulated time; prints as one line. */
export class Measurement implements Counts {
  /** Instructions the emulated CPU executed. */
  readonly instructions: number;
  /** Cycles at 25 MHz, the modeled ones included. */
  readonly cycles: number;
  /** The part of `cycles` charged for TypeScript work (aegis/costs.ts) instead of executed. */
  readonly modeledCycles: number;
  /** Emulated microseconds: cycles / 25. */
  readonly us: number;

  /** Wraps `counts`, named `label` if given. */
  constructor(counts: Counts, readonly label?: string) {
    this.instructions = counts.instructions;
    this.cycles = counts.cycles;
    this.modeledCycles = counts.modeledCycles;
    this.us = counts.us;
  }

  /** One line: `label: N instructions · N cycles · N modeled · N us`. */
  toString(): string {
    const n = (v: number) => formatValue(v, 1);
    return `${this.label === undefined ? "" : this.label + ": "}${n(this.instructions)} ` +
      `instructions · ${n(this.cycles)} cycles · ${n(this.modeledCycles)} modeled · ` +
      `${this.us.toFixed(2)} us`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** `runs` (at least one) summed up counter by counter with `of` (a mean, a median), as `label`. */
function summary(
  runs: readonly Measurement[],
  label: string,
  of: (values: number[]) => number,
): Measurement {
  const pick = (key: "instructions" | "cycles" | "modeledCycles") => of(runs.map((r) => r[key]));
  const cycles = pick("cycles");
  return new Measurement(
    {
      instructions: pick("instructions"),
      cycles,
      modeledCycles: pick("modeledCycles"),
      us: cyclesToUs(cycles),
    },
    label,
  );
}

/** The mean of `values`. */
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The median of `values` (the mean of the middle two for an even count). */
function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b), h = v.length >> 1;
  return v.length % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** One case of a comparison: its runs, their median, mean and the cheapest of them. */
export interface Compared {
  /** The case's name. */
  name: string;
  /** The median of its runs, counter by counter: the figure to quote. */
  median: Measurement;
  /** The mean of its runs. */
  mean: Measurement;
  /** The run with the fewest cycles. */
  min: Measurement;
  /** Every run, in order. */
  runs: readonly Measurement[];
}

/** Cases measured side by side; prints as a table with a bar chart under it. */
export class Comparison {
  /** Records `rows`, measured `repeat` times each after `warmup` uncounted runs, under `title`. */
  constructor(
    readonly rows: readonly Compared[],
    readonly repeat: number,
    readonly title: string,
    readonly warmup = 0,
  ) {}

  /** What the figures are: "median of 5 runs after 1 warm-up", or "" for one plain run. */
  get #basis(): string {
    const runs = this.repeat > 1 ? `median of ${this.repeat} runs` : "";
    const warm = this.warmup > 0 ? `${this.warmup} warm-up${this.warmup === 1 ? "" : "s"}` : "";
    return runs && warm ? `${runs} after ${warm}` : runs || (warm ? `after ${warm}` : "");
  }

  /**
   * The table: median counts per case; with repeats, the median, mean and minimum
   * microseconds and the number of runs too.
   */
  table(): Text {
    const several = this.repeat > 1;
    const n = (v: number) => formatValue(v, 1);
    const columns = ["", "instructions", "cycles", "modeled", several ? "median us" : "us"];
    if (several) columns.push("mean us", "min us", "runs");
    return new Text(formatTable(
      columns.map((header, i) => ({ header, right: i > 0 })),
      this.rows.map((r) => [
        r.name,
        n(r.median.instructions),
        n(r.median.cycles),
        n(r.median.modeledCycles),
        r.median.us.toFixed(2),
        ...(several ? [r.mean.us.toFixed(2), r.min.us.toFixed(2), r.runs.length] : []),
      ]),
    ));
  }

  /** The median emulated microseconds of each case as a terminal bar chart. */
  chart(): Text {
    return new Text(
      barChart(this.rows.map((r) => ({ label: r.name, value: r.median.us })), "us"),
    );
  }

  /**
   * Writes the chart as a standalone SVG file at `path` (a new temporary file by default) and
   * returns the path; file-system errors propagate.
   */
  svg(path?: string): string {
    const file = path ?? Deno.makeTempFileSync({ prefix: "exolab-compare-", suffix: ".svg" });
    const title = this.#basis ? `${this.title} (${this.#basis})` : this.title;
    Deno.writeTextFileSync(
      file,
      svgBarChart(this.rows.map((r) => ({ label: r.name, value: r.median.us })), { title }),
    );
    return file;
  }

  /** The title, the table and the chart. */
  toString(): string {
    const basis = this.#basis ? ` (${this.#basis})` : "";
    return `${this.title}${basis}\n\n${this.table()}\n\n${this.chart()}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Options of `time.compare`. */
export interface CompareOptions {
  /** Runs of each case (default 1): the table shows the median, the mean and the minimum. */
  repeat?: number;
  /** Runs of each case made first and not counted (default 0): a cold start stays out. */
  warmup?: number;
  /** The title of the table and the SVG chart. */
  title?: string;
}

/** `time`: measures operations on one machine in emulated time. */
export interface Timer {
  /** Runs `fn` and returns what it cost; exceptions from `fn` propagate. */
  (fn: () => unknown): Measurement;
  /** Runs `fn` and returns what it cost, named `label`. */
  (label: string, fn: () => unknown): Measurement;
  /**
   * Runs each case `warmup` times uncounted, then `repeat` times, in the order given, and
   * returns them side by side; throws TypeError for a case that is not a function or an unknown
   * option, RangeError for a bad `repeat` or `warmup`, and Error when Ctrl-C stops it.
   *
   * @example
   * ```ts
   * time.compare({ null: () => e.sys.null(), getid: () => e.sys.getid() }, { repeat: 5, warmup: 1 })
   * ```
   */
  compare(cases: Record<string, () => unknown>, options?: CompareOptions): Comparison;
}

/**
 * A `time` bound to `machine`. Each call throws TypeError when given something other than a
 * function (or a label and a function), or when the function returns a promise: emulated work
 * is synchronous, so time the synchronous part.
 *
 * @example
 * ```ts
 * import { Lab, timer } from "../mod.ts";
 * const m = new Lab();
 * const e = m.aegis.createEnv("demo");
 * const time = timer(m);
 * console.log(String(time("null syscall", () => e.sys.null())));
 * ```
 */
export function timer(machine: { readonly cpu: Cpu }): Timer {
  const once = (fn: unknown, label?: string): Measurement => {
    if (typeof fn !== "function") {
      throw new TypeError(
        `time takes a function, or a label and a function, not ${typeof fn}: ` +
          `time("null syscall", () => e.sys.null())`,
      );
    }
    let result: unknown;
    const counts = measure(machine, () => result = fn());
    if (typeof (result as Promise<unknown> | undefined)?.then === "function") {
      throw new TypeError(
        "time measures synchronous work, and this function returned a promise: " +
          "time the synchronous call inside it instead",
      );
    }
    return new Measurement(counts, label);
  };
  const time = ((a: unknown, b?: unknown) => typeof a === "string" ? once(b, a) : once(a)) as Timer;
  time.compare = (cases, options = {}) => {
    for (const key of Object.keys(options ?? {})) {
      if (key !== "repeat" && key !== "warmup" && key !== "title") {
        throw new TypeError(
          `time.compare has no option ${key}: its options are repeat, warmup, title`,
        );
      }
    }
    const repeat = options.repeat ?? 1, warmup = options.warmup ?? 0;
    if (!Number.isSafeInteger(repeat) || repeat < 1) {
      throw new RangeError(`repeat ${repeat} is not a whole number: give 1 or more`);
    }
    if (!Number.isSafeInteger(warmup) || warmup < 0) {
      throw new RangeError(`warmup ${warmup} is not a whole number: give 0 or more`);
    }
    const names = Object.keys(cases ?? {});
    if (names.length === 0) {
      throw new TypeError("time.compare takes cases by name: { a: () => ..., b: () => ... }");
    }
    for (const name of names) {
      if (typeof cases[name] !== "function") {
        throw new TypeError(
          `Case ${name} of time.compare is ${typeof cases[name]}, not a function`,
        );
      }
    }
    ctrlC.clear();
    let done = 0;
    const run = (name: string) => {
      if (ctrlC.pressed) {
        throw new Error(
          `time.compare was interrupted (Ctrl-C) after ${done} of ` +
            `${names.length * (repeat + warmup)} runs: give a smaller repeat`,
        );
      }
      done++;
      return once(cases[name], name);
    };
    const rows = names.map((name) => {
      for (let i = 0; i < warmup; i++) run(name);
      const runs = Array.from({ length: repeat }, () => run(name));
      const min = runs.reduce((best, r) => r.cycles < best.cycles ? r : best);
      return {
        name,
        median: summary(runs, name, median),
        mean: summary(runs, name, mean),
        min,
        runs,
      };
    });
    return new Comparison(rows, repeat, options.title ?? "Emulated time per operation", warmup);
  };
  return time;
}

/**
 * Measures `fn` on `machine` once, as the REPL's `time(fn)` does (`timer(machine)` gives the
 * REPL's `time` itself, with `compare`). Throws as `timer`'s calls do.
 *
 * @example
 * ```ts
 * import { Lab, time } from "../mod.ts";
 * const m = new Lab();
 * const e = m.aegis.createEnv("demo");
 * console.log(String(time(m, "null syscall", () => e.sys.null())));
 * ```
 */
export function time(machine: { readonly cpu: Cpu }, fn: () => unknown): Measurement;
/** Measures `fn` on `machine` once, named `label`. */
export function time(machine: { readonly cpu: Cpu }, label: string, fn: () => unknown): Measurement;
/** Implementation of both forms. */
export function time(
  machine: { readonly cpu: Cpu },
  a: string | (() => unknown),
  b?: () => unknown,
): Measurement {
  const t = timer(machine);
  return typeof a === "string" ? t(a, b as () => unknown) : t(a);
}
