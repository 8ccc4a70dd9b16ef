/**
 * Choosing the CPU engine: the one place that says which engine a new machine gets, how a name
 * given by a person is checked, and where the translator's hotness threshold comes from.
 *
 * The default is `DEFAULT_ENGINE`, the translator. The environment can override it for a whole
 * process: CI runs the suite once with `EXOLAB_ENGINE=interp`, on the reference engine, and once
 * with `EXOLAB_ENGINE=jit EXOLAB_JIT_HOTNESS=1`, so every machine the tests make translates, and
 * translates everything. The variables are read only where the
 * process may read them without a prompt (`deno run` without `--allow-env` leaves the default);
 * a value they hold that is not an engine, or not a hotness, is an error naming the value.
 *
 * The hotness (how many times a word is reached before its page is translated; 1 translates at
 * once) is `Cpu.jitHotness`; `envJitHotness` reads the process-wide override for it.
 *
 * @module
 */

import type { Engine } from "./cpu.ts";

/** The engines, in the order help texts list them. */
export const ENGINES: readonly Engine[] = ["interp", "jit"];

/** The engine a machine gets when nothing chooses one: the translator, exact by the differential tests. */
export const DEFAULT_ENGINE: Engine = "jit";

/** `value` as an engine; throws RangeError naming `what` and the value otherwise. */
export function parseEngine(what: string, value: unknown): Engine {
  if (typeof value === "string" && (ENGINES as readonly string[]).includes(value)) {
    return value as Engine;
  }
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  throw new RangeError(`${what} ${shown} is not an engine: give ${ENGINES.join(" or ")}`);
}

/** Environment variable `name`, or undefined when it is unset or the process may not read it. */
function readEnv(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name);
}

/** The engine for a machine given none: EXOLAB_ENGINE when set, else `DEFAULT_ENGINE`. */
export function defaultEngine(): Engine {
  const v = readEnv("EXOLAB_ENGINE");
  return v === undefined || v === "" ? DEFAULT_ENGINE : parseEngine("EXOLAB_ENGINE", v);
}

/** EXOLAB_JIT_HOTNESS as a whole number >= 1, or undefined when unset; throws for another value. */
export function envJitHotness(): number | undefined {
  const v = readEnv("EXOLAB_JIT_HOTNESS");
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(
      `EXOLAB_JIT_HOTNESS ${JSON.stringify(v)} is not a whole number >= 1 (1 translates at once)`,
    );
  }
  return n;
}
