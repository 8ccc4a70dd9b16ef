/**
 * machine/asm: the MIPS I assembler and disassembler, in GNU as syntax.
 *
 * Guest code that the paper times (Aegis's exception and system-call paths, ExOS's fast paths)
 * is MIPS assembly kept as text and assembled at boot with `assemble` or the `asm` tag; traces
 * and debuggers print instructions with `disassemble`. The two agree: whatever `disassemble`
 * prints assembles back to the same word at the same pc, under `.set noreorder` (option
 * `reorder: false`); like GNU as for MIPS I, the default `.set reorder` appends a nop after each
 * branch and fills the load delay slots that need it, and `.set noreorder` code that reads a
 * register in a load's delay slot, or runs into a CP0 hazard, is refused with an AsmError.
 * `isa.ts` holds the opcode table the CPU and traces may share.
 *
 * ```ts
 * import { asm, disassembleRange } from "./mod.ts";
 * const p = asm`
 *   .set noreorder
 * _start:
 *   li $v0, ${42}
 *   jr $ra
 *   nop`.at(0x80030000);
 * console.log(disassembleRange(p.text, p.origin, p.symbols).join("\n"));
 * ```
 *
 * @module
 */

export { assemble, type AssembleOptions, type Program, programImage } from "./assembler.ts";
export { disassemble, disassembleRange, type SymbolLookup } from "./disassembler.ts";
export { AsmError } from "./error.ts";
export { asm, AsmSource, type AsmValue } from "./template.ts";
export {
  COP0,
  CP0_NAMES,
  decode,
  type Form,
  FUNCT,
  GPR_NAMES,
  INSTRUCTION_BY_NAME,
  type InstructionDef,
  INSTRUCTIONS,
  OPCODE,
  REGIMM,
} from "./isa.ts";
