/**
 * Aegis, the exokernel: public face for scripts and the shell. Library operating systems import
 * only ./abi.ts.
 *
 * ```ts
 * import { DECstation } from "../machine/mod.ts";
 * import { Aegis } from "./mod.ts";
 * const aegis = new Aegis(new DECstation());
 * const e = aegis.createEnv("demo");
 * const p = e.sys.allocPage();
 * ```
 *
 * @module
 */

export { Aegis, type AegisOptions } from "./kernel.ts";
export {
  AegisError,
  Environment,
  exceptionCode,
  type ExceptionName,
  Page,
  Syscalls,
} from "./env.ts";
export * from "./abi.ts";
export { E, K, PAGE_SIZE, U } from "./layout.ts";
