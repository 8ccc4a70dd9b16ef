/**
 * The two-pass assembler: GNU as syntax in, a Program (text words, data bytes, symbols) out.
 *
 * Pass one lays out the `.text` and `.data` sections: it defines labels, evaluates `.equ`, sizes
 * every instruction (a pseudo-instruction's size depends only on registers and constants) and
 * records each statement that emits bytes. Then the text size fixes where data goes (after text,
 * 16-byte aligned, unless `dataOrigin` says otherwise), every label gets its address, and pass two
 * evaluates operands and writes the bytes. Like GNU as, `.set reorder` (the default) appends a nop
 * after each branch or jump and puts one where the R3000A's load delay needs it (pass one encodes
 * each instruction with every value 0 to learn its registers; _hazard.ts has the rules), and
 * `.set noreorder` leaves delay slots to the programmer; `.word` and `.half` align themselves,
 * and labels just before them move along. Last, the finished text is checked for load-use and
 * CP0 hazards (`checkHazards`). Errors are AsmError with the line, column and statement text.
 *
 * @module
 */

import { AsmError } from "./error.ts";
import { encode, type Evaluator, hasDelaySlot, isInstruction, size } from "./_encode.ts";
import { hazard, reorderNops } from "./_hazard.ts";
import { decode } from "./isa.ts";
import { type Expr, LOCAL_MARK, parse, type Statement } from "./_parser.ts";

/** Where and how to assemble. */
export interface AssembleOptions {
  /** Address of the first text word (word aligned); default 0. */
  origin?: number;
  /** Address of the first data byte; default: after the text, 16-byte aligned. */
  dataOrigin?: number;
  /** Constants and addresses the source may use; its own definitions take precedence. */
  symbols?: Record<string, number>;
  /** Initial `.set reorder` mode; default true, as in GNU as. */
  reorder?: boolean;
  /**
   * Report load-use and CP0 hazards as AsmError (default true). Only code written to show what
   * a hazard does, such as a test of the CPU's load delay, turns this off.
   */
  checkHazards?: boolean;
}

/** An assembled program: a loader copies `text` to `origin` and `data` to `dataOrigin`. */
export interface Program {
  /** Address of `text[0]`. */
  readonly origin: number;
  /** The text section as words. */
  readonly text: Uint32Array;
  /** Address of `data[0]`. */
  readonly dataOrigin: number;
  /** The data section as bytes. */
  readonly data: Uint8Array;
  /** Every label and `.equ` the source defined (numeric local labels excluded). */
  readonly symbols: Record<string, number>;
  /** Symbol `_start`, else `start`, else `origin`. */
  readonly entry: number;
  /** 1-based source line of each text word (0 for padding). */
  readonly lines: Uint32Array;
}

type Section = "text" | "data";

interface Sym {
  section: Section;
  offset: number;
  expr?: Expr;
  busy: boolean;
  st: Statement;
}

interface Item {
  st: Statement;
  section: Section;
  offset: number;
  bytes: number;
  words: number;
  noat: boolean;
  /** True for an instruction (or a nop the assembler inserted), false for data. */
  code: boolean;
}

/** The last instruction word laid out in the text, and the mode it was written in. */
interface Last {
  word: number;
  reorder: boolean;
  st: Statement;
}

/** Evaluates every expression to 0: pass one encodes with it to learn instructions' registers. */
const REGISTERS_ONLY: Evaluator = { value: () => 0, constant: () => undefined };

const SECTIONS: Record<string, Section> = {
  ".text": "text",
  ".data": "data",
  ".rdata": "data",
  ".rodata": "data",
  ".bss": "data",
};
const IGNORED = new Set([
  ".globl",
  ".global",
  ".ent",
  ".end",
  ".frame",
  ".mask",
  ".fmask",
  ".type",
  ".size",
  ".file",
  ".ident",
  ".extern",
  ".local",
]);
const SET_MODES = new Set(["nomacro", "macro", "volatile", "novolatile", "mips1"]);
const WIDTH: Record<string, number> = { ".byte": 1, ".half": 2, ".short": 2, ".word": 4 };

/** Assembles `source`; throws AsmError (line, column, text) for the first error found. */
export function assemble(source: string, options: AssembleOptions = {}): Program {
  return new Assembler(options).run(parse(source));
}

/** Contiguous bytes from `origin` through the end of data; throws RangeError if data precedes text. */
export function programImage(p: Program): Uint8Array {
  const textBytes = p.text.length * 4;
  const gap = (p.dataOrigin - p.origin) >>> 0;
  const end = p.data.length ? gap + p.data.length : textBytes;
  if (p.data.length && (gap < textBytes || end > 0x10000000)) {
    throw new RangeError(
      `Data at 0x${hex(p.dataOrigin)} does not follow text at 0x${
        hex(p.origin)
      }; load the two separately`,
    );
  }
  const image = new Uint8Array(end);
  const view = new DataView(image.buffer);
  p.text.forEach((w, i) => view.setUint32(i * 4, w, true));
  image.set(p.data, gap);
  return image;
}

class Assembler {
  readonly syms = new Map<string, Sym>();
  readonly given: Record<string, number>;
  readonly base = { text: 0, data: 0 };
  readonly origin: number;

  constructor(readonly options: AssembleOptions) {
    this.given = options.symbols ?? {};
    this.origin = checkAddress(options.origin ?? 0, "origin");
    this.base.text = this.origin;
  }

  run(stmts: Statement[]): Program {
    const items: Item[] = [];
    const loc = { text: 0, data: 0 };
    let section: Section = "text";
    let reorder = this.options.reorder ?? true;
    let noat = false;
    let pending: { name: string; col: number; st: Statement }[] = [];
    let last: Last | undefined;
    /** Puts GNU as's reorder nops after `last` before `next` (undefined: not an instruction). */
    const pad = (next: number | undefined) => {
      if (last === undefined || section !== "text") return;
      if (last.reorder || reorder) {
        const nop: Statement = { ...last.st, op: "nop", args: [], labels: [] };
        for (let k = reorderNops(last.word, next); k > 0; k--) emit(nop, 4, 1, true);
      }
      if (next === undefined) last = undefined;
    };
    const flush = () => {
      for (const l of pending) this.define(l.name, l.col, l.st, section, loc[section]);
      pending = [];
    };
    const align = (n: number) => {
      loc[section] = Math.ceil(loc[section] / n) * n;
      flush();
    };
    const emit = (st: Statement, bytes: number, words = 0, code = false) => {
      items.push({ st, section, offset: loc[section], bytes, words, noat, code });
      loc[section] += bytes;
    };

    for (const st of stmts) {
      for (const l of st.labels) pending.push({ ...l, st });
      const op = st.op;
      const a = st.args;
      const fail = (reason: string, col = st.opCol): never => {
        throw new AsmError(reason, st.line, col, st.text);
      };
      const constant = (i: number, lo: number, hi: number): number => {
        const o = a[i];
        if (o?.kind !== "expr") return fail(`${op} needs a number as operand ${i + 1}`, o?.col);
        const v = this.eval(o.expr, st, false);
        if (v === undefined) {
          return fail(`${op} needs a constant, not a label or later symbol`, o.col);
        }
        if (v < lo || v > hi) return fail(`${op} value ${v} out of range ${lo}..${hi}`, o.col);
        return v;
      };
      const name = (i: number): string => {
        const o = a[i];
        if (o?.kind === "expr" && o.expr.k === "sym") return o.expr.name;
        return fail(`${op} needs a name as operand ${i + 1}`, o?.col);
      };
      if (op === "") continue;
      if (!op.startsWith(".")) {
        if (!isInstruction(op)) fail(`unknown mnemonic ${op}`);
        const words = size(st, this);
        const delayNop = reorder && hasDelaySlot(st);
        if (section === "text") {
          // The registers an instruction uses do not depend on label values: encode it now
          // with every value 0 to pad the load delay before it, as GNU as does.
          const code = encode(st, 0, words, REGISTERS_ONLY, noat);
          pad(code[0]);
          last = { word: delayNop ? 0 : code[words - 1], reorder, st };
        }
        align(4);
        emit(st, (words + (delayNop ? 1 : 0)) * 4, words, true);
      } else if (op in SECTIONS || op === ".section") {
        pad(undefined);
        flush();
        const s = op === ".section" ? SECTIONS[name(0)] : SECTIONS[op];
        section = s ?? fail(`unknown section ${name(0)}; use .text or .data`, a[0].col);
      } else if (op === ".set" && a.length === 1) {
        const mode = name(0);
        if (mode === "reorder" || mode === "noreorder") reorder = mode === "reorder";
        else if (mode === "at" || mode === "noat") noat = mode === "noat";
        else if (!SET_MODES.has(mode)) fail(`unknown .set option ${mode}`, a[0].col);
      } else if (op === ".set" || op === ".equ") {
        const value = a[1];
        if (a.length !== 2 || value.kind !== "expr") fail(`${op} takes a name and a value`);
        else this.define(name(0), a[0].col, st, section, 0, value.expr);
      } else if (op === ".align") {
        pad(undefined);
        align(2 ** constant(0, 0, 16));
      } else if (op === ".space" || op === ".skip") {
        if (a.length === 2) constant(1, -128, 255);
        pad(undefined);
        flush();
        emit(st, constant(0, 0, 0x1000000));
      } else if (op in WIDTH) {
        pad(undefined);
        align(WIDTH[op]);
        emit(st, WIDTH[op] * a.length);
      } else if (op === ".ascii" || op === ".asciiz" || op === ".string") {
        pad(undefined);
        flush();
        let n = 0;
        for (const o of a) {
          if (o.kind !== "str") fail(`${op} takes strings in double quotes`, o.col);
          else n += o.bytes.length + (op === ".ascii" ? 0 : 1);
        }
        emit(st, n);
      } else if (!IGNORED.has(op)) {
        fail(`unknown directive ${op}`);
      }
    }
    pad(undefined);
    flush();

    const textBytes = Math.ceil(loc.text / 4) * 4;
    this.base.data = this.options.dataOrigin === undefined
      ? (Math.ceil((this.origin + textBytes) / 16) * 16) >>> 0
      : checkAddress(this.options.dataOrigin, "dataOrigin");
    const text = new Uint8Array(textBytes);
    const data = new Uint8Array(loc.data);
    const lines = new Uint32Array(textBytes / 4);
    const views = { text: new DataView(text.buffer), data: new DataView(data.buffer) };
    /** For each text word, the instruction item it belongs to (-1: data or padding). */
    const owner = new Int32Array(textBytes / 4).fill(-1);
    items.forEach((it, k) => {
      this.write(it, views[it.section], lines);
      if (it.code && it.section === "text") {
        owner.fill(k, it.offset >> 2, (it.offset + it.bytes) >> 2);
      }
    });
    if (this.options.checkHazards ?? true) this.checkHazards(views.text, owner, items);

    const symbols: Record<string, number> = {};
    for (const [name, s] of this.syms) {
      if (!name.includes(LOCAL_MARK)) symbols[name] = this.symbol(name, s, true)!;
    }
    return {
      origin: this.origin,
      text: Uint32Array.from(
        { length: textBytes / 4 },
        (_, i) => views.text.getUint32(i * 4, true),
      ),
      dataOrigin: this.base.data,
      data,
      symbols,
      entry: symbols._start ?? symbols.start ?? this.origin,
      lines,
    };
  }

  /**
   * Throws AsmError for the first load-use or CP0 hazard in the text (see _hazard.ts). Each
   * instruction is checked against the one that runs after it: the next in the text, except after
   * the delay slot of a jump or a branch that is always taken; and an instruction in a delay slot
   * also against the target of its branch, when that is a label in this text. What runs after a
   * delay slot of jr or jalr is unknown and not checked, and data words are never checked.
   */
  checkHazards(view: DataView, owner: Int32Array, items: Item[]): void {
    const n = owner.length;
    const word = (i: number) => view.getUint32(i * 4, true);
    const check = (i: number, j: number, branch?: number) => {
      const before = branch === undefined && i > 0 && owner[i - 1] >= 0 ? word(i - 1) : undefined;
      const a = items[owner[i]].st, b = items[owner[j]].st;
      const first = `"${instructionText(a)}" (line ${a.line}` +
        (branch === undefined
          ? ")"
          : `, in the delay slot of the branch on line ${items[owner[branch]].st.line} to here)`);
      const reason = hazard(word(i), word(j), first, before);
      if (reason === undefined) return;
      const fix = branch === undefined
        ? "put an instruction or a nop between them"
        : "move it out of the delay slot or put a nop here";
      throw new AsmError(`${reason}; ${fix}`, b.line, b.opCol, b.text);
    };
    for (let i = 0; i < n; i++) {
      if (owner[i] < 0) continue;
      const b = i > 0 && owner[i - 1] >= 0 ? word(i - 1) : -1; // the branch i may be the slot of
      const inSlot = b !== -1 && (decode(b)?.delay ?? false);
      if (i + 1 < n && owner[i + 1] >= 0 && !(inSlot && alwaysTaken(b))) check(i, i + 1);
      if (inSlot) {
        const t = branchTarget(b, this.origin + (i - 1) * 4);
        const j = t === undefined ? -1 : (t - this.origin) / 4;
        if (j >= 0 && j < n && owner[j] >= 0) check(i, j, i - 1);
      }
    }
  }

  /** Pass two for one item: evaluates its operands and writes its bytes through `view`. */
  write(it: Item, view: DataView, lines: Uint32Array): void {
    const { st, offset } = it;

    const at = (this.base[it.section] + offset) >>> 0;
    if (it.section === "text") {
      for (let w = offset >> 2; w < (offset + it.bytes + 3) >> 2; w++) lines[w] ||= st.line;
    }
    const a = st.args;
    const value = (i: number, lo: number, hi: number) => {
      const o = a[i];
      if (o.kind !== "expr") {
        throw new AsmError(`${st.op} takes numbers, found ${o.text}`, st.line, o.col, st.text);
      }
      const v = this.value(o.expr, st);
      if (v < lo || v > hi) {
        throw new AsmError(`value ${v} out of range ${lo}..${hi}`, st.line, o.col, st.text);
      }
      return v;
    };
    if (!st.op.startsWith(".")) {
      const words = encode(st, at, it.words, this, it.noat);
      if (words.length !== it.words) {
        throw new AsmError(
          `internal error: sized ${it.words} words, encoded ${words.length}; please report`,
          st.line,
          st.opCol,
          st.text,
        );
      }
      words.forEach((w, i) => view.setUint32(offset + i * 4, w, true));
    } else if (st.op === ".space" || st.op === ".skip") {
      if (a.length === 2) {
        new Uint8Array(view.buffer).fill(value(1, -128, 255), offset, offset + it.bytes);
      }
    } else if (st.op in WIDTH) {
      const width = WIDTH[st.op];
      const lo = -(2 ** (width * 8 - 1)), hi = 2 ** (width * 8) - 1;
      for (let i = 0; i < a.length; i++) {
        const v = value(i, lo, hi);
        if (width === 1) view.setUint8(offset + i, v & 0xff);
        else if (width === 2) view.setUint16(offset + i * 2, v & 0xffff, true);
        else view.setUint32(offset + i * 4, v >>> 0, true);
      }
    } else {
      let p = offset;
      for (const o of a) {
        if (o.kind !== "str") continue;
        new Uint8Array(view.buffer).set(o.bytes, p);
        p += o.bytes.length + (st.op === ".ascii" ? 0 : 1);
      }
    }
  }

  /** Defines a label (or, with `expr`, an `.equ`); throws AsmError if the name is taken. */
  define(name: string, col: number, st: Statement, section: Section, offset: number, expr?: Expr) {
    const old = this.syms.get(name);
    if (old) {
      throw new AsmError(
        `symbol ${name} is already defined on line ${old.st.line}; rename one`,
        st.line,
        col,
        st.text,
      );
    }
    this.syms.set(name, { section, offset, expr, busy: false, st });
  }

  /** Value of `e`; throws AsmError for an undefined symbol. */
  value(e: Expr, st: Statement): number {
    return this.eval(e, st, true)!;
  }

  /** Value of `e` if it involves no label and no undefined symbol, else undefined. */
  constant(e: Expr, st: Statement): number | undefined {
    return this.eval(e, st, false);
  }

  /** Evaluates `e`; `strict` resolves labels and throws for undefined names. */
  eval(e: Expr, st: Statement, strict: boolean): number | undefined {
    const fail = (reason: string): never => {
      throw new AsmError(reason, st.line, e.col, st.text);
    };
    switch (e.k) {
      case "num":
        return e.v;
      case "sym": {
        const s = this.syms.get(e.name);
        if (s) return this.symbol(e.text, s, strict);
        if (Object.hasOwn(this.given, e.name)) return this.given[e.name];
        return strict ? fail(`undefined symbol ${e.text}`) : undefined;
      }
      case "unary": {
        const v = this.eval(e.e, st, strict);
        if (v === undefined) return undefined;
        return e.op === "-" ? -v : e.op === "~" ? ~v : v;
      }
      case "hi":
      case "lo": {
        const v = this.eval(e.e, st, strict);
        if (v === undefined) return undefined;
        return e.k === "hi" ? ((v >>> 0) + 0x8000) >>> 16 : (v << 16) >> 16;
      }
      case "bin": {
        const a = this.eval(e.a, st, strict), b = this.eval(e.b, st, strict);
        if (a === undefined || b === undefined) return undefined;
        switch (e.op) {
          case "+":
            return a + b;
          case "-":
            return a - b;
          case "*":
            return a * b;
          case "/":
            return b === 0 ? fail(`division by zero`) : Math.trunc(a / b);
          case "<<":
          case ">>":
            if (b < 0 || b > 31) fail(`shift count ${b} out of range 0..31`);
            return e.op === "<<" ? a * 2 ** b : Math.floor(a / 2 ** b);
          case "&":
            return a & b;
          case "|":
            return a | b;
          default:
            return a ^ b;
        }
      }
    }
  }

  /** Value of a defined symbol: a label's address (strict only) or an `.equ`'s value. */
  symbol(text: string, s: Sym, strict: boolean): number | undefined {
    if (!s.expr) return strict ? (this.base[s.section] + s.offset) >>> 0 : undefined;
    if (s.busy) {
      throw new AsmError(
        `symbol ${text} is defined in terms of itself`,
        s.st.line,
        s.st.opCol,
        s.st.text,
      );
    }
    s.busy = true;
    try {
      return this.eval(s.expr, s.st, strict);
    } finally {
      s.busy = false;
    }
  }
}

/** The instruction part of a statement's text (without its labels). */
function instructionText(st: Statement): string {
  return st.text.slice(st.opCol - (st.labels[0]?.col ?? st.opCol)).replace(/\s+/g, " ");
}

/** True for a jump, or a branch that always goes (b, bal, beq $x, $x, bgez and blez of $zero). */
function alwaysTaken(word: number): boolean {
  const op = word >>> 26, rs = (word >>> 21) & 31, rt = (word >>> 16) & 31;
  if (op === 0x00 || op === 0x02 || op === 0x03) return true; // jr, jalr, j, jal
  if (op === 0x04) return rs === rt; // beq
  if (op === 0x06) return rs === 0; // blez
  return op === 0x01 && rs === 0 && (rt & 1) === 1; // bgez, bgezal
}

/** Where the branch or jump `word` at `pc` goes, or undefined for jr and jalr. */
function branchTarget(word: number, pc: number): number | undefined {
  const op = word >>> 26;
  if (op === 0x00) return undefined;
  if (op === 0x02 || op === 0x03) {
    return (((pc + 4) & 0xf0000000) | ((word & 0x3ffffff) << 2)) >>> 0;
  }
  return (pc + 4 + ((word << 16) >> 14)) >>> 0;
}

function checkAddress(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff || v & 3) {
    throw new RangeError(`Option ${what} ${v} must be a word-aligned 32-bit address`);
  }
  return v >>> 0;
}

function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}
