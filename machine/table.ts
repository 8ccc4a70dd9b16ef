/**
 * Plain-text tables for everything that prints itself: aligned columns, a header rule, numbers to
 * the right. Used by the REPL's inspect output and the command line; no colours, so the output
 * reads the same in a terminal, a log and a test.
 *
 * @module
 */

/** A column: its header and whether its cells align right (numbers). */
export interface Column {
  /** The header text. */
  header: string;
  /** Align cells to the right. */
  right?: boolean;
}

/** Formats `rows` under `columns` as aligned text, one line per row; returns the lines joined. */
export function formatTable(
  columns: readonly (Column | string)[],
  rows: readonly unknown[][],
): string {
  const cols = columns.map((c) => typeof c === "string" ? { header: c } : c);
  const cells = rows.map((r) => cols.map((_, i) => String(r[i] ?? "")));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => cols[i].right ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [
    line(cols.map((c) => c.header)),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.map(line),
  ].join("\n");
}

/** `v` as 0x-prefixed hex padded to `digits`. */
export function hex(v: number, digits = 8): string {
  return "0x" + (v >>> 0).toString(16).padStart(digits, "0");
}
