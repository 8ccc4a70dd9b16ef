/**
 * `time` and `time.compare` (shell/time.ts): exact emulated counts for known work, labels,
 * medians, means and minima over repeats, warm-up runs, the printed forms, and clear errors for misuse.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";
import { asm } from "../../machine/asm/mod.ts";
import { Measurement, time, timer } from "../../shell/time.ts";

/** A machine with `n` nops then a `break` at 0x80030000, the pc there. */
function nops(n: number): DECstation {
  const m = new DECstation();
  const p = asm`
        .set noreorder
        .space  ${4 * n}
        break
`.at(0x80030000);
  m.bus.ram32.set(p.text, 0x30000 >> 2);
  m.cpu.pc = 0x80030000;
  return m;
}

const inspect = (v: unknown) => Deno.inspect(v);

Deno.test("time counts exactly the instructions and cycles the work executed", () => {
  const m = nops(10);
  const time = timer(m);
  const r = time(() => m.run({ maxInstructions: 4 }));
  assert.equal(r.instructions, 4);
  assert.equal(r.cycles, 4);
  assert.equal(r.modeledCycles, 0);
  assert.equal(r.us, 4 / 25);
  assert.equal(inspect(r), "4 instructions · 4 cycles · 0 modeled · 0.16 us");
});

Deno.test("time with a label prints the label first and counts modeled cycles", () => {
  const m = new DECstation();
  const r = timer(m)("charged", () => m.cpu.charge(50));
  assert.equal(r.label, "charged");
  assert.equal(String(r), "charged: 0 instructions · 50 cycles · 50 modeled · 2.00 us");
});

Deno.test("time refuses a non-function and a function that returns a promise", () => {
  const time = timer(new DECstation());
  assert.throws(() => time(42 as unknown as () => void), /time takes a function/);
  assert.throws(() => time("x", undefined as unknown as () => void), /not undefined/);
  assert.throws(() => time(() => Promise.resolve()), /synchronous/);
});

Deno.test("time.compare runs each case repeat times, in order, with mean and min", () => {
  const m = new DECstation();
  const time = timer(m);
  const order: string[] = [];
  let k = 0;
  const c = time.compare({
    grows: () => (order.push("grows"), m.cpu.charge(10 * ++k)),
    fixed: () => (order.push("fixed"), m.cpu.charge(7)),
  }, { repeat: 3 });
  assert.deepEqual(order, ["grows", "grows", "grows", "fixed", "fixed", "fixed"]);
  const [grows, fixed] = c.rows;
  assert.deepEqual(grows.runs.map((r) => r.cycles), [10, 20, 30]);
  assert.equal(grows.mean.cycles, 20);
  assert.equal(grows.mean.us, 0.8);
  assert.equal(grows.min.cycles, 10);
  assert.equal(fixed.mean.cycles, 7);
  assert.equal(grows.median.cycles, 20);
  assert.ok(grows.mean instanceof Measurement);
});

Deno.test("time(machine, fn) measures once, as the REPL's time does", () => {
  const m = new DECstation();
  assert.equal(time(m, () => m.cpu.charge(25)).cycles, 25);
  assert.equal(
    String(time(m, "x", () => m.cpu.charge(25))),
    "x: 0 instructions · 25 cycles · 25 modeled · 1.00 us",
  );
});

Deno.test("time.compare leaves warm-up runs out and its median ignores a cold first run", () => {
  const m = new DECstation();
  const time = timer(m);
  let k = 0;
  const cold = () => m.cpu.charge(++k === 1 ? 1000 : 10); // the first call is the cold one
  const c = time.compare({ cold }, { repeat: 3 });
  assert.deepEqual(c.rows[0].runs.map((r) => r.cycles), [1000, 10, 10]);
  assert.equal(c.rows[0].median.cycles, 10);
  assert.equal(c.rows[0].mean.cycles, 340);
  k = 0;
  const warm = time.compare({ cold }, { repeat: 3, warmup: 1 });
  assert.equal(k, 4, "one warm-up run, then three counted");
  assert.deepEqual(warm.rows[0].runs.map((r) => r.cycles), [10, 10, 10]);
  assert.equal(warm.rows[0].mean.cycles, 10);
  assert.match(String(warm), /^Emulated time per operation \(median of 3 runs after 1 warm-up\)$/m);
  assert.throws(() => time.compare({ cold }, { warmup: -1 }), /warmup -1 is not/);
  assert.throws(() => time.compare({ cold }, { reps: 3 } as never), /no option reps/);
});

Deno.test("time.compare prints a title, a table and a bar chart scaled to the widest", () => {
  const m = new DECstation();
  const c = timer(m).compare({ a: () => m.cpu.charge(50), bb: () => m.cpu.charge(25) }, {
    repeat: 2,
    title: "Two charges",
  });
  const text = inspect(c);
  assert.match(text, /^Two charges \(median of 2 runs\)$/m);
  assert.match(text, /^ +instructions +cycles +modeled +median us +mean us +min us +runs$/m);
  assert.match(text, /^a +0 +50 +50 +2\.00 +2\.00 +2\.00 +2$/m);
  assert.match(text, /^bb +0 +25 +25 +1\.00 +1\.00 +1\.00 +2$/m);
  assert.match(text, /^a {3}█{40} {2}2 us$/m);
  assert.match(text, /^bb {2}█{20} {22}1 us$/m);
  assert.equal(inspect(c.chart()), text.split("\n\n")[2]);
});

Deno.test("time.compare with one run leaves out the min and runs columns", () => {
  const m = new DECstation();
  const text = String(timer(m).compare({ a: () => m.cpu.charge(5) }));
  assert.match(text, /^Emulated time per operation$/m);
  assert.match(text, /^ +instructions +cycles +modeled +us$/m);
});

Deno.test("time.compare svg writes a standalone chart and returns its path", () => {
  const m = new DECstation();
  const c = timer(m).compare({ "a<b": () => m.cpu.charge(50) }, { repeat: 4 });
  const path = Deno.makeTempFileSync({ suffix: ".svg" });
  try {
    assert.equal(c.svg(path), path);
    const svg = Deno.readTextFileSync(path);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, />Emulated time per operation \(median of 4 runs\)<\/text>/);
    assert.match(svg, />a&lt;b<\/text>/);
    assert.match(svg, />emulated us<\/text>/);
    assert.match(svg, />2<\/text>/, "the value on its bar");
  } finally {
    Deno.removeSync(path);
  }
  const temp = c.svg();
  assert.match(temp, /exolab-compare-.*\.svg$/);
  Deno.removeSync(temp);
});

Deno.test("time.compare refuses no cases, a case that is not a function and a bad repeat", () => {
  const time = timer(new DECstation());
  assert.throws(() => time.compare({}), /takes cases by name/);
  assert.throws(
    () => time.compare({ a: 1 as unknown as () => void }),
    /Case a of time.compare is number/,
  );
  assert.throws(() => time.compare({ a: () => {} }, { repeat: 0 }), /repeat 0 is not/);
});
