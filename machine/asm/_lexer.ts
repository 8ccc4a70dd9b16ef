/**
 * The assembler's lexer: turns one source line into tokens, each with its 1-based column.
 *
 * It knows GNU as's spelling of the pieces: identifiers (`.L1`, `_start`, mnemonics and
 * directives), registers (`$t0`, `$12`), numbers (decimal, `0x` hex, `0b` binary, octal with a
 * leading 0), local label references (`1b`, `1f`), character constants (`'a'`, `'\n'`), strings
 * with C escapes, `%hi`/`%lo`, and punctuation. `#` starts a comment; `;` is kept as a token so
 * the parser can split statements. The parser gives the tokens meaning.
 *
 * @module
 */

import { AsmError } from "./error.ts";

/** What a token is. */
export type TokenKind = "ident" | "reg" | "num" | "local" | "str" | "reloc" | "punct";

/** One token of a source line. */
export interface Token {
  /** What the token is. */
  kind: TokenKind;
  /** The token as written (for `str`, the quoted text). */
  text: string;
  /** 1-based column of its first character. */
  col: number;
  /** Value of a `num` token. */
  value: number;
  /** Bytes of a `str` token. */
  bytes?: number[];
}

const IDENT = /[A-Za-z_.][A-Za-z0-9_.$]*/y;
const REG = /\$[A-Za-z0-9_]+/y;
const NUMBER = /0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+[bf](?![0-9A-Za-z_.$])|[0-9]+/y;
const WORD_CHAR = /[0-9A-Za-z_.$]/;
const PUNCT2 = new Set(["<<", ">>"]);
const PUNCT1 = ",()+-*/~&|^:;=";
const ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  b: 8,
  f: 12,
  v: 11,
  a: 7,
  e: 27,
  "\\": 92,
  "'": 39,
  '"': 34,
};
const encoder = new TextEncoder();

/** Splits `source` line number `line` into tokens; throws AsmError at the first bad character. */
export function lex(source: string, line: number): Token[] {
  const tokens: Token[] = [];
  const fail = (reason: string, at: number): never => {
    throw new AsmError(reason, line, at + 1, source.trim());
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    if (c === "#") break;
    const start = i;
    const push = (kind: TokenKind, text: string, value = 0, bytes?: number[]) => {
      tokens.push({ kind, text, col: start + 1, value, bytes });
    };
    if (c === '"' || c === "'") {
      // Strings and character constants share the escape rules.
      const bytes: number[] = [];
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] !== "\\") {
          const cp = source.codePointAt(i)!;
          const ch = String.fromCodePoint(cp);
          bytes.push(...encoder.encode(ch));
          i += ch.length;
          continue;
        }
        const e = source[++i];
        if (e === undefined) break;
        if (e === "x" || e === "X") {
          const m = /^[0-9a-fA-F]{1,2}/.exec(source.slice(i + 1));
          if (!m) fail(`bad escape \\x without hex digits`, i - 1);
          bytes.push(parseInt(m![0], 16));
          i += 1 + m![0].length;
        } else if (e >= "0" && e <= "7") {
          const m = /^[0-7]{1,3}/.exec(source.slice(i))!;
          bytes.push(parseInt(m[0], 8) & 0xff);
          i += m[0].length;
        } else if (e in ESCAPES) {
          bytes.push(ESCAPES[e]);
          i++;
        } else {
          fail(`unknown escape \\${e}; use \\n \\t \\\\ \\" \\xHH or octal`, i - 1);
        }
      }
      if (i >= source.length) {
        fail(`unterminated ${c === '"' ? "string" : "character constant"}`, start);
      }
      i++;
      const text = source.slice(start, i);
      if (c === '"') push("str", text, 0, bytes);
      else if (bytes.length !== 1) fail(`character constant ${text} must hold one byte`, start);
      else push("num", text, bytes[0]);
      continue;
    }
    if (c === "$") {
      REG.lastIndex = i;
      const m = REG.exec(source);
      if (!m) fail(`bad register ${c}; write $0..$31 or a name like $t0`, i);
      push("reg", m![0]);
      i += m![0].length;
      continue;
    }
    if (c >= "0" && c <= "9") {
      NUMBER.lastIndex = i;
      const text = NUMBER.exec(source)![0];
      i += text.length;
      if (i < source.length && WORD_CHAR.test(source[i])) {
        fail(`bad number ${source.slice(start).split(/[^0-9A-Za-z_.$]/)[0]}`, start);
      }
      if (/^[0-9]+[bf]$/.test(text)) push("local", text);
      else push("num", text, parseNumber(text) ?? fail(`bad octal number ${text}`, start));
      continue;
    }
    if (c === "%") {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(source);
      if (!m) fail(`expected %hi or %lo after %`, i);
      push("reloc", "%" + m![0]);
      i += 1 + m![0].length;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(source);
    if (m) {
      push("ident", m[0]);
      i += m[0].length;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      push("punct", two);
      i += 2;
    } else if (PUNCT1.includes(c)) {
      push("punct", c);
      i++;
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  return tokens;
}

/** Value of a numeric literal; undefined for a bad octal literal such as 08. */
function parseNumber(text: string): number | undefined {
  if (/^0[xX]/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[bB]/.test(text)) return parseInt(text.slice(2), 2);
  if (text.length > 1 && text[0] === "0") {
    return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
  }
  return parseInt(text, 10);
}
