/**
 * `exo fuzz`: hostile environments against Aegis, with the kernel's invariants checked after
 * every system call.
 *
 * K environments hold a slice position each and run random instruction streams: system calls
 * with arguments drawn from everything an attacker can name (its own pages and capabilities,
 * other environments' pages with capabilities it was never given or was given, random 64-bit
 * words, kernel and guaranteed-region addresses, live, dead and random environment ids), loads
 * and stores anywhere, random words (reserved instructions, coprocessor use), branches and jumps
 * into the kernel, handlers and end-of-slice upcalls at random points of their own code. The
 * slice clock runs. Between runs the host makes random system calls for random environments
 * through the same path, revokes random pages with random deadlines, lets frames arrive at the
 * LANCE (ones the fuzzers' filters may claim, and random ones) and replaces environments that
 * died. Network calls come both random and as a library would make them (its own pages, the
 * filter, frame and ASHs spawn leaves in them). Capabilities come from the kernel's reproducible source (AegisOptions.insecureSeed)
 * seeded from the fuzz seed, so a seed and a call index reproduce a run exactly.
 *
 * After every call, from the host or from guest code (the run stops at the kernel's system-call
 * dispatch and steps the call to its end):
 * - aegis/invariants.ts, with the ledger of capabilities the fuzzer handed each environment;
 * - a call that returned an error changed nothing: the page table, the free bitmap, the STLB,
 *   every record, the globals (accounting words aside), the revocation list and the TLB are as
 *   before (bindings of the kernel's exported structures, which a trampoline fetch may refill,
 *   aside);
 * - a guest call that returned left every register either as it was, zero, or a documented
 *   result, k0 the return address and k1 zero; a protected call gave the callee the caller's
 *   registers except v0, k0 and k1;
 * - the host never throws.
 *
 * @module
 */

import { DECstation } from "../machine/decstation.ts";
import { CP0, TLB } from "../machine/cp0.ts";
import { Aegis } from "../aegis/kernel.ts";
import type { Environment } from "../aegis/env.ts";
import {
  ASH_HELPER,
  capabilityWords,
  encodeFilter,
  EXC,
  SYS,
  SYSCALL_COUNT,
} from "../aegis/abi.ts";
import { assemble } from "../machine/asm/mod.ts";
import { withFcs } from "../machine/ethernet.ts";
import { interruptible, settle } from "../aegis/host.ts";
import { checkInvariants, type Grant } from "../aegis/invariants.ts";
import { E, ENV, G, K, PAGE_SIZE, pteAddress, STLB, U } from "../aegis/layout.ts";

/** What to fuzz. */
export interface FuzzOptions {
  /** System calls to make and check (host and guest together). */
  calls: number;
  /** The seed: the same seed makes the same run. */
  seed: number;
  /** Hostile environments (each with one slice position). */
  envs: number;
  /** Called now and then with the calls made so far. */
  progress?: (calls: number) => void;
}

/** What a fuzz run found. */
export interface FuzzResult {
  /** System calls made and checked. */
  calls: number;
  /** Environments that took part (including replacements). */
  environments: number;
  /** Invariant violations found. */
  violations: number;
  /** Exceptions the host (the kernel's TypeScript) threw. */
  hostExceptions: number;
  /** Network calls (NET_FILTER ... NET_INFO) that succeeded: the fuzzer reached them for real. */
  network: number;
  /** Frames the kernel took from the LANCE, and ASH runs (those of filters alive at the end). */
  frames: number;
  ashRuns: number;
  /** The seed. */
  seed: number;
  /** The first problems, each with the call index that reproduces it. */
  first: { call: number; message: string }[];
}

/** Where each fuzzing environment's code and data live. */
const CODE = 0x00400000, DATA = 0x10000000, DATA_PAGES = 3;

/**
 * Where spawn leaves network material in each data page: a filter's encoding, a frame, and an
 * ASH (a loop that spends its budget, or a handler that copies and sends), for NET_FILTER,
 * NET_SEND and NET_ASH to find among the random arguments.
 */
const FILTER_AT = 0, FRAME_AT = 0x400, ASH_AT = 0x800, ASH_WORDS = 8;

/** Registers a system call leaves as they are (s0-s7, gp, sp, fp, ra). */
const PRESERVED = new Set([16, 17, 18, 19, 20, 21, 22, 23, 28, 29, 30, 31]);

/** An ASH that spins until its budget runs out (ASH_WORDS words). */
const SPIN_ASH = assemble(`
        .set noreorder
1:      addiu   $t0, $t0, 1
        b       1b
        nop
        nop
        nop
        nop
        nop
        nop
`).text;

/** An ASH that copies its frame into its page and sends it back (ASH_WORDS words). */
const SEND_ASH = assemble(`
        .set noreorder
        move    $a2, $a0
        move    $a1, $zero
        jal     ${ASH_HELPER.COPY}
        move    $a0, $zero
        move    $a0, $zero
        jal     ${ASH_HELPER.SEND}
        ori     $a1, $zero, 60
        nop
`).text;

/** A small seeded generator (xorshift32). */
class Rng {
  #x: number;
  /** Starts from `seed`. */
  constructor(seed: number) {
    this.#x = (seed | 0) || 0x2545f491;
  }
  /** The next 32 random bits, as an int32. */
  word(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return this.#x = x;
  }
  /** A whole number in [0, n). */
  below(n: number): number {
    return (this.word() >>> 0) % n;
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return (this.word() >>> 0) / 2 ** 32 < p;
  }
}

/** One fuzzing environment and what it holds. */
interface Fuzzee {
  env: Environment;
  pages: { number: number; capability: bigint }[];
}

/**
 * The kernel's words that a refused call must not change, copied into `out` (made on first use
 * and reused: the copy is large, and made twice a call).
 */
function kernelWords(aegis: Aegis, out?: Int32Array): Int32Array {
  const ram = aegis.machine.bus.ram32;
  const at = (k: number) => (k & 0x1fffffff) >>> 2;
  const parts = [
    ram.subarray(at(K.PAGE_TABLE), at(pteAddress(aegis.pages))),
    ram.subarray(at(K.FREE_BITMAP), at(K.FREE_BITMAP) + aegis.pages / 32),
    ram.subarray(at(K.STLB), at(K.STLB) + (STLB.ENTRIES * STLB.ENTRY_BYTES) / 4),
    ram.subarray(at(K.GLOBALS), at(K.GLOBALS) + 1024),
    ram.subarray(at(K.REVOCATIONS), at(K.REVOCATIONS) + 1024),
    ram.subarray(at(K.ENVS), at(K.ENVS) + (ENV.SLOTS * ENV.BYTES) / 4),
    ram.subarray(at(K.NET), at(K.STLB)), // filters, rings, the classifier, the ASHs
  ];
  out ??= new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  // What a refused call may still move: the accounting of host time, and the kernel's own
  // bindings of the exported structures (a trampoline fetch may refill them).
  const stlb = parts[0].length + parts[1].length;
  for (let s = 0; s < STLB.ENTRIES; s++) {
    if ((out[stlb + 2 * s] >>> 0) >= U.GUARANTEED && (out[stlb + 2 * s] >>> 0) < U.END) {
      out[stlb + 2 * s] = out[stlb + 2 * s + 1] = 0;
    }
  }
  const globals = stlb + parts[2].length;
  for (let w = G.WINDOW_START / 4; w < G.HOST_CYCLES / 4 + 2; w++) out[globals + w] = 0;
  return out;
}

/** The TLB's valid bindings of user pages below the guaranteed region, as "hi:lo" strings. */
function userBindings(aegis: Aegis): Set<string> {
  const cpu = aegis.machine.cpu, out = new Set<string>();
  for (let i = 0; i < 64; i++) {
    const hi = cpu.tlbHi[i] >>> 0, lo = cpu.tlbLo[i];
    if ((lo & TLB.V) !== 0 && hi < U.GUARANTEED) out.add(`${hi}:${lo}`);
  }
  return out;
}

/** A binding in `after` that `before` did not have (a refused call must add none), or "". */
function newBinding(before: Set<string>, after: Set<string>): string {
  for (const b of after) if (!before.has(b)) return b;
  return "";
}

/** The first difference between two `kernelWords` copies, in words, or -1. */
function firstDifference(a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Encodings the generator uses. */
const op = {
  r: (rs: number, rt: number, rd: number, funct: number, sa = 0) =>
    (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6) | funct,
  i: (code: number, rs: number, rt: number, imm: number) =>
    (code << 26) | (rs << 21) | (rt << 16) | (imm & 0xffff),
};

/** Runs a fuzz campaign; returns what it found. Never throws for what the kernel does. */
export function fuzz(options: FuzzOptions): FuzzResult {
  const { calls: target, seed, envs: count } = options;
  const rng = new Rng(seed);
  const m = new DECstation({ memoryMB: 4 });
  const aegis = new Aegis(m, { slices: count, insecureSeed: seed ^ 0x5bd1e995 });
  const grants = new Map<number, Grant[]>();
  const dead: number[] = [];
  const result: FuzzResult = {
    calls: 0,
    environments: 0,
    violations: 0,
    hostExceptions: 0,
    network: 0,
    frames: 0,
    ashRuns: 0,
    seed,
    first: [],
  };
  const report = (kind: "violation" | "host", message: string) => {
    if (kind === "violation") result.violations++;
    else result.hostExceptions++;
    const text = `${kind === "host" ? "host threw: " : ""}${message}`;
    if (result.first.length < 10) result.first.push({ call: result.calls, message: text });
  };
  let fuzzees: Fuzzee[] = [];
  // The two copies of kernel words each checked call compares, made once.
  const snapshot = kernelWords(aegis), after = kernelWords(aegis);

  /** A word an attacker might put in an argument register. */
  const anyWord = (f: Fuzzee): number => {
    const live = fuzzees.filter((g) => g.env.alive);
    const other = rng.pick(live.length > 0 ? live : [f]);
    switch (rng.below(12)) {
      case 0:
        return rng.word();
      case 1:
        return rng.pick([
          0,
          -1,
          1,
          2,
          0x7fffffff,
          -0x80000000,
          4096,
          256,
          257,
          FILTER_AT,
          ASH_AT | (ASH_WORDS << 16), // NET_ASH's t0: the handler spawn writes
          ASH_AT | (rng.below(300) << 16),
          FRAME_AT,
          60,
          14,
          1514,
        ]);
      case 2:
        return rng.pick(f.pages).number;
      case 3:
        return rng.pick(other.pages).number;
      case 4:
        return rng.pick([0, 1, aegis.firstPage - 1, aegis.pages, aegis.pages - 1, -1]);
      case 5:
        return DATA + PAGE_SIZE * rng.below(DATA_PAGES + 2) + (rng.chance(0.8) ? 0 : rng.below(4));
      case 6:
        return rng.pick([
          U.GUARANTEED,
          U.TRAMPOLINE,
          U.ENV,
          U.STLB,
          U.TS_HANDLER,
          0x80000000,
          K.PAGE_TABLE,
          0xa0000000,
          0x7fffe000,
          CODE,
        ]);
      case 7:
        return other.env.id;
      case 8:
        return dead.length > 0 ? rng.pick(dead) : rng.word();
      case 9:
        return f.env.id;
      case 10:
        return rng.below(40) - 4; // codes, selectors, positions
      default:
        return rng.below(SYSCALL_COUNT + 3);
    }
  };

  /** A capability pair an attacker might present: its own, another's (given), or made up. */
  const anyCapability = (f: Fuzzee): [number, number] => {
    const live = fuzzees.filter((g) => g.env.alive);
    const other = rng.pick(live.length > 0 ? live : [f]);
    switch (rng.below(6)) {
      case 0:
      case 1:
        return capabilityWords(rng.pick(f.pages).capability);
      case 2: {
        const p = rng.pick(other.pages);
        if (other !== f) give(f.env.id, p.number, p.capability);
        return capabilityWords(p.capability);
      }
      case 3:
        return [0, 0];
      default:
        return [rng.word(), rng.word()];
    }
  };

  /**
   * A network call as a library would make it, with its own pages and capabilities (and now and
   * then another's): [number, a0, a1, a2, a3, t0].
   */
  const netCall = (f: Fuzzee): number[] => {
    const page = rng.pick(f.pages.slice(0, DATA_PAGES));
    const [lo, hi] = rng.chance(0.9) ? capabilityWords(page.capability) : anyCapability(f);
    const id = rng.below(8);
    switch (rng.below(6)) {
      case 0:
        return [SYS.NET_FILTER, page.number, FILTER_AT, lo, hi, 0];
      case 1:
        return [SYS.NET_RXPAGE, id, page.number, lo, hi, 0];
      case 2:
        return [SYS.NET_SEND, page.number, FRAME_AT, lo, hi, rng.pick([60, 14, 1000])];
      case 3:
        return [SYS.NET_ASH, id, page.number, lo, hi, ASH_AT | (ASH_WORDS << 16)];
      case 4:
        return [SYS.NET_UNFILTER, id, 0, 0, 0, 0];
      default:
        return [SYS.NET_INFO, rng.below(3), 0, 0, 0, 0];
    }
  };

  /** Records that `id` was handed `capability` for `page`. */
  const give = (id: number, page: number, capability: bigint) => {
    let list = grants.get(id);
    if (list === undefined) grants.set(id, list = []);
    list.push({ page, capability });
    if (list.length > 64) list.shift();
  };

  /** A random instruction stream for `f`, one page of it. */
  const code = (f: Fuzzee): Int32Array => {
    const w: number[] = [];
    const li = (reg: number, v: number) => {
      w.push(op.i(0x0f, 0, reg, v >>> 16), op.i(0x0d, reg, reg, v & 0xffff));
    };
    while (w.length < 1000) {
      const kind = rng.below(12);
      if (kind < 5 && rng.chance(0.2)) {
        const [n, ...args] = netCall(f);
        li(2, n);
        args.forEach((a, i) => li(i < 4 ? 4 + i : 8, a));
        w.push(0x0000000c); // syscall
      } else if (kind < 5) {
        const [lo, hi] = anyCapability(f);
        li(2, rng.chance(0.9) ? rng.below(SYSCALL_COUNT + 1) : anyWord(f));
        li(4, anyWord(f) | (rng.chance(0.3) ? rng.below(4) : 0));
        li(5, anyWord(f));
        li(6, rng.chance(0.7) ? lo : anyWord(f));
        li(7, rng.chance(0.7) ? hi : anyWord(f));
        li(8, rng.chance(0.6) ? 0 : anyWord(f));
        w.push(0x0000000c); // syscall
      } else if (kind < 7) {
        li(15, anyWord(f));
        w.push(
          op.i(
            rng.pick([0x20, 0x21, 0x23, 0x24, 0x28, 0x29, 0x2b, 0x22, 0x26]),
            15,
            rng.below(32),
            rng.below(16) * 4,
          ),
        );
      } else if (kind < 9) {
        const rs = rng.below(32), rt = rng.below(32), rd = rng.below(32);
        w.push(
          rng.chance(0.5)
            ? op.r(
              rs,
              rt,
              rd,
              rng.pick([
                0x20,
                0x21,
                0x22,
                0x23,
                0x24,
                0x25,
                0x26,
                0x2a,
                0x2b,
                0x18,
                0x1a,
                0x10,
                0x12,
              ]),
            )
            : op.i(rng.pick([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]), rs, rt, rng.word()),
        );
      } else if (kind === 9) {
        w.push(rng.word());
      } else if (kind === 10) {
        w.push(op.i(rng.pick([0x04, 0x05]), rng.below(32), rng.below(32), rng.below(64) - 48), 0);
      } else {
        li(15, rng.chance(0.5) ? CODE + 4 * rng.below(1000) : anyWord(f));
        w.push(op.r(15, 0, 0, 0x08), 0); // jr $t7
      }
    }
    w.length = 1000;
    w.push((2 << 26) | ((CODE >>> 2) & 0x3ffffff), 0); // j CODE
    return Int32Array.from(w);
  };

  /** Makes a new fuzzing environment with pages, code, handlers and a slice; or undefined. */
  const spawn = (): Fuzzee | undefined => {
    if (aegis.envIds.length >= ENV.SLOTS - 1) return undefined;
    const env = aegis.createEnv(`fuzz${result.environments}`);
    result.environments++;
    const f: Fuzzee = { env, pages: [] };
    for (let i = 0; i < DATA_PAGES; i++) {
      const p = env.map(DATA + PAGE_SIZE * i);
      f.pages.push({ number: p.number, capability: p.capability });
    }
    const codePage = env.map(CODE);
    f.pages.push({ number: codePage.number, capability: codePage.capability });
    fuzzees.push(f); // (anyWord may pick it for its own code)
    m.bus.ram32.set(code(f), codePage.paddr >>> 2);
    for (const p of f.pages.slice(0, DATA_PAGES)) {
      const at = (o: number) => (p.number * PAGE_SIZE + o) >>> 2;
      const filter = encodeFilter({
        atoms: [
          { offset: 12, size: 2, value: 0x88b5 },
          { offset: 14, size: 2, value: rng.below(8) },
        ],
      });
      m.bus.ram32.set(filter, at(FILTER_AT));
      for (let i = 0; i < 15; i++) m.bus.ram32[at(FRAME_AT) + i] = rng.word();
      m.bus.ram32.set(rng.chance(0.5) ? SPIN_ASH : SEND_ASH, at(ASH_AT));
    }
    for (const c of [EXC.Mod, EXC.TLBL, EXC.TLBS, EXC.AdEL, EXC.AdES, EXC.RI, EXC.Ov, EXC.Bp]) {
      if (rng.chance(0.5)) env.sys.setHandler(c, CODE + 4 * rng.below(1000));
    }
    if (rng.chance(0.3)) env.sys.setEntry("sliceEnd", CODE + 4 * rng.below(1000));
    if (rng.chance(0.5)) env.sys.setEntry("sync", CODE + 4 * rng.below(1000));
    if (rng.chance(0.5)) env.sys.setEntry("async", CODE + 4 * rng.below(1000));
    if (rng.chance(0.3)) env.sys.setSaveArea(f.pages[0], 4 * rng.below(1000));
    try {
      env.sys.sliceAlloc();
    } catch { /* no free position: it runs only when called or donated to */ }
    env.enter(CODE);
    return f;
  };

  /** Reports what a refused call (`what`, returning `code`) changed, if anything. */
  const refusedChangedNothing = (
    what: string,
    code: number,
    before: Int32Array,
    tlb: Set<string>,
  ) => {
    const d = firstDifference(before, kernelWords(aegis, after));
    if (d >= 0) report("violation", `${what} returned ${code} but changed kernel word ${d}`);
    const b = newBinding(tlb, userBindings(aegis));
    if (b !== "") report("violation", `${what} returned ${code} but added the binding ${b}`);
  };

  /** Checks the invariants now; reports each violation. */
  const checkAll = () => {
    for (const v of checkInvariants(aegis, grants)) report("violation", v);
  };

  /** One host call for a random environment, checked. */
  const hostCall = () => {
    const live = fuzzees.filter((f) => f.env.alive);
    if (live.length === 0) return;
    const f = rng.pick(live);
    let n = rng.chance(0.95) ? rng.below(SYSCALL_COUNT + 1) : anyWord(f);
    const [lo, hi] = anyCapability(f);
    let args = [
      anyWord(f) | (rng.chance(0.3) ? rng.below(4) : 0),
      anyWord(f),
      lo,
      hi,
      rng.chance(0.6) ? 0 : anyWord(f),
    ];
    if (rng.chance(0.15)) [n, ...args] = netCall(f);
    if (n === SYS.SCALL || n === SYS.ACALL || n === SYS.YIELD) args[0] = anyWord(f);
    if (n === SYS.YIELD && args[0] === 0) return; // the host waiting for itself: not a test
    settle(aegis.mem); // a kernel path the last run stopped in finishes before the snapshot
    if (!f.env.alive) return; // (and may have ended the environment)
    if (aegis.field(f.env.id, E.ASID) === 0) f.env.call(SYS.NULL);
    const before = kernelWords(aegis, snapshot), tlb = userBindings(aegis);
    const r = f.env.call(n, ...args);
    result.calls++;
    if (r.v0 >= 0 && n >= SYS.NET_FILTER && n <= SYS.NET_INFO) result.network++;
    if (r.v0 < 0 && f.env.alive) {
      refusedChangedNothing(`host call ${n} (${args.join(", ")})`, r.v0, before, tlb);
    }
    checkAll();
  };

  /** Runs guest code up to the next system call, steps it to its end, and checks it. */
  const guestCall = () => {
    const r = m.run({ until: aegis.symbols.syscall, maxInstructions: 4000 });
    if (r.reason !== "breakpoint") return checkAll();
    const cpu = m.cpu, caller = aegis.current;
    const regs = cpu.regs.slice(), epc = cpu.cp0[CP0.EPC] >>> 0, n = regs[2];
    const before = kernelWords(aegis, snapshot), tlb = userBindings(aegis);
    for (let i = 0; i < 100_000 && !interruptible(aegis.mem); i++) m.run({ maxInstructions: 1 });
    result.calls++;
    const after = cpu.regs;
    const returned = !cpu.kernelMode && aegis.current === caller && cpu.pc === ((epc + 4) >>> 0);
    if (returned) {
      if (after[27] !== 0) report("violation", `call ${n} returned with k1 = ${after[27]}`);
      if (after[26] >>> 0 !== cpu.pc) report("violation", `call ${n} returned with k0 not the pc`);
      const outputs = new Set([2]);
      const twoResults: number[] = [
        SYS.GETID,
        SYS.GETID_STACK,
        SYS.NET_FILTER,
        SYS.NET_ASH,
        SYS.NET_INFO,
        SYS.CLOCK,
      ];
      if (twoResults.includes(n)) outputs.add(3);
      if (n === SYS.ALLOC || n === SYS.CAP_READONLY) [6, 7].forEach((x) => outputs.add(x));
      for (let x = 1; x < 32; x++) {
        if (x === 26 || x === 27 || outputs.has(x)) continue;
        if (after[x] !== regs[x] && (PRESERVED.has(x) || after[x] !== 0)) {
          report(
            "violation",
            `call ${n} left register ${x} = ${after[x] >>> 0}, was ${regs[x] >>> 0}`,
          );
        }
      }
      if (after[2] < 0) refusedChangedNothing(`guest call ${n}`, after[2], before, tlb);
      else if (n >= SYS.NET_FILTER && n <= SYS.NET_INFO) result.network++;
    } else if (
      (n === SYS.SCALL || n === SYS.ACALL) && !cpu.kernelMode && aegis.current === regs[4]
    ) {
      for (let x = 1; x < 32; x++) {
        if (x === 2 || x === 26 || x === 27) continue;
        if (after[x] !== regs[x]) {
          report("violation", `a transfer changed register ${x} for the callee`);
        }
      }
      if (after[2] !== caller) report("violation", `a transfer told the callee v0 = ${after[2]}`);
      if (after[27] !== 0) report("violation", `a transfer left k1 = ${after[27]}`);
    }
    checkAll();
  };

  /**
   * A frame arrives from the wire now: one a fuzz filter may claim (type 0x88b5), or random
   * bytes, to this station or broadcast; the kernel's receive path takes it at the next point
   * where it can be interrupted.
   */
  const frame = () => {
    const f = new Uint8Array(60 + rng.below(200));
    for (let i = 0; i < f.length; i++) f[i] = rng.word();
    f.set(rng.chance(0.8) ? m.lance.mac : [255, 255, 255, 255, 255, 255], 0);
    if (rng.chance(0.7)) f.set([0x88, 0xb5, 0, rng.below(8)], 12);
    m.lance.receive(withFcs(f), m.cpu.cycles);
  };

  /** Revokes a random page with a random grace period. */
  const revoke = () => {
    const live = fuzzees.filter((f) => f.env.alive);
    if (live.length === 0) return;
    const f = rng.pick(live);
    aegis.revoke(rng.pick(f.pages).number, rng.below(2000));
    checkAll();
  };

  for (let i = 0; i < count; i++) spawn();
  let lastProgress = 0;
  while (result.calls < target) {
    try {
      const action = rng.below(100);
      if (action < 35) hostCall();
      else if (action < 94) guestCall();
      else if (action < 97) frame();
      else revoke();
      for (const f of fuzzees) if (!f.env.alive && !dead.includes(f.env.id)) dead.push(f.env.id);
      fuzzees = fuzzees.filter((f) => f.env.alive);
      while (fuzzees.length < count && spawn() !== undefined) { /* replace the dead */ }
      if (dead.length > 64) dead.splice(0, dead.length - 64);
    } catch (e) {
      report("host", e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      if (result.hostExceptions > 100) break;
    }
    if (options.progress && result.calls - lastProgress >= 1000) {
      lastProgress = result.calls;
      options.progress(result.calls);
    }
  }
  result.frames = aegis.network.stats.received;
  result.ashRuns = aegis.network.filters.reduce((n, f) => n + (f.ash?.runs ?? 0), 0);
  return result;
}

if (import.meta.main) {
  const calls = Number(Deno.args[0] ?? 10000), seed = Number(Deno.args[1] ?? 1);
  console.log(JSON.stringify(fuzz({ calls, seed, envs: 4 })));
}
