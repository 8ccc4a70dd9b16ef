/**
 * Scheduling ExOS's processes: who holds a time slice, how a process blocks and is woken, sleeping
 * in emulated time, and `run`, which drives the machine until the processes are done or stuck.
 *
 * A process runs only in a time slice it holds, or in the rest of a slice another process gave it
 * (a directed yield). Aegis has few positions (16 by default), so ExOS gives one to each runnable
 * process while there are free ones and queues the rest; a process that blocks (wait, read, a
 * full pipe, sleep) or exits gives its position to the next in the queue. A blocked call returns
 * to the library's `block` stub with no slice: it yields, and runs the call again when ExOS gives
 * it a slice back (a child exited, input arrived, a pipe changed, its time came, a signal). When
 * another process can make the call go on (the writer of an empty pipe, say), the call returns to
 * `block_to` instead, which gives the rest of the slice to that process by directed yield, as the
 * paper's pipes do. Nothing polls. Processes that never block keep their slices: with more
 * runnable processes than positions, the queued ones wait for a position to come free.
 *
 * Sleeping. A sleeping process records the cycle count it wakes at; `run` wakes it once the clock
 * has passed it, running the machine no further than the first such deadline at a time, and when
 * every other process is blocked it lets the machine idle until then. A process in sigsuspend
 * sleeps with no deadline: only a signal wakes it.
 *
 * `run` drives the machine until every process has exited, all are blocked (waiting for input,
 * say), or an instruction limit; the host stops the machine at the instruction where that became
 * so (`stopIfStuck`, called after every trap).
 *
 * The guest stub (in the library's code page, beside vm_asm.ts's `block`):
 * - block_to: as `block` (v0, a0-a2 and t0, the trap's address, kept in DATA.BLOCK), but its
 *   yield goes to the environment in t1.
 *
 * @module
 */

import type { ExceptionInfo } from "../aegis/abi.ts";
import { SYS } from "../aegis/abi.ts";
import { DATA, LIB } from "./layout.ts";
import type { ExosRunResult, Outcome, Process, ProcessState, ProcessTable } from "./process.ts";

/** The states in which a process waits in a blocked call. */
export type Blocked = Extract<ProcessState, "waiting" | "reading" | "writing" | "sleeping">;

/** `block_to`, the directed-yield form of vm_asm.ts's `block` (see the module comment). */
export function blockToAsm(): string {
  const B = LIB.DATA + DATA.BLOCK;
  return `
# ---- block_to: as block, the slice's rest going to the environment in t1 --------------------
block_to:
        sw      $v0, ${B}($zero)
        sw      $a0, ${B + 4}($zero)
        sw      $a1, ${B + 8}($zero)
        sw      $a2, ${B + 12}($zero)
        sw      $t0, ${B + 16}($zero)
        li      $v0, ${SYS.YIELD}
        move    $a0, $t1
        syscall                              # to t1; back when the library gives a slice
        lw      $t0, ${B + 16}($zero)
        lw      $v0, ${B}($zero)
        lw      $a0, ${B + 4}($zero)
        lw      $a1, ${B + 8}($zero)
        lw      $a2, ${B + 12}($zero)
        jr      $t0                          # the same call again
        nop
`;
}

/** Slices for the processes of one table, and the loop that runs them. */
export class Scheduler {
  readonly #queue: Process[] = [];
  #driving = false;

  /** The scheduler of table `t`. */
  constructor(readonly t: ProcessTable) {}

  /** The processes waiting for a slice position, first first (for a snapshot). */
  get queued(): readonly Process[] {
    return [...this.#queue];
  }

  /** Puts `queue` back as the processes waiting for a position (a table rebuilt from a record). */
  requeue(queue: readonly Process[]): void {
    this.#queue.splice(0, this.#queue.length, ...queue);
  }

  /** Whether `p` needs the CPU: runnable, or an exited holder let go that must still end. */
  wants(p: Process): boolean {
    return p.alive && (p.state === "runnable" || (p.waitStatus !== undefined && !p.holding));
  }

  /**
   * Gives `p` a slice position, or queues it for the next one free. A process whose environment
   * Aegis ended behind the library's back is taken for dead instead (ProcessTable.lost).
   */
  wake(p: Process): void {
    if (!p.alive || p.slice >= 0 || this.#queue.includes(p)) return;
    if (!this.t.host.alive(p.path.id)) return this.t.lost(p);
    const r = p.path.call(SYS.SLICE_ALLOC, -1, 0);
    if (r.v0 >= 0) p.slice = r.v0;
    else this.#queue.push(p);
  }

  /** Takes `p`'s slice position away and hands it to the next queued process that wants one. */
  unschedule(p: Process): void {
    const i = this.#queue.indexOf(p);
    if (i >= 0) this.#queue.splice(i, 1);
    if (p.slice < 0) return;
    if (p.alive && this.t.host.alive(p.path.id)) p.path.call(SYS.SLICE_FREE, p.slice, 0);
    p.slice = -1;
    for (let q = this.#queue.shift(); q !== undefined; q = this.#queue.shift()) {
      if (!this.wants(q)) continue;
      this.wake(q);
      break;
    }
  }

  /** Makes blocked `p` runnable again: it runs its blocked call once more. */
  resume(p: Process): void {
    if (p.waitStatus !== undefined) return;
    p.state = "runnable";
    p.blockedOn = undefined;
    this.wake(p);
  }

  /**
   * Blocks `p` in the call it trapped with (`x`): no slice until it is resumed, then the call
   * again. The rest of the slice goes to `to` when that process can run, else to whoever is next.
   */
  block(p: Process, state: Blocked, x: ExceptionInfo, to?: Process): Outcome {
    p.state = state;
    this.unschedule(p);
    x.regs[8] = x.epc; // t0: where the stub goes back to
    if (to !== undefined && to !== p && this.wants(to) && to.waitStatus === undefined) {
      x.regs[9] = to.path.id; // t1: whom block_to yields to
      return { to: p.vm.routines.blockTo };
    }
    return { to: p.vm.routines.block };
  }

  /** Wakes the sleepers whose time has come; returns the cycle count the next one wakes at. */
  expire(): number {
    const now = this.t.host.cycles();
    let next = Infinity;
    for (const p of this.t.procs) {
      if (p.state !== "sleeping" || p.wakeAt === undefined) continue;
      if (p.wakeAt <= now) this.resume(p);
      else next = Math.min(next, p.wakeAt);
    }
    return next;
  }

  /** Stops the run in progress when no process can go on (called after each trap). */
  stopIfStuck(): void {
    if (this.#driving && !this.t.procs.some((q) => this.wants(q))) this.t.host.stop();
  }

  /**
   * Runs the machine until every process has exited, all are blocked, or `maxInstructions`;
   * returns why it stopped. Input typed since the last run wakes the processes reading it.
   */
  run(options: { maxInstructions?: number } = {}): ExosRunResult {
    const t = this.t, max = options.maxInstructions ?? Infinity;
    t.pollInput();
    if (t.input.length > 0 || t.inputEnded) {
      for (const p of t.procs) {
        if (p.state === "reading" && p.blockedOn === undefined) this.resume(p);
      }
    }
    let instructions = 0;
    this.#driving = true;
    try {
      for (;;) {
        for (const p of t.procs) if (p.alive && !t.host.alive(p.path.id)) t.lost(p);
        const next = this.expire();
        if (!t.procs.some((p) => p.alive)) return { reason: "exited", instructions };
        const stuck = !t.procs.some((p) => this.wants(p));
        if (stuck && next === Infinity) {
          const input = t.procs.some((p) => p.state === "reading" && p.blockedOn === undefined);
          return { reason: input ? "input" : "blocked", instructions };
        }
        if (instructions >= max) return { reason: "instructions", instructions };
        const cycles = next === Infinity ? undefined : Math.max(1, next - t.host.cycles());
        const r = t.host.run(max - instructions, cycles);
        instructions += r.instructions;
        const deadline = next !== Infinity && t.host.cycles() >= next;
        if (!r.stopped && !deadline && instructions < max) {
          return { reason: "halted", instructions };
        }
      }
    } finally {
      this.#driving = false;
    }
  }
}
