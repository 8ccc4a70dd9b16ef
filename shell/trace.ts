/**
 * Instruction traces: one line per instruction executed, with the registers it changed and the
 * memory it touched, as `m.step`, `m.trace` and `exo run --trace` print them.
 *
 *   main:
 *   80030040  addiu $sp, $sp, -24          sp=0x801fff88
 *   80030044  sw $ra, 20($sp)              W 0x801fff9c
 *   80030048  jal puts                     ra=0x80030050
 *   00400010  sw $t3, 0($t4)               W 0x20000000 ! TLBS -> 0x80000000
 *
 * A `Tracer` is told about each instruction before it runs (`before`: it reads the word and
 * works out the address a load or store will use, from the registers) and after (`after`: it
 * compares the registers, HI and LO with their values before). An exception the instruction
 * raised is named with the vector it went to. A line naming the environment and mode comes
 * whenever they change, and a label line whenever the code enters another symbol (once for a
 * loop, not once per iteration). The tracer
 * knows nothing of load delays: a loaded register shows as changed on the instruction where the
 * CPU's register file changed.
 *
 * @module
 */

import type { Cpu } from "../machine/cpu.ts";
import { CP0, EXC_NAMES } from "../machine/cp0.ts";
import { hex } from "../machine/table.ts";
import { disassemble } from "../machine/asm/disassembler.ts";
import { GPR_NAMES } from "../machine/asm/isa.ts";
import type { SymbolTable } from "./symbols.ts";

/** A load or store an instruction is about to make. */
export interface Access {
  /** The virtual address (a word's for LWL/LWR/SWL/SWR). */
  va: number;
  /** Bytes accessed. */
  bytes: 1 | 2 | 4;
  /** True for a store. */
  write: boolean;
}

/** Bytes moved by each load and store opcode; the partial-word ones move the aligned word. */
const SIZE: Record<number, 1 | 2 | 4> = {
  0x20: 1, // LB
  0x21: 2, // LH
  0x22: 4, // LWL
  0x23: 4, // LW
  0x24: 1, // LBU
  0x25: 2, // LHU
  0x26: 4, // LWR
  0x28: 1, // SB
  0x29: 2, // SH
  0x2a: 4, // SWL
  0x2b: 4, // SW
  0x2e: 4, // SWR
};

/** The load or store `word` makes with registers `regs`, or undefined when it makes none. */
export function accessOf(word: number, regs: ArrayLike<number>): Access | undefined {
  const op = word >>> 26;
  const bytes = SIZE[op];
  if (bytes === undefined) return undefined;
  let va = (regs[(word >>> 21) & 31] + ((word << 16) >> 16)) >>> 0;
  if (op === 0x22 || op === 0x26 || op === 0x2a || op === 0x2e) va = (va & ~3) >>> 0;
  return { va, bytes, write: op >= 0x28 };
}

/** `v` as eight hex digits. */
function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

/** Where trace lines go: a function given each line's text (without a newline). */
export type TraceSink = (line: string) => void;

/** Formats trace lines for one CPU, naming addresses through `symbols`. */
export class Tracer {
  readonly #cpu: Cpu;
  readonly #symbols: SymbolTable | undefined;
  readonly #env: () => number;
  readonly #envName: (id: number) => string | undefined;
  readonly #regs = new Int32Array(32);
  #hi = 0;
  #lo = 0;
  #pc = 0;
  #kernel = true;
  #word: number | undefined;
  #access: Access | undefined;
  #context = "";
  #symbol: string | undefined = "";

  /** A tracer for `cpu`; `env` says which environment runs (0 for none), `envName` names it. */
  constructor(
    cpu: Cpu,
    symbols?: SymbolTable,
    env: () => number = () => 0,
    envName: (id: number) => string | undefined = () => undefined,
  ) {
    this.#cpu = cpu;
    this.#symbols = symbols;
    this.#env = env;
    this.#envName = envName;
  }

  /** The access the instruction at pc is about to make (for watchpoints), after `before`. */
  get access(): Access | undefined {
    return this.#access;
  }

  /** The instruction word at pc, if it can be read without a fault, after `before`. */
  get word(): number | undefined {
    return this.#word;
  }

  /** Forgets the context and symbol printed last, so the next line names them again. */
  reset(): void {
    this.#context = "";
    this.#symbol = "";
  }

  /** Records the state before the instruction at pc runs. */
  before(): void {
    const cpu = this.#cpu;
    this.#pc = cpu.pc;
    this.#kernel = cpu.kernelMode;
    this.#regs.set(cpu.regs);
    this.#hi = cpu.hi;
    this.#lo = cpu.lo;
    try {
      this.#word = cpu.readVirtual(this.#pc, 4);
    } catch {
      this.#word = undefined;
    }
    this.#access = this.#word === undefined ? undefined : accessOf(this.#word, cpu.regs);
  }

  /**
   * The lines for the instruction recorded by `before`, now that it ran: `exception` is the
   * code of an exception it raised (or -1) and `vector` where that went; `executed` is how many
   * instructions the step counted. Prefixed by a context line when the environment or mode
   * changed, and a label line when the code entered another symbol. A fetch that faulted
   * counts no instruction, and the step ran the vector's first one: that gets its own line.
   */
  after(exception: number, vector: number, executed: number): string[] {
    const out: string[] = [];
    if (exception >= 0 && this.#word === undefined && executed === 1) {
      const faulted = this.#line(out, this.#pc, undefined, exception, vector, false);
      this.#kernel = true;
      let word: number | undefined;
      try {
        word = this.#cpu.readVirtual(vector, 4);
      } catch { /* a vector is always readable */ }
      this.#access = undefined;
      this.#line(faulted, vector, word, -1, 0, true);
      return faulted;
    }
    return this.#line(out, this.#pc, this.#word, exception, vector, true);
  }

  /** Appends to `out` the lines of the instruction `word` at `pc`; `changes`: show registers. */
  #line(
    out: string[],
    pc: number,
    word: number | undefined,
    exception: number,
    vector: number,
    changes: boolean,
  ): string[] {
    const cpu = this.#cpu;
    const env = this.#env();
    const context = env === 0 ? "" : `${env}:${this.#kernel ? "k" : "u"}`;
    if (context !== this.#context) {
      this.#context = context;
      if (env !== 0) {
        const name = this.#envName(env);
        out.push(
          `-- environment ${hex(env, 4)}${name ? ` ${name}` : ""}, ` +
            `${this.#kernel ? "kernel" : "user"} mode --`,
        );
      }
    }
    const where = this.#symbols?.describe(pc, env);
    const symbol = where?.replace(/\+0x[0-9a-f]+$/, "");
    if (symbol !== this.#symbol) {
      this.#symbol = symbol;
      if (where !== undefined) out.push(`${where}:`);
    }
    const text = word === undefined
      ? "(not mapped)"
      : disassemble(word, pc, this.#symbols?.resolver(env));
    const notes: string[] = [];
    if (changes) {
      const regs = cpu.regs;
      for (let r = 1; r < 32; r++) {
        if (regs[r] !== this.#regs[r]) notes.push(`${GPR_NAMES[r]}=0x${hex8(regs[r])}`);
      }
      if (cpu.hi !== this.#hi) notes.push(`hi=0x${hex8(cpu.hi)}`);
      if (cpu.lo !== this.#lo) notes.push(`lo=0x${hex8(cpu.lo)}`);
    }
    const a = this.#access;
    if (a !== undefined && exception < 0) {
      notes.push(`${a.write ? "W" : "R"} 0x${hex8(a.va)}${a.bytes === 4 ? "" : `/${a.bytes}`}`);
    }
    if (exception >= 0) {
      const bad = cpu.cp0[CP0.BadVAddr];
      const addr = exception >= 1 && exception <= 5 ? ` at 0x${hex8(bad)}` : "";
      notes.push(`! ${EXC_NAMES[exception] ?? exception}${addr} -> 0x${hex8(vector)}`);
    }
    out.push(`${hex8(pc)}  ${notes.length > 0 ? text.padEnd(30) + " " + notes.join(" ") : text}`);
    return out;
  }

  /** The line for an interrupt taken before the next instruction, now that the CPU took it. */
  interrupt(): string {
    const cpu = this.#cpu;
    return `-- interrupt (Int, IP ${((cpu.cp0[CP0.Cause] >>> 8) & 0xff).toString(2)}) at ` +
      `0x${hex8(cpu.cp0[CP0.EPC])} -> 0x${hex8(cpu.pc)} --`;
  }
}
