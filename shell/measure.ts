/**
 * Measuring emulated work, for `time` in the REPL (shell/time.ts) and the paper's tables
 * (scripts/paper_*.ts): what a span of CPU work cost, read off the CPU's own counters. (The
 * tables themselves print with machine/table.ts.)
 *
 * A measurement is the difference of `cpu.instructions`, `cpu.cycles` and `cpu.modeledCycles`
 * across the span, so it is exactly what the machine counted: instructions the emulated CPU
 * executed, cycles under machine/timing.ts (one per instruction plus the model's stalls), and the
 * part of those cycles charged for work done in TypeScript (aegis/costs.ts) rather than executed.
 * Scripts that want only part of a span (the kernel's instructions, not the user instruction that
 * trapped into it) take the rest off with `less`.
 *
 * @module
 */

import type { Cpu } from "../machine/cpu.ts";
import { cyclesToUs } from "../machine/timing.ts";

/** What a span of emulated work cost. */
export interface Measurement {
  /** Instructions the emulated CPU executed. */
  instructions: number;
  /** Cycles at 25 MHz: executed instructions, the timing model's stalls, and modeled work. */
  cycles: number;
  /** The part of `cycles` charged for TypeScript work instead of executed. */
  modeledCycles: number;
  /** Emulated microseconds: cycles / 25. */
  us: number;
}

/** Runs `work` and returns what it cost `machine`'s CPU; exceptions from `work` propagate. */
export function measure(machine: { readonly cpu: Cpu }, work: () => void): Measurement {
  const cpu = machine.cpu;
  const i = cpu.instructions, c = cpu.cycles, mc = cpu.modeledCycles;
  work();
  const cycles = cpu.cycles - c;
  return {
    instructions: cpu.instructions - i,
    cycles,
    modeledCycles: cpu.modeledCycles - mc,
    us: cyclesToUs(cycles),
  };
}

/**
 * `m` without `instructions` one-cycle instructions that the span executed but that are not its
 * subject (the user instruction that trapped, say); throws RangeError when `m` has fewer.
 */
export function less(m: Measurement, instructions: number): Measurement {
  if (instructions > m.instructions || instructions > m.cycles - m.modeledCycles) {
    throw new RangeError(
      `Cannot take ${instructions} instructions off a span of ${m.instructions}: measure a longer span`,
    );
  }
  const cycles = m.cycles - instructions;
  return {
    instructions: m.instructions - instructions,
    cycles,
    modeledCycles: m.modeledCycles,
    us: cyclesToUs(cycles),
  };
}

/** Whether two measurements are the same in every counter. */
export function same(a: Measurement, b: Measurement): boolean {
  return a.instructions === b.instructions && a.cycles === b.cycles &&
    a.modeledCycles === b.modeledCycles;
}
