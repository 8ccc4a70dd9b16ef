/**
 * `m.stats`: what the machine did, counted as System/161's stat161 counts it and more:
 * instructions in kernel and in user mode, exceptions by name, system calls by name, TLB misses
 * (and which of the UTLB misses the kernel refilled from its STLB), interrupts, TypeScript
 * services (hypercalls), cycles and modeled cycles; and the same per environment.
 *
 * Everything is counted from outside the CPU's inner loop, exactly. The mode of the CPU changes
 * only at an exception entry (the CPU's `onException` hook tells us), at an RFE or a write of
 * Status (each of which ends the CPU's `execute`), or from TypeScript (in a hypercall, which also
 * ends `execute`, or between runs). So a checkpoint at each exception entry and at the start and
 * end of every `execute` splits the instruction count exactly: every instruction between two
 * checkpoints ran in the mode, and for the environment, recorded at the first of them. Kernel
 * instructions are charged to the environment that was current when the kernel was entered (a
 * protected control transfer charges its kernel path to the caller, its user code to the callee).
 *
 * STLB hits are read off the kernel's behaviour, not its memory: a UTLB miss counts as refilled
 * from the STLB when the kernel next returns to user mode at the faulting pc without having
 * called a TypeScript service on the way (the assembly refill path); any other outcome (the
 * miss forwarded to the environment, a guaranteed mapping made by a service) is a miss.
 *
 * @module
 */

import type { Cpu } from "../machine/cpu.ts";
import { CP0, EXC, EXC_NAMES, SR, VECTOR } from "../machine/cp0.ts";
import { formatTable, hex } from "../machine/table.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { SYS_NAMES } from "../aegis/abi.ts";

/** Counters of one environment. */
export interface EnvStats {
  /** Instructions it ran in user mode. */
  user: number;
  /** Kernel instructions run on its behalf (from its exceptions, system calls, interrupts). */
  kernel: number;
  /** Exceptions taken while it was current, by name. */
  exceptions: Record<string, number>;
  /** System calls it made, by name. */
  syscalls: Record<string, number>;
  /** Its UTLB misses the kernel refilled from the STLB, and those it did not. */
  stlb: { hits: number; misses: number };
}

/** A snapshot of the counters, as plain numbers (what `m.stats.toJSON()` returns). */
export interface StatsReport {
  /** Instructions executed since the counters were reset. */
  instructions: number;
  /** Of which in kernel mode. */
  kernelInstructions: number;
  /** Of which in user mode. */
  userInstructions: number;
  /** Cycles elapsed, the modeled ones included. */
  cycles: number;
  /** Cycles charged for TypeScript work instead of executed. */
  modeledCycles: number;
  /** Emulated microseconds. */
  us: number;
  /** Exceptions taken, by name (interrupts included, as Int). */
  exceptions: Record<string, number>;
  /** Aegis system calls (the `syscall` instruction with v0 = the number), by name. */
  syscalls: Record<string, number>;
  /** TLB misses: at the UTLB vector, at the general vector (TLBL/TLBS), and the STLB's part. */
  tlbMisses: { utlb: number; general: number; stlbHits: number; stlbMisses: number };
  /** Interrupts taken. */
  interrupts: number;
  /** Hypercalls: calls from the kernel's assembly to its TypeScript services. */
  hypercalls: number;
  /** Per environment, by id in hex ("0x102"); id 0 is the kernel with no environment. */
  environments: Record<string, EnvStats>;
}

/** A fresh environment record. */
function envStats(): EnvStats {
  return { user: 0, kernel: 0, exceptions: {}, syscalls: {}, stlb: { hits: 0, misses: 0 } };
}

/** Adds one to `record[name]`. */
function bump(record: Record<string, number>, name: string): void {
  record[name] = (record[name] ?? 0) + 1;
}

/** The counters, fed by the bench's checkpoints and the CPU's exception hook. */
export class Stats {
  readonly #cpu: Cpu;
  readonly #env: () => number;
  readonly #names: (id: number) => string | undefined;
  #base = { instructions: 0, cycles: 0, modeled: 0 };
  #user = 0;
  #kernel = 0;
  #exceptions = new Float64Array(32);
  #syscalls: Record<string, number> = {};
  #utlb = 0;
  #general = 0;
  #stlbHits = 0;
  #stlbMisses = 0;
  #hypercalls = 0;
  #perEnv = new Map<number, EnvStats>();
  #lastInstructions = 0;
  #lastKernel = true;
  #lastEnv = 0;
  /** A UTLB miss waiting for the kernel's answer: its EPC, and the hypercall count then. */
  #pendingUtlb: { epc: number; hypercalls: number; env: number } | null = null;

  /** Counters for `cpu`; `env()` says which environment is current, `names` names it. */
  constructor(cpu: Cpu, env: () => number, names: (id: number) => string | undefined) {
    this.#cpu = cpu;
    this.#env = env;
    this.#names = names;
    this.reset();
  }

  /** Starts counting again from zero, now. */
  reset(): void {
    const cpu = this.#cpu;
    this.#base = { instructions: cpu.instructions, cycles: cpu.cycles, modeled: cpu.modeledCycles };
    this.#user =
      this.#kernel =
      this.#utlb =
      this.#general =
        0;
    this.#stlbHits = this.#stlbMisses = this.#hypercalls = 0;
    this.#exceptions.fill(0);
    this.#syscalls = {};
    this.#perEnv.clear();
    this.#pendingUtlb = null;
    this.#lastInstructions = cpu.instructions;
    this.#lastKernel = cpu.kernelMode;
    this.#lastEnv = this.#env();
  }

  /** The record of environment `id`, made on first use. */
  #of(id: number): EnvStats {
    let s = this.#perEnv.get(id);
    if (s === undefined) this.#perEnv.set(id, s = envStats());
    return s;
  }

  /**
   * Charges the instructions since the last checkpoint to the mode and environment recorded
   * then, and records the mode and environment now. Called at each `execute` start and end.
   */
  checkpoint(): void {
    const cpu = this.#cpu;
    const now = cpu.instructions, d = now - this.#lastInstructions;
    if (d > 0) {
      const e = this.#of(this.#lastEnv);
      if (this.#lastKernel) {
        this.#kernel += d;
        e.kernel += d;
      } else {
        this.#user += d;
        e.user += d;
      }
    }
    this.#lastInstructions = now; // (d < 0: the CPU was restored to an earlier state)
    const kernel = cpu.kernelMode;
    this.#lastKernel = kernel;
    this.#lastEnv = this.#env();
    const p = this.#pendingUtlb;
    if (p !== null && !kernel) this.#answer(cpu.pc === p.epc && this.#hypercalls === p.hypercalls);
  }

  /** Records how the kernel answered the pending UTLB miss: refilled from the STLB, or not. */
  #answer(hit: boolean): void {
    const s = this.#of(this.#pendingUtlb!.env).stlb;
    if (hit) {
      this.#stlbHits++;
      s.hits++;
    } else {
      this.#stlbMisses++;
      s.misses++;
    }
    this.#pendingUtlb = null;
  }

  /** Counts exception `code` just entered (the CPU's hook): by name, system call, TLB miss. */
  exception(code: number): void {
    const cpu = this.#cpu;
    // The instructions up to and including the faulting one ran before the entry.
    const kernelBefore = (cpu.cp0[CP0.Status] & SR.KUp) === 0;
    // An exception from user mode after a UTLB miss: the kernel went back to user mode since,
    // refilling from the STLB if it called no TypeScript service on the way.
    const p = this.#pendingUtlb;
    if (p !== null && !kernelBefore) this.#answer(this.#hypercalls === p.hypercalls);
    this.#lastKernel = kernelBefore;
    this.checkpoint();
    const env = this.#lastEnv;
    const e = this.#of(env);
    this.#exceptions[code]++;
    const name = EXC_NAMES[code] ?? String(code);
    bump(e.exceptions, name);
    if (code === EXC.Sys) {
      const call = SYS_NAMES[cpu.regs[2]] ?? `#${cpu.regs[2]}`;
      bump(this.#syscalls, call);
      bump(e.syscalls, call);
    } else if (code === EXC.TLBL || code === EXC.TLBS) {
      const pc = cpu.pc | 0;
      if (pc === VECTOR.UTLB || pc === VECTOR.BEV_UTLB) {
        this.#utlb++;
        if (this.#pendingUtlb !== null) this.#answer(false); // a second miss before the answer
        this.#pendingUtlb = { epc: cpu.cp0[CP0.EPC] >>> 0, hypercalls: this.#hypercalls, env };
      } else this.#general++;
    }
  }

  /** Counts a hypercall (a TypeScript service the kernel's assembly asked for). */
  hypercall(): void {
    this.#hypercalls++;
  }

  /** The counters now, as plain numbers. */
  toJSON(): StatsReport {
    this.checkpoint();
    const cpu = this.#cpu;
    const exceptions: Record<string, number> = {};
    this.#exceptions.forEach((n, code) => {
      if (n > 0) exceptions[EXC_NAMES[code] ?? String(code)] = n;
    });
    const environments: Record<string, EnvStats> = {};
    for (const [id, s] of [...this.#perEnv].sort((a, b) => a[0] - b[0])) {
      environments["0x" + id.toString(16)] = structuredClone(s);
    }
    const cycles = cpu.cycles - this.#base.cycles;
    return {
      instructions: cpu.instructions - this.#base.instructions,
      kernelInstructions: this.#kernel,
      userInstructions: this.#user,
      cycles,
      modeledCycles: cpu.modeledCycles - this.#base.modeled,
      us: cyclesToUs(cycles),
      exceptions,
      syscalls: { ...this.#syscalls },
      tlbMisses: {
        utlb: this.#utlb,
        general: this.#general,
        stlbHits: this.#stlbHits,
        stlbMisses: this.#stlbMisses,
      },
      interrupts: this.#exceptions[EXC.Int],
      hypercalls: this.#hypercalls,
      environments,
    };
  }

  /** The counters as text: totals, then one row per environment. */
  toString(): string {
    const r = this.toJSON();
    const list = (rec: Record<string, number>) =>
      Object.entries(rec).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(" · ") ||
      "none";
    const t = r.tlbMisses;
    const lines = [
      `Since the last m.stats.reset(): ${r.us.toFixed(2)} us emulated`,
      `instructions  ${r.instructions} (kernel ${r.kernelInstructions}, user ${r.userInstructions})`,
      `cycles        ${r.cycles} (modeled ${r.modeledCycles})`,
      `exceptions    ${list(r.exceptions)}`,
      `system calls  ${list(r.syscalls)}`,
      `TLB misses    ${t.utlb} at the UTLB vector (${t.stlbHits} refilled from the STLB, ${t.stlbMisses} passed on), ` +
      `${t.general} at the general vector`,
      `interrupts    ${r.interrupts}`,
      `hypercalls    ${r.hypercalls} (the kernel's TypeScript services)`,
    ];
    const ids = Object.keys(r.environments);
    if (ids.length > 0) {
      const rows = ids.map((k) => {
        const e = r.environments[k], id = Number(k);
        const n = (rec: Record<string, number>) => Object.values(rec).reduce((a, b) => a + b, 0);
        return [
          id === 0 ? "-" : hex(id, 4),
          id === 0 ? "(kernel, no environment)" : this.#names(id) ?? "-",
          e.user,
          e.kernel,
          n(e.exceptions),
          n(e.syscalls),
          `${e.stlb.hits}/${e.stlb.hits + e.stlb.misses}`,
        ];
      });
      lines.push(
        "",
        formatTable([
          "env",
          "name",
          { header: "user instr", right: true },
          { header: "kernel instr", right: true },
          { header: "exceptions", right: true },
          { header: "syscalls", right: true },
          { header: "STLB refills", right: true },
        ], rows),
      );
    }
    return lines.join("\n");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
