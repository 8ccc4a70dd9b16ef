/**
 * The CPU benchmark behind `exo bench cpu` and `deno bench`: host speed of a CPU engine.
 *
 * A guest loop in kseg0, kernel mode, that mixes what compiled code does: ALU work, loads and
 * stores to a small array, a multiply now and then, a taken and a not-taken branch. It runs for
 * a fixed span of host time and reports emulated instructions per host second. This measures
 * the emulator, not the emulated machine; emulated time is not involved.
 *
 * Before the timed part every engine runs the same fixed number of instructions from the same
 * start (the warm-up); `digest` is a hash of the state that leaves (pc, registers, HI/LO, the
 * counts and the array), so two engines that agree print the same digest.
 *
 * @module
 */

import { asm } from "./asm/mod.ts";
import { DECstation } from "./decstation.ts";
import type { Engine } from "./cpu.ts";

/** Instructions of the warm-up, the part every engine runs alike and `digest` covers. */
const WARMUP = 20_000_000;

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
  /** The engine measured. */
  engine: Engine;
  /** FNV-1a hash of the state after the warm-up, as 8 hex digits. */
  digest: string;
}

/** A machine on `engine` (default: the machine's) with the loop loaded and the pc at its start. */
export function cpuLoopMachine(engine?: Engine): DECstation {
  const m = new DECstation({ engine });
  const program = LOOP.at(0x80030000);
  program.text.forEach((w, i) => m.bus.ram32[(0x30000 >>> 2) + i] = w);
  m.cpu.pc = 0x80030000;
  return m;
}

/** FNV-1a over the CPU's visible state and the loop's array. */
function stateDigest(m: DECstation): string {
  const cpu = m.cpu;
  const words = [cpu.pc, cpu.hi, cpu.lo, cpu.instructions, cpu.cycles, ...cpu.regs];
  for (let i = 0; i < 256; i++) words.push(m.bus.ram32[(0x100000 >>> 2) + i]);
  let h = 0x811c9dc5;
  for (const w of words) {
    for (let b = 0; b < 32; b += 8) h = Math.imul(h ^ ((w >>> b) & 0xff), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * Runs the benchmark loop on `engine` (default: the machine's) for about `seconds` of host time
 * after the warm-up; returns the measured speed and the warm-up's digest.
 */
export function benchCpu(seconds: number, engine?: Engine): CpuBenchResult {
  const m = cpuLoopMachine(engine);
  // Warm up, then measure in slices so the clock is read rarely.
  m.run({ maxInstructions: WARMUP });
  const digest = stateDigest(m);
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
    engine: m.cpu.engine,
    digest,
  };
}
