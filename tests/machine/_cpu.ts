/**
 * A bench for the R3000A tests: a bare CPU on a 1 MB bus, guest code assembled at 0x80030000 and
 * runs that stop when the CPU reaches an exception vector.
 *
 * Status.BEV is cleared, so the vectors are 0x80000000 (UTLB miss) and 0x80000080 (everything
 * else). A program usually ends with `break`: `finish` runs it and checks that the Bp exception
 * of that `break` was the only exception taken, so a test then just reads registers and memory.
 * Nothing here knows the host's speed: runs are bounded by instruction counts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AsmSource, type Program } from "../../machine/asm/mod.ts";
import { Bus } from "../../machine/bus.ts";
import { CP0, EXC, TLB, VECTOR } from "../../machine/cp0.ts";
import { Cpu } from "../../machine/cpu.ts";

/** Where test programs are assembled (kseg0, physical 0x30000). */
export const ORIGIN = 0x80030000;

/** RAM on the test bus, in bytes. */
export const RAM_BYTES = 1 << 20;

/** A CPU, its bus and the program loaded on it. */
export interface Bench {
  /** The processor, with pc at the program's origin. */
  cpu: Cpu;
  /** Its bus: RAM only, no devices. */
  bus: Bus;
  /** The assembled program. */
  p: Program;
}

/** Something to do to the bench before the run: map pages, set registers. */
export type Setup = (b: Bench) => void;

/** Copies a program's text and data into RAM; throws RangeError when it lies outside RAM. */
export function load(bus: Bus, p: Program): void {
  bus.ram32.set(p.text, (p.origin & 0x1fffffff) >>> 2);
  bus.ram8.set(p.data, p.dataOrigin & 0x1fffffff);
}

/** Makes a CPU (BEV clear, kernel mode) with `src` assembled at ORIGIN and pc pointing at it. */
export function bench(src: AsmSource | string, setup?: Setup): Bench {
  const bus = new Bus(RAM_BYTES);
  const cpu = new Cpu(bus);
  cpu.cp0[CP0.Status] = 0;
  const p = (typeof src === "string" ? new AsmSource(src) : src).at(ORIGIN);
  load(bus, p);
  cpu.pc = p.entry;
  const b = { cpu, bus, p };
  setup?.(b);
  return b;
}

/** Runs until the pc reaches `stopAt` or `limit` instructions have run; returns the bench. */
export function runTo(b: Bench, stopAt: number, limit = 10_000): Bench {
  const { cpu } = b;
  const start = cpu.instructions;
  while (cpu.instructions - start < limit) {
    const why = cpu.execute(limit - (cpu.instructions - start), stopAt);
    if (why === "breakpoint") break;
    if (why === "hypercall") cpu.serviceHypercall();
  }
  return b;
}

/** Assembles and runs `src` until the first exception vector it reaches (general by default). */
export function run(
  src: AsmSource | string,
  setup?: Setup,
  stopAt: number = VECTOR.GENERAL,
): Bench {
  return runTo(bench(src, setup), stopAt);
}

/** Runs `src` to its closing `break`; fails the test if any other exception came first. */
export function finish(src: AsmSource | string, setup?: Setup): Bench {
  const b = run(src, setup);
  assert.equal(b.cpu.pc, VECTOR.GENERAL >>> 0, "the program did not reach an exception");
  assert.equal(excCode(b.cpu), EXC.Bp, `the program stopped on exception ${excCode(b.cpu)}`);
  assert.equal(b.cpu.exceptionCounts.reduce((s, n) => s + n), 1, "more than one exception");
  return b;
}

/** The exception code in Cause. */
export function excCode(cpu: Cpu): number {
  return (cpu.cp0[CP0.Cause] >>> 2) & 31;
}

/** General register `n` as an unsigned number. */
export function u(cpu: Cpu, n: number): number {
  return cpu.regs[n] >>> 0;
}

/** Writes TLB entry `i` by hand (VPN and ASID; PFN and flags) and empties the CPU's caches. */
export function mapPage(cpu: Cpu, i: number, va: number, asid: number, pa: number, flags: number) {
  cpu.tlbHi[i] = (va & TLB.VPN_MASK) | (asid << TLB.ASID_SHIFT);
  cpu.tlbLo[i] = (pa & TLB.PFN_MASK) | flags;
  cpu.invalidateCaches();
}

/** Register numbers by name, for reading results. */
export const R = {
  v0: 2,
  v1: 3,
  a0: 4,
  a1: 5,
  t0: 8,
  t1: 9,
  t2: 10,
  t3: 11,
  t4: 12,
  s0: 16,
  s1: 17,
  k0: 26,
  k1: 27,
  ra: 31,
} as const;
