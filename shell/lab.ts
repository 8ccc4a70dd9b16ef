/**
 * The laboratory: a DECstation with Aegis booted on it, as the REPL and scripts use it. `m` in
 * the REPL is a Lab: everything a DECstation offers, plus `m.aegis` and `m.exos`.
 *
 * `m.exos` is ExOS's process layer (exos/process.ts), made on first use. The lab is its host:
 * it creates environments with Aegis, runs the machine and stops it when ExOS asks, and lends
 * it the console, which Aegis does not multiplex yet: process
 * output goes to `m.console`, and what `m.console.type` sends is what fd 0 reads. The programs a
 * guest may exec are the UNIX programs of tests/guest/out/unix, as /bin/NAME.
 *
 * @module
 */

import { DECstation, type DECstationOptions, type MachineSnapshot } from "../machine/decstation.ts";
import { Aegis, type AegisOptions, type AegisState } from "../aegis/kernel.ts";
import { ExOS, type PageTableKind } from "../exos/mod.ts";

/** A lab's snapshot: the machine and the kernel's TypeScript-side state. */
export interface LabSnapshot extends MachineSnapshot {
  /** Aegis's state outside the machine's memory. */
  aegis: AegisState;
}

/** Options for booting a lab. */
export interface LabOptions extends DECstationOptions, AegisOptions {
  /** The page-table structure of ExOS's processes (default "linear"). */
  pageTable?: PageTableKind;
}

/** Where the UNIX programs a guest may exec live, each as /bin/NAME. */
const UNIX_PROGRAMS = new URL("../tests/guest/out/unix/", import.meta.url);

/** The ELF files in `dir`, as /bin/NAME (without .elf); none when it cannot be read. */
function programsIn(dir: URL): [string, Uint8Array][] {
  try {
    return [...Deno.readDirSync(dir)].filter((f) => f.name.endsWith(".elf")).map((f) => [
      `/bin/${f.name.slice(0, -4)}`,
      Deno.readFileSync(new URL(f.name, dir)),
    ]);
  } catch {
    return [];
  }
}

/** A DECstation 5000/200 running Aegis. */
export class Lab extends DECstation {
  /** The exokernel. */
  readonly aegis: Aegis;

  readonly #pageTable: PageTableKind;

  /** Builds the machine and boots Aegis on it. */
  constructor(options: LabOptions = {}) {
    super(options);
    this.aegis = new Aegis(this, options);
    this.#pageTable = options.pageTable ?? "linear";
  }

  #exos: ExOS | undefined;

  /** ExOS's processes on this machine: exec, run, processes (made on first use). */
  get exos(): ExOS {
    return this.#exos ??= new ExOS({
      createEnv: (name) => this.aegis.createEnv(name),
      run: (maxInstructions) => {
        const r = this.run({ maxInstructions });
        return { instructions: r.instructions, stopped: r.reason === "stopped" };
      },
      stop: () => this.stop(),
      write: (bytes) => this.console.write(bytes),
      read: () => this.dz.takeConsoleInput(),
      readFile: (path) => {
        try {
          return Deno.readFileSync(path);
        } catch {
          return undefined;
        }
      },
    }, { files: programsIn(UNIX_PROGRAMS), structure: this.#pageTable });
  }

  /**
   * The whole state, machine and kernel, to repeat an experiment from here with `restore`;
   * throws while ExOS has processes (its process table is not covered yet).
   */
  override snapshot(): LabSnapshot {
    if (this.#exos !== undefined && this.#exos.processes.length > 0) {
      throw new Error(
        "Snapshots do not cover ExOS processes yet: take the snapshot before the first exec " +
          "(machine and kernel state are covered; ExOS's process table is not)",
      );
    }
    return { ...super.snapshot(), aegis: this.aegis.snapshot() };
  }

  /** Puts the machine and the kernel back as `snapshot` found them. */
  override restore(s: LabSnapshot): void {
    super.restore(s);
    this.aegis.restore(s.aegis);
    this.#exos = undefined; // the snapshot had no processes: a fresh ExOS matches it
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
