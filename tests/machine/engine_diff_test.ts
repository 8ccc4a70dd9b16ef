/**
 * The translator against the interpreter (tests/machine/_engine_diff.ts): every bare guest
 * program of tests/guest, random instruction streams, and Aegis with ExOS running the UNIX test
 * programs and /bin, each made on both engines and run in lockstep with random run limits,
 * compared after every run (the run's result, the whole CPU state, the console) and in RAM at
 * the end. The translator runs with a hotness of 1, so everything it can translate it does.
 * `deno run -A tests/machine/engine_diff.ts --seed N --runs M` is the long mode.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";
import { EXC, EXC_NAMES } from "../../machine/cp0.ts";
import { binPrograms, Lab } from "../../shell/lab.ts";
import { UNIX_PROGRAMS } from "../guest/build.ts";
import {
  EPOCH,
  lockstep,
  pair,
  type Run,
  runMachine,
  sameConsole,
  sameCpu,
  sameRam,
  streamMachine,
} from "./_engine_diff.ts";

const bare = new URL("../guest/out/", import.meta.url);
const unixOutput = (name: string) =>
  Deno.readTextFileSync(new URL(`../guest/unix/expected/${name}.txt`, import.meta.url));
const unix = new URL("../guest/out/unix/", import.meta.url);

/** The bare programs and the arguments each runs with (net's probe needs no wire). */
const BARE = [...Deno.readDirSync(bare)].filter((f) => f.isFile && f.name.endsWith(".elf"))
  .map((f) => f.name.slice(0, -4)).sort();

for (const name of BARE) {
  Deno.test(`engines agree in lockstep on guest ${name}.elf`, () => {
    const elf = Deno.readFileSync(new URL(`${name}.elf`, bare));
    const [a, b] = pair((engine) => {
      const m = new DECstation({ engine, epoch: EPOCH, mac: "08:00:2b:00:00:01" });
      m.loadElf(elf, [name]);
      return m;
    });
    const r = lockstep(a, b, runMachine, {
      seed: name.length * 7919,
      budget: 300_000_000,
      until: ["halt", "input", "stopped"],
      label: `guest ${name}`,
    });
    assert.equal(r.reason, "halt", `${name} halts`);
    assert.deepEqual(b.halted, a.halted);
    assert.ok(r.runs > 1, "more than one run: the limits cut it");
    assert.ok(b.cpu.jitStats().pagesTranslated > 0, "nothing was translated");
  });
}

Deno.test("engines agree in lockstep on random instruction streams", () => {
  const taken = new Float64Array(16);
  for (let seed = 1; seed <= 24; seed++) {
    const [a, b] = pair((engine) => streamMachine(seed, engine));
    const r = lockstep(a, b, runMachine, {
      seed,
      budget: 150_000,
      maxRun: 5_000,
      label: "stream",
    });
    assert.ok(r.instructions >= 150_000);
    a.cpu.exceptionCounts.forEach((n, code) => taken[code] += n);
  }
  // The streams reach what they are made to: every exception they can raise.
  for (const code of [EXC.Int, EXC.Mod, EXC.TLBL, EXC.TLBS, EXC.AdEL, EXC.AdES, EXC.Sys, EXC.Bp]) {
    assert.ok(taken[code] > 0, `no ${EXC_NAMES[code]} in any stream`);
  }
  assert.ok(taken[EXC.Ov] > 0, "no overflow in any stream");
});

/** A lab on `engine`, its capabilities reproducible, with the UNIX test programs as /test/NAME. */
function lab(engine: "interp" | "jit"): Lab {
  const m = new Lab({ engine, epoch: EPOCH, insecureSeed: 1 });
  for (const name of Object.keys(UNIX_PROGRAMS)) {
    m.exos.files.set(`/test/${name}`, Deno.readFileSync(new URL(`${name}.elf`, unix)));
  }
  return m;
}

/** An ExOS run for lockstep: its reason and instruction count. */
const runExos: Run<Lab> = (m, limit) => {
  const r = m.exos.run({ maxInstructions: limit });
  return { reason: r.reason, instructions: r.instructions };
};

Deno.test("engines agree in lockstep on Aegis booting and ExOS running the UNIX programs", () => {
  const [a, b] = pair(lab);
  sameCpu(a.cpu.snapshot(), b.cpu.snapshot(), "after Aegis's boot");
  sameConsole(a, b, "after Aegis's boot");
  sameRam(a, b, "after Aegis's boot");
  let seed = 100;
  for (const [name, { input, net }] of Object.entries(UNIX_PROGRAMS)) {
    if (net) continue; // needs a machine with an address on a wire (tests/exos/net_test.ts)
    for (const m of [a, b]) {
      m.exos.exec(`/test/${name}`, [name]);
      if (input !== undefined) m.console.type(input);
    }
    const r = lockstep(a, b, runExos, {
      seed: seed++,
      budget: 100_000_000,
      until: ["exited", "blocked", "halted"],
      label: `ExOS ${name}`,
    });
    assert.equal(r.reason, "exited", name);
  }
});

Deno.test("engines agree in lockstep on the ExOS shell running /bin pipelines", () => {
  assert.ok(binPrograms().length > 0);
  const [a, b] = pair(lab);
  for (const m of [a, b]) {
    m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w; echo a b c | cat | wc -c; ps"]);
  }
  const r = lockstep(a, b, runExos, {
    seed: 7,
    budget: 100_000_000,
    until: ["exited", "blocked", "halted"],
    label: "ExOS sh",
  });
  assert.equal(r.reason, "exited");
  assert.match(new TextDecoder().decode(a.console.bytes), /^2\n6\n/);
});

Deno.test("engines agree in lockstep after a snapshot is restored over translated code", () => {
  const [a, b] = pair(lab);
  for (const m of [a, b]) m.exos.exec("/test/matrix", ["matrix"]);
  lockstep(a, b, runExos, { seed: 11, budget: 3_000_000, maxRun: 50_000, label: "matrix" });
  const [sa, sb] = [a.snapshot(), b.snapshot()];
  const first = lockstep(a, b, runExos, {
    seed: 12,
    budget: 100_000_000,
    until: ["exited", "blocked", "halted"],
    label: "matrix to its end",
  });
  assert.equal(first.reason, "exited");
  const output = new TextDecoder().decode(a.console.bytes);
  // RAM, the TLB and the processes go back under code the translator has run.
  a.restore(sa);
  b.restore(sb);
  const again = lockstep(a, b, runExos, {
    seed: 13,
    budget: 100_000_000,
    until: ["exited", "blocked", "halted"],
    label: "matrix again, restored",
  });
  assert.equal(again.reason, "exited");
  assert.equal(again.instructions, first.instructions, "the same run again");
  assert.ok(new TextDecoder().decode(a.console.bytes).endsWith(unixOutput("matrix")));
  assert.ok(output.endsWith(unixOutput("matrix")));
});

Deno.test("lockstep notices a register, a count or a RAM word that differs", () => {
  const poke = (what: "reg" | "cycles" | "ram") => {
    const [a, b] = pair((engine) => streamMachine(3, engine));
    let runs = 0;
    const run: Run<DECstation> = (m, limit) => {
      const r = runMachine(m, limit);
      if (m === b && ++runs === 2) {
        if (what === "reg") b.cpu.regs[9] ^= 1;
        if (what === "cycles") b.cpu.cycles++;
      }
      if (m === b && what === "ram" && runs === 1) b.bus.ram32[0x300000 >>> 2] = 1;
      return r;
    };
    return () => lockstep(a, b, run, { seed: 3, budget: 1_000_000, label: `poked ${what}` });
  };
  assert.throws(poke("reg"), /poked reg \(seed 3\), run 2 .*cpu\.regs\[9\]/);
  assert.throws(poke("cycles"), /poked cycles \(seed 3\), run 2 .*cpu\.counters\[1\]/);
  assert.throws(poke("ram"), /poked ram \(seed 3\), at the end: RAM at 0x300000/);
});
