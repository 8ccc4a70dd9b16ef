/**
 * The CPU benchmark behind `exo bench cpu` and `deno bench`: host speed of the interpreter.
 *
 * A guest loop in kseg0, kernel mode, that mixes what compiled code does: ALU work, loads and
 * stores to a small array, a multiply now and then, a taken and a not-taken branch. It runs for
 * a fixed span of host time and reports emulated instructions per host second. This measures
 * the emulator, not the emulated machine; emulated time is not involved.
 *
 * @module
 */

import { asm } from "./asm/mod.ts";
import { DECstation } from "./decstation.ts";

/** The benchmark loop: a checksum over a 256-word array, forever. */
const LOOP = asm`
        .set noreorder
_start: lui     $s0, 0x8010          # the array, at physical 0x100000
        li      $s1, 0
loop:   move    $t0, $s0
        li      $t1, 256
inner:  lw      $t2, 0($t0)
        andi    $t6, $t1, 31                 # (fills the load delay slot)
        addu    $s1, $s1, $t2
        xor     $t3, $s1, $t1
        sll     $t4, $t3, 3
        srl     $t5, $t3, 7
        or      $t3, $t4, $t5
        sw      $t3, 0($t0)
        bnez    $t6, 1f
        addiu   $t0, $t0, 4
        multu   $t3, $t1
        mflo    $t7
        addu    $s1, $s1, $t7
1:      addiu   $t1, $t1, -1
        bnez    $t1, inner
        nop
        b       loop
        nop
`;

/** The result of a CPU benchmark run. */
export interface CpuBenchResult {
  /** Emulated instructions per host second. */
  instructionsPerSecond: number;
  /** Instructions executed. */
  instructions: number;
  /** Host seconds spent. */
  hostSeconds: number;
  /** Emulated cycles elapsed. */
  cycles: number;
}

/** A machine with the benchmark loop loaded and the pc at its start. */
export function cpuLoopMachine(): DECstation {
  const m = new DECstation();
  const program = LOOP.at(0x80030000);
  program.text.forEach((w, i) => m.bus.ram32[(0x30000 >>> 2) + i] = w);
  m.cpu.pc = 0x80030000;
  return m;
}

/** Runs the benchmark loop for about `seconds` of host time; returns the measured speed. */
export function benchCpu(seconds: number): CpuBenchResult {
  const m = cpuLoopMachine();
  // Warm up the interpreter, then measure in slices so the clock is read rarely.
  m.run({ maxInstructions: 20_000_000 });
  const i0 = m.cpu.instructions, c0 = m.cpu.cycles;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    m.run({ maxInstructions: 10_000_000 });
    elapsed = performance.now() - t0;
  }
  const instructions = m.cpu.instructions - i0;
  const hostSeconds = elapsed / 1000;
  return {
    instructionsPerSecond: Math.round(instructions / hostSeconds),
    instructions,
    hostSeconds,
    cycles: m.cpu.cycles - c0,
  };
}
