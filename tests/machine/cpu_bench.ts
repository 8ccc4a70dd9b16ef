/**
 * Host speed of the interpreter, for `deno task bench`: the same guest loop as `exo bench cpu`.
 *
 * @module
 */

import { benchCpu } from "../../machine/bench.ts";

Deno.bench("cpu guest loop, 0.5 s of host time", { n: 1, warmup: 0 }, () => {
  benchCpu(0.5);
});
