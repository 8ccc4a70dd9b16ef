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

Deno.test("lineChart draws each series with its letter, dashed ones with dots, and a legend", () => {
  const text = lineChart(
    [
      { label: "A rising", points: [[0, 0], [4, 4]] },
      { label: "flat", points: [[0, 2], [4, 2]], dashed: true },
    ],
    { xLabel: "x", yLabel: "y" },
    5,
    5,
  );
  assert.equal(
    text,
    [
      "y",
      "4 │    A",
      "  │   A",
      "  │··A··",
      "  │ A",
      "0 │A",
      "  └─────",
      "   0 x 4",
      "",
      "A rising   · flat",
    ].join("\n"),
  );
});

Deno.test("lineChart and svgLineChart refuse a negative or non-finite point, naming the series", () => {
  assert.throws(
    () => lineChart([{ label: "bad", points: [[0, -1]] }], { xLabel: "x", yLabel: "y" }),
    /Series bad has the point \(0, -1\)/,
  );
  assert.throws(
    () => svgLineChart([{ label: "nan", points: [[NaN, 0]] }], { xLabel: "x", yLabel: "y" }),
    /Series nan/,
  );
});

Deno.test("svgLineChart writes a polyline per series, dashed ones dashed, axes and a legend", () => {
  const svg = svgLineChart(
    [
      { label: "one", points: [[0, 0], [10, 30]] },
      { label: "two", points: [[0, 0], [10, 20]], dashed: true, color: "#123456" },
    ],
    { title: "T & t", xLabel: "slices", yLabel: "count" },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.match(svg, /stroke="#123456" stroke-width="1.2" stroke-dasharray="5,4"/);
  assert.match(svg, />T &amp; t</);
  assert.match(svg, />slices</);
  assert.match(svg, />count</);
  assert.match(svg, />one</);
});
