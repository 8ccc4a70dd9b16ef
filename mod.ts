/**
 * exolab for scripts: the lab (a DECstation with Aegis and ExOS), the machine alone, the
 * assembler, and the kernel's and library's public faces.
 *
 * ```ts
 * import { asm, Lab } from "./mod.ts";
 * const m = new Lab();                       // a DECstation 5000/200 with Aegis booted
 * const e = m.aegis.createEnv("demo");
 * const p = e.sys.allocPage();
 * m.exos.exec("/bin/hello"); m.exos.run();   // an ExOS process
 * ```
 *
 * @module
 */

export * from "./machine/mod.ts";
export { Lab, type LabOptions, type LabSnapshot } from "./shell/lab.ts";
export { Aegis, AegisError, type AegisOptions, Environment, Page } from "./aegis/mod.ts";
export { AddressSpace, ExOS, Process } from "./exos/mod.ts";
