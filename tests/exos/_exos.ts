/**
 * Fixtures for the ExOS tests: a booted lab with the slice clock masked (so a guest run goes to
 * its `until` address whatever the emulated time, bounded by instruction counts), processes with
 * an address space, and the translation wipes the demand-mapping tests lean on.
 *
 * @module
 */

import assert from "node:assert/strict";
import { TLB } from "../../machine/cp0.ts";
import type { Environment } from "../../aegis/env.ts";
import { K, STLB } from "../../aegis/layout.ts";
import { Lab } from "../../shell/lab.ts";
import { AddressSpace, type AddressSpaceOptions, LIB, PAGE_SIZE } from "../../exos/mod.ts";

/** Both page-table structures, for tests that run on each. */
export const STRUCTURES = ["linear", "clustered", "clustered-walk", "inverted"] as const;

/** Boots a lab with the slice clock masked. */
export function boot(): Lab {
  const m = new Lab();
  m.aegis.sliceClock(false);
  return m;
}

/** A process: an environment and its address space. */
export interface Proc {
  /** The environment. */
  env: Environment;
  /** Its address space. */
  vm: AddressSpace;
}

/** Creates environment `name` with an address space built with `options`. */
export function proc(m: Lab, name: string, options: AddressSpaceOptions = {}): Proc {
  const env = m.aegis.createEnv(name);
  return { env, vm: new AddressSpace(env, options) };
}

/** Starts `p` at `pc` through its start stub and runs it to `until`; asserts that it got there. */
export function runTo(m: Lab, p: Proc, pc: number, until: number, max = 1_000_000): void {
  p.env.enter(p.vm.entry(pc));
  const r = m.run({ until, maxInstructions: max });
  assert.equal(
    r.reason,
    "breakpoint",
    `${p.env} did not reach 0x${until.toString(16)}: ${r.reason}`,
  );
}

/** Runs the CPU from where it is to `until`; asserts that it got there. */
export function resume(m: Lab, until: number, max = 1_000_000): void {
  const r = m.run({ until, maxInstructions: max });
  assert.equal(r.reason, "breakpoint", `did not reach 0x${until.toString(16)}: ${r.reason}`);
}

/** The STLB tags (VPN | ASID << 6) of the library pages of `procs`. */
export function libraryTags(...procs: Proc[]): Set<number> {
  const tags = new Set<number>();
  for (const p of procs) {
    for (let va = LIB.CODE; va < LIB.END; va += PAGE_SIZE) tags.add(va | (p.env.asid << 6));
  }
  return tags;
}

/** Whether the STLB holds a binding of `va` for address space `asid` (in any slot). */
export function stlbHolds(m: Lab, va: number, asid: number): boolean {
  const tag = ((va & ~(PAGE_SIZE - 1)) | (asid << 6)) | 0;
  for (let s = 0; s < STLB.ENTRIES; s++) {
    if (m.aegis.mem.r32(K.STLB + s * STLB.ENTRY_BYTES) === tag) return true;
  }
  return false;
}

/**
 * Empties the hardware TLB and every STLB entry but the library bindings of `keep`: every user
 * binding is gone, so each user access misses all the way to the library's handler.
 */
export function wipeTranslations(m: Lab, ...keep: Proc[]): void {
  const cpu = m.cpu, lib = libraryTags(...keep);
  for (let i = 0; i < TLB.ENTRIES; i++) {
    cpu.tlbHi[i] = (0x80000000 | (i << 12)) | 0;
    cpu.tlbLo[i] = 0;
  }
  cpu.invalidateCaches();
  for (let s = 0; s < STLB.ENTRIES; s++) {
    const k = K.STLB + s * STLB.ENTRY_BYTES;
    if (lib.has(m.aegis.mem.r32(k))) continue;
    m.aegis.mem.w32(k, 0);
    m.aegis.mem.w32(k + 4, 0);
  }
}

/** How many exceptions of each code `work` took. */
export function exceptionsDuring(m: Lab, work: () => void): number[] {
  const before = m.cpu.exceptionCounts.slice();
  work();
  return [...m.cpu.exceptionCounts].map((c, i) => c - before[i]);
}
