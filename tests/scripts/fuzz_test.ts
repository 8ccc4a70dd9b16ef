/**
 * The fuzzer (scripts/fuzz.ts) against the kernel, network included: a short campaign finds no
 * violation and no host exception, and really reaches the network (calls that succeed, frames
 * taken from the LANCE).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fuzz } from "../../scripts/fuzz.ts";

Deno.test("fuzz finds no invariant broken by hostile environments, the network's calls among them", () => {
  const r = fuzz({ calls: 1500, seed: 11, envs: 4 });
  assert.deepEqual(r.first, []);
  assert.equal(r.violations, 0);
  assert.equal(r.hostExceptions, 0);
  assert.ok(r.network > 20, `${r.network} network calls succeeded`);
  assert.ok(r.frames > 20, `${r.frames} frames received`);
});
