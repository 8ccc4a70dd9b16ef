/**
 * `deno task start` as a user meets it: the REPL comes up with the machine, the assembler and
 * `time` in scope, and the README's example computes what it says.
 *
 * @module
 */

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

/** Feeds `input` to `deno task start` and returns everything it printed. */
async function repl(input: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input + "\nclose()\n"));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

Deno.test("repl starts with m, asm and time in scope and runs assembled code", async () => {
  const out = await repl([
    "const p = asm`",
    "  li $t0, 6",
    "  li $t1, 7",
    "  mult $t0, $t1",
    "  mflo $v0",
    "`.at(0x80030000)",
    "m.bus.ram32.set(p.text, 0x30000 >> 2); m.cpu.pc = 0x80030000",
    "time(() => m.run({ maxInstructions: 4 }))",
    "m.cpu.regs[2] * 1000",
  ].join("\n"));
  assert.match(out, /DECstation 5000\/200 \(KN02\)/);
  assert.match(out, /4 instructions · 15 cycles · 0 modeled · 0\.60 us/);
  assert.match(out, /42000/);
  assert.doesNotMatch(out, /ReferenceError|Uncaught/);
});

Deno.test("repl help() explains how to assemble, run and time", async () => {
  const out = await repl("help()");
  assert.match(out, /asm`\.\.\.`\.at\(addr\)/);
  assert.match(out, /time\(/);
});
