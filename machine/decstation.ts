/**
 * The DECstation 5000/200 (KN02): the R3000A, RAM, the boot ROM and the I/O devices on one bus,
 * and the run loop that drives them in emulated time.
 *
 * Physical map: RAM from 0 (32 MB by default, up to 480 MB), the TURBOchannel option slots from
 * 0x1e000000 (empty: a bus error), slot 6's LANCE Ethernet at 0x1f800000 (machine/lance.ts), the
 * DZ serial lines at 0x1fe00000, the MC146818 clock at 0x1fe80000, the boot ROM at 0x1fc00000 and
 * the system CSR at 0x1ff00000. Interrupts: IP2 is the CSR cascade (DZ bit 7, LANCE bit 6), IP3
 * the clock. The LANCE's station address is the `mac` option, or else the next of
 * 08:00:2b:00:00:01, 08:00:2b:00:00:02, ... in the order machines are made in this process (08:00:2b
 * is DEC's prefix), so machines put on one wire differ without being told.
 *
 * The run loop is the outer loop of the emulator: it asks the CPU to execute until the next device
 * event is due (or a stop condition), fires the due events, and goes round again. Interrupts are
 * taken by the CPU at the start of each `execute`, so a device that raises a line during an event
 * is seen before the next instruction.
 *
 * Hypercalls (the reserved `hcall` encoding, kernel mode only) are dispatched by code: the PROM
 * answers 0x000-0x0ff; software above the machine (the kernel) registers its own codes with
 * `onHypercall`. The machine knows nothing of what they mean. The CPU's inner loop stops at an
 * hcall and the run loop here runs the handler, so a handler never runs inside `execute`; a
 * handler may itself start a run (a nested `run`), which stops on its own limits.
 *
 * @module
 */

import { Bus, EventQueue } from "./bus.ts";
import { Cpu, type CpuSnapshot, type Engine } from "./cpu.ts";
import { CP0, SR, VECTOR } from "./cp0.ts";
import { Csr } from "./csr.ts";
import { Dz } from "./dz.ts";
import { Lance } from "./lance.ts";
import { parseMac } from "./ethernet.ts";
import { Rtc } from "./rtc.ts";
import { Rom } from "./rom.ts";
import { Console } from "./console.ts";
import { Prom, REX_MAGIC } from "./prom.ts";
import { checkSegmentsFit, type ElfImage, parseElf } from "./elf.ts";
import { cyclesToUs } from "./timing.ts";
import { defaultEngine, envJitHotness, parseEngine } from "./engine.ts";

/** Options for a new machine. */
export interface DECstationOptions {
  /** RAM in megabytes: 1 to 480, default 32. */
  memoryMB?: number;
  /** Time of day the clock starts at (default: the host's time now). */
  epoch?: Date;
  /** Console size (default 80 x 24). */
  cols?: number;
  /** Console rows. */
  rows?: number;
  /** The LANCE's station address, "08:00:2b:00:00:01" or 6 bytes (default: the next unused). */
  mac?: string | Uint8Array;
  /**
   * The CPU engine: "interp" (the interpreter, the reference) or "jit" (the translator, same
   * semantics). Default: EXOLAB_ENGINE when set, else `DEFAULT_ENGINE` (machine/engine.ts).
   */
  engine?: Engine;
}

/** The last default station address handed out (its low 24 bits). */
let lastMac = 0;

/** The next default station address: 08:00:2b followed by a count. */
function nextMac(): Uint8Array {
  lastMac = (lastMac + 1) & 0xffffff;
  return Uint8Array.of(0x08, 0x00, 0x2b, lastMac >>> 16, (lastMac >>> 8) & 0xff, lastMac & 0xff);
}

/** Conditions that end a `run`. */
export interface RunLimits {
  /** Stop after this many more instructions. */
  maxInstructions?: number;
  /** Stop once this many more cycles have elapsed. */
  maxCycles?: number;
  /** Stop before executing the instruction at this address. */
  until?: number;
}

/** Why a run ended. */
export type RunEnd =
  | "halt" // the program halted through the PROM (or the machine was halted)
  | "instructions" // maxInstructions reached
  | "cycles" // maxCycles reached
  | "breakpoint" // the `until` address reached
  | "input" // the program waits for console input
  | "stopped"; // `stop` was called (from a hypercall handler or an event)

/** The outcome of a run. */
export interface RunResult {
  /** Why it ended. */
  reason: RunEnd;
  /** Instructions executed in this run. */
  instructions: number;
  /** Cycles elapsed in this run. */
  cycles: number;
}

/** Everything `DECstation.snapshot` keeps: restore it into the same machine only. */
export interface MachineSnapshot {
  /** The CPU. */
  cpu: CpuSnapshot;
  /** A copy of RAM. */
  ram: Uint8Array;
  /** Each device's state, in bus order. */
  devices: unknown[];
  /** Pending device events. */
  events: ReturnType<EventQueue["snapshot"]>;
  /** How many console bytes had been written. */
  consoleLength: number;
  /** Halt status, the loaded program, its symbols. */
  halted: DECstation["halted"];
  /** The program the PROM enters at reset. */
  program: LoadedProgram | null;
  /** The loaded ELF's symbols. */
  symbols: ElfImage["symbols"];
}

/** A hypercall handler registered with the machine. */
export type Hypercall = (code: number) => void;

/** The program a PROM boot enters. */
export interface LoadedProgram {
  /** Where the PROM enters it. */
  entry: number;
  /** The arguments it gets. */
  argv: string[];
}

/** Where the PROM puts argv: the last 4 KB page of RAM. */
const ARGV_PAGE_FROM_TOP = 4096;

/** The DECstation 5000/200. */
export class DECstation {
  /** RAM and devices. */
  readonly bus: Bus;
  /** The processor. */
  readonly cpu: Cpu;
  /** Device events in emulated cycles. */
  readonly events: EventQueue = new EventQueue();
  /** The system CSR (interrupt cascade). */
  readonly csr: Csr;
  /** The DZ serial lines; line 3 is the console. */
  readonly dz: Dz;
  /** The MC146818 clock. */
  readonly rtc: Rtc;
  /** The LANCE Ethernet controller on TURBOchannel slot 6. */
  readonly lance: Lance;
  /** The boot ROM. */
  readonly rom: Rom;
  /** The console terminal on DZ line 3. */
  readonly console: Console;
  /** The boot PROM. */
  readonly prom: Prom;
  /** Set when the machine halted: the status (0 = clean) and a message, if any. */
  halted: { status: number; message?: string } | null = null;
  /** Symbols of the loaded ELF, for traces. */
  symbols: ElfImage["symbols"] = [];
  readonly #hypercalls = new Map<number, Hypercall>();
  #program: LoadedProgram | null = null;

  /**
   * Builds and resets a machine; throws RangeError for a memory size out of 1..480 MB, a bad MAC
   * or an unknown engine (the option's or EXOLAB_ENGINE's).
   */
  constructor(options: DECstationOptions = {}) {
    const mb = options.memoryMB ?? 32;
    if (!Number.isInteger(mb) || mb < 1 || mb > 480) {
      throw new RangeError(
        `Memory size ${mb} MB is out of range: give a whole number of MB, 1 to 480`,
      );
    }
    const mac = options.mac === undefined ? nextMac() : parseMac(options.mac);
    const engine = options.engine === undefined
      ? defaultEngine()
      : parseEngine("The engine option", options.engine);
    const hotness = envJitHotness();
    this.bus = new Bus(mb * 1024 * 1024);
    this.cpu = new Cpu(this.bus);
    this.cpu.engine = engine;
    if (hotness !== undefined) this.cpu.jitHotness = hotness;
    const clock = () => this.cpu.cycles;
    this.csr = new Csr(this.cpu);
    this.console = new Console({ cols: options.cols, rows: options.rows });
    this.dz = new Dz({ csr: this.csr });
    this.dz.onTransmit = (line, byte) => {
      if (line === 3) this.console.write(Uint8Array.of(byte));
    };
    this.console.onInput = (bytes) => {
      for (const b of bytes) this.dz.receive(3, b);
    };
    this.rtc = new Rtc({ clock, events: this.events, interrupts: this.cpu, epoch: options.epoch });
    this.rom = new Rom();
    this.lance = new Lance({ csr: this.csr, events: this.events, clock, mac });
    for (const d of [this.csr, this.dz, this.rtc, this.rom, this.lance]) this.bus.attach(d);
    this.prom = new Prom({
      cpu: this.cpu,
      ramBytes: this.bus.ramSize,
      output: (bytes) => this.console.write(bytes),
      input: () => this.dz.takeConsoleInput(),
      halt: (status, message) => this.halt(status, message),
      boot: () => this.#boot(),
    });
    this.cpu.hypercall = (code) => {
      if (code < 0x100) return this.prom.hypercall(code);
      const h = this.#hypercalls.get(code);
      if (h === undefined) return false;
      h(code);
      return true;
    };
    this.reset();
  }

  /** RAM size in bytes. */
  get ramBytes(): number {
    return this.bus.ramSize;
  }

  /** Emulated time since reset, in microseconds. */
  get us(): number {
    return cyclesToUs(this.cpu.cycles);
  }

  /** Resets CPU and devices, rebuilds the ROM, and leaves the CPU at the reset vector. */
  reset(): void {
    this.cpu.reset();
    this.events.clear();
    this.bus.resetDevices();
    this.rom.load(0, this.prom.image());
    this.halted = null;
  }

  /**
   * Called when the guest runs an instruction of a unit it enabled but the machine does not
   * emulate (a COP1 instruction: there is no FPU), with the CPU stopped before it at `pc`. Return
   * true when the software above dealt with it (moved the CPU on); otherwise the machine halts
   * with a message saying so.
   */
  onUnsupported?: (pc: number) => boolean;

  /** Registers `handler` for hypercall `code` (0x100 and up; the PROM owns the rest). */
  onHypercall(code: number, handler: Hypercall): void {
    if (!Number.isInteger(code) || code < 0x100 || code > 0xfffff) {
      throw new RangeError(
        `Hypercall code ${code} is not in 0x100..0xfffff (0..0xff are the PROM's)`,
      );
    }
    this.#hypercalls.set(code, handler);
  }

  /** Ends the current run after the instruction in progress, with reason "stopped". */
  stop(): void {
    this.#stopRequested = true;
    this.cpu.stop();
  }

  #stopRequested = false;

  /** Stops the machine: the current run ends with reason "halt". */
  halt(status = 0, message?: string): void {
    this.halted = { status, message };
    if (message !== undefined) this.console.write(new TextEncoder().encode(message + "\r\n"));
    this.cpu.stop();
  }

  /**
   * Loads a bare ELF (kseg0/kseg1 segments within RAM) and arranges for the PROM to enter it at
   * reset with `argv`. Throws ElfError naming the problem; RAM is untouched when it does.
   */
  loadElf(bytes: Uint8Array, argv: string[] = ["prog"]): ElfImage {
    const image = parseElf(bytes);
    // The PROM keeps argv in the last page of RAM, so a program may not load there.
    const phys = checkSegmentsFit(image, this.bus.ramSize - ARGV_PAGE_FROM_TOP);
    image.segments.forEach((seg, i) => {
      this.bus.ram8.fill(0, phys[i], phys[i] + seg.memSize);
      this.bus.ram8.set(seg.data, phys[i]);
    });
    this.symbols = image.symbols;
    this.loadProgram(image.entry, argv);
    return image;
  }

  /** Arranges for the PROM to enter the code at `entry` (already in RAM) with `argv` at reset. */
  loadProgram(entry: number, argv: string[] = ["prog"]): void {
    this.#program = { entry, argv };
    this.halted = null;
    this.cpu.pc = VECTOR.RESET;
  }

  /** The PROM's boot step: enter the loaded program as the firmware would. */
  #boot(): boolean {
    const p = this.#program;
    if (p === null) return false;
    const cpu = this.cpu;
    const top = this.bus.ramSize - ARGV_PAGE_FROM_TOP;
    // argv strings, then the pointer array, in the last page of RAM.
    let at = top + 4 * (p.argv.length + 1);
    const ptrs: number[] = [];
    for (const arg of p.argv) {
      const bytes = new TextEncoder().encode(arg + "\0");
      if (at + bytes.length > this.bus.ramSize) throw new RangeError("argv does not fit in 4 KB");
      this.bus.ram8.set(bytes, at);
      ptrs.push(0x80000000 + at);
      at += bytes.length;
    }
    ptrs.push(0);
    ptrs.forEach((v, i) => this.bus.ram32[(top >>> 2) + i] = v);
    cpu.regs.fill(0);
    cpu.regs[4] = p.argv.length;
    cpu.regs[5] = (0x80000000 + top) | 0;
    cpu.regs[6] = REX_MAGIC;
    cpu.regs[7] = this.prom.callbackVector | 0;
    cpu.regs[29] = (0x80000000 + top - 32) | 0;
    cpu.cp0[CP0.Status] = SR.BEV;
    cpu.pc = p.entry;
    return true;
  }

  /**
   * Runs until halt, a limit, the `until` address, or a wait for input.
   * Returns why it stopped and what it spent; never throws for guest faults.
   */
  run(limits: RunLimits = {}): RunResult {
    const cpu = this.cpu;
    const startI = cpu.instructions, startC = cpu.cycles;
    const maxI = limits.maxInstructions ?? Infinity;
    const maxC = limits.maxCycles ?? Infinity;
    const until = limits.until ?? -1;
    this.prom.waitingForInput = false;
    // A run started by a hypercall's handler (a nested run) ends on its own stop; a stop asked
    // for before it began belongs to the run outside, which still sees it afterwards.
    const outerStop = this.#stopRequested;
    this.#stopRequested = false;
    let reason: RunEnd;
    for (;;) {
      if (this.halted !== null) {
        reason = "halt";
        break;
      }
      const doneI = cpu.instructions - startI, doneC = cpu.cycles - startC;
      if (doneI >= maxI) {
        reason = "instructions";
        break;
      }
      if (doneC >= maxC) {
        reason = "cycles";
        break;
      }
      const toEvent = Math.max(1, this.events.next - cpu.cycles);
      const budget = Math.min(maxI - doneI, maxC - doneC, toEvent, 1 << 24);
      const why = cpu.execute(budget, until);
      // A hypercall's handler runs here, with the inner loop stopped (nothing nests in it).
      if (why === "hypercall") cpu.serviceHypercall();
      if (why === "unsupported" && this.onUnsupported?.(cpu.unsupportedAt) !== true) {
        const at = cpu.unsupportedAt >>> 0;
        const word = (this.cpu.readVirtual(at) >>> 0).toString(16).padStart(8, "0");
        this.halt(
          1,
          `exolab: the instruction 0x${word} at 0x${at.toString(16).padStart(8, "0")} uses ` +
            "coprocessor 1 (the FPU), which exolab does not emulate; the run stops here",
        );
      }
      this.events.fire(cpu.cycles);
      if (why === "breakpoint") {
        reason = "breakpoint";
        break;
      }
      if (why === "stop" || why === "hypercall" || why === "unsupported") {
        if (this.halted !== null) reason = "halt";
        else if (this.#stopRequested) reason = "stopped";
        else if (this.prom.waitingForInput) reason = "input";
        else continue;
        break;
      }
    }
    this.#stopRequested = outerStop;
    return {
      reason,
      instructions: cpu.instructions - startI,
      cycles: cpu.cycles - startC,
    };
  }

  /** Runs a bare ELF to completion (or a limit) and returns the result; see `loadElf`. */
  runElf(bytes: Uint8Array, limits: RunLimits = {}, argv?: string[]): RunResult {
    this.reset();
    this.loadElf(bytes, argv);
    return this.run(limits);
  }

  /**
   * The whole machine state (CPU, RAM, devices, pending events, console length), so an
   * experiment can be repeated from the same point with `restore`. Copies RAM: 32 MB by default.
   */
  snapshot(): MachineSnapshot {
    return {
      cpu: this.cpu.snapshot(),
      ram: this.bus.ram8.slice(),
      devices: this.bus.devices.map((d) => d.snapshot?.()),
      events: this.events.snapshot(),
      consoleLength: this.console.bytes.length,
      halted: this.halted === null ? null : { ...this.halted },
      program: this.#program === null ? null : { ...this.#program, argv: [...this.#program.argv] },
      symbols: this.symbols,
    };
  }

  /** Puts the machine back as `snapshot` found it; throws for a snapshot of another machine. */
  restore(s: MachineSnapshot): void {
    if (s.ram.length !== this.bus.ramSize || s.devices.length !== this.bus.devices.length) {
      throw new RangeError(
        `This snapshot is of a machine with ${s.ram.length >> 20} MB and ${s.devices.length} ` +
          `devices; this one has ${this.bus.ramSize >> 20} MB and ${this.bus.devices.length}`,
      );
    }
    this.bus.ram8.set(s.ram);
    this.cpu.restore(s.cpu);
    this.bus.devices.forEach((d, i) => d.restore?.(s.devices[i]));
    this.events.restore(s.events);
    this.console.truncate(s.consoleLength);
    this.halted = s.halted === null ? null : { ...s.halted };
    this.#program = s.program === null ? null : { ...s.program, argv: [...s.program.argv] };
    this.symbols = s.symbols;
  }

  /** A one-line description. */
  toString(): string {
    return `DECstation 5000/200 (KN02) · R3000A 25 MHz · ${this.bus.ramSize >> 20} MB · ` +
      `${this.us.toFixed(2)} us emulated`;
  }

  /** The machine state at a glance, for console.log and the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
