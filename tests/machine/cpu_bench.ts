/**
 * Host speed of the interpreter, for `deno task bench`: the guest loop of `exo bench cpu`, ten
 * million instructions per iteration (time per iteration / 10 = ns per emulated instruction).
 *
 * @module
 */

import { cpuLoopMachine } from "../../machine/bench.ts";

const m = cpuLoopMachine();
m.run({ maxInstructions: 20_000_000 }); // warm the interpreter up

Deno.bench("cpu guest loop, 10 million instructions", () => {
  m.run({ maxInstructions: 10_000_000 });
});
