/**
 * exolab for scripts: the machine, the assembler and (as they arrive) Aegis and ExOS.
 *
 * ```ts
 * import { asm, DECstation } from "./mod.ts";
 * const m = new DECstation();
 * ```
 *
 * @module
 */

export * from "./machine/mod.ts";
