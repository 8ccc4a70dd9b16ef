/**
 * The DECstation 5000/200, public face: the machine, its CPU and devices, the assembler, the ELF
 * reader and the timing model. Nothing here knows of Aegis or ExOS.
 *
 * @module
 */

export {
  DECstation,
  type DECstationOptions,
  type RunEnd,
  type RunLimits,
  type RunResult,
} from "./decstation.ts";
export { Cpu, type StopReason, TranslationError } from "./cpu.ts";
export { CAUSE, CP0, EXC, EXC_NAMES, SR, TLB, VECTOR } from "./cp0.ts";
export { Bus, BusError, type Device, EventQueue, type Interrupts } from "./bus.ts";
export { CLOCK_HZ, CYCLES_PER_US, cyclesToUs, TIMING } from "./timing.ts";
export { ElfError, parseElf } from "./elf.ts";
export { asm, AsmError, assemble, disassemble } from "./asm/mod.ts";
