/**
 * The demos in scripts/ run as a person runs them (`deno run -A scripts/NAME.ts`) and print what
 * they promise: the fault counter's count and per-fault cost, and revocation's grace period,
 * forced repossession, repossession vector and notice, and broken bindings.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Runs scripts/`name`.ts; returns its stdout, after checking it exits 0 with nothing on stderr. */
async function demo(name: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../../scripts/${name}.ts`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  assert.equal(dec.decode(out.stderr), "", name);
  assert.equal(out.code, 0, name);
  return dec.decode(out.stdout);
}

Deno.test("demo_fault_counter counts one fault per page touched and prints the cost of one", async () => {
  const out = await demo("demo_fault_counter");
  assert.match(out, /^The program touched 32 unmapped pages \(16 written, 16 read\)\.$/m);
  assert.match(out, /the handler counted 32 faults forwarded to it\.$/m);
  assert.match(out, /^The first written word reads back as 16\.$/m);
  const line = (label: string) => {
    const m = out.match(
      new RegExp(
        `^${label}: ([\\d.]+) instructions · ([\\d.]+) cycles · ([\\d.]+) modeled · ([\\d.]+) us$`,
        "m",
      ),
    );
    assert.ok(m, label);
    return m.slice(1).map(Number);
  };
  const cold = line("first pass, every page faults");
  const warm = line("second pass, every page mapped");
  const each = line("each fault");
  assert.ok(cold[1] > warm[1]);
  assert.ok(Math.abs(each[1] - (cold[1] - warm[1]) / 32) < 0.1, "cycles per fault");
  assert.equal(each[2], 60, "one page allocation modeled per fault");
  assert.equal(warm[2], 0, "no allocation once every page is mapped");
});

Deno.test("demo_revocation shows the answer, the grace period and the abort protocol", async () => {
  const out = await demo("demo_revocation");
  const [before, half, after] = out.split(/^(?=Halfway|After the grace)/m);
  assert.match(before, /grace period of 2000 us/);
  assert.match(before, /owner polite, capabilities rw and ro, being revoked/);
  assert.match(before, /owner stubborn, capabilities rw and ro, being revoked/);
  assert.match(before, /stubborn is asked for page 0x[0-9a-f]{4} and ignores it/);
  assert.match(
    half,
    /^ {2}Page 0x[0-9a-f]{4} .*: owner nobody \(free\)$/m,
    "polite gave its page back",
  );
  assert.match(half, /owner stubborn, .*being revoked/, "stubborn still in its grace period");
  // The notice and the fault come while the machine runs on past the deadline.
  assert.match(half, /stubborn gets a Repossessed notice: 1 page\(s\) in its repossession vector/);
  assert.match(
    half,
    /Repossessed notice[^]*stubborn touches 0x00510000 again: no binding any more/,
  );
  assert.equal(after.match(/owner nobody \(free\)/g)?.length, 2, "both pages free");
  const page = before.match(/Page (0x[0-9a-f]{4}) .*owner stubborn/)![1];
  assert.match(after, new RegExp(`stubborn's repossession vector: ${page}$`, "m"));
  assert.match(after, /left in the TLB or STLB: none$/m);
  assert.match(after, /alive: polite true, stubborn true/);
  assert.match(before, /^ +\d+ {2}0x00510000 +2 /m, "stubborn's data binding before");
  assert.doesNotMatch(after, /^ +\d+ {2}0x00510000 /m, "and gone after");
});

Deno.test("demo_page_table measures its custom table's faults beside ExOS's two tables", async () => {
  const out = await demo("demo_page_table");
  for (const name of ["custom array", "ExOS linear", "ExOS clustered"]) {
    assert.match(out, new RegExp(`^${name} +64 +\\d+ +64/64 +yes$`, "m"), `${name} checks`);
  }
  const row = (name: string) => {
    const m = out.match(
      new RegExp(`^${name} +(\\S+) +(\\S+) +(\\S+) +(\\S+) +(\\d+)-(\\d+)$`, "m"),
    );
    assert.ok(m, name);
    const [instructions, cycles, modeled, us, lo, hi] = m.slice(1).map(Number);
    assert.ok(Number.isInteger(instructions) && instructions > 0, `${name}: ${m[1]} instructions`);
    assert.ok(cycles >= instructions && modeled >= 0, name);
    assert.ok(Math.abs(us - cycles / 25) < 0.006, `${name}: us at 25 MHz`);
    assert.ok(lo <= instructions && instructions <= hi, `${name}: the median is in the range`);
    return { instructions, cycles, us };
  };
  const mine = row("custom array"), lin = row("ExOS linear"), clu = row("ExOS clustered");
  const best = lin.cycles <= clu.cycles ? lin : clu;
  const change = Math.round(100 * (mine.cycles / best.cycles - 1));
  assert.match(
    out,
    new RegExp(
      `^Conclusion: a fault through the custom table costs ${mine.instructions} instructions ` +
        `\\(${mine.us.toFixed(2)} us\\), ${Math.abs(change)}% ${change <= 0 ? "less" : "more"} ` +
        `time than through ExOS's cheaper table, the ${best === lin ? "linear" : "clustered"} ` +
        `one \\(${best.instructions} instructions`,
      "m",
    ),
  );
  assert.match(
    out,
    /^ {2}the handler stopped at a break \(0x00500000: outside the region\), .*\(alive: false\)\.$/m,
  );
});
