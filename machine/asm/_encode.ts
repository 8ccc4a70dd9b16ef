/**
 * Instruction encoding: turns one parsed instruction statement into machine words, expanding
 * the pseudo-instructions GNU as users expect (li, la, move, not, neg, b, bal, beqz, bnez, blt and
 * friends, ALU operations with an immediate, loads and stores whose offset is not a 16-bit
 * constant, j/jal through a register). Expansions match GNU as word for word; those that need a
 * scratch register use $at, and fail under `.set noat` rather than clobber it.
 *
 * The assembler asks twice: `size` during layout, when labels have no address yet, and `encode`
 * once every symbol is known. The two agree because `size` decides from registers and constant
 * expressions only, and `encode` follows the size it was given. Branch targets are absolute
 * addresses (a label or a number), so the disassembler's output assembles back at the same pc.
 *
 * @module
 */

import { AsmError } from "./error.ts";
import { CP0_NAMES, GPR_NAMES, INSTRUCTION_BY_NAME, type InstructionDef } from "./isa.ts";
import type { Expr, Operand, Statement } from "./_parser.ts";

/** How the encoder evaluates expressions; supplied by the assembler. */
export interface Evaluator {
  /** Value of `e`; throws AsmError for an undefined symbol. */
  value(e: Expr, st: Statement): number;
  /** Value of `e` if it is a constant now (no labels), else undefined. */
  constant(e: Expr, st: Statement): number | undefined;
}

const GPR = new Map<string, number>();
const CP0 = new Map<string, number>();
for (let i = 0; i < 32; i++) {
  GPR.set("$" + i, i).set("$" + GPR_NAMES[i], i);
  CP0.set("$" + i, i);
}
GPR.set("$s8", 30);
for (const [n, name] of Object.entries(CP0_NAMES)) CP0.set("$" + name, Number(n));

const AT = 1;
const BRANCH_MACROS = new Set([
  "b",
  "bal",
  "beqz",
  "bnez",
  "blt",
  "bgt",
  "ble",
  "bge",
  "bltu",
  "bgtu",
  "bleu",
  "bgeu",
]);
const PSEUDO = new Set([...BRANCH_MACROS, "nop", "move", "not", "neg", "negu", "li", "la"]);
/** ALU operations written with an immediate last operand, and the instruction they become. */
const WITH_IMMEDIATE: Record<string, string> = {
  add: "addi",
  addu: "addiu",
  sub: "addi",
  subu: "addiu",
  and: "andi",
  or: "ori",
  xor: "xori",
  slt: "slti",
  sltu: "sltiu",
};
/** blt and friends: the set-on-less-than they use, whether operands swap, the branch taken. */
const COMPARE: Record<string, { slt: string; swap: boolean; br: string; zero: string }> = {
  blt: { slt: "slt", swap: false, br: "bne", zero: "bltz" },
  bgt: { slt: "slt", swap: true, br: "bne", zero: "bgtz" },
  ble: { slt: "slt", swap: true, br: "beq", zero: "blez" },
  bge: { slt: "slt", swap: false, br: "beq", zero: "bgez" },
  bltu: { slt: "sltu", swap: false, br: "bne", zero: "" },
  bgtu: { slt: "sltu", swap: true, br: "bne", zero: "" },
  bleu: { slt: "sltu", swap: true, br: "beq", zero: "" },
  bgeu: { slt: "sltu", swap: false, br: "beq", zero: "" },
};
const MEM_OPS = new Set([
  "lb",
  "lbu",
  "lh",
  "lhu",
  "lw",
  "lwl",
  "lwr",
  "sb",
  "sh",
  "sw",
  "swl",
  "swr",
]);
/** Loads that replace their whole target register, which can then hold the address. */
const LOADS = new Set(["lb", "lbu", "lh", "lhu", "lw"]);

/** True if `op` names an instruction or pseudo-instruction this encoder knows. */
export function isInstruction(op: string): boolean {
  return PSEUDO.has(op) || INSTRUCTION_BY_NAME.has(op);
}

/** True if the statement ends in a branch or jump, so `.set reorder` appends a nop after it. */
export function hasDelaySlot(st: Statement): boolean {
  return BRANCH_MACROS.has(st.op) || (INSTRUCTION_BY_NAME.get(st.op)?.delay ?? false);
}

/** Number of words `st` needs (without a reorder nop); throws AsmError for a bad operand list. */
export function size(st: Statement, ev: Evaluator): number {
  const a = st.args;
  if (st.op === "la") return 2;
  if (st.op === "li") {
    const v = a.length === 2 && a[1].kind === "expr" ? ev.constant(a[1].expr, st) : undefined;
    if (v === undefined) return 2;
    return fitsSigned(v | 0) || (v >= 0 && v <= 0xffff) || (v & 0xffff) === 0 ? 1 : 2;
  }
  if (st.op in COMPARE) {
    const zero = COMPARE[st.op].zero !== "" && a.length === 3 && a[1].kind === "reg" &&
      GPR.get(a[1].name) === 0;
    return zero ? 1 : 2;
  }
  const o = a[1];
  if (MEM_OPS.has(st.op) && a.length === 2 && (o.kind === "expr" || o.kind === "mem")) {
    // An offset that is not a 16-bit constant goes through $at: lui, [addu base,] access.
    const e = o.kind === "expr" ? o.expr : o.offset;
    if (!e || isReloc(e)) return 1;
    const v = ev.constant(e, st);
    if (v !== undefined && fitsSigned(v)) return 1;
    return o.kind === "mem" && GPR.get(o.base) !== 0 ? 3 : 2;
  }
  return 1;
}

/**
 * Encodes `st` at address `pc` into exactly `words` words (as `size` said); `noat` forbids
 * expansions through $at. Throws AsmError for a bad operand or a value out of range.
 */
export function encode(
  st: Statement,
  pc: number,
  words: number,
  ev: Evaluator,
  noat: boolean,
): number[] {
  const a = st.args;
  const fail = (reason: string, col: number): never => {
    throw new AsmError(reason, st.line, col, st.text);
  };
  const useAt = () => {
    if (noat) fail(`${st.op} here expands through $at, which .set noat reserves`, st.opCol);
    return AT;
  };
  const count = (...allowed: number[]) => {
    if (!allowed.includes(a.length)) {
      fail(`${st.op} takes ${allowed.join(" or ")} operands, got ${a.length}`, st.opCol);
    }
  };
  const reg = (o: Operand): number => {
    if (o.kind !== "reg") return fail(`expected a register, found ${o.text}`, o.col);
    return GPR.get(o.name) ?? fail(`unknown register ${o.name}`, o.col);
  };
  const cp0 = (o: Operand): number => {
    if (o.kind !== "reg") return fail(`expected a CP0 register, found ${o.text}`, o.col);
    return CP0.get(o.name) ?? fail(`unknown CP0 register ${o.name}`, o.col);
  };
  const expr = (o: Operand): Expr =>
    o.kind === "expr" ? o.expr : fail(`expected a number or label, found ${o.text}`, o.col);
  const number = (o: Operand, lo: number, hi: number, what: string): number => {
    const v = ev.value(expr(o), st);
    if (v < lo || v > hi) fail(`${what} ${v} out of range ${lo}..${hi}`, o.col);
    return v;
  };
  /** A 16-bit immediate; %hi/%lo results fit any 16-bit field. */
  const imm16 = (e: Expr, col: number, signed: boolean): number => {
    const v = ev.value(e, st);
    if (!isReloc(e)) {
      const [lo, hi] = signed ? [-0x8000, 0x7fff] : [0, 0xffff];
      if (v < lo || v > hi) {
        fail(`immediate ${v} out of range ${lo}..${hi}; use li into a register`, col);
      }
    }
    return v & 0xffff;
  };
  const word32 = (o: Operand): number => number(o, -0x80000000, 0xffffffff, "value") >>> 0;
  const target = (o: Operand): number => {
    const t = ev.value(expr(o), st);
    if (t < -0x80000000 || t > 0xffffffff) fail(`target ${t} is not a 32-bit address`, o.col);
    if (t & 3) fail(`target ${hex(t)} is not word aligned`, o.col);
    return t >>> 0;
  };
  const branch = (o: Operand, at: number): number => {
    const t = target(o);
    const off = ((t - at - 4) | 0) >> 2;
    if (off < -0x8000 || off > 0x7fff) {
      fail(
        `branch target ${hex(t)} is ${off} words from ${hex(at + 4)}, beyond -32768..32767; use j`,
        o.col,
      );
    }
    return off & 0xffff;
  };
  const r = (funct: number, rd: number, rs: number, rt: number, sa = 0) =>
    (rs << 21 | rt << 16 | rd << 11 | sa << 6 | funct) >>> 0;
  const i = (name: string, rs: number, rt: number, imm: number) =>
    (INSTRUCTION_BY_NAME.get(name)!.match | rs << 21 | rt << 16 | (imm & 0xffff)) >>> 0;
  const fn = (name: string) => INSTRUCTION_BY_NAME.get(name)!.match;

  /** Encodes a real instruction from its definition and operands. */
  const real = (d: InstructionDef, a: Operand[], pc: number): number => {
    const m = d.match;
    switch (d.form) {
      case "rd,rs,rt": // two operands: rd doubles as rs
        count(2, 3);
        return r(m, reg(a[0]), reg(a[a.length - 2]), reg(a[a.length - 1]));
      case "rd,rt,sa":
        count(2, 3);
        return r(m, reg(a[0]), 0, reg(a[a.length - 2]), number(a[a.length - 1], 0, 31, "shift"));
      case "rd,rt,rs":
        count(2, 3);
        return r(m, reg(a[0]), reg(a[a.length - 1]), reg(a[a.length - 2]));
      case "rs":
        count(1);
        return r(m, 0, reg(a[0]), 0);
      case "rd":
        count(1);
        return r(m, reg(a[0]), 0, 0);
      case "rs,rt":
        count(2, 3);
        if (a.length === 3 && reg(a[0]) !== 0) {
          fail(
            `${d.name} with a destination is a macro; write ${d.name} $rs, $rt then mflo`,
            a[0].col,
          );
        }
        return r(m, 0, reg(a[a.length - 2]), reg(a[a.length - 1]));
      case "rd,rs":
        count(1, 2);
        return r(m, a.length === 2 ? reg(a[0]) : 31, reg(a[a.length - 1]), 0);
      case "code20":
        count(0, 1);
        return (m | (a.length ? number(a[0], 0, 0xfffff, "code") << 6 : 0)) >>> 0;
      case "code10,10":
        count(0, 1, 2);
        return (m | (a.length > 0 ? number(a[0], 0, 1023, "code") << 16 : 0) |
          (a.length > 1 ? number(a[1], 0, 1023, "code") << 6 : 0)) >>> 0;
      case "rs,rt,off":
        count(3);
        return (m | reg(a[0]) << 21 | reg(a[1]) << 16 | branch(a[2], pc)) >>> 0;
      case "rs,off":
        count(2);
        return (m | reg(a[0]) << 21 | branch(a[1], pc)) >>> 0;
      case "rt,rs,simm":
      case "rt,rs,uimm": {
        count(2, 3);
        const last = a[a.length - 1];
        const v = imm16(expr(last), last.col, d.form === "rt,rs,simm");
        return (m | reg(a[a.length - 2]) << 21 | reg(a[0]) << 16 | v) >>> 0;
      }
      case "rt,uimm":
        count(2);
        return (m | reg(a[0]) << 16 | imm16(expr(a[1]), a[1].col, false)) >>> 0;
      case "rt,mem": {
        count(2);
        const o = a[1];
        if (o.kind !== "mem") {
          return fail(`expected an address offset(base), found ${o.text}`, o.col);
        }
        const base = GPR.get(o.base) ?? fail(`unknown register ${o.base}`, o.baseCol);
        const off = o.offset ? imm16(o.offset, o.col, true) : 0;
        return (m | base << 21 | reg(a[0]) << 16 | off) >>> 0;
      }
      case "target": {
        count(1);
        const t = target(a[0]);
        if (((t ^ (pc + 4)) & 0xf0000000) !== 0) {
          fail(`jump target ${hex(t)} is outside the 256 MB region of ${hex(pc + 4)}`, a[0].col);
        }
        return (m | (t >>> 2 & 0x3ffffff)) >>> 0;
      }
      case "rt,c0":
        count(2);
        return (m | reg(a[0]) << 16 | cp0(a[1]) << 11) >>> 0;
      case "none":
        count(0);
        return m;
    }
  };

  const out: number[] = [];
  const op = st.op;
  switch (op) {
    case "nop":
      count(0);
      out.push(0);
      break;
    case "move":
      count(2);
      out.push(r(fn("or"), reg(a[0]), reg(a[1]), 0));
      break;
    case "not":
      count(1, 2);
      out.push(r(fn("nor"), reg(a[0]), reg(a[a.length - 1]), 0));
      break;
    case "neg":
    case "negu":
      count(1, 2);
      out.push(r(fn(op === "neg" ? "sub" : "subu"), reg(a[0]), 0, reg(a[a.length - 1])));
      break;
    case "li": {
      count(2);
      const rt = reg(a[0]);
      const v = word32(a[1]);
      const signed = v | 0;
      if (words === 2) out.push(i("lui", 0, rt, v >>> 16), i("ori", rt, rt, v));
      else if (fitsSigned(signed)) out.push(i("addiu", 0, rt, signed));
      else if (v <= 0xffff) out.push(i("ori", 0, rt, v));
      else out.push(i("lui", 0, rt, v >>> 16));
      break;
    }
    case "la": {
      count(2);
      const rt = reg(a[0]);
      const v = word32(a[1]);
      out.push(i("lui", 0, rt, (v + 0x8000) >>> 16), i("addiu", rt, rt, v));
      break;
    }
    case "b":
      count(1);
      out.push(i("beq", 0, 0, branch(a[0], pc)));
      break;
    case "bal":
      count(1);
      out.push(i("bgezal", 0, 0, branch(a[0], pc)));
      break;
    case "beqz":
    case "bnez":
      count(2);
      out.push(i(op === "beqz" ? "beq" : "bne", reg(a[0]), 0, branch(a[1], pc)));
      break;
    default: {
      const c = COMPARE[op];
      if (c) {
        count(3);
        const rs = reg(a[0]);
        if (words === 1) {
          out.push(i(c.zero, rs, 0, branch(a[2], pc)));
        } else if (a[1].kind === "reg") {
          const rt = reg(a[1]);
          out.push(r(fn(c.slt), useAt(), c.swap ? rt : rs, c.swap ? rs : rt));
          out.push(i(c.br, AT, 0, branch(a[2], pc + 4)));
        } else {
          // rs < imm, or for the swapped forms rs <= imm as rs < imm + 1.
          const v = ev.value(expr(a[1]), st) + (c.swap ? 1 : 0);
          out.push(
            i(
              c.slt === "slt" ? "slti" : "sltiu",
              rs,
              useAt(),
              imm16({ k: "num", v, col: a[1].col }, a[1].col, true),
            ),
          );
          const br = c.swap ? (c.br === "bne" ? "beq" : "bne") : c.br;
          out.push(i(br, AT, 0, branch(a[2], pc + 4)));
        }
        break;
      }
      const d = INSTRUCTION_BY_NAME.get(op) ?? fail(`unknown mnemonic ${op}`, st.opCol);
      const last = a[a.length - 1];
      if (d.form === "rd,rs,rt" && last?.kind === "expr" && WITH_IMMEDIATE[op]) {
        const neg = op === "sub" || op === "subu";
        const e: Expr = neg ? { k: "unary", op: "-", e: last.expr, col: last.col } : last.expr;
        out.push(real(INSTRUCTION_BY_NAME.get(WITH_IMMEDIATE[op])!, [...a.slice(0, -1), {
          ...last,
          expr: e,
        }], pc));
      } else if ((op === "j" || op === "jal") && a.length === 1 && a[0].kind === "reg") {
        out.push(real(INSTRUCTION_BY_NAME.get(op === "j" ? "jr" : "jalr")!, a, pc));
      } else if (d.form === "rt,mem" && words === 1 && a[1]?.kind === "expr") {
        const mem: Operand = { ...a[1], kind: "mem", offset: a[1].expr, base: "$zero", baseCol: 0 };
        out.push(real(d, [a[0], mem], pc));
      } else if (d.form === "rt,mem" && words > 1) {
        count(2);
        const o = a[1];
        const e = o.kind === "expr" ? o.expr : o.kind === "mem" ? o.offset! : expr(o);
        const rt = reg(a[0]);
        const v = ev.value(e, st);
        if (v < -0x80000000 || v > 0xffffffff) fail(`address ${v} is not 32-bit`, o.col);
        const base = o.kind === "mem"
          ? reg({ ...o, kind: "reg", name: o.base, col: o.baseCol })
          : 0;
        // Like GNU as, a whole-register load builds the address in its own target.
        const tmp = LOADS.has(op) && rt !== 0 && rt !== base ? rt : useAt();
        out.push(i("lui", 0, tmp, (v + 0x8000) >>> 16));
        if (base !== 0) out.push(r(fn("addu"), tmp, tmp, base));
        out.push(i(op, tmp, rt, v));
      } else {
        out.push(real(d, a, pc));
      }
    }
  }
  return out;
}

/** True if `e` is a %hi or %lo, whose result fits any 16-bit field. */
function isReloc(e: Expr): boolean {
  return e.k === "hi" || e.k === "lo";
}

function fitsSigned(v: number): boolean {
  return v >= -0x8000 && v <= 0x7fff;
}

function hex(v: number): string {
  return "0x" + (v >>> 0).toString(16);
}
