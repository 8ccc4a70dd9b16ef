/**
 * Figure 3 (scripts/paper_sched.ts): 100 slices shared 3:2:1 by the stride scheduler, every
 * slice to exactly one client, counts that only grow and follow the ideal lines, and the figure
 * in the terminal and as SVG.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  formatSched,
  measureSched,
  schedSeries,
  SLICES,
  writeSchedSvg,
} from "../../scripts/paper_sched.ts";

const r = measureSched();

Deno.test("measureSched gives 100 slices 3:2:1, each within one slice of its share", () => {
  assert.equal(r.slices, SLICES);
  assert.deepEqual(r.clients.map((c) => [c.name, c.tickets]), [["A", 3], ["B", 2], ["C", 1]]);
  assert.equal(r.clients.reduce((n, c) => n + c.slices, 0), SLICES, "every slice ran one client");
  for (const c of r.clients) {
    assert.ok(Math.abs(c.slices - SLICES * c.ideal) <= 1, `${c.name}: ${c.slices} slices`);
    assert.ok(Math.abs(c.countShare - c.ideal) < 0.02, `${c.name}: ${c.countShare}`);
  }
});

Deno.test("measureSched's counts grow one client a slice, and track the ideal lines", () => {
  assert.equal(r.counts.length, SLICES + 1);
  assert.deepEqual(r.counts[0], [0, 0, 0]);
  for (let k = 1; k < r.counts.length; k++) {
    const moved = r.counts[k].filter((c, i) => c !== r.counts[k - 1][i]);
    assert.equal(moved.length, 1, `slice ${k}: one client ran`);
    assert.ok(r.counts[k].every((c, i) => c >= r.counts[k - 1][i]));
  }
  const perSlice = r.counts[SLICES].reduce((a, b) => a + b, 0) / SLICES;
  const [a, b, c, ia, ib, ic] = schedSeries(r);
  for (const [real, ideal] of [[a, ia], [b, ib], [c, ic]]) {
    for (let k = 0; k <= SLICES; k++) {
      const gap = Math.abs(real.points[k][1] - ideal.points[k][1]);
      assert.ok(gap <= 1.5 * perSlice, `${real.label} at slice ${k}: ${gap} from the ideal`);
    }
  }
});

Deno.test("formatSched and writeSchedSvg draw Figure 3", () => {
  const text = formatSched(r);
  assert.match(text, /^A +3 +50\.0% +\d+ +[\d.]+% +\d+ +[\d.]+%$/m);
  assert.match(text, /│.*A/);
  assert.match(text, /A \(3 tickets\) +B \(2 tickets\) +C \(1 ticket\) +· A ideal/);
  const path = Deno.makeTempFileSync({ suffix: ".svg" });
  try {
    assert.equal(writeSchedSvg(r, path), path);
    const svg = Deno.readTextFileSync(path);
    assert.equal(svg.match(/<polyline /g)?.length, 6);
    assert.equal(
      svg.match(/stroke-dasharray/g)?.length,
      6,
      "three dashed ideals, in the legend too",
    );
  } finally {
    Deno.removeSync(path);
  }
});
