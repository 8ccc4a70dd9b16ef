/**
 * The network bench: DECstations running Aegis and ExOS (with an address each) on one wire, and
 * what a person or a script wants of them: run programs, run the wire until they are done, watch
 * the UNIX calls of a process in emulated time, and read what the processes wrote.
 *
 * A NetMachine is a DECstation, its Aegis and an ExOS whose processes get sockets; the programs
 * exec may name are the /bin programs of guest/out/bin (shell/lab.ts binPrograms). Process output is
 * kept (`output`) and copied to the machine's console. `watch` sees every UNIX call a process
 * makes: its number, the cycle it trapped at and the cycle the process went on at, its result,
 * and whether it blocked (and so will trap again). A NetLab puts machines on a wire (with a
 * gateway, if asked) and runs them together: `run` until every process has exited or a limit,
 * `runAsync` when the gateway carries UDP to the host.
 *
 * @module
 */

import { DECstation } from "../machine/decstation.ts";
import { Gateway } from "../machine/gateway.ts";
import { Wire, type WireOptions, type WireRunResult } from "../machine/wire.ts";
import { Aegis } from "../aegis/kernel.ts";
import { EXC, type SyscallPath, type TsHandler } from "../aegis/abi.ts";
import { ExOS, type Process } from "../exos/mod.ts";
import type { NetConfig } from "../exos/net/mod.ts";
import { binPrograms } from "./lab.ts";

/** One UNIX call a process made, as `watch` sees it. */
export interface UnixCall {
  /** The process's environment. */
  env: number;
  /** The call number (v0 at the trap). */
  call: number;
  /** The cycle it trapped at (the break). */
  trapped: number;
  /** The cycle the process went on at. */
  resumed: number;
  /** v0 when it went on. */
  result: number;
  /** Whether it blocked: the process runs it again at its next turn. */
  blocked: boolean;
}

/** Options for a machine on the bench. */
export interface NetMachineOptions extends NetConfig {
  /** Its name on the wire (default "m0", "m1", ...). */
  name?: string;
  /** Its station address (default: the next of 08:00:2b:00:00:xx). */
  mac?: string;
  /** Aegis's slice positions. */
  slices?: number;
  /** Aegis's clock rate select. */
  clockRate?: number;
}

/** A DECstation with Aegis and ExOS (an address, sockets) on it. */
export class NetMachine {
  /** The machine. */
  readonly machine: DECstation;
  /** The kernel. */
  readonly aegis: Aegis;
  /** The library OS. */
  readonly exos: ExOS;
  /** Its name on the wire. */
  readonly name: string;
  /** What its processes wrote (fd 1 and 2), as text. */
  output = "";
  /** Sees each UNIX call of each process (unset: nothing). */
  watch: ((c: UnixCall) => void) | undefined;

  /** A machine at `options`; throws RangeError for a bad address. */
  constructor(options: NetMachineOptions & { name: string }) {
    this.name = options.name;
    this.machine = new DECstation({ mac: options.mac });
    this.aegis = new Aegis(this.machine, { slices: options.slices, clockRate: options.clockRate });
    const decoder = new TextDecoder();
    this.exos = new ExOS({
      createEnv: (name) => this.#watched(this.aegis.createEnv(name)),
      run: (maxInstructions, maxCycles) => {
        const limits = maxCycles === undefined
          ? { maxInstructions }
          : { maxInstructions, maxCycles };
        const r = this.machine.run(limits);
        return { instructions: r.instructions, stopped: r.reason === "stopped" };
      },
      stop: () => this.machine.stop(),
      write: (bytes) => {
        this.output += decoder.decode(bytes);
        this.machine.console.write(bytes);
      },
      read: () => this.machine.dz.takeConsoleInput(),
      cycles: () => this.machine.cpu.cycles,
      alive: (id) => this.aegis.slotOf(id) >= 0,
      charge: (cycles) => this.machine.cpu.charge(cycles),
    }, { files: binPrograms(), net: options });
  }

  /** Starts `/bin/NAME` (or a path in the files) with `argv`; the wire's run runs it. */
  exec(program: string, argv?: string[]): Process {
    return this.exos.exec(program, argv);
  }

  /** Whether every process has exited (or none was started). */
  get done(): boolean {
    return this.exos.processes.every((p) => !p.alive || p.waitStatus !== undefined);
  }

  /** `env`'s call path with its breakpoint handler watched (UNIX calls go through it). */
  #watched(env: SyscallPath): SyscallPath {
    const cpu = this.machine.cpu;
    return {
      id: env.id,
      call: (n, a0, a1, a2, a3, t0) => env.call(n, a0, a1, a2, a3, t0),
      read32: (va) => env.read32(va),
      write32: (va, v) => env.write32(va, v),
      onException: (code: number, handler: TsHandler) => {
        if (code !== EXC.Bp) return env.onException(code, handler);
        env.onException(code, (x) => {
          const call = x.regs[2], trapped = cpu.cycles;
          const verdict = handler(x);
          const p = this.exos.processes.findLast((q) => q.path.id === env.id);
          const blocked = typeof verdict === "number" && p !== undefined &&
            (verdict === p.vm.routines.block || (this.exos.net?.waitsAt(p, verdict) ?? false));
          this.watch?.({
            env: env.id,
            call,
            trapped,
            resumed: cpu.cycles,
            result: x.regs[2],
            blocked,
          });
          return verdict;
        });
      },
      child: (id) => this.#watched(env.child(id)),
    };
  }

  /** One line: name, address, processes. */
  toString(): string {
    return `${this.name} · ${this.exos.net} · ${this.exos}`;
  }
}

/** Machines with Aegis and ExOS on one wire. */
export class NetLab {
  /** The wire. */
  readonly wire: Wire;
  /** The machines, in the order they were added. */
  readonly machines: NetMachine[] = [];
  /** The gateway, when asked for. */
  readonly gateway: Gateway | undefined;

  /** An empty wire (with `options`), and a host gateway on it when `gateway` is set. */
  constructor(options: WireOptions & { gateway?: boolean } = {}) {
    const { gateway, ...wire } = options;
    this.wire = new Wire(wire);
    if (gateway) this.wire.attach(this.gateway = new Gateway());
  }

  /** Adds a machine at `options` to the wire; returns it. */
  add(options: NetMachineOptions): NetMachine {
    const m = new NetMachine({ ...options, name: options.name ?? `m${this.machines.length}` });
    this.wire.attach(m.machine, m.name);
    this.machines.push(m);
    return m;
  }

  /**
   * Runs the wire until every machine's processes have exited, or `maxUs` emulated us; sleepers
   * wake at the wire's barriers.
   */
  run(maxUs = 10_000_000): WireRunResult {
    return this.wire.run({ maxUs, until: () => this.#done() });
  }

  /** As `run`, awaiting the host (the gateway's UDP) at the barriers. */
  runAsync(maxUs = 10_000_000): Promise<WireRunResult> {
    return this.wire.runAsync({ maxUs, until: () => this.#done() });
  }

  /** Wakes each machine's sleepers; whether every machine's processes have exited. */
  #done(): boolean {
    for (const m of this.machines) m.exos.wakeSleepers();
    return this.machines.every((m) => m.done);
  }

  /** Closes the wire (its pcap, the gateway's sockets). */
  close(): void {
    this.wire.close();
  }
}

/** What `ping` did: the program's output, each round trip, the frames on the wire. */
export interface PingResult {
  /** What /bin/ping printed. */
  output: string;
  /** Its exit status. */
  status: number | undefined;
  /** Each answered request's round trip in emulated microseconds, from sendto to recvfrom. */
  roundTrips: number[];
  /** Frames the wire carried. */
  frames: number;
}

/** The socket calls `ping` makes, as the UNIX personality numbers them. */
const SENDTO = 133, RECVFROM = 125;

/**
 * Two machines on one wire (a at 10.0.0.1, b at 10.0.0.2; b's ExOS answers pings in the kernel
 * with its ASH): /bin/ping on a sends `count` echo requests to b. Each round trip is timed from
 * the cycle ping's sendto trapped to the cycle its recvfrom returned the reply; `pcap` names a
 * file for every frame. Throws when ping does not finish in emulated time.
 */
export function ping(count: number, pcap?: string): PingResult {
  const lab = new NetLab({ pcap });
  const a = lab.add({ ip: "10.0.0.1", name: "a", mac: "08:00:2b:00:00:0a" });
  const b = lab.add({ ip: "10.0.0.2", name: "b", mac: "08:00:2b:00:00:0b" });
  a.exos.net!.up();
  b.exos.net!.up();
  const roundTrips: number[] = [];
  let sent: number | undefined, last: UnixCall | undefined;
  a.watch = (c) => {
    const first = last === undefined || !last.blocked || last.call !== c.call;
    if (c.call === SENDTO && first) sent = c.trapped;
    if (c.call === RECVFROM && !c.blocked && c.result > 0 && sent !== undefined) {
      roundTrips.push((c.resumed - sent) / 25);
      sent = undefined;
    }
    last = c;
  };
  const p = a.exec("/bin/ping", ["ping", "10.0.0.2", String(count)]);
  try {
    const r = lab.run(2_000_000 + 1_100_000 * count);
    if (r.reason !== "until") {
      throw new Error(`ping did not finish: the wire stopped (${r.reason})`);
    }
  } finally {
    lab.close();
  }
  return { output: a.output, status: p.exitStatus, roundTrips, frames: lab.wire.stats.sent };
}
