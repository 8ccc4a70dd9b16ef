/**
 * shell/compare.ts: the summary of several programs, on made-up results (the geometric mean
 * and the table `exo bench compare A.elf B.elf ...` prints), and a runner that never ends, killed
 * at the time limit and reported so.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asm } from "../../machine/asm/mod.ts";
import { writeElf } from "../../machine/elf_writer.ts";
import {
  compareProgram,
  type CompareResult,
  formatCompare,
  formatCompareMany,
  geometricMean,
} from "../../shell/compare.ts";

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

Deno.test("A runner still running at the time limit is killed: no ratio, and not a match", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/spin.elf`;
    await Deno.writeFile(
      path,
      writeElf(asm`
        .set    noreorder
__start:
        b       __start
        nop
`.at(0x80030000)),
    );
    const r = await compareProgram(path, { useGxemul: false, timeoutSeconds: 1 });
    assert.deepEqual(r.runs.map((run) => [run.runner, run.timedOut]), [
      ["interp", true],
      ["jit", true],
    ]);
    assert.ok(r.runs.every((run) => run.wallSeconds >= 1));
    assert.equal(r.match, false);
    assert.equal(r.gxemulOverJit, null);
    const text = formatCompare(r);
    assert.match(text, /interp +\d+\.\d+ s wall · killed: still running at the time limit/);
    assert.match(text, /outputs: killed \(a run reached the time limit\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
