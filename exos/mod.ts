/**
 * ExOS, the library operating system: public face for scripts, tests and the layers above.
 *
 * Application-level virtual memory: an AddressSpace owns a page table (linear, clustered or
 * inverted) in the process's memory, handles the process's TLB misses and write faults in guest
 * code, and offers sbrk, mmap, shared pages and the prot/unprot/dirty primitives, from TypeScript
 * and guest code.
 * Processes: ExOS runs ELF programs as processes (exec, fork with copy-on-write, exit, wait) and
 * answers their UNIX calls (unix.ts); a Lab offers one as `m.exos`. IPC at application level:
 * pipes (pipe.ts), shared memory (shm.ts), signals (signal.ts), LRPC and trusted LRPC (lrpc.ts);
 * and a stride scheduler as a library policy (stride.ts).
 *
 * ```ts
 * // m: a Lab (shell/lab.ts), the DECstation with Aegis booted
 * const e = m.aegis.createEnv("demo");
 * const vm = new AddressSpace(e, { structure: "clustered" });
 * const heap = vm.sbrk(8192);
 * vm.write32(heap, 42);
 * ```
 *
 * @module
 */

export { DATA, FAULT, LIB, PAGE_SHIFT, PAGE_SIZE, USER } from "./layout.ts";
export {
  lowAddress,
  type Mapping,
  type Memory,
  packEntry,
  PAGE_TABLE_KINDS,
  type PageTable,
  type PageTableKind,
  PTE,
  SOFT,
  unpackEntry,
} from "./page_table.ts";
export { LinearPageTable } from "./pt_linear.ts";
export { BUCKETS, CLUSTER, ClusteredPageTable } from "./pt_clustered.ts";
export { anchorOf, ANCHORS, InvertedPageTable } from "./pt_inverted.ts";
export { FRAME, LIB_TRAP, vmSource } from "./vm_asm.ts";
export {
  AddressSpace,
  type AddressSpaceOptions,
  bindsWritable,
  type Grant,
  type MappingRecord,
  newPageTable,
  readBytes,
  type Routines,
  type Segment,
  type SpaceRecord,
  writeBytes,
} from "./vm.ts";
export { ExOS } from "./exos.ts";
export {
  type End,
  type ExosHost,
  type ExosOptions,
  type ExosRunResult,
  type FaultSite,
  type ForkStats,
  type Outcome,
  Process,
  type ProcessState,
  processTable,
} from "./process.ts";
export { ERRNO, NOFILE, UNIX, UNIX_TRAP } from "./unix.ts";
export {
  EXC_SIGNAL,
  NSIG,
  SIG_DFL,
  SIG_IGN,
  SIGFRAME,
  SIGNAL,
  SIGNAL_NAMES,
  Signals,
} from "./signal.ts";
export { type ConsoleFile, type OpenFile, Pipe, type PipeEnd } from "./fd.ts";
export {
  connectRing,
  initRing,
  pipeReadWord,
  pipeWriteWord,
  RING,
  ringRead,
  ringWaiting,
  ringWrite,
} from "./pipe.ts";
export { SHM } from "./shm.ts";
export { checkRecord } from "./snapshot.ts";
export type {
  ExosRecord,
  FdRecord,
  PipeRecord,
  ProcessRecord,
  SegmentRecord,
  SharedRecord,
  SignalsRecord,
} from "./snapshot.ts";
export { client as lrpcClient, LRPC, serve as lrpcServe } from "./lrpc.ts";
