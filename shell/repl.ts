/**
 * The REPL prelude: `deno task start` evaluates this file, then hands the prompt to the user with
 * a DECstation in scope as `m`, the assembler as `asm`, `time` for emulated-time measurements and
 * `help()`.
 *
 * @module
 */

import { asm } from "../machine/asm/mod.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { Lab } from "./lab.ts";

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

/** The machine in scope, with Aegis booted. */
const m = new Lab();

/** Runs `fn` and returns what it cost the machine in emulated time. */
function time(fn: () => unknown): Measurement {
  const cpu = m.cpu;
  const i = cpu.instructions, c = cpu.cycles, mc = cpu.modeledCycles;
  fn();
  return new Measurement(cpu.instructions - i, cpu.cycles - c, cpu.modeledCycles - mc);
}

/** Prints how to get started. */
function help(): void {
  console.log(`exolab: a DECstation 5000/200 (R3000A, 25 MHz) running the Aegis exokernel.

  m                        the machine: m.cpu (registers, pc, cp0, TLB), m.bus.ram32, m.console
  m.aegis                  the exokernel: environments, m.aegis.tlb(), m.aegis.stlb(), m.aegis.page(n)
  time(() => ...)          what an operation cost in emulated time

Environments and their system calls (each runs through the real system-call path):
  const e = m.aegis.createEnv("demo")
  const p = e.sys.allocPage()                        // a physical page and its capability
  e.sys.tlbWrite(0x00400000, p, { writable: true })  // a secure binding: TLBwr checks the capability
  e.onException("Ov", (x) => (console.log("overflow at", x.epc.toString(16)), x.epc + 4))
  time(() => e.sys.null())                           // the cheapest kernel crossing
  m.aegis.page(p.number)                             // who owns it

Guest code in an environment:
  const prog = e.load(asm\`
      li    $t0, 0x7fffffff
      addi  $t0, $t0, 1       # overflows: the handler above runs, then skips it
  1:  b     1b
      nop
  \`)
  e.enter(prog.origin); m.run({ maxInstructions: 200 })

The bare machine:
  asm\`...\`.at(addr)         assemble GNU-style MIPS at an address: .text (words), .symbols
  m.run({ maxInstructions: 100 })   run; returns why it stopped
`);
}

Object.assign(globalThis, { m, asm, time, help });
console.log(`${m}\nType help() to begin.`);
