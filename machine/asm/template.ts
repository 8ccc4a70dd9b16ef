/**
 * The `asm` tagged template: assembly written inline in TypeScript, with constants from the
 * surrounding code interpolated as text.
 *
 * `asm\`li $a0, ${SYS_PUTC}\`` yields an AsmSource whose `source` is plain GNU as text and whose
 * `at(origin)` assembles it. Integers interpolate exactly (negative ones in parentheses, so
 * `-${x}` and `${x}($sp)` keep their meaning), strings verbatim (register or label names), and
 * another AsmSource as its source text, so fragments compose.
 *
 * @module
 */

import { assemble, type AssembleOptions, type Program } from "./assembler.ts";

/** What may be interpolated into asm`...`. */
export type AsmValue = number | bigint | string | AsmSource;

/** Assembly source text built by the `asm` tag. */
export class AsmSource {
  /** Wraps GNU as source text. */
  constructor(readonly source: string) {}

  /** Assembles the source with its text at `origin`; throws AsmError as `assemble` does. */
  at(origin: number, options: Omit<AssembleOptions, "origin"> = {}): Program {
    return assemble(this.source, { ...options, origin });
  }

  /** The source text. */
  toString(): string {
    return this.source;
  }
}

/** Builds an AsmSource from a template; throws TypeError for a value that is not an integer. */
export function asm(strings: TemplateStringsArray, ...values: AsmValue[]): AsmSource {
  let source = strings[0];
  values.forEach((v, i) => {
    source += text(v) + strings[i + 1];
  });
  return new AsmSource(source);
}

function text(v: AsmValue): string {
  if (v instanceof AsmSource) return v.source;
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) {
    return v < 0 ? `(${v})` : String(v);
  }
  throw new TypeError(
    `Cannot interpolate ${String(v)} into asm: use an integer, string or AsmSource`,
  );
}
