/**
 * Argument checks for the lab's public methods, so a typo or a wrong type at the REPL is a
 * TypeError that names the method, the argument and what to give, and never a run that goes on
 * forever or a call that silently does something else. Each check returns the value, narrowed.
 *
 * @module
 */

/** `value` shown in an error: strings quoted, objects by their kind. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/**
 * `value` as an options object of `method` whose keys are among `known`; undefined is {}.
 * Throws TypeError for something else or an unknown key (naming the keys there are).
 */
export function options<K extends string>(
  method: string,
  value: unknown,
  known: readonly K[],
): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${method} takes an options object ({ ${known.join(", ")} }), not ${show(value)}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${method} has no option ${key}: its options are ${known.join(", ")}`);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

/**
 * `value` as a whole number >= `min` (a count, a limit) for argument `name` of `method`;
 * undefined gives `fallback`. Throws TypeError otherwise.
 */
export function count(
  method: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(
      `${method}: ${name} must be a whole number >= ${min}, not ${show(value)}`,
    );
  }
  return value;
}

/**
 * `value` as a 32-bit address for argument `name` of `method` (0 to 0xffffffff), unsigned.
 * Throws TypeError for anything else.
 */
export function address(method: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new TypeError(
      `${method}: ${name} must be an address from 0 to 0xffffffff, not ${show(value)}`,
    );
  }
  return value >>> 0;
}

/** `value` as one of `choices` for argument `name` of `method`; throws TypeError otherwise. */
export function oneOf<T extends string>(
  method: string,
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new TypeError(
      `${method}: ${name} must be one of ${choices.join(", ")}, not ${show(value)}`,
    );
  }
  return value as T;
}

/** Throws TypeError when `method` was given more than `n` arguments. */
export function atMost(method: string, args: ArrayLike<unknown>, n: number): void {
  if (args.length > n) {
    throw new TypeError(
      `${method} takes at most ${n} argument${n === 1 ? "" : "s"}, not ${args.length}`,
    );
  }
}
