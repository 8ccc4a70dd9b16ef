/**
 * help() (shell/help.ts) covers what a newcomer needs, and prints every example it keeps as
 * data; tests/shell/repl_test.ts pastes those examples into a real REPL.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EXAMPLES, helpText } from "../../shell/help.ts";

const code = EXAMPLES.map((x) => x.code).join("\n");

Deno.test("helpText prints every example's code", () => {
  const text = helpText();
  for (const x of EXAMPLES) {
    const shown = x.code.split("\n").map((l) => "  " + l).join("\n");
    assert.ok(text.includes(shown), x.code);
  }
});

Deno.test("helpText examples allocate, map, handle in TypeScript and assembly, run and time", () => {
  for (
    const needed of [
      /e\.sys\.allocPage\(\)/,
      /e\.sys\.tlbWrite\(/,
      /e\.onException\("\w+", \(x\) =>/,
      /e\.load\(asm`/,
      /e\.onException\("\w+", \w+\.origin\)/,
      /e\.enter\(/,
      /m\.run\(/,
      /^time\("/m,
      /time\.compare\(/,
      /m\.aegis\.tlb\(\)/,
      /m\.aegis\.page\(/,
      /^m\.aegis$/m,
    ]
  ) {
    assert.match(code, needed);
  }
});

Deno.test("helpText lines fit a 120-column terminal", () => {
  for (const line of helpText().split("\n")) assert.ok(line.length <= 120, line);
});
