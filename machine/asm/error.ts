/**
 * The one error the assembler throws. It points at the source: the 1-based line and column of
 * the offending token and the text of the statement it belongs to, so a message reads
 * `line 3, column 6: unknown register $t10 in "addu $t10, $t1, $t2"`.
 *
 * @module
 */

/** An assembly error at a place in the source. */
export class AsmError extends Error {
  /** Builds the error; `reason` says what failed, `line`/`column` are 1-based. */
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly text: string,
  ) {
    super(`line ${line}, column ${column}: ${reason} in "${text}"`);
    this.name = "AsmError";
  }
}
