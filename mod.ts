/**
 * exolab for scripts: the lab (a DECstation with Aegis and ExOS, and the bench around it), the
 * machine alone, the assembler, the kernel's and the library's public faces, and emulated-time
 * measurement. A script anywhere can import it by path; it needs no configuration file.
 *
 * ```ts
 * import { Lab, time } from "./mod.ts";
 * const m = new Lab();                       // a DECstation 5000/200 with Aegis booted
 * const e = m.aegis.createEnv("demo");
 * const p = e.sys.allocPage();               // e.sys: the environment's system calls
 * console.log(String(time(m, "null syscall", () => e.sys.null())));
 * m.break({ syscall: "TLBWR" });             // the bench: breakpoints, m.step(), m.stats ...
 * m.exos.exec("/bin/sh", ["sh", "-c", "echo hi | wc -c"]); m.exos.run();   // ExOS processes
 * console.log(m.console.text);
 * ```
 *
 * @module
 */

export * from "./machine/mod.ts";
export { type CpuSnapshot, type HypercallHandler } from "./machine/cpu.ts";
export type { JitStats } from "./machine/jit.ts";
export { cpuView, decodeCause, decodeStatus } from "./machine/cpu_view.ts";
export { type Hypercall, type LoadedProgram, type MachineSnapshot } from "./machine/decstation.ts";
export { Console, type ConsoleOptions, type OutputListener } from "./machine/console.ts";
export { Dz, type DzOptions } from "./machine/dz.ts";
export { Rtc, type RtcOptions } from "./machine/rtc.ts";
export { Csr, type IoInterrupts } from "./machine/csr.ts";
export { Rom } from "./machine/rom.ts";
export { Prom, type PromHost } from "./machine/prom.ts";
export { type ElfImage, type ElfSegment, type ElfSymbol, symbolAt } from "./machine/elf.ts";
export {
  AsmSource,
  type AsmValue,
  type AssembleOptions,
  disassembleRange,
  type Program,
  type SymbolLookup,
} from "./machine/asm/mod.ts";
export { type Column, formatTable, hex } from "./machine/table.ts";

export {
  type BreakTarget,
  type DiedEnvironment,
  type EnvRef,
  Lab,
  type LabExOS,
  type LabOptions,
  RunOutcome,
  type RunReason,
  type WatchOptions,
} from "./shell/lab.ts";
export {
  type BreakCondition,
  Breakpoint,
  Debugger,
  type DebuggerHost,
  type Stop,
  type WatchAccess,
} from "./shell/debugger.ts";
export { type EnvStats, Stats, type StatsReport } from "./shell/stats.ts";
export { type Symbols, type SymbolSources, SymbolTable } from "./shell/symbols.ts";
export { type Access, accessOf, Tracer, type TraceSink } from "./shell/trace.ts";
export { type ExosState, type LabState, Snapshot, type SnapshotSummary } from "./shell/snapshot.ts";
export { ctrlC } from "./shell/interrupt.ts";
export {
  type Compared,
  type CompareOptions,
  Comparison,
  type Counts,
  Measurement,
  time,
  type Timer,
  timer,
} from "./shell/time.ts";
export { less, measure, same } from "./shell/measure.ts";
export {
  type Bar,
  lineChart,
  type LineChartOptions,
  type Series,
  svgLineChart,
  Text,
} from "./shell/plot.ts";

export {
  Aegis,
  AegisError,
  type AegisOptions,
  Environment,
  exceptionCode,
  type ExceptionName,
  Page,
  type PageRef,
  Syscalls,
} from "./aegis/mod.ts";
export { type AegisState, type EnvExit } from "./aegis/kernel.ts";
export { ExitLog, type HostTables, KernelState, type TsEntry } from "./aegis/state.ts";
export { View } from "./aegis/views.ts";
export {
  type Capability,
  type ExceptionInfo,
  SYS,
  SYS_NAMES,
  type SyscallPath,
  type SyscallResult,
  type TsHandler,
} from "./aegis/abi.ts";
export {
  AddressSpace,
  type AddressSpaceOptions,
  type ConsoleFile,
  type End,
  ERRNO,
  ExOS,
  type ExosHost,
  type ExosOptions,
  type ExosRecord,
  type ExosRunResult,
  type FaultSite,
  type FdRecord,
  type ForkStats,
  type Grant,
  type Mapping,
  type MappingRecord,
  type Memory,
  type OpenFile,
  type Outcome,
  type PageTable,
  type PageTableKind,
  Pipe,
  type PipeEnd,
  type PipeRecord,
  Process,
  type ProcessRecord,
  type ProcessState,
  type Routines,
  type Segment,
  type SegmentRecord,
  type SharedRecord,
  SIGNAL,
  SIGNAL_NAMES,
  Signals,
  type SignalsRecord,
  type SpaceRecord,
  UNIX,
} from "./exos/mod.ts";
export { type Classification, type FilterInfo, type NetStats, Network } from "./aegis/network.ts";
export { type Filter, type FilterAtom } from "./aegis/abi.ts";
export { formatFilter, parseFilter } from "./aegis/dpf.ts";
export {
  ArpCache,
  BLOCK,
  type NetConfig,
  type NetProcess,
  NetStack,
  type NetStackStats,
  type Received,
} from "./exos/net/mod.ts";
export {
  NetLab,
  NetMachine,
  type NetMachineOptions,
  ping,
  type PingResult,
  type UnixCall,
} from "./shell/net.ts";
