/**
 * The REPL prelude: `deno task start` evaluates this file, then hands the prompt to the user with
 * a DECstation in scope as `m`, the assembler as `asm`, `time` for emulated-time measurements and
 * `help()`.
 *
 * @module
 */

import { asm, DECstation } from "../mod.ts";
import { cyclesToUs } from "../machine/timing.ts";

/** A measurement in emulated time. */
class Measurement {
  /** Records what `fn` cost. */
  constructor(
    readonly instructions: number,
    readonly cycles: number,
    readonly modeledCycles: number,
  ) {}

  /** Emulated microseconds. */
  get us(): number {
    return cyclesToUs(this.cycles);
  }

  /** One line: instructions, cycles, modeled cycles, microseconds. */
  toString(): string {
    return `${this.instructions} instructions · ${this.cycles} cycles · ${this.modeledCycles} modeled · ` +
      `${this.us.toFixed(2)} us`;
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** The machine in scope. */
const m = new DECstation();

/** Runs `fn` and returns what it cost the machine in emulated time. */
function time(fn: () => unknown): Measurement {
  const cpu = m.cpu;
  const i = cpu.instructions, c = cpu.cycles, mc = cpu.modeledCycles;
  fn();
  return new Measurement(cpu.instructions - i, cpu.cycles - c, cpu.modeledCycles - mc);
}

/** Prints how to get started. */
function help(): void {
  console.log(`exolab: a DECstation 5000/200 (R3000A, 25 MHz) in your REPL.

  m                       the machine; m.cpu (registers, pc, cp0, TLB), m.bus.ram32, m.console
  asm\`...\`.at(addr)        assemble GNU-style MIPS at an address: .text (words), .symbols
  m.bus.ram32.set(p.text, (addr & 0x1fffffff) >> 2)   put assembled words in RAM
  m.cpu.pc = addr         where to start
  m.run({ maxInstructions: 100 })   run; returns why it stopped
  time(() => m.run({ until: addr }))   what an operation cost in emulated time

Example:
  const p = asm\`
      li   $t0, 6
      li   $t1, 7
      mult $t0, $t1
      mflo $v0
  \`.at(0x80030000)
  m.bus.ram32.set(p.text, 0x30000 >> 2); m.cpu.pc = 0x80030000
  time(() => m.run({ maxInstructions: 4 }))
  m.cpu.regs[2]           // 42
`);
}

Object.assign(globalThis, { m, asm, time, help });
console.log(`${m}\nType help() to begin.`);
