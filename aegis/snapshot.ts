/**
 * Snapshots of the kernel. Everything Aegis keeps is in the machine's memory (aegis/state.ts),
 * so the machine's snapshot holds the kernel; what is added here is the host side: the
 * TypeScript handlers and entry functions, the log of exits, and the host's objects for
 * environments with their bookkeeping. A snapshot is restored into the same kernel only (its
 * functions are the same objects).
 *
 * @module
 */

import type { TsHandler } from "./abi.ts";
import type { EnvExit, KernelState, TsEntry } from "./state.ts";

/** The kernel's host-side state, as `takeSnapshot` copies it. */
export interface AegisState {
  /** TypeScript handlers, by environment id then code. */
  handlers: Map<number, Map<number, TsHandler>>;
  /** TypeScript entry functions, by environment id. */
  entries: Map<number, TsEntry>;
  /** The log of exits. */
  exits: EnvExit[];
  /** The host's per-environment objects' bookkeeping, opaque here (aegis/kernel.ts keeps them). */
  faces: Map<number, unknown>;
  /** Those objects' names, by id. */
  names: Map<number, string>;
}

/** Copies `k`'s host tables, with `faces` and `names` (the face objects' own copies). */
export function takeSnapshot(
  k: KernelState,
  faces: Map<number, unknown>,
  names: Map<number, string>,
): AegisState {
  return {
    handlers: new Map([...k.host.handlers].map(([id, t]) => [id, new Map(t)])),
    entries: new Map(k.host.entries),
    exits: k.host.exits.map((x) => ({ ...x })),
    faces,
    names,
  };
}

/** Puts back the host tables of `s` into `k`. */
export function restoreSnapshot(k: KernelState, s: AegisState): void {
  k.host.handlers.clear();
  for (const [id, t] of s.handlers) k.host.handlers.set(id, new Map(t));
  k.host.entries.clear();
  for (const [id, f] of s.entries) k.host.entries.set(id, f);
  k.host.exits.splice(0, k.host.exits.length, ...s.exits.map((x) => ({ ...x })));
}
