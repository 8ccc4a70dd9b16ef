/**
 * Errors as the REPL prints them (shell/errors.ts): the message and the frames of what was typed,
 * without the library's own frames, which stay on the error as `frames`. Checked in a child
 * process, since the hook is global.
 *
 * @module
 */

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test("installReplStackTrace drops the library's frames from stack and keeps them in frames", async () => {
  const script = `
    import { installReplStackTrace } from ${JSON.stringify(new URL("shell/errors.ts", root).href)};
    import { Lab } from ${JSON.stringify(new URL("shell/lab.ts", root).href)};
    installReplStackTrace(new URL(${JSON.stringify(root.href)}));
    const m = new Lab();
    function typedByTheUser() { m.run(-1); }
    try { typedByTheUser(); } catch (e) {
      console.log(JSON.stringify({ stack: e.stack, frames: e.frames }));
    }`;
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/session.ts`;
    Deno.writeTextFileSync(file, script);
    const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", file] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const { stack, frames } = JSON.parse(new TextDecoder().decode(out.stdout));
    const lines = stack.split("\n");
    assert.equal(
      lines[0],
      "TypeError: m.run: the instruction count must be a whole number >= 0, not -1",
    );
    assert.ok(lines.slice(1).every((l: string) => !l.includes(root.pathname)), stack);
    assert.match(stack, /at typedByTheUser \(.*session\.ts/);
    assert.match(frames, /at Lab\.run \(.*shell\/lab\.ts/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
