/**
 * `deno task start` as a person meets it, through a real terminal (tmux): the banner, help(),
 * every example help() shows, the README's session, and an error that leaves the REPL alive.
 * Assertions read the screen; waits poll for up to 30 s and never depend on the host's speed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EXAMPLES } from "../../shell/help.ts";
import { hasTmux, openRepl, output, paste, readmeInputs } from "./_tmux.ts";

/** A REPL in a terminal, at its first prompt. */
const repl = openRepl;

/** The code of the README's REPL session. */
const readmeSession = () => readmeInputs("## In the REPL");

Deno.test({
  name: "repl banner names the machine and Aegis, then prompts",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      const text = await screen.text();
      assert.match(text, /DECstation 5000\/200 \(KN02\) · R3000A 25 MHz · 32 MB · Aegis: 0 env/);
      assert.match(text, /Type help\(\) to begin/);
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "repl help() prints the names in scope and every example",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      await screen.type("help()");
      // The whole of it: the last example, then the next prompt.
      const text = await screen.waitFor(/c\.svg\(\)[\s\S]*^> $/m);
      assert.match(text, /m\.aegis +the exokernel/);
      for (const x of EXAMPLES) assert.ok(text.includes(x.code.split("\n")[0]), x.code);
      assert.doesNotMatch(text, /^undefined$/m);
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "repl runs every example help() shows, pasted in order, without an error",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      const text = await paste(screen, EXAMPLES.map((x) => x.code));
      const out = output(text);
      assert.doesNotMatch(out, /Uncaught|Error/);
      assert.match(out, /^Page 0x[0-9a-f]{4} \(physical 0x[0-9a-f]{8}\): owner demo/m);
      assert.match(out, /^ +\d+ {2}0x10000000 +\d+ {2}0x[0-9a-f]{5} {2}-DV-$/m, "the TLB entry");
      assert.match(out, /^1$/m, "s0 counted one overflow");
      assert.match(out, /^"7fffffff"$/m, "the TypeScript handler mapped the page stored to");
      assert.match(out, /^null syscall: \d+ instructions · \d+ cycles · 0 modeled · [\d.]+ us$/m);
      assert.match(
        out,
        /^null +[\d.]+ +[\d.]+ +0 +[\d.]+ +[\d.]+ +[\d.]+ +5$/m,
        "the comparison table",
      );
      assert.match(out, /^getid +█+/m, "the bar chart");
      const svg = out.match(/^"(.*exolab-compare-.*\.svg)"$/m);
      assert.ok(svg, "c.svg() returned a path");
      assert.match(Deno.readTextFileSync(svg[1]), /^<svg [^]*emulated us[^]*<\/svg>\n$/);
      Deno.removeSync(svg[1]);
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "repl shows what the README's session says it shows",
  ignore: !hasTmux,
  async fn() {
    const session = readmeSession();
    const said = session.join("\n").match(/time\(\(\) => e\.sys\.null\(\)\) +\/\/ (.*)$/m);
    assert.ok(said, "the README times a null system call and says what it shows");
    const screen = await repl();
    try {
      const out = output(await paste(screen, session));
      assert.doesNotMatch(out, /Uncaught|Error/);
      assert.match(out, /^Page 0x[0-9a-f]{4} rw, owner demo, capability 0x[0-9a-f]{16}$/m);
      assert.ok(out.split("\n").includes(said[1]), `the screen shows ${said[1]}`);
      assert.match(out, /^overflow at 400008$/m);
      assert.match(out, /^TLB: \d+ of 64 entries valid$/m);
      assert.match(out, /^0x[0-9a-f]{4} +demo +\d+ +\d+ /m, "the environments table");
      const [, instructions, cycles] = said[1].match(/^(\d+) instructions · (\d+) cycles/)!;
      assert.match(
        out,
        new RegExp(`^null +${instructions} +${cycles} +0 +[\\d.]+ +[\\d.]+ +[\\d.]+ +5$`, "m"),
        "time.compare's table agrees with time",
      );
      assert.match(out, /^alloc +█+/m, "time.compare's bar chart");
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "repl prints an AegisError for a bad system call and goes on",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      const out = await paste(screen, [
        `const e = m.aegis.createEnv("demo")`,
        `e.sys.dealloc({number: 1, capability: 0n, owner: e})`,
        "6 * 7",
      ]);
      assert.match(
        out,
        /^Uncaught AegisError: DEALLOC\(0x1, 0x0, 0x0, 0x0\) failed: INVAL \(-1\): an argument is out of range/m,
      );
      assert.match(out, /^42$/m);
    } finally {
      await screen.close();
    }
  },
});

Deno.test({
  name: "Screen type sends a line ending in a semicolon whole",
  ignore: !hasTmux,
  async fn() {
    const screen = await repl();
    try {
      await screen.type("`a;;");
      await screen.type("`.length * 100");
      await screen.waitFor(/^400$/m);
    } finally {
      await screen.close();
    }
  },
});
