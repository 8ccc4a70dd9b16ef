/**
 * The bench in the real REPL, through a terminal (tmux): Ctrl-C stops `m.run()` and
 * `m.exos.run()` and the session goes on; breakpoints and stepping as the README's bench session
 * shows them; errors printed without the library's frames. Waits poll the screen for up to 30 s
 * and never depend on the host's speed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hasTmux, openRepl, output, paste, readmeInputs } from "./_tmux.ts";

/** A REPL in a terminal, at its first prompt. */
const repl = openRepl;

/** The code of the README's bench session: its lines after "> ", with their continuations. */
function readmeBench(): { code: string[]; said: Map<string, string> } {
  const code = readmeInputs("## At the bench");
  const said = new Map<string, string>();
  for (const c of code) {
    const m = c.match(/^(.*?) +\/\/ (.*)$/);
    if (m) said.set(m[1], m[2]);
  }
  return { code: code.map((c) => c.replace(/ +\/\/ .*$/, "")), said };
}

Deno.test({
  name: "bench Ctrl-C stops m.run() with reason interrupted, and the session goes on",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      await paste(screen, [
        `const e = m.aegis.createEnv("spin")`,
        "const prog = e.load(asm`top: addiu $s0, $s0, 1; b top; nop`)",
        `e.sys.sliceAlloc(); e.enter(prog.origin)`,
      ]);
      await screen.type("const r = m.run()");
      await screen.waitFor(/^m\.run\(\) runs with no limit: Ctrl-C stops it/m);
      await screen.press("C-c");
      await screen.waitFor((t) =>
        t.trimEnd().endsWith(">") && /const r = m\.run\(\)\n.*\n.*\n>/.test(t)
      );
      const out = await paste(screen, [`r.reason`, `r.pc.toString(16)`, `m.run(1000)`]);
      assert.match(out, /^"interrupted"$/m);
      // In the loop, or in the kernel when the interrupt found the clock's tick being served.
      assert.match(out, /^"(40000[0-8]|8000[0-9a-f]{4})"$/m, "the pc is in the loop or the kernel");
      assert.match(
        out,
        /^Stopped at the instruction limit · pc 0x0040000[0-8] in 0x0081 spin \(user mode\) · 1000 instructions/m,
      );
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "bench Ctrl-C stops m.exos.run() and the process runs on afterwards",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      await paste(screen, [
        `const { elf } = await import("./tests/exos/_unix.ts")`,
        "const p = m.exos.exec(elf(asm`1: b 1b; nop`))",
      ]);
      await screen.type("m.exos.run()");
      await screen.waitFor(/^m\.exos\.run\(\) runs with no limit: Ctrl-C stops it/m);
      await screen.press("C-c");
      const text = await screen.waitFor(/^\^?C?Interrupted \(Ctrl-C\) · pc 0x[0-9a-f]{8}/m);
      assert.doesNotMatch(text, /Uncaught/);
      const out = await paste(screen, [`p.state`, `m.exos.run(5000).reason`]);
      assert.match(out, /^"runnable"$/m);
      assert.match(out, /^"instructions"$/m);
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "bench the README's session breaks, steps and reports a death as it says",
  ignore: !hasTmux,
  async fn() {
    const { code, said } = readmeBench();
    assert.ok(said.size >= 5, "the session says what it shows");
    const screen = await repl();
    try {
      const out = await paste(screen, code);
      assert.doesNotMatch(out, /Uncaught|Error/);
      for (const [input, note] of said) {
        const literal = note.replace(/ ?\.\.\.$/, "").replace(/^\.\.\. /, "");
        if (input === "m.step(3)" || input.startsWith("m.disasm") || input === "m.stats") continue;
        if (input.startsWith("m.symbols")) continue;
        assert.ok(out.includes(literal), `${input} shows ${literal}\n${out}`);
      }
      assert.match(out, /^[0-9a-f]{8} {2}addiu \$t0, \$t0, -1 +t0=0x00000002$/m, "m.step(3)");
      assert.match(out, /^[0-9a-f]{8} {2}bnez \$t0, loop$/m);
      assert.match(out, /^→ 0x[0-9a-f]{8} {2}[0-9a-f]{8} {2}/m, "m.disasm() has its arrow");
      assert.match(out, /^instructions +\d+ \(kernel \d+, user \d+\)$/m, "m.stats");
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "bench errors in the REPL show the message and the typed frame, not the library's",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      const out = await paste(screen, [
        `m.run({ maxInstrucions: 5 })`,
        `const e = m.aegis.createEnv("demo")`,
        `e.sys.dealloc({ number: 1, capability: 0n, owner: e })`,
        `try { m.step(0) } catch (err) { err.frames.includes("shell/lab.ts") }`,
      ]);
      assert.match(
        out,
        /^Uncaught TypeError: m\.run has no option maxInstrucions: its options are maxInstructions, maxCycles, until$/m,
      );
      assert.match(out, /^Uncaught AegisError: DEALLOC\(0x1, 0x0, 0x0, 0x0\) failed: INVAL/m);
      assert.match(out, /^ +at <anonymous>:\d+:\d+$/m);
      assert.doesNotMatch(output(out), /shell\/lab\.ts|aegis\/env\.ts|aegis\/kernel\.ts/);
      assert.match(out, /^true$/m, "the frames stay on the error");
    } finally {
      await screen.close();
    }
  },
});
