/**
 * The DECstation 5000/200, public face: the machine, its CPU and devices, the network (the
 * LANCE, wires, pcap capture and the host gateway), the assembler, the ELF reader and the timing
 * model. Nothing here knows of Aegis or ExOS.
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
export { Cpu, type Engine, type StopReason, TranslationError } from "./cpu.ts";
export { DEFAULT_ENGINE, defaultEngine, ENGINES, envJitHotness, parseEngine } from "./engine.ts";
export { CAUSE, CP0, EXC, EXC_NAMES, SR, TLB, VECTOR } from "./cp0.ts";
export { Bus, BusError, type Device, EventQueue, type Interrupts } from "./bus.ts";
export { CSR_BASE, KN02_SLOT } from "./csr.ts";
export {
  esarBytes,
  Lance,
  LANCE_BASE,
  LANCE_CSR0,
  LANCE_CSR3,
  LANCE_ESAR_BYTES,
  LANCE_MODE,
  LANCE_REG,
  LANCE_RMD1,
  LANCE_SLOT_SIZE,
  LANCE_SRAM_SIZE,
  LANCE_TIMING,
  LANCE_TMD1,
  LANCE_TMD3,
  type LanceStats,
} from "./lance.ts";
export {
  BROADCAST,
  BYTE_CYCLES,
  fcs,
  fcsOk,
  formatMac,
  HEADER_BYTES,
  IFG_CYCLES,
  ladrfBit,
  MAX_FRAME,
  MIN_FRAME,
  parseMac,
  wireCycles,
  withFcs,
} from "./ethernet.ts";
export {
  Wire,
  type WireEvent,
  type WireNode,
  type WireOptions,
  type WireRunEnd,
  type WireRunLimits,
  type WireRunResult,
  type WireStats,
} from "./wire.ts";
export { Pcap } from "./pcap.ts";
export {
  Gateway,
  GATEWAY_IP,
  GATEWAY_MAC,
  type GatewayOptions,
  type GatewayStats,
  GUEST_IP,
  internetChecksum,
} from "./gateway.ts";
export { CLOCK_HZ, CYCLES_PER_US, cyclesToUs, TIMING } from "./timing.ts";
export { ElfError, parseElf } from "./elf.ts";
export { writeElf } from "./elf_writer.ts";
export { asm, AsmError, assemble, disassemble } from "./asm/mod.ts";
