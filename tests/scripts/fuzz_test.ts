/**
 * The fuzzer (scripts/fuzz.ts) and the invariants it checks (aegis/invariants.ts): a seeded
 * short campaign finds nothing, repeats exactly and really reaches the network (calls that
 * succeed, frames taken from the LANCE), and the invariants do catch a kernel that breaks them
 * (a binding nobody granted, a stolen ASID, a capability left on a free page).
 *
 * The million-call figure is a benchmark (`exo fuzz --calls 1000000`), not a test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fuzz } from "../../scripts/fuzz.ts";
import { checkInvariants } from "../../aegis/invariants.ts";
import { G, K, PT, pteAddress, stlbOffset } from "../../aegis/layout.ts";
import { boot } from "../aegis/_aegis.ts";

Deno.test("fuzz: a seeded campaign of hostile environments finds no violation, and repeats", () => {
  const a = fuzz({ calls: 2500, seed: 11, envs: 4 });
  assert.deepEqual(a.first, []);
  assert.equal(a.violations, 0);
  assert.equal(a.hostExceptions, 0);
  assert.equal(a.calls, 2500);
  assert.ok(a.environments > 4, "environments died and were replaced");
  assert.ok(a.network > 20, `${a.network} network calls succeeded`);
  assert.ok(a.frames > 20, `${a.frames} frames received`);
  const b = fuzz({ calls: 2500, seed: 11, envs: 4 });
  assert.equal(b.environments, a.environments, "the same seed makes the same run");
});

Deno.test("checkInvariants finds a binding of a page its environment neither owns nor was given", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a"), b = lab.aegis.createEnv("b");
  const theirs = b.sys.allocPage();
  assert.deepEqual(checkInvariants(lab.aegis, new Map()), []);
  // Plant, as a broken kernel would, an STLB entry giving a b's page.
  const slot = K.STLB + stlbOffset(0x10000000, a.asid);
  lab.aegis.mem.w32(slot, 0x10000000 | (a.asid << 6));
  lab.aegis.mem.w32(slot + 4, (theirs.number << 12) | 0x600);
  const found = checkInvariants(lab.aegis, new Map());
  assert.equal(found.length, 1);
  assert.match(found[0], /never granted/);
  // Given the capability, the same binding is allowed (read-write here).
  const granted = new Map([[a.id, [{ page: theirs.number, capability: theirs.capability }]]]);
  assert.deepEqual(checkInvariants(lab.aegis, granted), []);
});

Deno.test("checkInvariants finds a stolen ASID and a capability on a free page", () => {
  const lab = boot();
  const a = lab.aegis.createEnv("a"), b = lab.aegis.createEnv("b");
  lab.aegis.mem.setGlobal(G.ASID_OWNER + 4 * a.asid, b.id);
  const page = lab.aegis.firstPage + 10;
  lab.aegis.mem.w32(pteAddress(page) + PT.CAP_RW, 0x1234);
  const found = checkInvariants(lab.aegis);
  assert.ok(found.some((v) => /owner table gives to someone else/.test(v)), found.join("\n"));
  assert.ok(found.some((v) => /free page .* keeps capabilities/.test(v)), found.join("\n"));
});
