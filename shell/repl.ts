/**
 * The REPL prelude: `deno task start` (and `exo repl`) evaluate this file, then hand the prompt
 * to the user with a DECstation running Aegis in scope as `m`, the assembler as `asm`, `time`
 * for emulated-time measurements (shell/time.ts) and `help()` (shell/help.ts).
 *
 * It also makes the REPL a bench a session is not lost at: Ctrl-C stops a run (shell/interrupt.ts)
 * instead of doing nothing until it ends, and an error prints its message and the frames of
 * what was typed, not the library's (shell/errors.ts; `error.frames` keeps them all).
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
import { ctrlC } from "./interrupt.ts";
import { installReplStackTrace } from "./errors.ts";

installReplStackTrace(new URL("../", import.meta.url));
await ctrlC.listen();

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
