/**
 * Timing in emulated time, as the REPL's `time` offers it.
 *
 * `time(fn)` runs `fn` and returns a Measurement: what the machine counted while it ran
 * (instructions, cycles, the modeled part of those cycles, emulated microseconds), printed as one
 * line. `time("label", fn)` names it. `time.compare({ a, b }, { repeat })` runs each case (several
 * times if asked) and returns a Comparison: a table of means and minima, a terminal bar chart,
 * and an SVG chart for a paper (shell/plot.ts).
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

/** The mean of `runs` (at least one), named `label`. */
function mean(runs: readonly Measurement[], label: string): Measurement {
  const avg = (key: "instructions" | "cycles" | "modeledCycles") =>
    runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
  const cycles = avg("cycles");
  return new Measurement(
    {
      instructions: avg("instructions"),
      cycles,
      modeledCycles: avg("modeledCycles"),
      us: cyclesToUs(cycles),
    },
    label,
  );
}

/** One case of a comparison: its runs, their mean and the cheapest of them. */
export interface Compared {
  /** The case's name. */
  name: string;
  /** The mean of its runs. */
  mean: Measurement;
  /** The run with the fewest cycles. */
  min: Measurement;
  /** Every run, in order. */
  runs: readonly Measurement[];
}

/** Cases measured side by side; prints as a table with a bar chart under it. */
export class Comparison {
  /** Records `rows`, measured `repeat` times each, under `title`. */
  constructor(
    readonly rows: readonly Compared[],
    readonly repeat: number,
    readonly title: string,
  ) {}

  /** The table: mean counts per case; with repeats, the minimum and the number of runs too. */
  table(): Text {
    const several = this.repeat > 1;
    const n = (v: number) => formatValue(v, 1);
    const columns = ["", "instructions", "cycles", "modeled", several ? "mean us" : "us"];
    if (several) columns.push("min us", "runs");
    return new Text(formatTable(
      columns.map((header, i) => ({ header, right: i > 0 })),
      this.rows.map((r) => [
        r.name,
        n(r.mean.instructions),
        n(r.mean.cycles),
        n(r.mean.modeledCycles),
        r.mean.us.toFixed(2),
        ...(several ? [r.min.us.toFixed(2), r.runs.length] : []),
      ]),
    ));
  }

  /** The mean emulated microseconds of each case as a terminal bar chart. */
  chart(): Text {
    return new Text(barChart(this.rows.map((r) => ({ label: r.name, value: r.mean.us })), "us"));
  }

  /**
   * Writes the chart as a standalone SVG file at `path` (a new temporary file by default) and
   * returns the path; file-system errors propagate.
   */
  svg(path?: string): string {
    const file = path ?? Deno.makeTempFileSync({ prefix: "exolab-compare-", suffix: ".svg" });
    const title = this.repeat > 1 ? `${this.title} (mean of ${this.repeat} runs)` : this.title;
    Deno.writeTextFileSync(
      file,
      svgBarChart(this.rows.map((r) => ({ label: r.name, value: r.mean.us })), { title }),
    );
    return file;
  }

  /** The title, the table and the chart. */
  toString(): string {
    const runs = this.repeat > 1 ? ` (mean of ${this.repeat} runs)` : "";
    return `${this.title}${runs}\n\n${this.table()}\n\n${this.chart()}`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Options of `time.compare`. */
export interface CompareOptions {
  /** Runs of each case (default 1): the table shows the mean and the minimum. */
  repeat?: number;
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
   * Runs each case `repeat` times, in the order given, and returns them side by side; throws
   * TypeError for a case that is not a function and RangeError for a bad `repeat`.
   */
  compare(cases: Record<string, () => unknown>, options?: CompareOptions): Comparison;
}

/**
 * A `time` bound to `machine`. Each call throws TypeError when given something other than a
 * function (or a label and a function), or when the function returns a promise: emulated work
 * is synchronous, so time the synchronous part.
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
    const repeat = options.repeat ?? 1;
    if (!Number.isSafeInteger(repeat) || repeat < 1) {
      throw new RangeError(`repeat ${repeat} is not a whole number: give 1 or more`);
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
    const rows = names.map((name) => {
      const runs = Array.from({ length: repeat }, () => once(cases[name], name));
      const min = runs.reduce((best, r) => r.cycles < best.cycles ? r : best);
      return { name, mean: mean(runs, name), min, runs };
    });
    return new Comparison(rows, repeat, options.title ?? "Emulated time per operation");
  };
  return time;
}
