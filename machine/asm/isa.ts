/**
 * The MIPS I (R3000) instruction set as one table: opcodes, function codes, register names and,
 * for every instruction, how its operands are written and which bits identify it.
 *
 * The assembler encodes from this table, the disassembler decodes with it, and the CPU or a
 * trace may borrow its names. An entry's `mask` covers the opcode, the function selector and
 * every field that must be zero; `match` is the value those bits must hold. A word that no entry
 * matches is not a MIPS I instruction (it may still be one of another coprocessor), and the
 * disassembler writes it as `.word`. `hcall` is this machine's hypercall: SPECIAL with function
 * 0x28, a code in bits 25:6 like `syscall`, accepted by the CPU only in kernel mode.
 *
 * @module
 */

/** Primary opcodes, bits 31:26. */
export const OPCODE = {
  SPECIAL: 0x00,
  REGIMM: 0x01,
  J: 0x02,
  JAL: 0x03,
  BEQ: 0x04,
  BNE: 0x05,
  BLEZ: 0x06,
  BGTZ: 0x07,
  ADDI: 0x08,
  ADDIU: 0x09,
  SLTI: 0x0a,
  SLTIU: 0x0b,
  ANDI: 0x0c,
  ORI: 0x0d,
  XORI: 0x0e,
  LUI: 0x0f,
  COP0: 0x10,
  LB: 0x20,
  LH: 0x21,
  LWL: 0x22,
  LW: 0x23,
  LBU: 0x24,
  LHU: 0x25,
  LWR: 0x26,
  SB: 0x28,
  SH: 0x29,
  SWL: 0x2a,
  SW: 0x2b,
  SWR: 0x2e,
} as const;

/** SPECIAL function codes, bits 5:0 when the opcode is 0. */
export const FUNCT = {
  SLL: 0x00,
  SRL: 0x02,
  SRA: 0x03,
  SLLV: 0x04,
  SRLV: 0x06,
  SRAV: 0x07,
  JR: 0x08,
  JALR: 0x09,
  SYSCALL: 0x0c,
  BREAK: 0x0d,
  MFHI: 0x10,
  MTHI: 0x11,
  MFLO: 0x12,
  MTLO: 0x13,
  MULT: 0x18,
  MULTU: 0x19,
  DIV: 0x1a,
  DIVU: 0x1b,
  ADD: 0x20,
  ADDU: 0x21,
  SUB: 0x22,
  SUBU: 0x23,
  AND: 0x24,
  OR: 0x25,
  XOR: 0x26,
  NOR: 0x27,
  HCALL: 0x28,
  SLT: 0x2a,
  SLTU: 0x2b,
} as const;

/** REGIMM selectors, bits 20:16 when the opcode is 1. */
export const REGIMM = { BLTZ: 0x00, BGEZ: 0x01, BLTZAL: 0x10, BGEZAL: 0x11 } as const;

/** COP0 selectors: bits 25:21 (MF, MT; CO is bit 25 set) and, under CO, bits 5:0. */
export const COP0 = {
  MF: 0x00,
  MT: 0x04,
  CO: 0x10,
  TLBR: 0x01,
  TLBWI: 0x02,
  TLBWR: 0x06,
  TLBP: 0x08,
  RFE: 0x10,
} as const;

/** General register names by number, as the disassembler writes them (without `$`). */
export const GPR_NAMES: readonly string[] = [
  "zero",
  "at",
  "v0",
  "v1",
  "a0",
  "a1",
  "a2",
  "a3",
  "t0",
  "t1",
  "t2",
  "t3",
  "t4",
  "t5",
  "t6",
  "t7",
  "s0",
  "s1",
  "s2",
  "s3",
  "s4",
  "s5",
  "s6",
  "s7",
  "t8",
  "t9",
  "k0",
  "k1",
  "gp",
  "sp",
  "fp",
  "ra",
];

/** Names of the R3000 CP0 registers by number; unnamed numbers are written `$n`. */
export const CP0_NAMES: Readonly<Record<number, string>> = {
  0: "index",
  1: "random",
  2: "entrylo",
  4: "context",
  8: "badvaddr",
  10: "entryhi",
  12: "status",
  13: "cause",
  14: "epc",
  15: "prid",
};

/**
 * How an instruction's operands are written; the letters name the fields they fill.
 * `off` is a branch target, `mem` is `offset(base)`, `c0` a CP0 register, `code20` the 20-bit
 * code of syscall/hcall and `code10,10` the two 10-bit codes of break.
 */
export type Form =
  | "rd,rs,rt"
  | "rd,rt,sa"
  | "rd,rt,rs"
  | "rs"
  | "rd"
  | "rs,rt"
  | "rd,rs"
  | "code20"
  | "code10,10"
  | "rs,rt,off"
  | "rs,off"
  | "rt,rs,simm"
  | "rt,rs,uimm"
  | "rt,uimm"
  | "rt,mem"
  | "target"
  | "rt,c0"
  | "none";

/** One MIPS I instruction: its mnemonic, operand form and identifying bits. */
export interface InstructionDef {
  /** Lower-case mnemonic. */
  readonly name: string;
  /** How the operands are written. */
  readonly form: Form;
  /** Value of the identifying bits (opcode, selector and must-be-zero fields). */
  readonly match: number;
  /** Which bits identify the instruction. */
  readonly mask: number;
  /** True for branches and jumps, which have a delay slot. */
  readonly delay: boolean;
}

const OP = 0xfc000000, RS = 0x03e00000, RT = 0x001f0000, RD = 0x0000f800, SA = 0x7c0, FN = 0x3f;

/** Fields that must be zero in each SPECIAL form. */
const SPECIAL_ZERO: Partial<Record<Form, number>> = {
  "rd,rs,rt": SA,
  "rd,rt,sa": RS,
  "rd,rt,rs": SA,
  "rs": RT | RD | SA,
  "rd": RS | RT | SA,
  "rs,rt": RD | SA,
  "rd,rs": RT | SA,
  "code20": 0,
  "code10,10": 0,
};

function def(name: string, form: Form, match: number, mask: number): InstructionDef {
  const delay = form === "rs,rt,off" || form === "rs,off" || form === "target" ||
    name === "jr" || name === "jalr";
  return { name, form, match: match >>> 0, mask: mask >>> 0, delay };
}

function special(name: string, funct: number, form: Form): InstructionDef {
  return def(name, form, funct, OP | FN | (SPECIAL_ZERO[form] ?? 0));
}

function itype(name: string, op: number, form: Form, zero = 0): InstructionDef {
  return def(name, form, op << 26, OP | zero);
}

function cop0(name: string, funct: number): InstructionDef {
  return def(name, "none", OPCODE.COP0 << 26 | 1 << 25 | funct, 0xffffffff);
}

/** Every MIPS I integer instruction plus `hcall`, in opcode order. */
export const INSTRUCTIONS: readonly InstructionDef[] = [
  special("sll", FUNCT.SLL, "rd,rt,sa"),
  special("srl", FUNCT.SRL, "rd,rt,sa"),
  special("sra", FUNCT.SRA, "rd,rt,sa"),
  special("sllv", FUNCT.SLLV, "rd,rt,rs"),
  special("srlv", FUNCT.SRLV, "rd,rt,rs"),
  special("srav", FUNCT.SRAV, "rd,rt,rs"),
  special("jr", FUNCT.JR, "rs"),
  special("jalr", FUNCT.JALR, "rd,rs"),
  special("syscall", FUNCT.SYSCALL, "code20"),
  special("break", FUNCT.BREAK, "code10,10"),
  special("mfhi", FUNCT.MFHI, "rd"),
  special("mthi", FUNCT.MTHI, "rs"),
  special("mflo", FUNCT.MFLO, "rd"),
  special("mtlo", FUNCT.MTLO, "rs"),
  special("mult", FUNCT.MULT, "rs,rt"),
  special("multu", FUNCT.MULTU, "rs,rt"),
  special("div", FUNCT.DIV, "rs,rt"),
  special("divu", FUNCT.DIVU, "rs,rt"),
  special("add", FUNCT.ADD, "rd,rs,rt"),
  special("addu", FUNCT.ADDU, "rd,rs,rt"),
  special("sub", FUNCT.SUB, "rd,rs,rt"),
  special("subu", FUNCT.SUBU, "rd,rs,rt"),
  special("and", FUNCT.AND, "rd,rs,rt"),
  special("or", FUNCT.OR, "rd,rs,rt"),
  special("xor", FUNCT.XOR, "rd,rs,rt"),
  special("nor", FUNCT.NOR, "rd,rs,rt"),
  special("hcall", FUNCT.HCALL, "code20"),
  special("slt", FUNCT.SLT, "rd,rs,rt"),
  special("sltu", FUNCT.SLTU, "rd,rs,rt"),
  def("bltz", "rs,off", OPCODE.REGIMM << 26 | REGIMM.BLTZ << 16, OP | RT),
  def("bgez", "rs,off", OPCODE.REGIMM << 26 | REGIMM.BGEZ << 16, OP | RT),
  def("bltzal", "rs,off", OPCODE.REGIMM << 26 | REGIMM.BLTZAL << 16, OP | RT),
  def("bgezal", "rs,off", OPCODE.REGIMM << 26 | REGIMM.BGEZAL << 16, OP | RT),
  itype("j", OPCODE.J, "target"),
  itype("jal", OPCODE.JAL, "target"),
  itype("beq", OPCODE.BEQ, "rs,rt,off"),
  itype("bne", OPCODE.BNE, "rs,rt,off"),
  itype("blez", OPCODE.BLEZ, "rs,off", RT),
  itype("bgtz", OPCODE.BGTZ, "rs,off", RT),
  itype("addi", OPCODE.ADDI, "rt,rs,simm"),
  itype("addiu", OPCODE.ADDIU, "rt,rs,simm"),
  itype("slti", OPCODE.SLTI, "rt,rs,simm"),
  itype("sltiu", OPCODE.SLTIU, "rt,rs,simm"),
  itype("andi", OPCODE.ANDI, "rt,rs,uimm"),
  itype("ori", OPCODE.ORI, "rt,rs,uimm"),
  itype("xori", OPCODE.XORI, "rt,rs,uimm"),
  itype("lui", OPCODE.LUI, "rt,uimm", RS),
  def("mfc0", "rt,c0", OPCODE.COP0 << 26 | COP0.MF << 21, OP | RS | 0x7ff),
  def("mtc0", "rt,c0", OPCODE.COP0 << 26 | COP0.MT << 21, OP | RS | 0x7ff),
  cop0("tlbr", COP0.TLBR),
  cop0("tlbwi", COP0.TLBWI),
  cop0("tlbwr", COP0.TLBWR),
  cop0("tlbp", COP0.TLBP),
  cop0("rfe", COP0.RFE),
  itype("lb", OPCODE.LB, "rt,mem"),
  itype("lh", OPCODE.LH, "rt,mem"),
  itype("lwl", OPCODE.LWL, "rt,mem"),
  itype("lw", OPCODE.LW, "rt,mem"),
  itype("lbu", OPCODE.LBU, "rt,mem"),
  itype("lhu", OPCODE.LHU, "rt,mem"),
  itype("lwr", OPCODE.LWR, "rt,mem"),
  itype("sb", OPCODE.SB, "rt,mem"),
  itype("sh", OPCODE.SH, "rt,mem"),
  itype("swl", OPCODE.SWL, "rt,mem"),
  itype("sw", OPCODE.SW, "rt,mem"),
  itype("swr", OPCODE.SWR, "rt,mem"),
];

/** Instruction definitions by mnemonic. */
export const INSTRUCTION_BY_NAME: ReadonlyMap<string, InstructionDef> = new Map(
  INSTRUCTIONS.map((d) => [d.name, d]),
);

/** Candidates by primary opcode; SPECIAL (opcode 0) by function code instead. */
const BY_OPCODE: InstructionDef[][] = Array.from({ length: 64 }, () => []);
const BY_FUNCT: InstructionDef[][] = Array.from({ length: 64 }, () => []);
for (const d of INSTRUCTIONS) {
  const op = d.match >>> 26;
  (op === 0 ? BY_FUNCT[d.match & FN] : BY_OPCODE[op]).push(d);
}

/** Finds the instruction a word encodes; returns undefined for a word that is not MIPS I. */
export function decode(word: number): InstructionDef | undefined {
  const op = word >>> 26;
  const list = op === 0 ? BY_FUNCT[word & FN] : BY_OPCODE[op];
  for (const d of list) if (((word & d.mask) >>> 0) === d.match) return d;
  return undefined;
}
