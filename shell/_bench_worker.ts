/**
 * The worker behind `exo bench cpu`: one engine's measurement (machine/bench.ts) in an isolate
 * of its own, so the engine measured second does not run on code the host's compiler already
 * optimized for the first. It takes [seconds, engine] and answers with the result.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { benchCpu } from "../machine/bench.ts";
import type { Engine } from "../machine/cpu.ts";

self.onmessage = (e: MessageEvent<[number, Engine]>) => {
  self.postMessage(benchCpu(e.data[0], e.data[1]));
};
