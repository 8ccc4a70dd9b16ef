/**
 * Aegis, the exokernel: public face for scripts and the shell. Library operating systems import
 * only ./abi.ts.
 *
 * @example
 * ```ts
 * import { DECstation } from "../machine/mod.ts";
 * import { Aegis } from "./mod.ts";
 * const aegis = new Aegis(new DECstation());
 * const e = aegis.createEnv("demo");
 * const p = e.sys.allocPage();
 * e.sys.tlbWrite(0x00400000, p, { writable: true });
 * ```
 *
 * @module
 */

export { Aegis, type AegisOptions, type AegisState, type EnvExit } from "./kernel.ts";
export {
  Environment,
  exceptionCode,
  type ExceptionName,
  Page,
  type PageRef,
  Syscalls,
} from "./env.ts";
export * from "./abi.ts";
export { E, K, PAGE_SIZE, U } from "./layout.ts";
