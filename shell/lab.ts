/**
 * The laboratory: a DECstation with Aegis booted on it, as the REPL and scripts use it. `m` in
 * the REPL is a Lab: everything a DECstation offers, plus `m.aegis`.
 *
 * @module
 */

import { DECstation, type DECstationOptions } from "../machine/decstation.ts";
import { Aegis, type AegisOptions } from "../aegis/kernel.ts";

/** Options for booting a lab. */
export interface LabOptions extends DECstationOptions, AegisOptions {}

/** A DECstation 5000/200 running Aegis. */
export class Lab extends DECstation {
  /** The exokernel. */
  readonly aegis: Aegis;

  /** Builds the machine and boots Aegis on it. */
  constructor(options: LabOptions = {}) {
    super(options);
    this.aegis = new Aegis(this, options);
  }

  /** One line: the machine, the kernel's environments, emulated time. */
  override toString(): string {
    return `DECstation 5000/200 (KN02) · R3000A 25 MHz · ${this.ramBytes >> 20} MB · ` +
      `Aegis: ${this.aegis.envIds.length} environments · ${fmtTime(this.us)} emulated`;
  }
}

/** Emulated time in the unit that reads best. */
function fmtTime(us: number): string {
  return us >= 1e6
    ? `${(us / 1e6).toFixed(2)} s`
    : us >= 1000
    ? `${(us / 1000).toFixed(2)} ms`
    : `${us.toFixed(2)} us`;
}
