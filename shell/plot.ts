/**
 * Charts for measurements, each in the terminal and as a standalone SVG file fit for a paper:
 * bar charts (`time.compare`, shell/time.ts, plots through here), drawn with Unicode block
 * characters, and line charts of series against a common x (the stride scheduler's Figure 3,
 * scripts/paper_sched.ts), drawn in a grid of characters, one letter a series.
 *
 * A bar chart takes a list of labelled values and scales the bars to the largest; a line chart
 * takes series of points and scales both axes to the largest coordinates. Nothing here knows
 * about the machine; the SVG is written by hand (no dependency), with plain fonts and no script,
 * so it opens in a browser, converts with any tool and embeds in LaTeX through a PDF conversion.
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

/** One line of a line chart: its label, its points (x, y), and how it is drawn. */
export interface Series {
  /** The label in the legend. */
  label: string;
  /** The points, in order of x; every coordinate finite and at least 0. */
  points: readonly (readonly [number, number])[];
  /** Drawn dashed (an ideal, a reference) rather than solid. */
  dashed?: boolean;
  /** Its color in the SVG (the palette's next by default). */
  color?: string;
  /** The character that draws it in the terminal (its label's first by default). */
  mark?: string;
}

/** Options for a line chart. */
export interface LineChartOptions {
  /** The title above it. */
  title?: string;
  /** What x counts. */
  xLabel: string;
  /** What y counts. */
  yLabel: string;
}

/** Throws RangeError naming the first point that is not finite and at least 0. */
function checkSeries(series: readonly Series[]): void {
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!(x >= 0 && y >= 0) || !Number.isFinite(x) || !Number.isFinite(y)) {
        throw new RangeError(
          `Series ${s.label} has the point (${x}, ${y}): give finite values >= 0`,
        );
      }
    }
  }
}

/** The largest x and y of `series` (1 when there is none). */
function extent(series: readonly Series[]): [number, number] {
  let xMax = 0, yMax = 0;
  for (const s of series) {
    for (const [x, y] of s.points) xMax = Math.max(xMax, x), yMax = Math.max(yMax, y);
  }
  return [xMax || 1, yMax || 1];
}

/**
 * A terminal line chart, `width` by `height` cells: each series drawn with its mark (dashed
 * ones with a dot wherever a solid one is not), the y axis labelled at its top and bottom, the x
 * axis under it, and a legend. Throws RangeError for a point below 0 or not finite.
 */
export function lineChart(
  series: readonly Series[],
  options: LineChartOptions,
  width = 64,
  height = 18,
): string {
  checkSeries(series);
  const [xMax, yMax] = extent(series);
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(" "));
  const plot = (s: Series, mark: string) => {
    const cell = (x: number, y: number): [number, number] => [
      Math.round((x / xMax) * (width - 1)),
      height - 1 - Math.round((y / yMax) * (height - 1)),
    ];
    for (let i = 0; i < s.points.length; i++) {
      const [c, r] = cell(...s.points[i]);
      const [c0, r0] = i === 0 ? [c, r] : cell(...s.points[i - 1]);
      const steps = Math.max(1, Math.abs(c - c0), Math.abs(r - r0));
      for (let k = 0; k <= steps; k++) {
        const cc = Math.round(c0 + ((c - c0) * k) / steps),
          rr = Math.round(r0 + ((r - r0) * k) / steps);
        if (!s.dashed || grid[rr][cc] === " ") grid[rr][cc] = mark;
      }
    }
  };
  for (const s of series) if (s.dashed) plot(s, "·");
  for (const s of series) if (!s.dashed) plot(s, s.mark ?? s.label[0]);
  const top = formatValue(yMax, 0), pad = Math.max(top.length, 1);
  const lines = grid.map((row, i) =>
    `${(i === 0 ? top : i === height - 1 ? "0" : "").padStart(pad)} │${row.join("")}`.trimEnd()
  );
  lines.push(`${" ".repeat(pad)} └${"─".repeat(width)}`);
  const xEnd = formatValue(xMax, 0), room = width - 1 - xEnd.length;
  const name = options.xLabel.length <= room - 2 ? options.xLabel : "";
  const before = Math.floor((room - name.length) / 2);
  lines.push(`${" ".repeat(pad + 2)}0${" ".repeat(before)}${name.padEnd(room - before)}${xEnd}`);
  const legend = series.map((s) => {
    const mark = s.dashed ? "·" : s.mark ?? s.label[0];
    return s.label.startsWith(mark) ? s.label : `${mark} ${s.label}`;
  });
  return [
    ...(options.title ? [options.title, ""] : []),
    `${options.yLabel}`,
    ...lines,
    "",
    legend.join("   "),
  ].join("\n");
}

/** The colors of series that name none, in order. */
const PALETTE = ["#4a6fa5", "#c0504d", "#6a9a3a", "#8064a2", "#d08c26"];

/**
 * A standalone SVG line chart: each series a polyline (dashed ones dashed), axes with round
 * ticks and their labels, the title and a legend. Throws RangeError as `lineChart` does.
 */
export function svgLineChart(series: readonly Series[], options: LineChartOptions): string {
  checkSeries(series);
  const font = 'font-family="Helvetica, Arial, sans-serif"';
  const left = 80, top = 48, plotWidth = 520, plotHeight = 320, bottom = 60, right = 170;
  const width = left + plotWidth + right, height = top + plotHeight + bottom;
  const [xMax, yMax] = extent(series);
  const xs = tickStep(xMax), ys = tickStep(yMax);
  const xAxis = Math.ceil(xMax / xs - 1e-9) * xs, yAxis = Math.ceil(yMax / ys - 1e-9) * ys;
  const px = (x: number) => (left + (x / xAxis) * plotWidth).toFixed(1);
  const py = (y: number) => (top + plotHeight - (y / yAxis) * plotHeight).toFixed(1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (options.title) {
    out.push(
      `<text x="${left + plotWidth / 2}" y="28" text-anchor="middle" font-size="16" ` +
        `font-weight="bold" ${font}>${xml(options.title)}</text>`,
    );
  }
  for (let i = 0; i * xs <= xAxis + xs / 2; i++) {
    const x = px(i * xs);
    out.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotHeight}" stroke="#eeeeee"/>`,
      `<text x="${x}" y="${top + plotHeight + 18}" text-anchor="middle" font-size="12" ` +
        `${font}>${formatValue(i * xs, 6)}</text>`,
    );
  }
  for (let i = 0; i * ys <= yAxis + ys / 2; i++) {
    const y = py(i * ys);
    out.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotWidth}" y2="${y}" stroke="#eeeeee"/>`,
      `<text x="${left - 8}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end" font-size="12" ` +
        `${font}>${formatValue(i * ys, 6)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const points = s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(" ");
    out.push(
      `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="${
        s.dashed ? 1.2 : 2
      }"${s.dashed ? ' stroke-dasharray="5,4"' : ""}/>`,
    );
    const ly = top + 16 + 22 * i;
    out.push(
      `<line x1="${left + plotWidth + 16}" y1="${ly}" x2="${left + plotWidth + 40}" y2="${ly}" ` +
        `stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ""}/>`,
      `<text x="${left + plotWidth + 46}" y="${ly + 4}" font-size="12" ${font}>` +
        `${xml(s.label)}</text>`,
    );
  });
  out.push(
    `<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" ` +
      `y2="${top + plotHeight}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="black"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 16}" text-anchor="middle" font-size="13" ` +
      `${font}>${xml(options.xLabel)}</text>`,
    `<text x="20" y="${top + plotHeight / 2}" text-anchor="middle" font-size="13" ` +
      `transform="rotate(-90 20 ${top + plotHeight / 2})" ${font}>${xml(options.yLabel)}</text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}
