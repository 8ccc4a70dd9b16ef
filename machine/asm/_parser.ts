/**
 * The assembler's parser: turns source text into statements, each a list of labels, a mnemonic
 * or directive and its operands, with expressions kept as trees for the assembler to evaluate
 * once symbols are known.
 *
 * A line holds statements separated by `;`. A statement is `label: ... op operand, ...` or
 * `name = expr`. An operand is a register, a string, an expression, or a memory reference
 * `expr(base)` / `(base)`. Expressions use C precedence over `| ^ & << >> + - * /`, unary `- + ~`,
 * parentheses and `%hi(expr)` / `%lo(expr)`. Numeric local labels are renamed here, where source
 * order is known: the n-th definition of `1:` becomes a hidden symbol, `1b` names the latest
 * definition so far and `1f` the next one.
 *
 * @module
 */

import { AsmError } from "./error.ts";
import { lex, type Token } from "./_lexer.ts";

/** An expression tree; `col` is where it starts in its line. */
export type Expr =
  | { k: "num"; v: number; col: number }
  | { k: "sym"; name: string; text: string; col: number }
  | { k: "unary"; op: string; e: Expr; col: number }
  | { k: "bin"; op: string; a: Expr; b: Expr; col: number }
  | { k: "hi" | "lo"; e: Expr; col: number };

/** One operand of a statement; `text` is the operand as written, `col` where it starts. */
export type Operand =
  & { text: string; col: number }
  & (
    | { kind: "reg"; name: string }
    | { kind: "expr"; expr: Expr }
    | { kind: "mem"; offset?: Expr; base: string; baseCol: number }
    | { kind: "str"; bytes: number[] }
  );

/** One statement: labels, then an optional mnemonic or directive with operands. */
export interface Statement {
  /** 1-based source line. */
  line: number;
  /** The statement as written, for error messages. */
  text: string;
  /** Labels defined before the operation, in order. */
  labels: { name: string; col: number }[];
  /** Lower-cased mnemonic or directive (with its dot); empty for a label-only statement. */
  op: string;
  /** Column of the mnemonic. */
  opCol: number;
  /** Operands in order. */
  args: Operand[];
}

const PRECEDENCE: Record<string, number> = {
  "|": 1,
  "^": 2,
  "&": 3,
  "<<": 4,
  ">>": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
};

/** Marks hidden names of numeric local labels; it cannot appear in a source identifier. */
export const LOCAL_MARK = "\u0002";

/** Parses a whole source text into statements; throws AsmError at the first syntax error. */
export function parse(source: string): Statement[] {
  const out: Statement[] = [];
  const locals = new Map<string, number>();
  const lines = source.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const tokens = lex(lines[n], n + 1);
    let start = 0;
    for (let i = 0; i <= tokens.length; i++) {
      if (i < tokens.length && !(tokens[i].kind === "punct" && tokens[i].text === ";")) continue;
      if (i > start) out.push(statement(tokens.slice(start, i), lines[n], n + 1, locals));
      start = i + 1;
    }
  }
  return out;
}

/** Parses the tokens of one statement; `locals` counts numeric label definitions so far. */
function statement(
  toks: Token[],
  source: string,
  line: number,
  locals: Map<string, number>,
): Statement {
  const last = toks[toks.length - 1];
  const text = source.slice(toks[0].col - 1, last.col - 1 + last.text.length);
  let p = 0;
  const fail = (reason: string, col: number): never => {
    throw new AsmError(reason, line, col, text);
  };
  const peek = (o = 0): Token | undefined => toks[p + o];
  const isPunct = (t: Token | undefined, s: string) => t?.kind === "punct" && t.text === s;
  const expect = (s: string) => {
    const t = peek();
    if (!isPunct(t, s)) fail(`expected "${s}" but found ${describe(t)}`, t?.col ?? endCol());
    p++;
  };
  const endCol = () => last.col + last.text.length;
  const describe = (t: Token | undefined) => t ? `"${t.text}"` : "end of statement";

  const st: Statement = { line, text, labels: [], op: "", opCol: 0, args: [] };
  while (isPunct(peek(1), ":")) {
    const t = peek()!;
    if (t.kind === "ident") st.labels.push({ name: t.text, col: t.col });
    else if (t.kind === "num" && /^[0-9]+$/.test(t.text)) {
      const k = locals.get(t.text) ?? 0;
      locals.set(t.text, k + 1);
      st.labels.push({ name: t.text + LOCAL_MARK + k, col: t.col });
    } else fail(`bad label ${t.text}; a label is a name or a decimal number`, t.col);
    p += 2;
  }
  const head = peek();
  if (!head) return st;
  if (head.kind !== "ident") {
    fail(`expected a mnemonic or directive, found ${describe(head)}`, head.col);
  }
  p++;
  if (isPunct(peek(), "=")) {
    p++;
    st.op = ".equ";
    st.opCol = head.col;
    const sym: Expr = { k: "sym", name: head.text, text: head.text, col: head.col };
    const from = p;
    const value = expr(0);
    st.args = [
      { kind: "expr", expr: sym, text: head.text, col: head.col },
      { kind: "expr", expr: value, text: span(from), col: toks[from].col },
    ];
  } else {
    st.op = head.text.toLowerCase();
    st.opCol = head.col;
    while (peek()) {
      st.args.push(operand());
      if (peek()) expect(",");
    }
  }
  if (peek()) fail(`unexpected ${describe(peek())}`, peek()!.col);
  return st;

  /** Source text of the tokens from index `from` up to the current one. */
  function span(from: number): string {
    const end = toks[p - 1];
    return source.slice(toks[from].col - 1, end.col - 1 + end.text.length);
  }

  function operand(): Operand {
    const from = p;
    const t = peek()!;
    if (t.kind === "reg" && (!peek(1) || isPunct(peek(1), ","))) {
      p++;
      return { kind: "reg", name: t.text, text: t.text, col: t.col };
    }
    if (t.kind === "str") {
      p++;
      return { kind: "str", bytes: t.bytes!, text: t.text, col: t.col };
    }
    let offset: Expr | undefined;
    if (!(isPunct(t, "(") && peek(1)?.kind === "reg")) {
      offset = expr(0);
      if (!isPunct(peek(), "(")) {
        return { kind: "expr", expr: offset, text: span(from), col: t.col };
      }
    }
    expect("(");
    const base = peek();
    if (base?.kind !== "reg") {
      fail(`expected a base register, found ${describe(base)}`, base?.col ?? endCol());
    }
    p++;
    expect(")");
    const text = span(from);
    return { kind: "mem", offset, base: base!.text, baseCol: base!.col, text, col: t.col };
  }

  function expr(minPrec: number): Expr {
    let a = unary();
    for (;;) {
      const t = peek();
      const prec = t?.kind === "punct" ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec <= minPrec) return a;
      p++;
      a = { k: "bin", op: t!.text, a, b: expr(prec), col: a.col };
    }
  }

  function unary(): Expr {
    const t = peek();
    if (!t) return fail("expected an expression, found end of statement", endCol());
    p++;
    if (t.kind === "num") return { k: "num", v: t.value, col: t.col };
    if (t.kind === "ident") return { k: "sym", name: t.text, text: t.text, col: t.col };
    if (t.kind === "local") {
      const num = t.text.slice(0, -1);
      const k = locals.get(num) ?? 0;
      if (t.text.endsWith("b") && k === 0) fail(`no local label ${num}: before ${t.text}`, t.col);
      const index = t.text.endsWith("b") ? k - 1 : k;
      return { k: "sym", name: num + LOCAL_MARK + index, text: t.text, col: t.col };
    }
    if (t.kind === "reloc") {
      if (t.text !== "%hi" && t.text !== "%lo") {
        fail(`unknown operator ${t.text}; use %hi or %lo`, t.col);
      }
      expect("(");
      const e = expr(0);
      expect(")");
      return { k: t.text === "%hi" ? "hi" : "lo", e, col: t.col };
    }
    if (isPunct(t, "(")) {
      const e = expr(0);
      expect(")");
      return e;
    }
    if (isPunct(t, "-") || isPunct(t, "+") || isPunct(t, "~")) {
      return { k: "unary", op: t.text, e: unary(), col: t.col };
    }
    if (t.kind === "reg") return fail(`register ${t.text} is not allowed in an expression`, t.col);
    return fail(`expected an expression, found ${describe(t)}`, t.col);
  }
}
