/**
 * The progress line (shell/progress.ts): silent for the delay, throttled after it, rewritten in
 * place and erased at the end; never made when stderr is not a terminal.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Progress } from "../../shell/progress.ts";

/** A progress line on a fake clock, and everything it wrote. */
function fake() {
  let now = 0;
  const written: string[] = [];
  const p = new Progress((t) => written.push(t), () => now, 1000, 250);
  return { p, written, advance: (ms: number) => now += ms };
}

Deno.test("Progress tick stays silent for the delay, then writes at most every interval", () => {
  const { p, written, advance } = fake();
  p.tick(() => "early");
  advance(999);
  p.tick(() => "still early");
  assert.deepEqual(written, []);
  advance(1);
  p.tick(() => `${p.seconds} s`);
  advance(100);
  p.tick(() => "too soon");
  advance(150);
  p.tick(() => "next");
  assert.deepEqual(written, ["\r\x1b[K1 s", "\r\x1b[Knext"]);
});

Deno.test("Progress clear erases a shown line once, and nothing when none was shown", () => {
  const { p, written } = fake();
  p.clear();
  assert.deepEqual(written, []);
  p.show("measuring");
  p.clear();
  p.clear();
  assert.deepEqual(written, ["\r\x1b[Kmeasuring", "\r\x1b[K"]);
});

Deno.test("Progress forStderr is null when stderr is not a terminal", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { Progress } from "${new URL(
        "../../shell/progress.ts",
        import.meta.url,
      )}"; console.log(Progress.forStderr())`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "null");
});
