/**
 * Lockstep runs for the translator's tests: the same program on two benches, one CPU on the
 * interpreter and one on the translator (hotness 1, so every entry is translated at once), run
 * with the same seeded random run limits; after every run both CPUs' whole state (registers,
 * pc and delay slot, the load in its delay slot, HI/LO, CP0, TLB, counters, interrupt lines,
 * exception counts) must be equal, and RAM at the end.
 *
 * Handlers at the vectors make the programs long-lived: the UTLB refill maps any missed page to
 * physical REFILL_PA; the general handler counts exceptions in $s7, skips the faulting
 * instruction (and its branch when BD is set), and on `break` parks the CPU at DONE.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsmSource, type AssembleOptions, type Program } from "../../machine/asm/mod.ts";
import { TLB, VECTOR } from "../../machine/cp0.ts";
import type { Cpu } from "../../machine/cpu.ts";
import { type Bench, bench, load, type Setup } from "./_cpu.ts";
import { sameCpu, sameRam } from "./_engine_diff.ts";

/** Benches have no console: `sameRam` reads only RAM. */
const NO_CONSOLE = { bytes: new Uint8Array(0) };

/** Assembly that may read registers in load delay slots on purpose: no hazard check. */
export class Raw extends AsmSource {
  /** Assembles with the hazard check off. */
  override at(origin: number, options: Omit<AssembleOptions, "origin"> = {}): Program {
    return super.at(origin, { ...options, checkHazards: false });
  }
}

/** A noreorder program, unchecked: `raw\`...\``, with numbers or text interpolated. */
export function raw(strings: TemplateStringsArray, ...values: (number | string)[]): Raw {
  let s = "        .set noreorder\n" + strings[0];
  values.forEach((v, i) => s += String(v) + strings[i + 1]);
  return new Raw(s);
}

/** Where the general handler parks the CPU after a `break`. */
export const DONE = 0x80000200;

/** The physical page the UTLB handler maps every missed page to. */
export const REFILL_PA = 0x50000;

/** The UTLB refill handler (at 0x80000000). */
const UTLB_HANDLER = raw`
        mfc0    $k1, $epc
        li      $k0, ${REFILL_PA | TLB.V | TLB.D}
        mtc0    $k0, $entrylo
        nop
        tlbwr
        jr      $k1
        rfe`;

/** The general handler (at 0x80000080), and the parking loop at DONE. */
const GENERAL_HANDLER = raw`
        mfc0    $k0, $cause
        mfc0    $k1, $epc
        andi    $k0, $k0, 0x7c
        li      $at, 0x24
        beq     $k0, $at, 2f
        addiu   $s7, $s7, 1
        mfc0    $k0, $cause
        addiu   $k1, $k1, 4
        bgez    $k0, 1f
        nop
        addiu   $k1, $k1, 4
1:      jr      $k1
        rfe
2:      j       ${DONE}
        nop`;

/** The parking loop. */
const PARK = raw`
park:   b       park
        nop`;

/** Makes a bench for `src` with the handlers installed. */
export function handlerBench(src: AsmSource, setup?: Setup): Bench {
  return bench(src, (b) => {
    load(b.bus, UTLB_HANDLER.at(VECTOR.UTLB));
    load(b.bus, GENERAL_HANDLER.at(VECTOR.GENERAL));
    load(b.bus, PARK.at(DONE));
    setup?.(b);
  });
}

/** A small seeded generator (xorshift32): the same seed, the same limits. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Asserts that two CPUs are in the same state, naming `where` on a difference. */
function assertSameCpu(a: Cpu, b: Cpu, where: string): void {
  sameCpu(a.snapshot(), b.snapshot(), where);
  assert.equal(b.random, a.random, `${where}: Random differs`);
}

/** Options for `lockstep`. */
export interface LockstepOptions {
  /** Seed of the run limits. */
  seed?: number;
  /** Runs at most. */
  runs?: number;
  /** The largest run limit (limits are drawn from 1..small and 1..large). */
  large?: number;
  /** Called on both benches (interp first) after run `i`, before comparing. */
  between?: (b: Bench, i: number) => void;
  /** The translator's hotness (default 1: every entry is translated at once). */
  hotness?: number;
  /** Stop when this is true of the interpreter's CPU (default: parked at DONE). */
  done?: (cpu: Cpu) => boolean;
}

/**
 * Runs `src` on both engines in lockstep with random run limits, comparing after every run;
 * returns both benches (interp, jit) at the end, RAM compared.
 */
export function lockstep(
  src: AsmSource,
  setup?: Setup,
  options: LockstepOptions = {},
): [Bench, Bench] {
  const a = handlerBench(src, setup), b = handlerBench(src, setup);
  b.cpu.engine = "jit";
  b.cpu.jitHotness = options.hotness ?? 1;
  const next = rng(options.seed ?? 1);
  const runs = options.runs ?? 400, large = options.large ?? 3000;
  const done = options.done ?? ((cpu: Cpu) => cpu.pc === DONE);
  for (let i = 0; i < runs && !done(a.cpu); i++) {
    const r = next();
    const k = 1 + (r & 1 ? r % 13 : r % large);
    const wa = a.cpu.execute(k), wb = b.cpu.execute(k);
    assert.equal(wb, wa, `run ${i} (limit ${k}): the engines stopped for different reasons`);
    if (wa === "hypercall") {
      a.cpu.serviceHypercall();
      b.cpu.serviceHypercall();
    }
    options.between?.(a, i);
    options.between?.(b, i);
    assertSameCpu(a.cpu, b.cpu, `run ${i} (limit ${k})`);
  }
  sameRam({ ...a, console: NO_CONSOLE }, { ...b, console: NO_CONSOLE }, "at the end");
  return [a, b];
}
