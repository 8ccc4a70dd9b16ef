/**
 * shell/compare.ts's summary of several programs, on made-up results (nothing is run):
 * the geometric mean and the table `exo bench compare A.elf B.elf ...` prints.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type CompareResult, formatCompareMany, geometricMean } from "../../shell/compare.ts";

/** A result with the given wall times (interp, jit, gxemul), every output the same. */
function result(program: string, interp: number, jit: number, gxemul: number): CompareResult {
  const run = (runner: "interp" | "jit" | "gxemul", wallSeconds: number) => ({
    runner,
    wallSeconds,
    status: 0,
    output: "ok\n",
    ...(runner === "gxemul" ? {} : { startupSeconds: 0.05, instructions: 1e6 }),
  });
  return {
    program,
    runs: [run("interp", interp), run("jit", jit), run("gxemul", gxemul)],
    gxemul: "ran",
    match: true,
    gxemulOverInterp: gxemul / interp,
    gxemulOverJit: gxemul / jit,
  };
}

Deno.test("geometricMean is the n-th root of the product, null when a value is missing", () => {
  assert.equal(geometricMean([2, 8]), 4);
  assert.ok(Math.abs(geometricMean([0.5, 2, 1])! - 1) < 1e-12);
  assert.equal(geometricMean([2, null]), null);
  assert.equal(geometricMean([]), null);
});

Deno.test("formatCompareMany prints each report, a line per program and the geometric means", () => {
  const text = formatCompareMany([result("a.elf", 4, 1, 2), result("bb.elf", 1, 0.25, 2)]);
  assert.equal(text.match(/^compare .*:$/gm)?.length, 2);
  const summary = text.slice(text.indexOf("summary"));
  assert.equal(
    summary,
    `summary of 2 programs (wall seconds; gxemul over each engine's, above 1: exolab is faster):
  program         interp    jit  gxemul  gxemul/interp  gxemul/jit    outputs
  a.elf            4.000  1.000   2.000           0.50        2.00  identical
  bb.elf           1.000  0.250   2.000           2.00        8.00  identical
  geometric mean                                  1.00        4.00`,
  );
});
