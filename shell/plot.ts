/**
 * Charts for measurements: bar charts and line charts, each in the terminal (Unicode block
 * characters and marks) and as a standalone SVG file fit for a paper. `time.compare`
 * (shell/time.ts) plots bars through here, `exo paper net` Figure 2's lines.
 *
 * A bar chart takes a list of labelled values and scales the bars to the largest value; a line
 * chart takes labelled series of points and puts 0 at the bottom of its value axis.
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

/** The opening of a standalone SVG document `width` by `height`: white, with `title` on top. */
function svgHead(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold" ` +
    `font-family="Helvetica, Arial, sans-serif">${xml(title)}</text>`,
  ];
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
  const out = svgHead(width, height, options.title);
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

/** A line of a line chart: its label and its points, x ascending. */
export interface Series {
  /** The label in the legend. */
  label: string;
  /** The points. */
  points: readonly { x: number; y: number }[];
}

/** Throws RangeError naming the first point of `series` that is not a finite number >= 0. */
function checkSeries(series: readonly Series[]): void {
  for (const s of series) {
    for (const p of s.points) {
      if (!(p.y >= 0 && p.x >= 0) || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        throw new RangeError(`${s.label} has point (${p.x}, ${p.y}): give finite numbers >= 0`);
      }
    }
  }
}

const MARKS = ["●", "▲", "■", "◆"];

/**
 * A terminal line chart: the series' points marked on a grid `width` by `height` cells, the y
 * axis from 0 with round ticks, the x axis with its values, a legend. Throws RangeError for a
 * point below 0.
 */
export function lineChart(
  series: readonly Series[],
  options: { xLabel: string; yLabel: string; width?: number; height?: number },
): string {
  checkSeries(series);
  const width = options.width ?? 50;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  const yMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const step = tickStep(yMax, 4);
  const top = yMax > 0 ? Math.ceil(yMax / step - 1e-9) * step : step;
  const ticksY = Math.max(1, Math.round(top / step));
  const perTick = Math.max(1, Math.round((options.height ?? 12) / ticksY));
  const height = ticksY * perTick;
  const grid = Array.from({ length: height + 1 }, () => Array(width + 1).fill(" "));
  const col = (x: number) => xMax === xMin ? 0 : Math.round(((x - xMin) / (xMax - xMin)) * width);
  const row = (y: number) => height - Math.round((y / top) * height);
  series.forEach((s, i) => {
    for (const p of s.points) grid[row(p.y)][col(p.x)] = MARKS[i % MARKS.length];
  });
  const labels = grid.map((_, r) =>
    r % perTick === 0 ? formatValue(((height - r) / height) * top, 3) : ""
  );
  const pad = Math.max(...labels.map((l) => l.length));
  const lines = grid.map((cells, r) => `${labels[r].padStart(pad)} ┤${cells.join("")}`.trimEnd());
  const axis = `${" ".repeat(pad)} └${"─".repeat(width + 1)}`;
  const ticks = Array(width + 8).fill(" ");
  for (const x of new Set(xs)) {
    const t = formatValue(x), c = col(x);
    for (let k = 0; k < t.length; k++) ticks[c + k] = t[k];
  }
  const legend = series.map((s, i) => `${MARKS[i % MARKS.length]} ${s.label}`).join("   ");
  return [
    `${options.yLabel}`,
    ...lines,
    axis,
    `${" ".repeat(pad + 2)}${ticks.join("").trimEnd()}`,
    `${" ".repeat(pad + 2)}${options.xLabel}`,
    "",
    legend,
  ].join("\n");
}

const COLOURS = ["#4a6fa5", "#c0504d", "#9bbb59", "#8064a2"];

/**
 * A standalone SVG line chart: each series as a line with its points, axes with round ticks and
 * labels, a legend and the title. Throws RangeError for a point below 0.
 */
export function svgLineChart(
  series: readonly Series[],
  options: { title: string; xLabel: string; yLabel: string },
): string {
  checkSeries(series);
  const font = 'font-family="Helvetica, Arial, sans-serif"';
  const left = 80, right = 30, top = 60, plotW = 480, plotH = 300, bottom = 70;
  const width = left + plotW + right, height = top + plotH + bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  const yMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const step = tickStep(yMax);
  const yTop = yMax > 0 ? Math.ceil(yMax / step - 1e-9) * step : step;
  const X = (x: number) => left + (xMax === xMin ? 0 : ((x - xMin) / (xMax - xMin)) * plotW);
  const Y = (y: number) => top + plotH - (y / yTop) * plotH;
  const out = svgHead(width, height, options.title);
  for (let i = 0; i * step <= yTop + step / 2; i++) {
    const y = Y(i * step).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#dddddd"/>`,
      `<text x="${left - 8}" y="${(+y + 4).toFixed(1)}" text-anchor="end" font-size="12" ` +
        `${font}>${formatValue(i * step, 6)}</text>`,
    );
  }
  for (const x of new Set(xs)) {
    out.push(
      `<text x="${X(x).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" ` +
        `font-size="12" ${font}>${formatValue(x)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = s.points.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const p of s.points) {
      out.push(
        `<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3.5" fill="${c}"/>`,
      );
    }
    out.push(
      `<rect x="${left + 10}" y="${top + 10 + 20 * i}" width="14" height="4" fill="${c}"/>`,
      `<text x="${left + 30}" y="${top + 16 + 20 * i}" font-size="12" ${font}>` +
        `${xml(s.label)}</text>`,
    );
  });
  out.push(
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" ` +
      `stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
    `<text x="${left + plotW / 2}" y="${top + plotH + 44}" text-anchor="middle" ` +
      `font-size="13" ${font}>${xml(options.xLabel)}</text>`,
    `<text x="18" y="${top + plotH / 2}" text-anchor="middle" font-size="13" ${font} ` +
      `transform="rotate(-90 18 ${top + plotH / 2})">${xml(options.yLabel)}</text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}
