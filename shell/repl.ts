/**
 * The REPL prelude: `deno task start` (and `exo repl`) evaluate this file, then hand the prompt
 * to the user with a DECstation running Aegis in scope as `m`, the assembler as `asm`, `time`
 * for emulated-time measurements (shell/time.ts) and `help()` (shell/help.ts).
 *
 * It stays small so the prompt comes up fast: booting the machine and the kernel is the only
 * work done before it.
 *
 * @module
 */

import { asm } from "../machine/asm/mod.ts";
import { Lab } from "./lab.ts";
import { helpText } from "./help.ts";
import { Text } from "./plot.ts";
import { timer } from "./time.ts";

/** The machine in scope, with Aegis booted. */
const m = new Lab();

/** Measures operations on `m` in emulated time. */
const time = timer(m);

/** How to get started: prints itself in the REPL. */
function help(): Text {
  return new Text(helpText());
}

Object.assign(globalThis, { m, asm, time, help });
console.log(`${m}\nIn scope: m (the machine), m.aegis, asm, time. Type help() to begin.`);
