/**
 * The disassembler/assembler round trip: for every 32-bit word w and pc, the text
 * `disassemble(w, pc)` assembles at pc (with `.set noreorder`) to exactly [w]. Checked over
 * seeded pseudo-random words and over every opcode, function and selector combination.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assemble, decode, disassemble } from "../../machine/asm/mod.ts";

/** xorshift32: a small seeded generator, so failures reproduce. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Returns a description of the round-trip failure for `w` at `pc`, or undefined. */
function roundTrip(w: number, pc: number): string | undefined {
  const text = disassemble(w, pc);
  if (text.startsWith(".word") !== (decode(w) === undefined)) return `decode disagrees: ${text}`;
  try {
    const out = assemble(text, { origin: pc, reorder: false }).text;
    if (out.length === 1 && out[0] === w) return undefined;
    return `${text} -> [${Array.from(out, (x) => x.toString(16)).join(", ")}]`;
  } catch (e) {
    return `${text} -> ${(e as Error).message}`;
  }
}

function check(w: number, pc: number, failures: string[]): void {
  const why = roundTrip(w >>> 0, pc >>> 0);
  if (why && failures.length < 10) {
    failures.push(`0x${(w >>> 0).toString(16)} at 0x${(pc >>> 0).toString(16)}: ${why}`);
  }
}

Deno.test("disassemble output assembles back to 200k pseudo-random words", () => {
  const next = xorshift(0x5eed);
  const failures: string[] = [];
  let valid = 0;
  for (let i = 0; i < 200_000; i++) {
    const w = next(), pc = next() & ~3;
    if (decode(w)) valid++;
    check(w, pc, failures);
  }
  assert.deepEqual(failures, []);
  assert.ok(valid > 50_000, `only ${valid} random words were instructions`);
});

Deno.test("disassemble output assembles back for every opcode, function and selector", () => {
  const next = xorshift(42);
  const failures: string[] = [];
  const pcs = [0, 0x0ffffffc, 0x7ffffffc, 0x80000000, 0xbfc00000, 0xfffffffc];
  const fills = () => [0, 0x03ffffff, 0x02aaaaaa, 0x01555555, next() & 0x03ffffff];
  for (let op = 0; op < 64; op++) {
    for (const fill of fills()) {
      const base = (op << 26 | fill) >>> 0;
      const variants: number[] = [base];
      if (op === 0) { for (let fn = 0; fn < 64; fn++) variants.push((base & ~0x3f | fn) >>> 0); }
      if (op === 1) {
        for (let rt = 0; rt < 32; rt++) variants.push((base & ~0x1f0000 | rt << 16) >>> 0);
      }
      if (op === 0x10) {
        for (let rs = 0; rs < 32; rs++) {
          for (const low of [0, fill & 0x7ff]) {
            variants.push((base & ~0x03e007ff | rs << 21 | low) >>> 0);
          }
          for (let fn = 0; fn < 64; fn++) variants.push((op << 26 | rs << 21 | fn) >>> 0);
        }
      }
      for (const w of variants) for (const pc of pcs) check(w, pc, failures);
    }
  }
  assert.deepEqual(failures, []);
});
