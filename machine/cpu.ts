/**
 * The R3000A: a MIPS I interpreter with coprocessor 0, the 64-entry TLB and exact exceptions.
 *
 * State is flat and public: 32 general registers in an Int32Array, pc, HI/LO, the CP0 registers in
 * an Int32Array indexed by register number, and the TLB as two Int32Arrays of EntryHi/EntryLo
 * words. Scripts may read and set all of it between runs.
 *
 * The inner loop, `execute`, fetches, decodes with one switch, and executes, keeping pc, the next
 * pc (for branch delay slots) and the instruction count in locals. Memory goes through small
 * direct-mapped translation caches that remember, per virtual page, the physical RAM page behind
 * it; a hit reads the RAM typed array directly, a miss takes the slow path, which translates
 * through the segment rules and the TLB, charges uncached cycles and talks to devices. The caches
 * are emptied whenever the mapping could change: a TLB write, an ASID change, a change of mode.
 *
 * Guest faults are thrown (one preallocated sentinel, nothing allocated) from the slow paths and
 * caught outside the inner loop, which then enters the exception as the hardware does: push the
 * KU/IE stack, set Cause, EPC (the branch, with BD, for a fault in a delay slot), BadVAddr and
 * Context where the fault has an address, and jump to the vector.
 *
 * The loop ends early whenever something outside it may need to act: an interrupt line changed,
 * Status or Cause was written, a device register was touched, a hypercall ran, or `stop` was
 * asked for. The caller (the machine's run loop) then fires due events and calls `execute` again,
 * which first takes any pending, enabled interrupt.
 *
 * Loads have a delay slot, as on the R3000A, which has no load interlock: after a load (LB, LH,
 * LW, LBU, LHU, LWL, LWR) or MFC0 the next instruction still sees the register's old value, and
 * the value lands after it, unless that instruction wrote the register itself (its write is the
 * one that stays). LWL and LWR take a pending value of their own register as their merge base,
 * so `lwr; lwl` pairs work. A load in the delay slot of another load to the same register lands
 * the first value after itself: the instruction after the second load sees the first's value and
 * the one after that the second's, as the pipeline does. A pending load completes before any
 * exception its delay-slot instruction takes (the handler sees the loaded value) and before a
 * hypercall's TypeScript runs, so `hcall` sees and may overwrite the loaded value.
 *
 * How, without slowing every instruction down: a load looks at its successor (the word at npc,
 * through the fetch cache). Most successors neither read the register nor write it (`touches`;
 * compiled code and hazard-free assembly never read it), and then the value may land at once:
 * nothing can tell the difference. Only otherwise does the load stay pending, as a (register,
 * value) pair in two fields (#pend, #pendValue), and the loop is told to stop after one more
 * instruction (#limit cut); it then lands the value (unless `directWrite` says the successor
 * wrote the register) and goes on. The inner loop itself carries no load-delay state.
 *
 * Between runs (when `execute` returns for any reason, and in `snapshot`) a load still in its
 * delay slot is kept in another form: `regs` already hold the loaded value, so TypeScript
 * reading or writing registers at a stop sees every load complete, and the Cpu remembers only
 * the register and its old value (`loadDelayReg`, `loadDelayOld`). When `execute` resumes it
 * puts the old value back for exactly one instruction, so where a run stops never changes what
 * the guest computes. An interrupt taken at the start of `execute`, an exception, or setting `pc`
 * by hand completes the load instead (the old value is forgotten), as an interrupt between the
 * two instructions does on the hardware. (A load whose successor did not touch its register has
 * already landed; TypeScript that rewrites that successor at the stop, making it read the
 * register, would see the new value there.) MFHI and MFLO keep their interlock; loads add no
 * stall cycles.
 *
 * `execute` runs the inner loop in slices (`#slice`) of at most 64K instructions, carrying the
 * count between them, so the counters are committed exactly where they were before; a short
 * call keeps V8 from compiling the loop on the stack, and the slice keeps the limit and the
 * fetch-cache tag and base in locals, refreshed after every slow path (the only code that
 * changes them), and the delay flags as 0/1 integers.
 *
 * With `engine = "jit"` the slices also end at block boundaries (after a delay-slot
 * instruction), where `#jitRun` hands over to code translated by machine/jit.ts, whose essay
 * says how it stays indistinguishable from this interpreter; everything it does not translate
 * runs here.
 *
 * Timing follows machine/timing.ts: one cycle per instruction, MULT/DIV latencies with the HI/LO
 * interlock, extra cycles for uncached accesses and exception entry.
 *
 * @module
 */

import { Bus, BusError, type Interrupts } from "./bus.ts";
import { CAUSE, CP0, EXC, PRID_R3000A, SR, SR_WRITABLE, TLB, VECTOR } from "./cp0.ts";
import { TIMING } from "./timing.ts";
import { cpuView } from "./cpu_view.ts";
import { Jit, type JitHost, type JitStats, touches } from "./jit.ts";

/**
 * The CPU engines: "interp", the interpreter (the reference), and "jit", which translates hot
 * code pages to JavaScript with exactly the interpreter's semantics.
 */
export type Engine = "interp" | "jit";

/** Thrown by slow paths to unwind to the exception entry; never escapes `execute`. */
const TRAP: unique symbol = Symbol("guest exception");

/** A translation-cache tag that no address matches. */
const INVALID = 0xfff;

/** Slots in each translation cache. */
const TC_SLOTS = 64;

/** The translator's refused-word bits before it exists. */
const NONE_REFUSED = new Uint32Array(0);

/** Instructions per call of the inner loop (see `#slice`). */
const SLICE = 65536;

/** Why `execute` returned. */
export type StopReason =
  | "limit"
  | "breakpoint"
  | "stop"
  | "attention"
  | "hypercall"
  | "unsupported";

/**
 * A hypercall handler: returns false when it does not know `code` (the CPU then raises RI at the
 * hcall). It runs with `execute` stopped, from `serviceHypercall`.
 */
export type HypercallHandler = (code: number) => boolean;

/** A copy of everything the CPU holds, for `Cpu.snapshot` and `Cpu.restore`. */
export interface CpuSnapshot {
  /** General registers. */
  regs: Int32Array;
  /** HI and LO. */
  hi: number;
  /** LO. */
  lo: number;
  /** pc, the next pc, and whether pc is in a delay slot. */
  pc: number;
  /** The instruction after pc. */
  npc: number;
  /** Whether pc sits in a branch delay slot. */
  inDelay: boolean;
  /** The register a load still in its delay slot writes (0: none); regs hold the loaded value. */
  loadReg: number;
  /** What the instruction at pc sees in `loadReg`: its value before that load. */
  loadOld: number;
  /** CP0 registers. */
  cp0: Int32Array;
  /** TLB EntryHi words. */
  tlbHi: Int32Array;
  /** TLB EntryLo words. */
  tlbLo: Int32Array;
  /** Counters: instructions, cycles, modeled cycles, and when HI/LO are ready. */
  counters: [number, number, number, number];
  /** Hardware interrupt lines. */
  lines: number;
  /** Exceptions taken, by code. */
  exceptionCounts: Float64Array;
}

/**
 * The general register instruction `instr` writes at once (not through the load delay), or 0:
 * rd of the SPECIAL ALU operations, MFHI/MFLO and JALR, rt of the immediate ALU operations and
 * LUI, ra of JAL, BLTZAL and BGEZAL. Loads and MFC0 write late, so they are not counted here.
 */
function directWrite(instr: number): number {
  const op = instr >>> 26;
  if (op === 0) {
    const f = instr & 63;
    if (f === 0x08 || f === 0x0c || f === 0x0d || f === 0x11 || f === 0x13 || f === 0x28) {
      return 0; // jr, syscall, break, mthi, mtlo, hcall
    }
    return f >= 0x18 && f <= 0x1b ? 0 : (instr >>> 11) & 31;
  }
  if (op >= 0x08 && op <= 0x0f) return (instr >>> 16) & 31;
  if (op === 0x03) return 31;
  return op === 0x01 && (instr & 0x00100000) !== 0 ? 31 : 0;
}

/** Raised by `readVirtual`/`writeVirtual` when an address does not translate. */
export class TranslationError extends Error {}

/** The R3000A processor. */
export class Cpu implements Interrupts {
  /** General registers; regs[0] reads as zero. */
  readonly regs: Int32Array = new Int32Array(32);
  /** The multiply/divide unit's HI register. */
  hi = 0;
  /** The multiply/divide unit's LO register. */
  lo = 0;
  /** CP0 registers by number (see CP0 in cp0.ts); Random is computed when read, see `random`. */
  readonly cp0: Int32Array = new Int32Array(32);
  /** TLB EntryHi words (VPN, ASID). */
  readonly tlbHi: Int32Array = new Int32Array(TLB.ENTRIES);
  /** TLB EntryLo words (PFN, N, D, V, G). */
  readonly tlbLo: Int32Array = new Int32Array(TLB.ENTRIES);
  /** Instructions executed since reset (an instruction that faults counts). */
  instructions = 0;
  /** Cycles elapsed since reset, executed and modeled. */
  cycles = 0;
  /** The part of `cycles` charged by `charge` for work not executed as instructions. */
  modeledCycles = 0;
  /** Exceptions taken since reset, by code. */
  readonly exceptionCounts: Float64Array = new Float64Array(16);
  /** Runs a kernel-mode `hcall`'s code, from `serviceHypercall` (never inside `execute`). */
  hypercall: HypercallHandler = () => false;
  /**
   * The engine `execute` uses. "jit" runs translated code where it can (machine/jit.ts), with
   * exactly the interpreter's results; the interpreter runs the rest: code not yet hot, what
   * the translator leaves to it (COP0, SYSCALL, BREAK, hypercalls, reserved encodings), a
   * block that does not fit the run's limit (a single step, say) or holds the breakpoint.
   */
  engine: Engine = "interp";
  /**
   * With the "jit" engine, how many times the dispatcher must reach a word (an entry: a branch
   * target, a return point, where a run starts) before the page's code is translated from there.
   * 1 translates everything at its first visit (tests use it to force the translator on).
   */
  jitHotness = 50;
  /** Called after each exception entry with its code, the vector already in pc (debuggers, stats). */
  onException: ((code: number) => void) | undefined = undefined;

  #pc = VECTOR.RESET;
  #npc = VECTOR.RESET + 4;
  /** 1 while pc sits in a branch delay slot, else 0. */
  #inDelay = 0;
  /** Between runs, a load (or MFC0) still in its delay slot: its register (0: none) ... */
  #loadReg = 0;
  /** ... and that register's value before the load, which the next instruction sees. */
  #loadOld = 0;
  /** In a run, the register of a load whose delay-slot instruction needs the old value ... */
  #pend = 0;
  /** ... its value, to land after that instruction ... */
  #pendValue = 0;
  /** ... unless that instruction writes the register itself. */
  #pendKept = false;
  /** The loop count at which the delay-slot instruction has run (0: no load pending). */
  #pendEnd = 0;
  /** #limit as it was before the cut, and as cut. */
  #pendLimit = 0;
  #pendCut = 0;
  #limit = 0;
  /** The instruction count `#slice` had reached when it threw. */
  #sliceN = 0;
  #stopReason: StopReason = "limit";
  /** The pc `execute` steps over a breakpoint at: set by the pc setter and a breakpoint stop. */
  #resume = -1;
  /** When HI/LO are ready (a cycle count), in an array the translated code shares. */
  readonly #hilo = new Float64Array(1);
  #randomBase = 0;
  #lines = 0;
  #excCode = 0;
  #excBadVAddr = 0;
  #excHasAddr = false;
  #excUtlb = false;
  #excCE = 0;
  #excFetch = false;
  /** The code of the hcall `execute` stopped at (-1: none), its pc and delay-slot flag. */
  #hcall = -1;
  #hcallPc = 0;
  #hcallDelay = 0;
  /** Where `execute` stopped before an instruction it does not emulate (-1: nowhere). */
  #unsupported = -1;
  #unsupportedNpc = 0;
  #unsupportedDelay = 0;
  readonly #bus: Bus;
  readonly #ram8: Uint8Array;
  readonly #ram16: Uint16Array;
  readonly #ram32: Int32Array;
  /** The mode and ASID (`#cacheKey()`) the translation caches were filled under. */
  #cachedFor = 0;
  #fTag = INVALID;
  #fBase = 0;
  readonly #rTag = new Int32Array(TC_SLOTS).fill(INVALID);
  readonly #rBase = new Int32Array(TC_SLOTS);
  readonly #wTag = new Int32Array(TC_SLOTS).fill(INVALID);
  readonly #wBase = new Int32Array(TC_SLOTS);
  /** More fetch-cache entries, for `#fetchProbe` only (filled and emptied with the others). */
  readonly #xTag = new Int32Array(TC_SLOTS).fill(INVALID);
  readonly #xBase = new Int32Array(TC_SLOTS);

  /** The translator, made when the "jit" engine first runs, and what it reaches of this Cpu. */
  #jit: Jit | null = null;
  #jitHostObject: JitHost | null = null;

  /** Makes a CPU on `bus`, in the reset state. */
  constructor(bus: Bus) {
    this.#bus = bus;
    this.#ram8 = bus.ram8;
    this.#ram16 = bus.ram16;
    this.#ram32 = bus.ram32;
    this.reset();
  }

  /** Puts the CPU in its reset state: pc at the reset vector, kernel mode, BEV set, TLB cleared. */
  reset(): void {
    this.regs.fill(0);
    this.hi = this.lo = 0;
    this.cp0.fill(0);
    this.cp0[CP0.Status] = SR.BEV;
    this.cp0[CP0.PRId] = PRID_R3000A;
    this.tlbHi.fill(0);
    this.tlbLo.fill(0);
    this.instructions = this.cycles = this.modeledCycles = 0;
    this.exceptionCounts.fill(0);
    this.#hilo[0] = this.#randomBase = 0;
    this.#lines = 0;
    this.pc = VECTOR.RESET; // (no load in its delay slot either)
    this.#flush();
  }

  /** The address of the next instruction to execute (unsigned). */
  get pc(): number {
    return this.#pc >>> 0;
  }

  /** Sets the next instruction to execute; the one after it is pc + 4 (no delay slot pending). */
  set pc(value: number) {
    this.#pc = this.#resume = value | 0;
    this.#npc = (value + 4) | 0;
    this.#inDelay = 0;
    this.#loadReg = 0;
  }

  /** The address of the instruction after the next (a branch target while in a delay slot). */
  get npc(): number {
    return this.#npc >>> 0;
  }

  /** Whether the next instruction sits in a branch delay slot. */
  get inDelaySlot(): boolean {
    return this.#inDelay !== 0;
  }

  /**
   * The register that a load (or MFC0) just before pc is writing, or 0: `regs` already hold the
   * loaded value, but the instruction at pc still sees `loadDelayOld` there.
   */
  get loadDelayReg(): number {
    return this.#loadReg;
  }

  /** The value the instruction at pc sees in `loadDelayReg` (meaningless when that is 0). */
  get loadDelayOld(): number {
    return this.#loadOld;
  }

  /** True while the CPU is in kernel mode (Status.KUc clear). */
  get kernelMode(): boolean {
    return (this.cp0[CP0.Status] & SR.KUc) === 0;
  }

  /** The Random register now: counts down from 63 to 8 once per cycle, then wraps. */
  get random(): number {
    return this.#randomAt(this.cycles);
  }

  /** The Random register at cycle `now`. */
  #randomAt(now: number): number {
    const span = TLB.ENTRIES - TLB.RANDOM_FIRST;
    return TLB.ENTRIES - 1 - ((now - this.#randomBase) % span);
  }

  /** Reads CP0 register `n` as MFC0 would. */
  readCp0(n: number): number {
    return n === CP0.Random ? this.random << 8 : this.cp0[n];
  }

  /** Writes CP0 register `n` as MTC0 would: read-only registers and bits keep their value. */
  writeCp0(n: number, value: number): void {
    const cp0 = this.cp0;
    switch (n) {
      case CP0.Index:
        cp0[n] = (cp0[n] & TLB.P) | (value & 0x3f00);
        break;
      case CP0.EntryLo:
        cp0[n] = value & TLB.LO_MASK;
        break;
      case CP0.Context:
        cp0[n] = (cp0[n] & 0x001ffffc) | (value & 0xffe00000);
        break;
      case CP0.EntryHi:
        cp0[n] = value & TLB.HI_MASK;
        this.#flush();
        break;
      case CP0.Status: {
        const old = cp0[n];
        cp0[n] = (old & ~SR_WRITABLE) | (value & SR_WRITABLE);
        if (((old ^ cp0[n]) & (SR.KUc | SR.IsC)) !== 0) this.#flush();
        this.#limit = 0;
        break;
      }
      case CP0.Cause:
        cp0[n] = (cp0[n] & ~CAUSE.SW) | (value & CAUSE.SW);
        this.#limit = 0;
        break;
      case CP0.EPC:
        cp0[n] = value;
        break;
      default:
        // Random, BadVAddr, PRId and the unimplemented numbers are read-only.
        break;
    }
  }

  /** Raises or lowers hardware interrupt line `line` (0 = IP2 ... 5 = IP7). */
  setLine(line: number, level: boolean): void {
    if (line < 0 || line > 5) throw new RangeError(`Interrupt line ${line} is not 0..5`);
    const bit = 1 << (line + 10);
    const lines = level ? this.#lines | bit : this.#lines & ~bit;
    if (lines === this.#lines) return;
    this.#lines = lines;
    this.cp0[CP0.Cause] = (this.cp0[CP0.Cause] & ~0xfc00) | lines;
    this.#limit = 0;
  }

  /** A copy of the whole CPU state (registers, CP0, TLB, counters). */
  snapshot(): CpuSnapshot {
    return {
      regs: this.regs.slice(),
      hi: this.hi,
      lo: this.lo,
      pc: this.#pc,
      npc: this.#npc,
      inDelay: this.#inDelay !== 0,
      loadReg: this.#loadReg,
      loadOld: this.#loadOld,
      cp0: this.cp0.slice(),
      tlbHi: this.tlbHi.slice(),
      tlbLo: this.tlbLo.slice(),
      counters: [this.instructions, this.cycles, this.modeledCycles, this.#hilo[0]],
      lines: this.#lines,
      exceptionCounts: this.exceptionCounts.slice(),
    };
  }

  /** Puts back a state taken by `snapshot`. */
  restore(s: CpuSnapshot): void {
    this.regs.set(s.regs);
    this.hi = s.hi;
    this.lo = s.lo;
    this.#pc = s.pc;
    this.#npc = s.npc;
    this.#inDelay = s.inDelay ? 1 : 0;
    this.#loadReg = s.loadReg;
    this.#loadOld = s.loadOld;
    this.#resume = s.pc;
    this.cp0.set(s.cp0);
    this.tlbHi.set(s.tlbHi);
    this.tlbLo.set(s.tlbLo);
    [this.instructions, this.cycles, this.modeledCycles, this.#hilo[0]] = s.counters;
    this.#lines = s.lines;
    // Cause's hardware interrupt bits are the lines' levels, whatever CP0 copy came with them.
    this.cp0[CP0.Cause] = (this.cp0[CP0.Cause] & ~0xfc00) | s.lines;
    this.exceptionCounts.set(s.exceptionCounts);
    this.#flush();
  }

  /** Asks a running `execute` to return after the current instruction, with reason "stop". */
  stop(): void {
    this.#stopReason = "stop";
    this.#limit = 0;
  }

  /**
   * The translator's counters: pages translated and translations dropped since the Cpu was made,
   * and the pages, entries (blocks) and characters of generated source cached now (all zero
   * until the "jit" engine has run).
   */
  jitStats(): JitStats {
    return this.#jit?.stats() ?? {
      pagesTranslated: 0,
      regionsTranslated: 0,
      translationsDropped: 0,
      pagesCached: 0,
      entriesCached: 0,
      bytesCached: 0,
    };
  }

  /** Adds `cycles` of modeled work (done in TypeScript, not executed) to the cycle count. */
  charge(cycles: number): void {
    this.cycles += cycles;
    this.modeledCycles += cycles;
  }

  /** True when an interrupt is pending on an unmasked line and interrupts are enabled. */
  get interruptPending(): boolean {
    const sr = this.cp0[CP0.Status];
    return (sr & SR.IEc) !== 0 && (this.cp0[CP0.Cause] & sr & CAUSE.IP) !== 0;
  }

  /** Executes one instruction (or takes one pending interrupt); returns why it stopped. */
  step(): StopReason {
    return this.execute(1);
  }

  /**
   * The pc of the instruction `execute` stopped before (reason "unsupported") because it uses a
   * unit the machine does not emulate though the guest enabled it (a COP1 instruction: no FPU is
   * emulated), or -1.
   */
  get unsupportedAt(): number {
    return this.#unsupported;
  }

  /** The code of the hypercall `execute` stopped at, waiting for `serviceHypercall`; or -1. */
  get pendingHypercall(): number {
    return this.#hcall;
  }

  /**
   * Runs the hypercall `execute` stopped at (reason "hypercall") through `hypercall`, with the
   * CPU stopped after the hcall. When the handler declines the code, the hcall raises RI as a
   * reserved instruction would. Does nothing when no hypercall is pending.
   */
  serviceHypercall(): void {
    const code = this.#hcall;
    if (code < 0) return;
    this.#hcall = -1;
    if (this.hypercall(code)) {
      this.regs[0] = 0;
      return;
    }
    this.#pc = this.#hcallPc;
    this.#npc = (this.#hcallPc + 4) | 0;
    this.#inDelay = this.#hcallDelay;
    this.#excCode = EXC.RI;
    this.#excHasAddr = false;
    this.#excUtlb = false;
    this.#takePending();
    this.#resume = -1; // a breakpoint at the vector still stops the next execute
  }

  /**
   * Executes up to `maxInstructions` instructions; stops before executing the instruction at
   * `breakAt` (unless it resumes from there: a breakpoint stop or a pc set by hand), or early
   * when something outside needs attention.
   * Takes a pending, enabled interrupt first. Returns why it stopped; never throws for guest faults.
   */
  execute(maxInstructions: number, breakAt = -1): StopReason {
    this.#unsupported = -1;
    const start = this.instructions;
    const resume = this.#resume;
    if (this.#cacheKey() !== this.#cachedFor) this.#flush(); // Status or EntryHi set by a script
    if (this.interruptPending) this.#enterException(EXC.Int, false);
    const breakPc = breakAt | 0;
    this.#stopReason = "limit" as StopReason; // (the slices may change it)
    this.#limit = maxInstructions;
    let n = 0;
    if (this.#loadReg !== 0) this.#unpark(this.#pc);
    const jit = this.engine === "jit" ? 1 : 0;
    if (jit !== 0) {
      this.#jitHostObject ??= this.#jitHost();
      this.#jit ??= new Jit(this.#jitHostObject);
      this.#jit.begin(this.cycles);
    }
    for (;;) {
      try {
        for (;;) {
          if (jit !== 0 && this.#pendEnd === 0 && this.#inDelay === 0) {
            n = this.#jitRun(n, breakPc);
          }
          n = this.#slice(n, breakPc, resume, start, jit);
          if (n < this.#limit) continue; // the slice's own bound
          // A load whose delay-slot instruction needs the old value ran that one instruction
          // alone (#limit shortened): land it, and go on if nothing else asked the loop to end.
          if (this.#pendEnd !== 0 && n >= this.#pendEnd && this.#landPending()) continue;
          break;
        }
        break;
      } catch (e) {
        n = this.#sliceN;
        // A load before the faulting instruction has completed (which wrote nothing).
        if (this.#pendEnd !== 0) {
          this.#pendKept = false;
          this.#landPending();
        }
        if (e !== TRAP) {
          this.#commit(n);
          throw e;
        }
        // A faulting instruction counts as executed (it issued), unless its fetch failed; the
        // register it would write is untouched.
        this.regs[0] = 0;
        this.#commit(this.#excFetch ? n : n + 1);
        this.#excFetch = false;
        n = 0;
        this.#takePending();
      }
    }
    if (this.#stopReason === "unsupported") {
      this.#pc = this.#unsupported;
      this.#npc = this.#unsupportedNpc;
      this.#inDelay = this.#unsupportedDelay;
      n--; // it did not run
    }
    if (this.#pendEnd !== 0) this.#park(); // stopped before the delay-slot instruction ran
    this.#resume = this.#stopReason === "breakpoint" ? this.#pc : -1;
    this.#commit(n);
    if (this.#stopReason === "limit" && this.instructions - start < maxInstructions) {
      this.#stopReason = "attention";
    }
    return this.#stopReason;
  }

  /**
   * Runs the inner loop from the state in #pc, #npc and #inDelay, with `n` instructions of this
   * `execute` done, until #limit or at most SLICE more (with `jit` 1, until the end of a delay
   * slot too); leaves the state in those fields and returns the new count (in #sliceN when it
   * throws). A short call keeps V8 from compiling the
   * loop on the stack, where pc, the limit and the fetch-cache tag would stay tagged values.
   */
  #slice(n0: number, breakPc: number, resume: number, start: number, jit: number): number {
    const regs = this.regs;
    const ram8 = this.#ram8, ram16 = this.#ram16, ram32 = this.#ram32;
    const rTag = this.#rTag, rBase = this.#rBase, wTag = this.#wTag, wBase = this.#wBase;
    let pc = this.#pc, npc = this.#npc, inDelay = this.#inDelay;
    let n = n0, nv = 0;
    const end = n0 + SLICE;
    let limit = this.#limit < end ? this.#limit : end;
    let fTag = this.#fTag, fBase = this.#fBase;
    const refused = this.#jit?.refused ?? NONE_REFUSED;
    try {
      while (n < limit) {
        if (pc === breakPc && (pc !== resume || this.instructions + n !== start)) {
          this.#stopReason = "breakpoint";
          this.#limit = 0;
          break;
        }
        let instr: number;
        if ((pc & 0xfffff003) === fTag) instr = ram32[(fBase | (pc & 0xfff)) >>> 2];
        else {
          instr = this.#fetchSlow(pc);
          fTag = this.#fTag;
          fBase = this.#fBase;
          limit = this.#limit < end ? this.#limit : end;
        }
        let next = (npc + 4) | 0;
        let delay = 0;
        const rs = (instr >>> 21) & 31, rt = (instr >>> 16) & 31;
        switch (instr >>> 26) {
          case 0x00: { // SPECIAL
            const rd = (instr >>> 11) & 31;
            switch (instr & 63) {
              case 0x00: // SLL
                if (rs !== 0) this.#reserved();
                regs[rd] = regs[rt] << ((instr >>> 6) & 31);
                break;
              case 0x02: // SRL
                if (rs !== 0) this.#reserved();
                regs[rd] = regs[rt] >>> ((instr >>> 6) & 31);
                break;
              case 0x03: // SRA
                if (rs !== 0) this.#reserved();
                regs[rd] = regs[rt] >> ((instr >>> 6) & 31);
                break;
              case 0x04: // SLLV
                regs[rd] = regs[rt] << (regs[rs] & 31);
                break;
              case 0x06: // SRLV
                regs[rd] = regs[rt] >>> (regs[rs] & 31);
                break;
              case 0x07: // SRAV
                regs[rd] = regs[rt] >> (regs[rs] & 31);
                break;
              case 0x08: // JR
                next = regs[rs];
                delay = 1;
                break;
              case 0x09: { // JALR
                const target = regs[rs];
                regs[rd] = (pc + 8) | 0;
                next = target;
                delay = 1;
                break;
              }
              case 0x0c: // SYSCALL
                this.#fault(EXC.Sys);
                break;
              case 0x0d: // BREAK
                this.#fault(EXC.Bp);
                break;
              case 0x10: { // MFHI
                const now = this.cycles + n;
                if (now < this.#hilo[0]) {
                  this.#stall(this.#hilo[0] - now);
                  limit = this.#limit < end ? this.#limit : end;
                }
                regs[rd] = this.hi;
                break;
              }
              case 0x11: // MTHI
                this.hi = regs[rs];
                break;
              case 0x12: { // MFLO
                const now = this.cycles + n;
                if (now < this.#hilo[0]) {
                  this.#stall(this.#hilo[0] - now);
                  limit = this.#limit < end ? this.#limit : end;
                }
                regs[rd] = this.lo;
                break;
              }
              case 0x13: // MTLO
                this.lo = regs[rs];
                break;
              case 0x18: // MULT
                this.#multiply(regs[rs], regs[rt], true);
                this.#hilo[0] = this.cycles + n + TIMING.multiply;
                break;
              case 0x19: // MULTU
                this.#multiply(regs[rs], regs[rt], false);
                this.#hilo[0] = this.cycles + n + TIMING.multiply;
                break;
              case 0x1a: // DIV
                this.#divide(regs[rs], regs[rt], true);
                this.#hilo[0] = this.cycles + n + TIMING.divide;
                break;
              case 0x1b: // DIVU
                this.#divide(regs[rs], regs[rt], false);
                this.#hilo[0] = this.cycles + n + TIMING.divide;
                break;
              case 0x20: { // ADD
                const a = regs[rs], b = regs[rt], r = (a + b) | 0;
                if (((a ^ r) & (b ^ r)) < 0) this.#fault(EXC.Ov);
                regs[rd] = r;
                break;
              }
              case 0x21: // ADDU
                regs[rd] = regs[rs] + regs[rt];
                break;
              case 0x22: { // SUB
                const a = regs[rs], b = regs[rt], r = (a - b) | 0;
                if (((a ^ b) & (a ^ r)) < 0) this.#fault(EXC.Ov);
                regs[rd] = r;
                break;
              }
              case 0x23: // SUBU
                regs[rd] = regs[rs] - regs[rt];
                break;
              case 0x24: // AND
                regs[rd] = regs[rs] & regs[rt];
                break;
              case 0x25: // OR
                regs[rd] = regs[rs] | regs[rt];
                break;
              case 0x26: // XOR
                regs[rd] = regs[rs] ^ regs[rt];
                break;
              case 0x27: // NOR
                regs[rd] = ~(regs[rs] | regs[rt]);
                break;
              case 0x28: { // HCALL: the machine's hypercall, reserved in MIPS I
                if ((this.cp0[CP0.Status] & SR.KUc) !== 0) this.#reserved();
                if (this.#pendEnd !== 0) this.#landPending(); // the load completes first
                // Nothing runs inside the loop: stop after the hcall, for serviceHypercall.
                this.#hcall = (instr >>> 6) & 0xfffff;
                this.#hcallPc = pc;
                this.#hcallDelay = inDelay;
                this.#stopReason = "hypercall";
                limit = this.#limit = 0;
                break;
              }
              case 0x2a: // SLT
                regs[rd] = regs[rs] < regs[rt] ? 1 : 0;
                break;
              case 0x2b: // SLTU
                regs[rd] = (regs[rs] >>> 0) < (regs[rt] >>> 0) ? 1 : 0;
                break;
              default:
                this.#reserved();
            }
            break;
          }
          case 0x01: { // REGIMM
            const v = regs[rs];
            switch (rt) {
              case 0x00: // BLTZ
                if (v < 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
                break;
              case 0x01: // BGEZ
                if (v >= 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
                break;
              case 0x10: // BLTZAL
                regs[31] = (pc + 8) | 0;
                if (v < 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
                break;
              case 0x11: // BGEZAL
                regs[31] = (pc + 8) | 0;
                if (v >= 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
                break;
              default:
                this.#reserved();
            }
            delay = 1;
            break;
          }
          case 0x02: // J
            next = ((pc + 4) & 0xf0000000) | ((instr & 0x3ffffff) << 2);
            delay = 1;
            break;
          case 0x03: // JAL
            regs[31] = (pc + 8) | 0;
            next = ((pc + 4) & 0xf0000000) | ((instr & 0x3ffffff) << 2);
            delay = 1;
            break;
          case 0x04: // BEQ
            if (regs[rs] === regs[rt]) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
            delay = 1;
            break;
          case 0x05: // BNE
            if (regs[rs] !== regs[rt]) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
            delay = 1;
            break;
          case 0x06: // BLEZ
            if (rt !== 0) this.#reserved();
            if (regs[rs] <= 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
            delay = 1;
            break;
          case 0x07: // BGTZ
            if (rt !== 0) this.#reserved();
            if (regs[rs] > 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
            delay = 1;
            break;
          case 0x08: { // ADDI
            const a = regs[rs], b = (instr << 16) >> 16, r = (a + b) | 0;
            if (((a ^ r) & (b ^ r)) < 0) this.#fault(EXC.Ov);
            regs[rt] = r;
            break;
          }
          case 0x09: // ADDIU
            regs[rt] = regs[rs] + ((instr << 16) >> 16);
            break;
          case 0x0a: // SLTI
            regs[rt] = regs[rs] < ((instr << 16) >> 16) ? 1 : 0;
            break;
          case 0x0b: // SLTIU
            regs[rt] = (regs[rs] >>> 0) < (((instr << 16) >> 16) >>> 0) ? 1 : 0;
            break;
          case 0x0c: // ANDI
            regs[rt] = regs[rs] & (instr & 0xffff);
            break;
          case 0x0d: // ORI
            regs[rt] = regs[rs] | (instr & 0xffff);
            break;
          case 0x0e: // XORI
            regs[rt] = regs[rs] ^ (instr & 0xffff);
            break;
          case 0x0f: // LUI
            if (rs !== 0) this.#reserved();
            regs[rt] = instr << 16;
            break;
          case 0x10: { // COP0
            const sr = this.cp0[CP0.Status];
            if ((sr & (SR.KUc)) !== 0 && (sr & SR.CU0) === 0) this.#unusable(0);
            if ((instr & (1 << 25)) !== 0) {
              switch (instr & 0x1ffffff) {
                case 0x01: // TLBR
                  this.#tlbRead();
                  break;
                case 0x02: // TLBWI
                  this.#tlbWrite((this.cp0[CP0.Index] >>> 8) & 63);
                  break;
                case 0x06: // TLBWR
                  this.#tlbWrite(this.#randomAt(this.cycles + n));
                  break;
                case 0x08: // TLBP
                  this.#tlbProbe();
                  break;
                case 0x10: { // RFE
                  const old = this.cp0[CP0.Status];
                  const s = (old & ~0xf) | ((old >>> 2) & 0xf);
                  this.cp0[CP0.Status] = s;
                  if (((old ^ s) & SR.KUc) !== 0) this.#flush();
                  this.#limit = 0;
                  break;
                }
                default:
                  this.#reserved();
              }
            } else {
              const rd = (instr >>> 11) & 31;
              if ((instr & 0x7ff) !== 0) this.#reserved();
              switch (rs) {
                case 0x00: // MFC0
                  this.#loaded(
                    rt,
                    rd === CP0.Random ? this.#randomAt(this.cycles + n) << 8 : this.cp0[rd],
                    npc,
                    n,
                  );
                  break;
                case 0x04: // MTC0
                  this.writeCp0(rd, regs[rt]);
                  break;
                case 0x08: // BC0F / BC0T: CpCond0 is not wired on the KN02 and reads false
                  if (rt === 0) next = (pc + 4 + ((instr << 16) >> 14)) | 0;
                  else if (rt !== 1) this.#reserved();
                  delay = 1;
                  break;
                default:
                  this.#reserved();
              }
            }
            fTag = this.#fTag;
            fBase = this.#fBase;
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x11: // COP1
          case 0x12: // COP2
          case 0x13: // COP3
          case 0x31: // LWC1
          case 0x32: // LWC2
          case 0x33: // LWC3
          case 0x39: // SWC1
          case 0x3a: // SWC2
          case 0x3b: { // SWC3
            const unit = (instr >>> 26) & 3;
            if ((this.cp0[CP0.Status] & (SR.CU0 << unit)) === 0) this.#unusable(unit);
            if (unit !== 1) this.#reserved(); // usable but absent: the KN02 has no COP2, COP3
            // The R3010 FPU is there on a 5000/200 but not emulated: stop before the
            // instruction (reason "unsupported") rather than pretend.
            this.#unsupported = pc;
            this.#unsupportedNpc = npc;
            this.#unsupportedDelay = inDelay;
            this.#stopReason = "unsupported";
            limit = this.#limit = 0;
            break;
          }
          case 0x20: { // LB
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            nv = (((va & 0xfffff000) === rTag[s]
              ? ram8[rBase[s] | (va & 0xfff)]
              : this.#load(va, 1)) << 24) >> 24;
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x21: { // LH
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            nv = (((va & 0xfffff001) === rTag[s]
              ? ram16[(rBase[s] | (va & 0xfff)) >>> 1]
              : this.#load(va, 2)) << 16) >> 16;
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x22: { // LWL
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const w = this.#loadWord(va);
            const r = this.#pend === rt ? this.#pendValue : regs[rt]; // merge with a pending load
            switch (va & 3) {
              case 0:
                nv = (r & 0x00ffffff) | (w << 24);
                break;
              case 1:
                nv = (r & 0x0000ffff) | (w << 16);
                break;
              case 2:
                nv = (r & 0x000000ff) | (w << 8);
                break;
              default:
                nv = w;
            }
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x23: { // LW
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            nv = (va & 0xfffff003) === rTag[s]
              ? ram32[(rBase[s] | (va & 0xfff)) >>> 2]
              : this.#load(va, 4);
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x24: { // LBU
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            nv = (va & 0xfffff000) === rTag[s] ? ram8[rBase[s] | (va & 0xfff)] : this.#load(va, 1);
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x25: { // LHU
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            nv = (va & 0xfffff001) === rTag[s]
              ? ram16[(rBase[s] | (va & 0xfff)) >>> 1]
              : this.#load(va, 2);
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x26: { // LWR
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const w = this.#loadWord(va);
            const r = this.#pend === rt ? this.#pendValue : regs[rt]; // merge with a pending load
            switch (va & 3) {
              case 0:
                nv = w;
                break;
              case 1:
                nv = (r & 0xff000000) | (w >>> 8);
                break;
              case 2:
                nv = (r & 0xffff0000) | (w >>> 16);
                break;
              default:
                nv = (r & 0xffffff00) | (w >>> 24);
            }
            this.#loaded(rt, nv, npc, n);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x28: { // SB
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            if ((va & 0xfffff000) === wTag[s]) {
              ram8[wBase[s] | (va & 0xfff)] = regs[rt];
            } else {
              this.#store(va, 1, regs[rt]);
              limit = this.#limit < end ? this.#limit : end;
            }
            break;
          }
          case 0x29: { // SH
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            if ((va & 0xfffff001) === wTag[s]) {
              ram16[(wBase[s] | (va & 0xfff)) >>> 1] = regs[rt];
            } else {
              this.#store(va, 2, regs[rt]);
              limit = this.#limit < end ? this.#limit : end;
            }
            break;
          }
          case 0x2a: { // SWL
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const r = regs[rt];
            const w = this.#loadWordForStore(va);
            let m: number;
            switch (va & 3) {
              case 0:
                m = (w & 0xffffff00) | (r >>> 24);
                break;
              case 1:
                m = (w & 0xffff0000) | (r >>> 16);
                break;
              case 2:
                m = (w & 0xff000000) | (r >>> 8);
                break;
              default:
                m = r;
            }
            this.#store(va & ~3, 4, m);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          case 0x2b: { // SW
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const s = (va >>> 12) & 63;
            if ((va & 0xfffff003) === wTag[s]) {
              ram32[(wBase[s] | (va & 0xfff)) >>> 2] = regs[rt];
            } else {
              this.#store(va, 4, regs[rt]);
              limit = this.#limit < end ? this.#limit : end;
            }
            break;
          }
          case 0x2e: { // SWR
            const va = (regs[rs] + ((instr << 16) >> 16)) | 0;
            const r = regs[rt];
            const w = this.#loadWordForStore(va);
            let m: number;
            switch (va & 3) {
              case 0:
                m = r;
                break;
              case 1:
                m = (w & 0x000000ff) | (r << 8);
                break;
              case 2:
                m = (w & 0x0000ffff) | (r << 16);
                break;
              default:
                m = (w & 0x00ffffff) | (r << 24);
            }
            this.#store(va & ~3, 4, m);
            limit = this.#limit < end ? this.#limit : end;
            break;
          }
          default:
            this.#reserved();
        }
        regs[0] = 0;
        pc = npc;
        npc = next;
        const was = inDelay;
        inDelay = delay;
        n++;
        // A block boundary: the translator may take over, unless it refused this word before.
        if (
          (was & jit) !== 0 &&
          ((pc & 0xfffff003) !== fTag ||
            (refused[(fBase | (pc & 0xfff)) >>> 7] & (1 << ((pc >>> 2) & 31))) === 0)
        ) {
          break;
        }
      }
    } catch (e) {
      this.#pc = pc;
      this.#npc = npc;
      this.#inDelay = inDelay;
      this.#sliceN = n;
      throw e;
    }
    this.#pc = pc;
    this.#npc = npc;
    this.#inDelay = inDelay;
    return n;
  }

  /**
   * Runs translated code from #pc for as long as it can, with `n` instructions of this `execute`
   * done; returns the new count. Enters only where the fetch cache maps pc to RAM (filled here
   * as the interpreter's next fetch would fill it), and returns when the translator has nothing
   * for pc, when a block does not fit the limit or holds `breakPc`, or with a load pending.
   */
  #jitRun(n: number, breakPc: number): number {
    const jit = this.#jit!;
    for (;;) {
      const pc = this.#pc;
      if ((pc & 0xfffff003) !== this.#fTag && !this.#fetchProbe(pc)) return n;
      const fn = jit.find(pc, this.#fBase, this.jitHotness);
      if (fn === null) return n;
      jit.dirty = false;
      const before = n;
      n = fn(this.#jitHostObject!, jit, jit.entry, n, this.#limit, breakPc);
      if (jit.trap !== 0) {
        jit.trap = 0;
        throw TRAP; // (#pc, #inDelay and #sliceN are the faulting instruction's)
      }
      if (n === before || this.#pendEnd !== 0) return n;
    }
  }

  /**
   * Fills the fetch cache for `pc` as the interpreter's fetch would, when that fetch reads
   * cached RAM; false (nothing changed) for any other case, which the interpreter then meets.
   */
  #fetchProbe(pc: number): boolean {
    if ((pc & 3) !== 0) return false;
    const slot = (pc >>> 12) & 63;
    if (this.#xTag[slot] === (pc & 0xfffff000)) {
      this.#fTag = pc & 0xfffff000;
      this.#fBase = this.#xBase[slot];
      return true;
    }
    const seg = pc >>> 29;
    let pa = -1;
    if (seg >= 4 && (this.cp0[CP0.Status] & SR.KUc) !== 0) return false;
    if (seg === 4) pa = pc & 0x1fffffff;
    else if (seg !== 5) {
      // The TLB as #translate searches it, without raising anything.
      const vpn = pc & TLB.VPN_MASK, asid = this.cp0[CP0.EntryHi] & TLB.ASID_MASK;
      for (let i = 0; i < TLB.ENTRIES; i++) {
        const h = this.tlbHi[i];
        if ((h & TLB.VPN_MASK) !== vpn) continue;
        const l = this.tlbLo[i];
        if ((l & TLB.G) === 0 && (h & TLB.ASID_MASK) !== asid) continue;
        if ((l & TLB.V) !== 0 && (l & TLB.N) === 0) pa = ((l & TLB.PFN_MASK) | (pc & 0xfff)) >>> 0;
        break;
      }
    }
    if (pa < 0 || pa >= this.#bus.ramSize) return false;
    this.#fTag = this.#xTag[slot] = pc & 0xfffff000;
    this.#fBase = this.#xBase[slot] = pa & 0xfffff000;
    return true;
  }

  /** Turns a guest exception from a slow path into `Jit.trap` (returns 0); rethrows others. */
  #jitTrap(e: unknown): number {
    if (e !== TRAP) throw e;
    this.#jit!.trap = 1;
    return 0;
  }

  /** What translated code reaches of this Cpu: its arrays, and its slow paths as closures. */
  #jitHost(): JitHost {
    return {
      cpu: this,
      regs: this.regs,
      ram8: this.#ram8,
      ram16: this.#ram16,
      ram32: this.#ram32,
      rTag: this.#rTag,
      rBase: this.#rBase,
      wTag: this.#wTag,
      wBase: this.#wBase,
      ramSize: this.#bus.ramSize,
      load: (va, bytes) => {
        try {
          return this.#load(va, bytes);
        } catch (e) {
          return this.#jitTrap(e);
        }
      },
      loadWord: (va) => {
        try {
          return this.#loadWord(va);
        } catch (e) {
          return this.#jitTrap(e);
        }
      },
      loadWordForStore: (va) => {
        try {
          return this.#loadWordForStore(va);
        } catch (e) {
          return this.#jitTrap(e);
        }
      },
      store: (va, bytes, value) => {
        try {
          this.#store(va, bytes, value);
        } catch (e) {
          this.#jitTrap(e);
        }
      },
      limit: () => this.#limit,
      loaded: (rt, v, npc, n) => this.#loaded(rt, v, npc, n),
      overflow: () => {
        try {
          this.#fault(EXC.Ov);
        } catch (e) {
          this.#jitTrap(e);
        }
      },
      div: (a, b, signed, n) => {
        this.#divide(a, b, signed);
        this.#hilo[0] = this.cycles + n + TIMING.divide;
      },
      hilo: this.#hilo,
      lower: (k) => {
        this.#limit = this.#limit > k ? this.#limit - k : 0;
      },
      exit: (pc) => {
        this.#pc = pc | 0;
        this.#npc = (pc + 4) | 0;
        this.#inDelay = 0;
      },
      fault: (pc, npc, delay, n) => {
        this.#pc = pc | 0;
        this.#npc = npc | 0;
        this.#inDelay = delay;
        this.#sliceN = n;
      },
      purgeWrites: (pbase) => {
        for (let i = 0; i < TC_SLOTS; i++) {
          if (this.#wBase[i] === pbase) this.#wTag[i] = INVALID;
        }
      },
    };
  }

  /**
   * Completes the load that instruction `n`, whose successor is at `npc`, issued (register rt,
   * value v). When that successor neither reads rt (an LWL/LWR merging into it does not count)
   * nor writes it, nothing can tell the value from a late one, and it lands at once. Otherwise
   * the load stays pending (#pend, #pendValue) and #limit is cut so the loop runs just the
   * successor and stops; the loop then calls #landPending. A pending load before this one (this
   * load is its delay-slot instruction) lands first.
   */
  #loaded(rt: number, v: number, npc: number, n: number): void {
    const w = (npc & 0xfffff003) === this.#fTag
      ? this.#ram32[(this.#fBase | (npc & 0xfff)) >>> 2]
      : this.#peek(npc);
    if (this.#pendEnd === 0) {
      if (rt === 0 || !touches(w, rt)) {
        this.regs[rt] = v;
        return;
      }
      this.#pendLimit = this.#limit;
    } else {
      // This load is the delay-slot instruction of a pending one, which lands now (a load writes
      // nothing at once). The cut limit stays: the loop stops after this instruction either way.
      this.regs[this.#pend] = this.#pendValue;
      if (rt === 0 || !touches(w, rt)) {
        this.regs[rt] = v;
        this.#pend = 0;
        return;
      }
    }
    this.#pend = rt;
    this.#pendValue = v;
    this.#pendKept = directWrite(w) === rt;
    this.#pendEnd = n + 2;
    this.#limit = this.#pendCut = Math.min(this.#pendLimit, n + 2);
  }

  /**
   * Lands the pending load (unless its delay-slot instruction wrote the register itself) and
   * puts back the loop's limit; returns false when something else cut the limit meanwhile (an
   * attention stop, which stands).
   */
  #landPending(): boolean {
    if (this.#pend !== 0 && !this.#pendKept) this.regs[this.#pend] = this.#pendValue;
    this.#pend = this.#pendEnd = 0;
    this.#pendKept = false;
    if (this.#limit !== this.#pendCut) return false;
    this.#limit = this.#pendLimit;
    return true;
  }

  /**
   * Leaves the pending load in the form kept between runs: regs hold the loaded value and
   * #loadOld what the delay-slot instruction will see.
   */
  #park(): void {
    const r = this.#pend;
    this.#loadReg = r;
    this.#loadOld = this.regs[r];
    this.regs[r] = this.#pendValue;
    this.#limit = this.#pendLimit;
    this.#pend = this.#pendEnd = 0;
    this.#pendKept = false;
  }

  /** Takes a parked load back when `execute` starts at `pc`, its delay-slot instruction. */
  #unpark(pc: number): void {
    const r = this.#loadReg, v = this.regs[r];
    this.#loadReg = 0;
    this.regs[r] = this.#loadOld;
    this.#loaded(r, v, pc, -1);
  }

  /**
   * The word at `va` as the next fetch would read it, without side effects, or -1 when that
   * fetch would fault (the load then completes before the exception, so -1 needs no delay).
   */
  #peek(va: number): number {
    if ((va & 3) !== 0) return -1;
    try {
      const pa = this.#translate(va, false, true);
      return pa < this.#bus.ramSize ? this.#ram32[pa >>> 2] : this.#bus.read(pa, 4) | 0;
    } catch (e) {
      if (e === TRAP || e instanceof BusError) return -1;
      throw e;
    }
  }

  /**
   * Charges `k` interlock cycles and takes them off the loop's limit too, which the run loop
   * sized in cycles (to the next device event): a multiply-bound loop would otherwise run far
   * past the clock's tick before the interrupt could be taken.
   */
  #stall(k: number): void {
    this.cycles += k;
    if (this.#pendEnd !== 0) this.#pendLimit = this.#pendLimit > k ? this.#pendLimit - k : 0;
    else this.#limit = this.#limit > k ? this.#limit - k : 0;
  }

  /** Adds `k` executed instructions to the counters and takes them off the loop's limit. */
  #commit(k: number): void {
    this.instructions += k;
    this.cycles += k;
    this.#limit = this.#limit > k ? this.#limit - k : 0;
  }

  /** Reads a word through translation without side effects on the guest; throws TranslationError. */
  readVirtual(vaddr: number, bytes: 1 | 2 | 4 = 4): number {
    const pa = this.#probe(vaddr | 0, false);
    try {
      return this.#bus.read(pa, bytes);
    } catch (e) {
      if (e instanceof BusError) throw new TranslationError(e.message);
      throw e;
    }
  }

  /** Writes through translation without raising guest exceptions; throws TranslationError. */
  writeVirtual(vaddr: number, bytes: 1 | 2 | 4, value: number): void {
    const pa = this.#probe(vaddr | 0, true);
    try {
      this.#bus.write(pa, bytes, value);
    } catch (e) {
      if (e instanceof BusError) throw new TranslationError(e.message);
      throw e;
    }
  }

  /** Translates `vaddr` in the current mode and ASID, or returns -1 (no exception is raised). */
  translate(vaddr: number, write = false): number {
    try {
      return this.#probe(vaddr | 0, write);
    } catch (e) {
      if (e instanceof TranslationError) return -1;
      throw e;
    }
  }

  /** Empties the translation caches; call after changing RAM mappings or TLB state by hand. */
  invalidateCaches(): void {
    this.#flush();
  }

  /** The register view, for console.log and the REPL (machine/cpu_view.ts). */
  [Symbol.for("Deno.customInspect")](): string {
    return cpuView(this);
  }

  // ---- exceptions ------------------------------------------------------------------------------

  /** Records exception `code` (with no address) and unwinds to the exception entry. */
  #fault(code: number): never {
    this.#excCode = code;
    this.#excHasAddr = false;
    this.#excUtlb = false;
    throw TRAP;
  }

  /** Raises RI for the current instruction. */
  #reserved(): never {
    return this.#fault(EXC.RI);
  }

  /** Raises CpU naming coprocessor `unit`. */
  #unusable(unit: number): never {
    this.#excCE = unit;
    return this.#fault(EXC.CpU);
  }

  /** Records an addressing exception at `vaddr` and unwinds. */
  #addressFault(code: number, vaddr: number, utlb: boolean): never {
    this.#excCode = code;
    this.#excBadVAddr = vaddr;
    this.#excHasAddr = true;
    this.#excUtlb = utlb;
    throw TRAP;
  }

  /** Enters the exception recorded by the slow path, for the instruction at this.#pc. */
  #takePending(): void {
    const code = this.#excCode;
    const cp0 = this.cp0;
    if (this.#excHasAddr) {
      const va = this.#excBadVAddr;
      cp0[CP0.BadVAddr] = va;
      if (code === EXC.TLBL || code === EXC.TLBS || code === EXC.Mod) {
        cp0[CP0.Context] = (cp0[CP0.Context] & 0xffe00000) | ((va >>> 10) & 0x001ffffc);
        cp0[CP0.EntryHi] = (va & TLB.VPN_MASK) | (cp0[CP0.EntryHi] & TLB.ASID_MASK);
      }
    }
    if (code === EXC.CpU) {
      cp0[CP0.Cause] = (cp0[CP0.Cause] & ~(3 << CAUSE.CE_SHIFT)) | (this.#excCE << CAUSE.CE_SHIFT);
    }
    this.#enterException(code, this.#excUtlb);
  }

  /** Takes exception `code` at this.#pc: KU/IE push, Cause, EPC, BD, then the vector. */
  #enterException(code: number, utlb: boolean): void {
    this.#loadReg = 0; // a load in the delay slot of this instruction has completed
    const cp0 = this.cp0;
    const sr = cp0[CP0.Status];
    cp0[CP0.Status] = (sr & ~0x3f) | ((sr << 2) & 0x3c);
    let cause = (cp0[CP0.Cause] & ~(CAUSE.BD | 0x7c)) | (code << CAUSE.EXC_SHIFT);
    if (code !== EXC.CpU) cause &= ~(3 << CAUSE.CE_SHIFT);
    if (this.#inDelay !== 0) {
      cp0[CP0.EPC] = (this.#pc - 4) | 0;
      cause |= CAUSE.BD;
    } else {
      cp0[CP0.EPC] = this.#pc;
    }
    cp0[CP0.Cause] = cause;
    const bev = (sr & SR.BEV) !== 0;
    this.pc = utlb
      ? (bev ? VECTOR.BEV_UTLB : VECTOR.UTLB)
      : (bev ? VECTOR.BEV_GENERAL : VECTOR.GENERAL);
    this.cycles += TIMING.exception;
    this.exceptionCounts[code]++;
    if ((sr & SR.KUc) !== 0) this.#flush();
    if (this.onException !== undefined) {
      this.onException(code);
      if (this.#jit !== null) this.#jit.epoch = (this.#jit.epoch + 1) | 0; // it may have written RAM
    }
  }

  // ---- memory ----------------------------------------------------------------------------------

  /** What the translation caches depend on besides the TLB: Status KUc and IsC, the ASID. */
  #cacheKey(): number {
    return (this.cp0[CP0.Status] & (SR.KUc | SR.IsC)) | (this.cp0[CP0.EntryHi] & TLB.ASID_MASK);
  }

  /** Empties the translation caches. */
  #flush(): void {
    this.#cachedFor = this.#cacheKey();
    this.#fTag = INVALID;
    this.#xTag.fill(INVALID);
    this.#rTag.fill(INVALID);
    this.#wTag.fill(INVALID);
  }

  /**
   * Translates `va` for an access by the guest, raising the exception the R3000 would.
   * Returns the physical address; a negative `cacheable` bit is reported through #lastUncached.
   */
  #translate(va: number, write: boolean, fetch: boolean): number {
    const seg = va >>> 29;
    const load = fetch || !write;
    if (seg >= 4) {
      if ((this.cp0[CP0.Status] & SR.KUc) !== 0) {
        this.#addressFault(load ? EXC.AdEL : EXC.AdES, va, false);
      }
      if (seg < 6) {
        this.#lastUncached = seg === 5;
        return va & 0x1fffffff;
      }
    }
    const vpn = va & TLB.VPN_MASK;
    const asid = this.cp0[CP0.EntryHi] & TLB.ASID_MASK;
    const hi = this.tlbHi, lo = this.tlbLo;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      const h = hi[i];
      if ((h & TLB.VPN_MASK) !== vpn) continue;
      const l = lo[i];
      if ((l & TLB.G) === 0 && (h & TLB.ASID_MASK) !== asid) continue;
      if ((l & TLB.V) === 0) this.#addressFault(load ? EXC.TLBL : EXC.TLBS, va, false);
      if (write && (l & TLB.D) === 0) this.#addressFault(EXC.Mod, va, false);
      this.#lastUncached = (l & TLB.N) !== 0;
      return ((l & TLB.PFN_MASK) | (va & 0xfff)) >>> 0;
    }
    return this.#addressFault(load ? EXC.TLBL : EXC.TLBS, va, seg < 4);
  }

  #lastUncached = false;

  /** Translation for debuggers and the PROM: no guest exception, throws TranslationError. */
  #probe(va: number, write: boolean): number {
    try {
      return this.#translate(va, write, false);
    } catch (e) {
      if (e !== TRAP) throw e;
      const code = ["Mod", "TLBL", "TLBS", "AdEL", "AdES"][this.#excCode - 1] ?? this.#excCode;
      throw new TranslationError(
        `Virtual address 0x${(va >>> 0).toString(16).padStart(8, "0")} does not translate ` +
          `(${code}) in the current mode and ASID`,
      );
    }
  }

  /** Fetches the instruction at `pc` the slow way, filling the fetch cache when it can. */
  #fetchSlow(pc: number): number {
    this.#excFetch = true;
    if ((pc & 3) !== 0) this.#addressFault(EXC.AdEL, pc, false);
    const pa = this.#translate(pc, false, true);
    if (pa < this.#bus.ramSize && !this.#lastUncached) {
      this.#fTag = pc & 0xfffff000;
      this.#fBase = pa & 0xfffff000;
      this.#excFetch = false;
      return this.#ram32[pa >>> 2];
    }
    this.cycles += TIMING.uncached;
    try {
      const word = this.#bus.read(pa, 4) | 0;
      this.#excFetch = false;
      return word;
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      return this.#fault(EXC.IBE);
    }
  }

  /** Loads `bytes` at `va` the slow way; returns the zero-extended value (a word as int32). */
  #load(va: number, bytes: 1 | 2 | 4): number {
    if ((va & (bytes - 1)) !== 0) this.#addressFault(EXC.AdEL, va, false);
    const pa = this.#translate(va, false, false);
    if (pa < this.#bus.ramSize && !this.#lastUncached) {
      const s = (va >>> 12) & 63;
      this.#rTag[s] = va & 0xfffff000;
      this.#rBase[s] = pa & 0xfffff000;
      return bytes === 4
        ? this.#ram32[pa >>> 2]
        : bytes === 2
        ? this.#ram16[pa >>> 1]
        : this.#ram8[pa];
    }
    return this.#uncachedRead(pa, bytes);
  }

  /** Reads physical `pa` uncached: RAM through kseg1 or N, or a device; DBE where nobody answers. */
  #uncachedRead(pa: number, bytes: 1 | 2 | 4): number {
    this.cycles += TIMING.uncached;
    if (pa >= this.#bus.ramSize) this.#limit = 0; // a device may have changed its interrupt state
    try {
      const v = this.#bus.read(pa, bytes);
      return bytes === 4 ? v | 0 : v;
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      return this.#fault(EXC.DBE);
    }
  }

  /**
   * Loads the word containing byte address `va` (for LWL/LWR, which never raise an address
   * error); a TLB fault reports `va` itself in BadVAddr, as the R3000 does.
   */
  #loadWord(va: number): number {
    const s = (va >>> 12) & 63;
    if ((va & 0xfffff000) === this.#rTag[s]) {
      return this.#ram32[(this.#rBase[s] | (va & 0xffc)) >>> 2];
    }
    const pa = this.#translate(va, false, false) & ~3;
    if (pa < this.#bus.ramSize && !this.#lastUncached) return this.#ram32[pa >>> 2];
    return this.#uncachedRead(pa, 4);
  }

  /** Reads the word containing `va` as a store would see it (for SWL/SWR): faults as a store. */
  #loadWordForStore(va: number): number {
    const pa = this.#translate(va, true, false) & ~3;
    if (pa < this.#bus.ramSize && !this.#lastUncached) return this.#ram32[pa >>> 2];
    return this.#uncachedRead(pa, 4);
  }

  /** Stores `bytes` of `value` at `va` the slow way, filling the write cache when it can. */
  #store(va: number, bytes: 1 | 2 | 4, value: number): void {
    if ((va & (bytes - 1)) !== 0) this.#addressFault(EXC.AdES, va, false);
    const pa = this.#translate(va, true, false);
    if ((this.cp0[CP0.Status] & SR.IsC) !== 0) return; // isolated cache: memory is not written
    const jit = this.#jit;
    if (jit !== null && pa < this.#bus.ramSize && jit.codePage[pa >>> 12] !== 0) {
      // A page with translated code: never in the write cache, and checked at every store.
      jit.written(pa, bytes);
      if (!this.#lastUncached) {
        if (bytes === 4) this.#ram32[pa >>> 2] = value;
        else if (bytes === 2) this.#ram16[pa >>> 1] = value;
        else this.#ram8[pa] = value;
        return;
      }
    } else if (pa < this.#bus.ramSize && !this.#lastUncached) {
      const s = (va >>> 12) & 63;
      this.#wTag[s] = va & 0xfffff000;
      this.#wBase[s] = pa & 0xfffff000;
      if (bytes === 4) this.#ram32[pa >>> 2] = value;
      else if (bytes === 2) this.#ram16[pa >>> 1] = value;
      else this.#ram8[pa] = value;
      return;
    }
    this.cycles += TIMING.uncached;
    if (pa >= this.#bus.ramSize) this.#limit = 0;
    try {
      this.#bus.write(pa, bytes, value);
    } catch (e) {
      if (!(e instanceof BusError)) throw e;
      this.#fault(EXC.DBE);
    }
  }

  // ---- multiply and TLB ------------------------------------------------------------------------

  /** Sets HI:LO to the 64-bit product of `a` and `b`, signed or unsigned. */
  #multiply(a: number, b: number, signed: boolean): void {
    const au = a >>> 0, bu = b >>> 0;
    const aL = au & 0xffff, aH = au >>> 16, bL = bu & 0xffff, bH = bu >>> 16;
    const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
    const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
    this.lo = (mid << 16) | (ll & 0xffff);
    let hi = hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536);
    if (signed) {
      if (a < 0) hi -= bu;
      if (b < 0) hi -= au;
    }
    this.hi = hi | 0;
  }

  /** Sets LO to the quotient and HI to the remainder of `a` / `b`, signed or unsigned. */
  #divide(a: number, b: number, signed: boolean): void {
    if (signed) {
      if (b === 0) {
        this.lo = a >= 0 ? -1 : 1;
        this.hi = a;
      } else if (a === -0x80000000 && b === -1) {
        this.lo = a;
        this.hi = 0;
      } else {
        this.lo = (a / b) | 0;
        this.hi = (a % b) | 0; // never -0 (JavaScript's -6 % 3)
      }
      return;
    }
    const au = a >>> 0, bu = b >>> 0;
    if (bu === 0) {
      this.lo = -1;
      this.hi = a | 0;
    } else {
      this.lo = (au / bu) | 0;
      this.hi = (au % bu) | 0;
    }
  }

  /** TLBR: loads EntryHi and EntryLo from the entry Index names. */
  #tlbRead(): void {
    const i = (this.cp0[CP0.Index] >>> 8) & 63;
    this.cp0[CP0.EntryHi] = this.tlbHi[i];
    this.cp0[CP0.EntryLo] = this.tlbLo[i];
    this.#flush();
  }

  /** Writes EntryHi/EntryLo into TLB entry `i`. */
  #tlbWrite(i: number): void {
    this.tlbHi[i] = this.cp0[CP0.EntryHi] & TLB.HI_MASK;
    this.tlbLo[i] = this.cp0[CP0.EntryLo] & TLB.LO_MASK;
    this.#flush();
  }

  /** TLBP: finds the entry matching EntryHi; sets Index or its P bit. */
  #tlbProbe(): void {
    const hi = this.cp0[CP0.EntryHi];
    const vpn = hi & TLB.VPN_MASK, asid = hi & TLB.ASID_MASK;
    for (let i = 0; i < TLB.ENTRIES; i++) {
      const h = this.tlbHi[i];
      if ((h & TLB.VPN_MASK) !== vpn) continue;
      if ((this.tlbLo[i] & TLB.G) === 0 && (h & TLB.ASID_MASK) !== asid) continue;
      this.cp0[CP0.Index] = i << 8;
      return;
    }
    this.cp0[CP0.Index] = TLB.P | (this.cp0[CP0.Index] & 0x3f00);
  }
}
