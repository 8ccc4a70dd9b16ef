/**
 * A wire: an Ethernet joining DECstations (and host-side stations such as the gateway) in one
 * process, in emulated time, deterministically.
 *
 * Time. The wire keeps one clock in cycles of the 25 MHz CPUs; each machine's own cycle counter
 * is that clock plus an offset fixed when the machine is attached (and fixed again if the machine
 * is reset or restored to an earlier cycle). A frame a LANCE starts at cycle t ends at
 * t + its wire time (machine/ethernet.ts) and its last bit reaches every other station at
 * end + `delayUs` (+ any injected extra delay). A station receives one frame at a time: a frame
 * that would overlap the one before it at a station is held until the interframe gap after that
 * one, as a switch port would (so the wire never reorders frames to a station). The wire has no
 * collisions: every station may transmit whenever its LANCE wants (see machine/lance.ts).
 *
 * Co-simulation. `run` advances all machines in windows of at most the lookahead: the shortest
 * time between a LANCE handing the wire a frame (at its first bit) and that frame reaching
 * anyone, which is the wire time of a 64-byte frame (57.6 us) plus the delay. Shorter frames are
 * runts that every receiver discards, so they need not arrive in time; they are captured but not
 * delivered. Windows lie on a fixed grid of that length. In each window every machine runs, one
 * after another in attach order, to the window's end; the frames they sent are held, and at the
 * barrier after the window the wire sorts them by start cycle and sender and delivers each to
 * every other station, with arrival cycles that are, by the lookahead, still in every machine's
 * future. Host-side stations (`WireNode`) act only at barriers: each takes the frames that have
 * arrived by then and may send replies starting at their arrival; their frames, and injected
 * ones, that start after the barrier wait for the barrier after their start, so a station sees
 * frames in the order they start. So what happens depends only on the machines, the wire's
 * options and seed, and the sequence of run limits, never on host speed or on the order in which
 * machines are stepped. One approximation: a machine stops at the first instruction boundary at
 * or after a window's end, and a multi-cycle instruction (or a modeled charge) can carry it past
 * the cycle a frame arrives; that frame then lands at the machine's next instruction boundary,
 * still deterministically, and is counted in `stats.late`.
 *
 * Faults, drawn from one seeded generator in a fixed order (per delivery: loss, duplication,
 * extra delay): `loss` drops a delivery with that probability, `duplicate` delivers a second
 * copy right behind the first, `jitterUs` adds a uniform extra delay of up to that much. The
 * same seed gives the same faults.
 *
 * Capture: every frame put on the wire (before any loss) can be written to a pcap file, stamped
 * with the cycle its first bit (of preamble) left its sender (machine/pcap.ts), and passed to
 * `trace`.
 *
 * Host input. The gateway's UDP replies come from host sockets, which only deliver while the
 * JavaScript event loop runs. `run` never yields, so host replies cannot enter during it; use
 * `runAsync`, which awaits what the host-side stations ask for at each barrier (see
 * machine/gateway.ts for what is then deterministic) and yields to the event loop at least
 * every 20 ms of host time.
 *
 * @module
 */

import type { DECstation } from "./decstation.ts";
import { FCS_BYTES, formatMac, IFG_CYCLES, MIN_FRAME, wireCycles, withFcs } from "./ethernet.ts";
import { Pcap } from "./pcap.ts";
import { CYCLES_PER_US } from "./timing.ts";

/** A station on a wire that is not a DECstation (the host gateway, a test's probe). */
export interface WireNode {
  /** Short name, for traces. */
  readonly name: string;
  /** Takes a frame (FCS included) whose last bit reaches the node at wire cycle `cycle`. */
  receive(frame: Uint8Array, cycle: number): void;
  /**
   * Acts at a barrier at wire cycle `now`: handles what has arrived before `now` and sends frames
   * with `send(frame, start)` (FCS included); `send` returns the cycle the frame ends. A start
   * earlier than the node's transmitter is free, or than `now` minus the lookahead, is moved up.
   */
  step(now: number, send: (frame: Uint8Array, start: number) => number): void;
  /**
   * In `runAsync`, before the barrier at `now`: something to await before the node acts there
   * (the gateway waiting for the host), or undefined.
   */
  wait?(now: number): Promise<void> | undefined;
  /** Releases what the node holds on the host (sockets); called by `Wire.close`. */
  close?(): void;
}

/** Options for a wire. */
export interface WireOptions {
  /** Propagation delay from any station to any other, in microseconds (default 0). */
  delayUs?: number;
  /** Seed of the fault generator (default 1). */
  seed?: number;
  /** Probability (0..1) that a delivery is lost (default 0). */
  loss?: number;
  /** Probability (0..1) that a delivery arrives twice (default 0). */
  duplicate?: number;
  /** Up to this many microseconds of uniform extra delay per delivery (default 0). */
  jitterUs?: number;
  /** Write every frame to this pcap file. */
  pcap?: string;
}

/** What a wire did, since it was made. */
export interface WireStats {
  /** Frames put on the wire. */
  sent: number;
  /** Deliveries made (duplicates included). */
  delivered: number;
  /** Deliveries dropped by `loss`. */
  lost: number;
  /** Extra copies delivered by `duplicate`. */
  duplicated: number;
  /** Runts captured but delivered to nobody. */
  runts: number;
  /** Frames that reached a machine after its arrival cycle (see the file's essay). */
  late: number;
}

/** One thing a wire did, for `trace`. */
export type WireEvent =
  | { kind: "sent"; from: string; start: number; end: number; frame: Uint8Array }
  | { kind: "delivered"; from: string; to: string; cycle: number; duplicate: boolean }
  | { kind: "lost"; from: string; to: string };

/** Conditions that end a wire run. */
export interface WireRunLimits {
  /** Stop once this many more wire cycles have passed. */
  maxCycles?: number;
  /** Stop once this many more emulated microseconds have passed. */
  maxUs?: number;
  /** Checked at every barrier: stop once it returns true. */
  until?: () => boolean;
}

/** Why a wire run ended. */
export type WireRunEnd =
  | "cycles" // the time limit
  | "until" // the `until` predicate held
  | "halt" // every machine has halted
  | "input" // no machine can go on: each has halted or waits for console input
  | "stopped"; // a machine's run was stopped (`DECstation.stop`)

/** The outcome of a wire run. */
export interface WireRunResult {
  /** Why it ended. */
  reason: WireRunEnd;
  /** Wire cycles that passed. */
  cycles: number;
}

/** A frame waiting for the barrier. */
interface Outgoing {
  from: number;
  seq: number;
  frame: Uint8Array;
  start: number;
  end: number;
}

/** A station on the wire. */
interface Port {
  name: string;
  machine?: DECstation;
  node?: WireNode;
  /** Machine cycles = wire cycles + offset. */
  offset: number;
  /** The machine's cycle count when the wire last ran it. */
  seen: number;
  /** When the last frame delivered here ended, in wire cycles. */
  rxFreeAt: number;
  /** When this station's transmitter is free again (for nodes), in wire cycles. */
  txFreeAt: number;
}

/** An Ethernet joining DECstations and host-side stations; runs them together in emulated time. */
export class Wire {
  /** Propagation delay in cycles. */
  readonly delay: number;
  /** The longest window the runner may use, in cycles: 64-byte wire time plus the delay. */
  readonly lookahead: number;
  /** The wire's clock: cycles up to the last barrier. */
  now = 0;
  /** Counters since the wire was made. */
  readonly stats: WireStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, runts: 0, late: 0 };
  /** Called for every frame sent, delivered or lost. */
  trace: ((e: WireEvent) => void) | undefined;
  /** The capture, when `pcap` was given. */
  readonly pcap: Pcap | undefined;
  readonly #loss: number;
  readonly #duplicate: number;
  readonly #jitter: number;
  #rng: number;
  readonly #ports: Port[] = [];
  #outbox: Outgoing[] = [];
  #seq = 0;
  #target = -1;

  /** Makes an empty wire; throws RangeError naming a bad option, and the file's error for a bad pcap path. */
  constructor(options: WireOptions = {}) {
    const delayUs = checkNumber("delayUs", options.delayUs ?? 0, 0, 1e6);
    this.#loss = checkNumber("loss", options.loss ?? 0, 0, 1);
    this.#duplicate = checkNumber("duplicate", options.duplicate ?? 0, 0, 1);
    this.#jitter = Math.round(
      checkNumber("jitterUs", options.jitterUs ?? 0, 0, 1e6) * CYCLES_PER_US,
    );
    this.#rng = (checkNumber("seed", options.seed ?? 1, 0, 2 ** 32 - 1) >>> 0) || 1;
    this.delay = Math.round(delayUs * CYCLES_PER_US);
    this.lookahead = wireCycles(MIN_FRAME) + this.delay;
    this.pcap = options.pcap === undefined ? undefined : new Pcap(options.pcap);
  }

  /** The wire's time in emulated microseconds. */
  get us(): number {
    return this.now / CYCLES_PER_US;
  }

  /** Names of the stations, in attach order. */
  get stations(): string[] {
    return this.#ports.map((p) => p.name);
  }

  /**
   * Puts a DECstation (its LANCE) or a host-side station on the wire, under `name` (default
   * "m0", "m1", ... or the node's own). Throws for a machine already on a wire, a station
   * attached twice, a taken name, or a MAC another machine here already has.
   */
  attach(station: DECstation | WireNode, name?: string): void {
    const index = this.#ports.length;
    if (this.#ports.some((p) => p.machine === station || p.node === station)) {
      throw new Error(`That station is already on this wire`);
    }
    if ("lance" in station) {
      const m = station as DECstation;
      if (m.lance.onTransmit !== undefined) {
        throw new Error(`That DECstation is already on a wire: a LANCE has one cable`);
      }
      const mac = m.lance.mac.join(":");
      const twin = this.#ports.find((p) => p.machine?.lance.mac.join(":") === mac);
      if (twin !== undefined) {
        throw new Error(
          `${twin.name} on this wire already has MAC ${
            formatMac(m.lance.mac)
          }: give each DECstation ` +
            `its own { mac } option`,
        );
      }
      const port: Port = {
        name: name ?? `m${this.#ports.filter((p) => p.machine).length}`,
        machine: m,
        offset: m.cpu.cycles - this.now,
        seen: m.cpu.cycles,
        rxFreeAt: -Infinity,
        txFreeAt: 0,
      };
      this.#checkName(port.name);
      m.lance.onTransmit = (frame, start, end) =>
        this.#outbox.push({
          from: index,
          seq: this.#seq++,
          frame,
          start: start - port.offset,
          end: end - port.offset,
        });
      this.#ports.push(port);
    } else {
      const node = station as WireNode;
      const port: Port = {
        name: name ?? node.name,
        node,
        offset: 0,
        seen: 0,
        rxFreeAt: -Infinity,
        txFreeAt: 0,
      };
      this.#checkName(port.name);
      this.#ports.push(port);
    }
  }

  /**
   * Puts `frame` (no FCS: the wire appends it) on the wire from no station, starting at wire
   * cycle `at` or the wire's time, whichever is later; it is delivered at the first barrier after
   * its start.
   */
  inject(frame: Uint8Array, at = this.now): void {
    const f = withFcs(frame);
    const start = Math.max(at, this.now);
    this.#outbox.push({
      from: -1,
      seq: this.#seq++,
      frame: f,
      start,
      end: start + wireCycles(f.length),
    });
  }

  /**
   * Runs every machine on the wire together until a limit (see WireRunLimits); never yields to
   * the event loop, so host-side replies wait for a later `runAsync`. Never throws for guest faults.
   */
  run(limits: WireRunLimits = {}): WireRunResult {
    const start = this.now, end = this.#end(limits);
    for (;;) {
      const stop = this.#check(limits, end);
      if (stop !== null) return { reason: stop, cycles: this.now - start };
      const why = this.#window(end);
      if (why !== null) return { reason: why, cycles: this.now - start };
      this.#barrier();
    }
  }

  /**
   * As `run`, but awaits what host-side stations ask for at each barrier (the gateway waiting
   * for a host reply) and lets the event loop run at least every 20 ms of host time.
   */
  async runAsync(limits: WireRunLimits = {}): Promise<WireRunResult> {
    const start = this.now, end = this.#end(limits);
    let yielded = performance.now();
    for (;;) {
      const stop = this.#check(limits, end);
      if (stop !== null) return { reason: stop, cycles: this.now - start };
      const why = this.#window(end);
      if (why !== null) return { reason: why, cycles: this.now - start };
      for (const p of this.#ports) {
        const w = p.node?.wait?.(this.now);
        if (w !== undefined) {
          await w;
          yielded = performance.now();
        }
      }
      this.#barrier();
      if (performance.now() - yielded > 20) {
        await new Promise((r) => setTimeout(r, 0));
        yielded = performance.now();
      }
    }
  }

  /**
   * Closes the pcap file and every host-side station's sockets and unplugs the machines (they may
   * join another wire); the wire is not used after.
   */
  close(): void {
    this.pcap?.close();
    for (const p of this.#ports) {
      p.node?.close?.();
      if (p.machine !== undefined) p.machine.lance.onTransmit = undefined;
    }
  }

  /** One line: stations, time, frames. */
  toString(): string {
    return `Wire · ${this.#ports.map((p) => p.name).join(", ") || "no stations"} · ` +
      `${this.us.toFixed(1)} us · ${this.stats.sent} frames`;
  }

  /** The wire at a glance, for console.log and the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // ---- the runner ------------------------------------------------------------------------------

  #end(limits: WireRunLimits): number {
    let n = limits.maxCycles ?? Infinity;
    if (limits.maxUs !== undefined) n = Math.min(n, Math.round(limits.maxUs * CYCLES_PER_US));
    if (!(n >= 0)) throw new RangeError(`Run limit ${n} cycles is not a number of cycles >= 0`);
    return this.now + n;
  }

  /** Why the run should end before the next window, or null. */
  #check(limits: WireRunLimits, end: number): WireRunEnd | null {
    if (limits.until?.()) return "until";
    if (this.now >= end) return "cycles";
    const machines = this.#ports.filter((p) => p.machine);
    if (machines.length > 0 && machines.every((p) => p.machine!.halted !== null)) {
      if (this.#outbox.length > 0) this.#barrier(true); // what is on its way is still captured
      return "halt";
    }
    return null;
  }

  /** Runs each machine to the current window's end; returns a reason to end the run, or null. */
  #window(end: number): WireRunEnd | null {
    if (this.#target < 0) {
      const q = this.lookahead;
      this.#target = Math.min((Math.floor(this.now / q) + 1) * q, end);
    }
    let stuck = 0, machines = 0;
    for (const p of this.#ports) {
      const m = p.machine;
      if (m === undefined) continue;
      machines++;
      if (m.cpu.cycles < p.seen) p.offset = m.cpu.cycles - this.now; // reset or restored
      const goal = this.#target + p.offset;
      let r: ReturnType<DECstation["run"]> | undefined;
      while (m.cpu.cycles < goal && m.halted === null) {
        r = m.run({ maxCycles: goal - m.cpu.cycles });
        if (r.reason !== "cycles" && r.reason !== "instructions") break;
      }
      p.seen = m.cpu.cycles;
      if (r?.reason === "stopped" || r?.reason === "breakpoint") return "stopped";
      if (m.halted !== null || r?.reason === "input") stuck++;
    }
    this.now = this.#target;
    this.#target = -1;
    if (machines > 0 && stuck === machines) {
      this.#barrier();
      const halted = this.#ports.every((p) => !p.machine || p.machine.halted !== null);
      return halted ? "halt" : "input";
    }
    return null;
  }

  /** Lets the nodes act, then delivers the frames that started before now (`all`: every frame). */
  #barrier(all = false): void {
    for (const [i, p] of this.#ports.entries()) {
      p.node?.step(this.now, (frame, start) => this.#nodeSend(i, frame, start));
    }
    // Injected and node frames that start later wait for their own window, so that every
    // station sees frames in the order they start.
    const ready = (f: Outgoing) =>
      all || f.start < this.now || this.#ports[f.from]?.machine !== undefined;
    const out = this.#outbox.filter(ready);
    this.#outbox = this.#outbox.filter((f) => !ready(f));
    out.sort((a, b) => a.start - b.start || a.from - b.from || a.seq - b.seq);
    for (const f of out) this.#deliver(f);
  }

  /** A node's frame: starts no earlier than its transmitter is free or the lookahead allows. */
  #nodeSend(from: number, frame: Uint8Array, start: number): number {
    const p = this.#ports[from];
    const s = Math.max(start, p.txFreeAt, this.now - this.lookahead);
    const end = s + wireCycles(frame.length);
    p.txFreeAt = end + IFG_CYCLES;
    this.#outbox.push({ from, seq: this.#seq++, frame: frame.slice(), start: s, end });
    return end;
  }

  /** Captures a frame and hands it to every station but its sender, applying the faults. */
  #deliver(f: Outgoing): void {
    const from = f.from < 0 ? "wire" : this.#ports[f.from].name;
    this.stats.sent++;
    this.pcap?.record(f.frame.subarray(0, Math.max(0, f.frame.length - FCS_BYTES)), f.start);
    this.trace?.({ kind: "sent", from, start: f.start, end: f.end, frame: f.frame });
    if (f.frame.length < MIN_FRAME) {
      this.stats.runts++;
      return;
    }
    const length = wireCycles(f.frame.length);
    for (const [i, p] of this.#ports.entries()) {
      if (i === f.from) continue;
      if (this.#loss > 0 && this.#random() < this.#loss) {
        this.stats.lost++;
        this.trace?.({ kind: "lost", from, to: p.name });
        continue;
      }
      const copies = this.#duplicate > 0 && this.#random() < this.#duplicate ? 2 : 1;
      const extra = this.#jitter > 0 ? Math.floor(this.#random() * (this.#jitter + 1)) : 0;
      for (let c = 0; c < copies; c++) {
        const cycle = Math.max(f.end + this.delay + extra, p.rxFreeAt + IFG_CYCLES + length);
        p.rxFreeAt = cycle;
        this.stats.delivered++;
        if (c > 0) this.stats.duplicated++;
        this.trace?.({ kind: "delivered", from, to: p.name, cycle, duplicate: c > 0 });
        if (p.machine !== undefined) {
          if (cycle + p.offset < p.machine.cpu.cycles) this.stats.late++;
          p.machine.lance.receive(f.frame, cycle + p.offset);
        } else p.node!.receive(f.frame, cycle);
      }
    }
  }

  /** The next number in [0, 1) from the seeded generator (mulberry32). */
  #random(): number {
    this.#rng = (this.#rng + 0x6d2b79f5) | 0;
    let t = this.#rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  #checkName(name: string): void {
    if (this.#ports.some((p) => p.name === name)) {
      throw new Error(`A station named ${name} is already on this wire: give another name`);
    }
  }
}

function checkNumber(name: string, v: number, min: number, max: number): number {
  if (typeof v !== "number" || !(v >= min && v <= max)) {
    throw new RangeError(`Wire option ${name} = ${v} is not a number in ${min}..${max}`);
  }
  return v;
}
