/**
 * Bar charts for measurements: one in the terminal, drawn with Unicode block characters, and one
 * as a standalone SVG file fit for a paper. `time.compare` (shell/time.ts) plots through here.
 *
 * Both take the same input, a list of labelled values, and scale the bars to the largest value.
 * Nothing here knows about the machine; the SVG is written by hand (no dependency), with plain
 * fonts and no script, so it opens in a browser, converts with any tool and embeds in LaTeX
 * through a PDF conversion.
 *
 * @module
 */

/** One bar: its label and its value. */
export interface Bar {
  /** The label, left of the bar. */
  label: string;
  /** The value, at least 0. */
  value: number;
}

/** Text that prints as itself in the REPL (a plain string would print quoted, with `\n`s). */
export class Text {
  /** Wraps `text`. */
  constructor(readonly text: string) {}

  /** The text. */
  toString(): string {
    return this.text;
  }

  /** Prints as the text in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.text;
  }
}

/** `v` with at most `digits` decimals, without trailing zeros or float noise. */
export function formatValue(v: number, digits = 2): string {
  return String(Number(v.toFixed(digits)));
}

/** Throws RangeError naming the first bar whose value is negative or not a number. */
function check(bars: readonly Bar[]): void {
  for (const b of bars) {
    if (!(b.value >= 0) || !Number.isFinite(b.value)) {
      throw new RangeError(`Bar ${b.label} has value ${b.value}: give a finite number >= 0`);
    }
  }
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/**
 * A terminal bar chart: one line per bar, the labels aligned, the longest bar `width` cells of
 * Unicode blocks, each value and `unit` after its bar. Throws RangeError for a negative value.
 */
export function barChart(bars: readonly Bar[], unit = "", width = 40): string {
  check(bars);
  const max = Math.max(0, ...bars.map((b) => b.value));
  const pad = Math.max(0, ...bars.map((b) => b.label.length));
  return bars.map((b) => {
    const eighths = max === 0 ? 0 : Math.round((b.value / max) * width * 8);
    const bar = "█".repeat(eighths >> 3) + EIGHTHS[eighths & 7];
    return `${b.label.padEnd(pad)}  ${bar.padEnd(width)}  ${formatValue(b.value)}${
      unit ? " " + unit : ""
    }`.trimEnd();
  }).join("\n");
}

/** A round step for about `target` ticks between 0 and `max`: 1, 2 or 5 times a power of ten. */
export function tickStep(max: number, target = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** `s` with XML's special characters escaped. */
function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** Options for an SVG chart. */
export interface SvgOptions {
  /** The title above the chart. */
  title: string;
  /** The label under the value axis, "emulated us" by default. */
  axisLabel?: string;
}

/**
 * A standalone SVG document: horizontal bars, one per entry, labels on the left, each value
 * printed at the end of its bar, a value axis with round ticks and its label, and the title.
 * Throws RangeError for a negative value.
 */
export function svgBarChart(bars: readonly Bar[], options: SvgOptions): string {
  check(bars);
  const font = 'font-family="Helvetica, Arial, sans-serif"';
  const labelWidth = 16 + 7 * Math.max(4, ...bars.map((b) => b.label.length));
  const plotWidth = 420, barHeight = 22, gap = 10, top = 48, right = 70;
  const width = labelWidth + plotWidth + right;
  const plotHeight = bars.length * (barHeight + gap) + gap;
  const height = top + plotHeight + 56;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const step = tickStep(max);
  const axisMax = max > 0 ? Math.ceil(max / step - 1e-9) * step : step;
  const x = (v: number) => labelWidth + (v / axisMax) * plotWidth;
  const axisY = top + plotHeight;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold" ` +
    `${font}>${xml(options.title)}</text>`,
  ];
  for (let i = 0; i * step <= axisMax + step / 2; i++) {
    const t = i * step, tx = x(t).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}" stroke="#dddddd"/>`,
      `<text x="${tx}" y="${axisY + 18}" text-anchor="middle" font-size="12" ${font}>` +
        `${formatValue(t, 6)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = top + gap + i * (barHeight + gap);
    const mid = (y + barHeight / 2 + 4).toFixed(1);
    const w = (x(b.value) - labelWidth).toFixed(1);
    out.push(
      `<text x="${labelWidth - 8}" y="${mid}" text-anchor="end" font-size="13" ${font}>` +
        `${xml(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight}" fill="#4a6fa5"/>`,
      `<text x="${(x(b.value) + 5).toFixed(1)}" y="${mid}" font-size="12" ${font}>` +
        `${formatValue(b.value)}</text>`,
    );
  });
  out.push(
    `<line x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plotWidth}" y2="${axisY}" ` +
      `stroke="black"/>`,
    `<line x1="${labelWidth}" y1="${top}" x2="${labelWidth}" y2="${axisY}" stroke="black"/>`,
    `<text x="${labelWidth + plotWidth / 2}" y="${axisY + 42}" text-anchor="middle" ` +
      `font-size="13" ${font}>${xml(options.axisLabel ?? "emulated us")}</text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}
