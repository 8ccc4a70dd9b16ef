/**
 * Fixtures for the Aegis tests: a booted machine, a copy of every word the kernel keeps, and the
 * assertion the protection tests lean on: a refused system call returns its error code and
 * changes nothing.
 *
 * "Nothing" is every word the kernel keeps in its memory (aegis/layout.ts) but its clocks: the
 * page table (owners, capabilities, flags), the free-page bitmap, the STLB, all 128 environment
 * records, the globals (the current environment, the slice vector, the ASID owners and the rest;
 * not the accounting window's start and the host's cycle count, which move with every call), the
 * revocation list, the system-call table and the network's words (counters, filters, rings, the
 * compiled classifier, the ASHs); and, outside it, the hardware TLB and the list of
 * exits. The slice clock is masked (Status.IM3 cleared) unless a test asks for it, so a
 * guest program runs until its `until` address whatever the emulated time: runs are bounded by
 * instruction counts and never depend on the host's speed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { TLB } from "../../machine/cp0.ts";
import { DECstation } from "../../machine/decstation.ts";
import { Aegis } from "../../aegis/kernel.ts";
import type { Environment } from "../../aegis/env.ts";
import { errorName, SYS, SYS_NAMES, SYSCALL_COUNT, type SyscallResult } from "../../aegis/abi.ts";
import { ENV, G, K, PAGE_SIZE, PT, REV, STLB, stlbOffset } from "../../aegis/layout.ts";

/** A machine with Aegis booted on it. */
export interface Lab {
  /** The DECstation. */
  m: DECstation;
  /** The kernel. */
  aegis: Aegis;
}

/** Boots Aegis (on `memoryMB` of RAM); masks the slice clock unless `clock`. */
export function boot(options: { clock?: boolean; memoryMB?: number } = {}): Lab {
  const m = new DECstation({ memoryMB: options.memoryMB });
  const aegis = new Aegis(m);
  if (!options.clock) aegis.sliceClock(false);
  return { m, aegis };
}

/** Every word the kernel keeps, copied, by region name. */
export type KernelState = Record<string, Int32Array>;

/** Copies the words of `bytes` at kseg0 address `k`. */
function words(lab: Lab, k: number, bytes: number): Int32Array {
  const i = (k & 0x1fffffff) >>> 2;
  return lab.m.bus.ram32.slice(i, i + (bytes >>> 2));
}

/** Takes a copy of the kernel's state (see the module comment for what that covers). */
export function kernelState(lab: Lab): KernelState {
  const { m, aegis } = lab;
  return {
    pageTable: words(lab, K.PAGE_TABLE, aegis.pages * PT.ENTRY_BYTES),
    freeBitmap: words(lab, K.FREE_BITMAP, aegis.pages / 8),
    stlb: words(lab, K.STLB, STLB.ENTRIES * STLB.ENTRY_BYTES),
    envs: words(lab, K.ENVS, ENV.SLOTS * ENV.BYTES),
    globals: words(lab, K.GLOBALS, G.WINDOW_START),
    asidsAndSlices: words(
      lab,
      K.GLOBALS + G.ASID_OWNER,
      G.SLICES + 4 * aegis.sliceCount - G.ASID_OWNER,
    ),
    revocations: words(lab, K.REVOCATIONS, REV.MAX * REV.ENTRY_BYTES),
    syscallTable: words(lab, K.SYSCALL_TABLE, 4 * SYSCALL_COUNT),
    network: words(lab, K.NET, K.STLB - K.NET),
    tlbHi: m.cpu.tlbHi.slice(),
    tlbLo: m.cpu.tlbLo.slice(),
    slices: aegis.slices.slice(),
    exits: Int32Array.of(aegis.exits.length),
  };
}

/** Where `now` differs from `before`: up to `max` lines "region[+offset]: before -> now". */
export function stateDiff(before: KernelState, now: KernelState, max = 8): string[] {
  const out: string[] = [];
  const hex = (v: number) => "0x" + (v >>> 0).toString(16);
  for (const [region, a] of Object.entries(before)) {
    const b = now[region];
    for (let i = 0; i < a.length && out.length < max; i++) {
      if (a[i] !== b[i]) out.push(`${region}[+${hex(4 * i)}]: ${hex(a[i])} -> ${hex(b[i])}`);
    }
  }
  return out;
}

/**
 * Asserts that the kernel's state equals `before` (only in `regions`, when given); the message
 * lists the words that moved.
 */
export function assertUnchanged(
  lab: Lab,
  before: KernelState,
  what: string,
  regions?: readonly string[],
): void {
  const now = kernelState(lab);
  const pick = (s: KernelState) =>
    regions ? Object.fromEntries(regions.map((r) => [r, s[r]])) as KernelState : s;
  const diff = stateDiff(pick(before), pick(now));
  assert.deepEqual(diff, [], `${what} changed kernel state:\n${diff.join("\n")}`);
}

/** Describes a call for messages: "TLBWR(0x7ff00000, 0xe0, ...)". */
export function describe(number: number, args: readonly number[]): string {
  const name = SYS_NAMES[number] ?? `syscall ${number}`;
  return `${name}(${args.map((a) => "0x" + (a >>> 0).toString(16)).join(", ")})`;
}

/**
 * Runs system call `number` for `env` through the real path and asserts that it returns error
 * `code` and changes no kernel state. A NULL call first maps the trampoline for `env`, so the
 * TLB entry that mapping needs is not counted as a change.
 */
export function expectError(
  lab: Lab,
  env: Environment | number,
  number: number,
  args: readonly number[],
  code: number,
): SyscallResult {
  const id = typeof env === "number" ? env : env.id;
  lab.aegis.call(id, SYS.NULL);
  const before = kernelState(lab);
  const r = lab.aegis.call(id, number, args);
  const what = describe(number, args);
  assert.equal(r.v0, code, `${what} returned ${errorName(r.v0)} (${r.v0}), not ${errorName(code)}`);
  assertUnchanged(lab, before, what);
  return r;
}

/** The word at offset `off` of physical page `page`. */
export function physWord(lab: Lab, page: number, off = 0): number {
  return lab.m.bus.ram32[(page * PAGE_SIZE + off) >>> 2];
}

/** Writes `value` at offset `off` of physical page `page`. */
export function setPhysWord(lab: Lab, page: number, off: number, value: number): void {
  lab.m.bus.ram32[(page * PAGE_SIZE + off) >>> 2] = value;
}

/** The STLB entry virtual address `va` of address space `asid` indexes: [EntryHi tag, EntryLo]. */
export function stlbEntry(lab: Lab, va: number, asid: number): [number, number] {
  const k = K.STLB + stlbOffset(va, asid);
  return [lab.aegis.mem.r32(k), lab.aegis.mem.r32(k + 4)];
}

/** Index of the TLB entry for virtual page `va` tagged with `asid`, or -1. */
export function tlbIndex(lab: Lab, va: number, asid: number): number {
  const { tlbHi } = lab.m.cpu;
  const tag = ((va & TLB.VPN_MASK) | (asid << TLB.ASID_SHIFT)) & TLB.HI_MASK;
  for (let i = 0; i < TLB.ENTRIES; i++) if ((tlbHi[i] & TLB.HI_MASK) === tag) return i;
  return -1;
}

/** How many TLB and STLB entries map physical page `page`. */
export function bindingsOf(lab: Lab, page: number): number {
  const { m, aegis } = lab;
  let n = 0;
  for (let i = 0; i < TLB.ENTRIES; i++) {
    if ((m.cpu.tlbLo[i] & TLB.V) !== 0 && m.cpu.tlbLo[i] >>> 12 === page) n++;
  }
  for (let i = 0; i < STLB.ENTRIES; i++) {
    const lo = aegis.mem.r32(K.STLB + i * STLB.ENTRY_BYTES + 4);
    if ((lo & TLB.V) !== 0 && lo >>> 12 === page) n++;
  }
  return n;
}

/** Empties the hardware TLB the way the kernel does: every entry matches no user address. */
export function wipeTlb(lab: Lab): void {
  const cpu = lab.m.cpu;
  for (let i = 0; i < TLB.ENTRIES; i++) {
    cpu.tlbHi[i] = (0x80000000 | (i << 12)) | 0;
    cpu.tlbLo[i] = 0;
  }
  cpu.invalidateCaches();
}
