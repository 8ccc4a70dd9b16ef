/**
 * The laboratory: a DECstation with Aegis booted on it, as the REPL and scripts use it. `m` in
 * the REPL is a Lab: everything a DECstation offers, plus `m.aegis`.
 *
 * @module
 */

import { DECstation, type DECstationOptions, type MachineSnapshot } from "../machine/decstation.ts";
import { Aegis, type AegisOptions, type AegisState } from "../aegis/kernel.ts";

/** A lab's snapshot: the machine and the kernel's TypeScript-side state. */
export interface LabSnapshot extends MachineSnapshot {
  /** Aegis's state outside the machine's memory. */
  aegis: AegisState;
}

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

  /** The whole state, machine and kernel, to repeat an experiment from here with `restore`. */
  override snapshot(): LabSnapshot {
    return { ...super.snapshot(), aegis: this.aegis.snapshot() };
  }

  /** Puts the machine and the kernel back as `snapshot` found them. */
  override restore(s: LabSnapshot): void {
    super.restore(s);
    this.aegis.restore(s.aegis);
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
