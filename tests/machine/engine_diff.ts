/**
 * The differential test's long mode, outside the suite: random instruction streams
 * (tests/machine/_engine_diff.ts) from seed N on, M of them, each run in lockstep on the
 * interpreter and the translator (hotness 1) for I instructions (or until it halts) with random
 * run limits. It prints one line per hundred streams and, at the first difference, the seed and
 * what differs (exit status 1); `--seed` of that seed with `--runs 1` repeats it.
 *
 *   deno run -A tests/machine/engine_diff.ts [--seed N] [--runs M] [--instructions I]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { lockstep, pair, runMachine, streamMachine } from "./_engine_diff.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      runs: { type: "string", default: "1000" },
      instructions: { type: "string", default: "1000000" },
    },
  });
  const number = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      console.error(`--${name} ${v} is not a whole number >= 0`);
      Deno.exit(1);
    }
    return n;
  };
  const first = number("seed", values.seed), runs = number("runs", values.runs);
  const budget = number("instructions", values.instructions);
  const t0 = performance.now();
  let instructions = 0, limits = 0;
  for (let seed = first; seed < first + runs; seed++) {
    const [a, b] = pair((engine) => streamMachine(seed, engine));
    try {
      // A stream that wanders into its data may halt the machine (a random store to the halt
      // register): it ends there, and every later run would end at once.
      const r = lockstep(a, b, runMachine, {
        seed,
        budget,
        maxRun: 20_000,
        label: "stream",
        until: ["halt"],
      });
      instructions += r.instructions;
      limits += r.runs;
    } catch (e) {
      console.error(`seed ${seed}: ${(e as Error).message}`);
      console.error(`repeat: deno run -A tests/machine/engine_diff.ts --seed ${seed} --runs 1`);
      Deno.exit(1);
    }
    if ((seed - first + 1) % 100 === 0) console.log(`${seed - first + 1} streams agree`);
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${runs} streams from seed ${first} agree: ${instructions} instructions in ${limits} runs ` +
      `on each engine (${s} s)`,
  );
}
