/**
 * ExOS, the library operating system: public face for scripts, tests and the layers above.
 *
 * So far: application-level virtual memory. An AddressSpace owns a page table (linear or
 * clustered) in the process's memory, handles the process's TLB misses and write faults in guest
 * code, and offers sbrk, mmap, shared pages and the prot/unprot/dirty primitives, from TypeScript
 * and from guest code.
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

export { DATA, EXC_CODE, FAULT, LIB, PAGE_SHIFT, PAGE_SIZE, USER } from "./layout.ts";
export {
  lowAddress,
  type Mapping,
  type Memory,
  packEntry,
  type PageTable,
  type PageTableKind,
  PTE,
  unpackEntry,
} from "./page_table.ts";
export { LinearPageTable } from "./pt_linear.ts";
export { BUCKETS, CLUSTER, ClusteredPageTable } from "./pt_clustered.ts";
export { FRAME, vmSource } from "./vm_asm.ts";
export {
  AddressSpace,
  type AddressSpaceOptions,
  bindsWritable,
  type Grant,
  type Routines,
} from "./vm.ts";
