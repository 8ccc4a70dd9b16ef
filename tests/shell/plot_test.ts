/**
 * Bar charts (shell/plot.ts): the terminal chart's scaling and alignment, round axis steps, and
 * an SVG document that is well formed and shows every bar, value, title and the axis label.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  barChart,
  formatValue,
  lineChart,
  svgBarChart,
  svgLineChart,
  Text,
  tickStep,
} from "../../shell/plot.ts";

Deno.test("barChart scales the widest bar to the width and aligns labels", () => {
  const text = barChart([{ label: "a", value: 4 }, { label: "long", value: 1 }], "us", 8);
  assert.equal(text, ["a     ████████  4 us", "long  ██        1 us"].join("\n"));
});

Deno.test("barChart draws fractions with eighth blocks and an all-zero chart without bars", () => {
  assert.equal(
    barChart([{ label: "x", value: 1 }, { label: "y", value: 0.5625 }], "", 2),
    [
      "x  ██  1",
      "y  █▏  0.56",
    ].join("\n"),
  );
  assert.equal(barChart([{ label: "z", value: 0 }], "us", 4), "z        0 us");
});

Deno.test("barChart and svgBarChart refuse a negative or non-finite value, naming the bar", () => {
  assert.throws(() => barChart([{ label: "bad", value: -1 }]), /Bar bad has value -1/);
  assert.throws(() => svgBarChart([{ label: "nan", value: NaN }], { title: "t" }), /Bar nan/);
});

Deno.test("tickStep picks 1, 2 or 5 times a power of ten", () => {
  assert.equal(tickStep(1.16), 0.5);
  assert.equal(tickStep(10), 2);
  assert.equal(tickStep(37), 10);
  assert.equal(tickStep(0.07), 0.02);
  assert.equal(tickStep(0), 1);
});

Deno.test("svgBarChart writes one bar and one value per entry, the title and the axis label", () => {
  const svg = svgBarChart([{ label: "null", value: 0.76 }, { label: "a&b", value: 1.16 }], {
    title: "Costs <us>",
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal(svg.match(/fill="#4a6fa5"/g)?.length, 2);
  assert.match(svg, />Costs &lt;us&gt;<\/text>/);
  assert.match(svg, />a&amp;b<\/text>/);
  assert.match(svg, />0\.76<\/text>/);
  assert.match(svg, />1\.16<\/text>/);
  assert.match(svg, />emulated us<\/text>/);
  for (const tick of ["0", "0.5", "1", "1.5"]) assert.match(svg, new RegExp(`>${tick}</text>`));
  assert.doesNotMatch(svg, /NaN|undefined/);
});

Deno.test("formatValue drops float noise and trailing zeros", () => {
  assert.equal(formatValue(0.1 + 0.2), "0.3");
  assert.equal(formatValue(2), "2");
  assert.equal(formatValue(16.25, 1), "16.3");
});

Deno.test("Text prints as itself, unquoted", () => {
  assert.equal(Deno.inspect(new Text("a\nb")), "a\nb");
});

Deno.test("lineChart marks each series' points on round axes, with a legend", () => {
  const text = lineChart([
    { label: "up", points: [{ x: 1, y: 0 }, { x: 2, y: 10 }] },
    { label: "flat", points: [{ x: 1, y: 5 }, { x: 2, y: 5 }] },
  ], { xLabel: "x", yLabel: "y", width: 10, height: 4 });
  const lines = text.split("\n");
  assert.equal(lines[0], "y");
  assert.match(text, /^10 ┤ {10}●$/m);
  assert.match(text, /^ 0 ┤●/m);
  assert.match(text, /▲ {9}▲/);
  assert.equal(lines.at(-1), "● up   ▲ flat");
  assert.throws(() =>
    lineChart([{ label: "neg", points: [{ x: 0, y: -1 }] }], {
      xLabel: "",
      yLabel: "",
    }), /neg has point \(0, -1\)/);
});

Deno.test("svgLineChart draws one line per series with its points, legend and labels", () => {
  const svg = svgLineChart([
    { label: "a & b", points: [{ x: 1, y: 2 }, { x: 3, y: 4 }] },
  ], { title: "T", xLabel: "X", yLabel: "Y" });
  assert.match(svg, /^<svg /);
  assert.equal(svg.match(/<polyline /g)?.length, 1);
  assert.equal(svg.match(/<circle /g)?.length, 2);
  assert.match(svg, />a &amp; b</);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
});
