/**
 * The differential harness for the CPU engines: the same machine made twice, once on the
 * interpreter (the reference) and once on the translator with a hotness of 1 (so every page it
 * can translate is translated on first entry), run in lockstep with random run limits; after
 * every run the two must agree on why and where the run ended, the whole CPU state (pc, the
 * delay-slot and load-delay state, registers, HI/LO, CP0, the TLB, the instruction and cycle
 * counts, exception counts, the interrupt lines) and the console output, and at the end on all
 * of RAM. Any difference throws, naming the seed, the run and the first field that differs.
 *
 * It also makes random instruction streams (`streamMachine`): kernel-mode code in kseg0 and, by
 * a TLB alias, in kuseg, with an exception handler that refills the TLB from a fixed map and
 * skips other faulting instructions, and the clock's periodic interrupt on. The stream mixes
 * ALU work, overflow, multiply and divide with HI/LO read at random distances, loads and stores
 * of every width (unaligned ones fault) to kseg0 and to TLB-mapped pages (some read-only: Mod),
 * loads whose delay slot is a branch or lies across a block exit, branches into the delay slot
 * of another branch, counted loops, stores that patch instructions ahead in the same block or
 * ones run before (through kseg0 and kseg1), ASID changes that turn the TLB's entries into
 * misses, SYSCALL and BREAK, jumps between the kseg0 and kuseg views of the same code, and
 * calls (JAL and JALR) of subroutines in two other pages, whose bodies are patched now and then.
 * A forward branch may land inside another snippet (between a link and the jump that uses it,
 * say), and a few streams go off into their data pages that way and run random words from then
 * on; that is kept, as more encodings for the engines to agree on.
 *
 * Used by engine_diff_test.ts (a fixed set of seeds) and engine_diff.ts (the long mode).
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import type { Cpu, CpuSnapshot, Engine } from "../../machine/cpu.ts";
import { DECstation } from "../../machine/decstation.ts";

/** The fixed time of day every machine here starts at, so both clocks read alike. */
export const EPOCH = new Date("2026-01-01T00:00:00Z");

/** What lockstep needs of a machine: its CPU, RAM and console. */
export interface Diffable {
  cpu: Cpu;
  bus: { ram32: Int32Array };
  console: { bytes: Uint8Array };
}

/** A seeded source of random numbers (mulberry32). */
export class Rng {
  #s: number;
  /** A generator from `seed`. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A random 32-bit unsigned word. */
  word(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** A whole number in lo..hi. */
  int(lo: number, hi: number): number {
    return lo + (this.word() % (hi - lo + 1));
  }
  /** One of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.word() % xs.length];
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.word() / 0x100000000 < p;
  }
}

/** `make` on each engine: [the interpreter's, the translator's with hotness 1]. */
export function pair<M extends Diffable>(make: (engine: Engine) => M): [M, M] {
  const a = make("interp"), b = make("jit");
  assert.equal(a.cpu.engine, "interp");
  assert.equal(b.cpu.engine, "jit");
  b.cpu.jitHotness = 1;
  return [a, b];
}

/** A random run limit up to `max`: often tiny (single steps, block edges), sometimes long. */
export function runLimit(rng: Rng, max: number): number {
  const r = rng.int(0, 9);
  if (r < 2) return rng.int(1, 8);
  if (r < 6) return rng.int(1, Math.min(2_000, max));
  return rng.int(1, max);
}

/** Throws unless the two CPU states are the same, naming the first field that differs. */
export function sameCpu(a: CpuSnapshot, b: CpuSnapshot, where: string): void {
  for (const key of Object.keys(a) as (keyof CpuSnapshot)[]) {
    const x = a[key], y = b[key];
    if (ArrayBuffer.isView(x) || Array.isArray(x)) {
      const xs = x as ArrayLike<number>, ys = y as ArrayLike<number>;
      for (let i = 0; i < xs.length; i++) {
        if (!Object.is(xs[i], ys[i])) {
          throw new assert.AssertionError({
            message: `${where}: cpu.${key}[${i}] is ${xs[i]} on interp, ${ys[i]} on jit`,
          });
        }
      }
    } else if (!Object.is(x, y)) {
      throw new assert.AssertionError({
        message: `${where}: cpu.${key} is ${x} on interp, ${y} on jit`,
      });
    }
  }
}

/** Throws unless the two consoles hold the same bytes. */
export function sameConsole(a: Diffable, b: Diffable, where: string): void {
  const x = a.console.bytes, y = b.console.bytes;
  if (x.length === y.length && x.every((v, i) => v === y[i])) return;
  const dec = new TextDecoder();
  assert.equal(dec.decode(y), dec.decode(x), `${where}: console output (jit vs interp)`);
}

/** Throws unless the two RAMs are the same, naming the first word that differs. */
export function sameRam(a: Diffable, b: Diffable, where: string): void {
  const x = a.bus.ram32, y = b.bus.ram32;
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) {
      throw new assert.AssertionError({
        message: `${where}: RAM at 0x${(i * 4).toString(16)} is 0x${(x[i] >>> 0).toString(16)} ` +
          `on interp, 0x${(y[i] >>> 0).toString(16)} on jit`,
      });
    }
  }
}

/** What one lockstep run returns: compared as JSON (reason, instruction counts, ...). */
export type Run<M> = (m: M, limit: number) => { reason: string } & Record<string, unknown>;

/** The outcome of `lockstep`: how many runs and instructions it compared, and the last reason. */
export interface LockstepResult {
  runs: number;
  instructions: number;
  reason: string;
}

/**
 * Runs `a` and `b` with the same random limits (drawn from `seed`, at most `maxRun`, default
 * 200,000) until a run ends for a
 * reason in `until` or `budget` instructions have run, comparing after every run and RAM at
 * the end; throws at the first difference, naming `label`, the seed and the run.
 */
export function lockstep<M extends Diffable>(
  a: M,
  b: M,
  run: Run<M>,
  { seed, budget, until = [], label, maxRun = 200_000 }: {
    seed: number;
    budget: number;
    until?: string[];
    label: string;
    maxRun?: number;
  },
): LockstepResult {
  const rng = new Rng(seed);
  let runs = 0, reason = "";
  const start = a.cpu.snapshot().counters[0];
  for (;;) {
    const limit = runLimit(rng, maxRun);
    const ra = run(a, limit), rb = run(b, limit);
    runs++;
    const where = `${label} (seed ${seed}), run ${runs} (limit ${limit})`;
    assert.deepEqual(JSON.parse(JSON.stringify(rb)), JSON.parse(JSON.stringify(ra)), where);
    sameCpu(a.cpu.snapshot(), b.cpu.snapshot(), where);
    sameConsole(a, b, where);
    reason = ra.reason;
    const done = a.cpu.snapshot().counters[0] - start;
    if (until.includes(reason) || done >= budget) {
      sameRam(a, b, `${label} (seed ${seed}), at the end`);
      return { runs, instructions: done, reason };
    }
  }
}

/** A DECstation run for lockstep: its RunResult. */
export const runMachine: Run<DECstation> = (m, limit) => ({ ...m.run({ maxInstructions: limit }) });

// ---- random instruction streams ---------------------------------------------------------------

/** Where a stream's code lives: physical 0x40000, seen at kseg0, kseg1 and (by the TLB) kuseg. */
const CODE = 0x40000, CODE_WORDS = 3800;
/**
 * Subroutines the stream calls (JAL and JALR), SUBS of them SUB_BYTES apart from physical SUB
 * on (two pages of kseg0 after the stream's own): the translator's regions of several pages.
 */
const SUB = 0x44000, SUBS = 8, SUB_BYTES = 0x400;
/** kseg0 data (s6) and TLB-mapped data (s7, pages 0x400.. onto physical 0x200000..). */
const DATA0 = 0x100000, DATA_MAPPED = 0x200000;

/** Registers the stream computes with (others are bases, the loop counter, scratch, links). */
const POOL = [2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17];
const AT = 1, COUNT = 21, S6 = 22, S7 = 23, GP = 28, FP = 30;

const r = (rs: number, rt: number, rd: number, sa: number, fn: number) =>
  ((rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | fn) >>> 0;
const i = (op: number, rs: number, rt: number, imm: number) =>
  ((op << 26) | (rs << 21) | (rt << 16) | (imm & 0xffff)) >>> 0;

/** The exception handlers and the start-up code, assembled. */
function handlers(rate: number) {
  const utlb = asm`
        .set noreorder
        mfc0  $k0, $8             # BadVAddr
        lui   $k1, 0x1000
        sltu  $k1, $k0, $k1       # below 0x10000000: data
        srl   $k0, $k0, 12
        bnez  $k1, data
        andi  $k1, $k0, 1         # odd data pages are read-only
        andi  $k0, $k0, 3         # code: the kuseg view of the code's pages
        addiu $k0, $k0, 0x40
        sll   $k0, $k0, 12
        b     write
        ori   $k0, $k0, 0x200     # V, not D: a store there is Mod
data:   andi  $k0, $k0, 7
        addiu $k0, $k0, 0x200
        sll   $k0, $k0, 12
        bnez  $k1, write
        ori   $k0, $k0, 0x200
        ori   $k0, $k0, 0x400     # D
write:  mtc0  $k0, $2             # EntryLo; EntryHi holds the VPN and the current ASID
        nop
        tlbwr
        mfc0  $k0, $14
        nop
        jr    $k0
        rfe
`;
  const general = asm`
        .set noreorder
        mfc0  $k0, $13            # Cause
        nop
        andi  $k0, $k0, 0x7c
        bnez  $k0, skip
        nop
        lui   $k0, 0xbfe8         # the clock's interrupt: read C to end it
        lbu   $k0, 0x30($k0)
        nop
        mfc0  $k0, $14
        nop
        jr    $k0
        rfe
skip:   mfc0  $k0, $14            # any other exception: go on after the instruction
        nop
        addiu $k0, $k0, 4
        jr    $k0
        rfe
`;
  const init = asm`
        .set noreorder
        lui   $gp, 0x8004
        lui   $fp, 0xa004
        lui   $s6, 0x8010
        lui   $s7, 0x0040
        lui   $t0, 0xbfe8
        li    $t1, ${0x20 | rate}
        sb    $t1, 0x28($t0)      # A: the divider on, the periodic rate
        li    $t1, 0x46
        sb    $t1, 0x2c($t0)      # B: PIE, binary, 24-hour
        lui   $t0, 0x1000
        ori   $t0, $t0, 0x0801    # CU0, IM3 (the clock), IEc
        mtc0  $t0, $12
        nop
`;
  return { utlb, general, init };
}

/**
 * The random code of stream `seed`: words for physical CODE, run from kseg0 0x80040000, and
 * its subroutines, for physical SUB.
 */
export function streamCode(rng: Rng): { code: Uint32Array; subs: Uint32Array } {
  const w: number[] = [];
  const patchSlots: number[] = [];
  const reg = () => rng.pick(POOL);
  const dst = () => (rng.chance(0.03) ? 0 : reg());
  const alu = (): number => {
    const k = rng.int(0, 15);
    if (k < 7) {
      const fn = rng.pick([
        0x21,
        0x23,
        0x24,
        0x25,
        0x26,
        0x27,
        0x2a,
        0x2b,
        0x04,
        0x06,
        0x07,
        0x20,
        0x22,
      ]);
      return r(reg(), reg(), dst(), 0, fn);
    }
    if (k < 9) return r(0, reg(), dst(), rng.int(0, 31), rng.pick([0, 2, 3]));
    if (k < 14) {
      const op = rng.pick([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x09]);
      return i(op, reg(), dst(), rng.word());
    }
    return r(0, 0, dst(), 0, rng.pick([0x10, 0x12])); // mfhi, mflo
  };
  const memOffset = (size: number) => {
    const off = rng.int(0, 0x7ff0) & ~(size - 1);
    return rng.chance(0.05) ? off + rng.int(1, 3) : off; // now and then unaligned: AdEL/AdES
  };
  const load = (rt = dst()) => {
    const [op, size] = rng.pick(
      [[0x20, 1], [0x24, 1], [0x21, 2], [0x25, 2], [0x23, 4], [0x23, 4], [0x22, 1], [
        0x26,
        1,
      ]] as const,
    );
    return i(op, rng.pick([S6, S7]), rt, memOffset(size));
  };
  const store = () => {
    const [op, size] = rng.pick(
      [[0x28, 1], [0x29, 2], [0x2b, 4], [0x2b, 4], [0x2a, 1], [0x2e, 1]] as const,
    );
    return i(op, rng.pick([S6, S7]), reg(), memOffset(size));
  };
  const simple = () => {
    const k = rng.int(0, 9);
    if (k < 5) return alu();
    if (k < 7) return load();
    if (k < 8) return store();
    return r(reg(), reg(), 0, 0, rng.pick([0x18, 0x19, 0x1a, 0x1b])); // mult, multu, div, divu
  };
  /** A conditional branch on random registers to index `target` from index `at`. */
  const branch = (at: number, target: number, rs = reg()) => {
    const off = target - (at + 1);
    const k = rng.int(0, 5);
    if (k < 2) return i(rng.pick([4, 5]), rs, reg(), off);
    if (k < 4) return i(rng.pick([6, 7]), rs, 0, off);
    return i(1, rs, rng.pick([0, 1, 0x10, 0x11]), off); // bltz, bgez, bltzal, bgezal
  };
  const patchSlot = () => {
    patchSlots.push(w.length);
    w.push(i(0x09, reg(), reg(), rng.word()));
  };
  /** Stores a fresh addiu into code word `slot` through kseg0 (gp) or kseg1 (fp). */
  const patch = (slot: number) => {
    const word = i(0x09, reg(), reg(), rng.word());
    w.push(i(0x0f, 0, AT, word >>> 16), i(0x0d, AT, AT, word & 0xffff));
    w.push(i(0x2b, rng.pick([GP, FP]), AT, slot * 4));
  };
  // The subroutines first: a few plain instructions each, then jr $ra with a delay slot; their
  // bodies may be patched too (slots count words from CODE).
  const subs = new Uint32Array((SUBS * SUB_BYTES) >>> 2);
  for (let n = 0; n < SUBS; n++) {
    let at = (n * SUB_BYTES) >>> 2;
    for (let k = rng.int(1, 8); k > 0; k--) {
      if (rng.chance(0.3)) patchSlots.push(((SUB - CODE) >>> 2) + at);
      subs[at++] = simple();
    }
    subs[at++] = r(31, 0, 0, 0, 0x08); // jr $ra
    subs[at] = simple();
  }
  while (w.length < CODE_WORDS - 64) {
    const k = rng.int(0, 99);
    if (k < 40) w.push(simple());
    else if (k < 52) { // a forward branch, its delay slot often a load
      const at = w.length;
      w.push(branch(at, at + rng.int(2, 10)));
      w.push(rng.chance(0.5) ? load() : simple());
    } else if (k < 58) { // a load, then a branch reading its register in the load's delay slot
      const rt = reg();
      w.push(load(rt));
      const at = w.length;
      w.push(branch(at, at + rng.int(2, 8), rt), simple());
    } else if (k < 63) { // a branch into the delay slot of a later branch
      const at = w.length, filler = rng.int(0, 3), slot = at + 3 + filler;
      w.push(branch(at, slot), simple());
      for (let f = 0; f < filler; f++) w.push(simple());
      w.push(branch(w.length, w.length + rng.int(2, 6)), simple());
    } else if (k < 70) { // a counted loop
      w.push(i(0x0d, 0, COUNT, rng.int(2, 24)));
      const top = w.length;
      for (let n = rng.int(1, 6); n > 0; n--) w.push(simple());
      w.push(i(0x09, COUNT, COUNT, -1));
      w.push(i(5, COUNT, 0, top - (w.length + 1)), rng.chance(0.3) ? load() : alu());
    } else if (k < 76) { // patch an instruction ahead in this block
      const gap = rng.int(0, 2);
      patch(w.length + 3 + gap);
      for (let g = 0; g < gap; g++) w.push(alu());
      patchSlot();
    } else if (k < 80 && patchSlots.length > 0) { // patch one run before
      patch(rng.pick(patchSlots));
    } else if (k < 83) patchSlot();
    else if (k < 86) { // a new ASID: the TLB's entries for the old one miss from now on
      w.push(i(0x0d, 0, AT, rng.int(0, 7) << 6), (0x40800000 | (AT << 16) | (10 << 11)) >>> 0);
    } else if (k < 88) w.push(rng.chance(0.5) ? 0x0000000c : 0x0000000d); // syscall, break
    else if (k < 91) { // over to the other view of this code (kseg0 <-> kuseg 0x10040000)
      w.push(i(1, 0, 0x11, 1), 0);
      w.push(i(0x0f, 0, AT, 0x9000), r(31, AT, AT, 0, 0x26), i(0x09, AT, AT, 20));
      w.push(r(AT, 0, 0, 0, 0x08), 0);
    } else if (k < 98) { // a call of a subroutine, by JAL (in kuseg, a jump into the stream's
      // own first page) or by JALR to its kseg0 address
      const sub = 0x80000000 + SUB + rng.int(0, SUBS - 1) * SUB_BYTES;
      if (rng.chance(0.5)) w.push(((3 << 26) | ((sub >>> 2) & 0x3ffffff)) >>> 0, simple());
      else {
        w.push(i(0x0f, 0, AT, sub >>> 16), i(0x0d, AT, AT, sub & 0xffff));
        w.push(r(AT, 0, 31, 0, 0x09), simple()); // jalr $at
      }
    } else w.push(alu());
  }
  while (w.length < CODE_WORDS) w.push(alu()); // where the last forward branches land
  w.push(((2 << 26) | ((0x80040000 >>> 2) & 0x3ffffff)) >>> 0, 0); // j the start, either view
  return { code: Uint32Array.from(w), subs };
}

/** A bare machine on `engine` running random stream `seed` (its code, data and handlers). */
export function streamMachine(seed: number, engine: Engine): DECstation {
  const rng = new Rng(seed);
  const m = new DECstation({ engine, epoch: EPOCH });
  const { utlb, general, init } = handlers(rng.int(3, 6));
  const ram = m.bus.ram32;
  const put = (addr: number, words: ArrayLike<number>) => {
    for (let k = 0; k < words.length; k++) ram[(addr >>> 2) + k] = words[k];
  };
  put(0x0, utlb.at(0x80000000).text);
  put(0x80, general.at(0x80000080).text);
  const start: number[] = [...init.at(0x80030000).text];
  for (const reg of POOL) {
    const v = rng.word();
    start.push(i(0x0f, 0, reg, v >>> 16), i(0x0d, reg, reg, v & 0xffff));
  }
  // Each subroutine runs once before the stream, so its page is known when the stream's pages
  // are first translated, and their calls can take it in.
  for (let n = 0; n < SUBS; n++) {
    start.push(((3 << 26) | (((0x80000000 + SUB + n * SUB_BYTES) >>> 2) & 0x3ffffff)) >>> 0, 0);
  }
  start.push(((2 << 26) | ((0x80040000 >>> 2) & 0x3ffffff)) >>> 0, 0);
  put(0x30000, start);
  const { code, subs } = streamCode(rng);
  put(CODE, code);
  put(SUB, subs);
  for (const base of [DATA0, DATA_MAPPED]) {
    for (let k = 0; k < 0x8000 / 4; k++) ram[(base >>> 2) + k] = rng.word();
  }
  m.cpu.pc = 0x80030000;
  return m;
}
