/**
 * The `exo` command line as a user meets it: exact stdout, exit statuses, and one-line errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hasTmux, Screen } from "./shell/_tmux.ts";
import { asm } from "../machine/asm/mod.ts";
import { call, elf } from "./exos/_unix.ts";
import { formatAegis, measureAegis } from "../scripts/paper_aegis.ts";
import { formatAvm, measureAvm } from "../scripts/paper_avm.ts";
import { formatIpc, measureIpc } from "../scripts/paper_ipc.ts";
import { formatNet, measureFigure2, measureNet } from "../scripts/paper_net.ts";

const mainTs = new URL("../main.ts", import.meta.url).pathname;
const guest = (name: string) => new URL(`./guest/out/${name}.elf`, import.meta.url).pathname;

/** Runs `exo ARGS` with `stdin` text and `env` added; returns status, stdout and stderr. */
async function exo(args: string[], stdin = "", env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainTs, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("exo run prints exactly the program's console output and exits 0 on a PROM halt", async () => {
  const r = await exo(["run", guest("hello")]);
  const expected = Deno.readTextFileSync(new URL("./guest/expected/hello.txt", import.meta.url));
  assert.equal(r.stdout, expected);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
});

Deno.test("exo run --max-instructions stops with a message and exit status 2", async () => {
  const r = await exo(["run", "--max-instructions", "1000", guest("loop")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /stopped after 1000 instructions/);
});

Deno.test("exo run --stats prints one JSON line with the run's figures", async () => {
  const r = await exo(["run", "--stats", guest("hello")]);
  const stats = JSON.parse(r.stderr.trim());
  for (const key of ["instructions", "cycles", "us", "hostSeconds", "instructionsPerSecond"]) {
    assert.equal(typeof stats[key], "number", key);
  }
  assert.ok(stats.instructions > 0);
  assert.equal(stats.us, stats.cycles / 25);
});

Deno.test("exo run --trace writes a disassembled trace to stderr only", async () => {
  const r = await exo(["run", "--trace", "--max-instructions", "5", guest("hello")]);
  const lines = r.stderr.trim().split("\n");
  assert.match(
    lines[0],
    /^bfc00000 {2}hcall 0x1 +a0=0x00000001 a1=0x[0-9a-f]{8} .*sp=0x[0-9a-f]{8}$/,
  );
  assert.match(r.stderr, /__start:\n80030000 {2}/);
  assert.equal(r.stdout, "");
});

Deno.test("exo run --memory sets RAM and rejects a size out of range", async () => {
  const ok = await exo(["run", "--memory", "8", guest("hello")]);
  assert.equal(ok.code, 0);
  const bad = await exo(["run", "--memory", "1000", guest("hello")]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /1000/);
});

/** Writes `bytes` to a temporary file and returns its path. */
function tempElf(bytes: Uint8Array): string {
  const path = Deno.makeTempFileSync({ suffix: ".elf" });
  Deno.writeFileSync(path, bytes);
  return path;
}

Deno.test("exo run rejects a bad ELF with a one-line error and exit status 1", async () => {
  const good = Deno.readFileSync(guest("hello"));
  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ["class", (b) => (b[4] = 2, b), /class|ELF64/i],
    ["endianness", (b) => (b[5] = 2, b), /endian/i],
    ["machine", (b) => (b[18] = 3, b), /machine/i],
    ["truncated", (b) => b.slice(0, 40), /truncated/i],
    ["magic", (b) => (b[0] = 0, b), /not an ELF|magic/i],
  ];
  for (const [what, corrupt, pattern] of cases) {
    const path = tempElf(corrupt(good.slice()));
    try {
      const r = await exo(["run", path]);
      assert.equal(r.code, 1, what);
      assert.equal(r.stdout, "", what);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, pattern, what);
    } finally {
      Deno.removeSync(path);
    }
  }
});

Deno.test("exo run rejects a segment outside RAM", async () => {
  const elf = Deno.readFileSync(guest("hello"));
  const view = new DataView(elf.buffer);
  const phoff = view.getUint32(28, true);
  view.setUint32(phoff + 8, 0x00400000, true); // the first segment's p_vaddr, now in kuseg
  const path = tempElf(elf);
  try {
    const r = await exo(["run", path]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /0x400000.*outside RAM/);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("exo bench cpu --json measures both engines, and their digests match", async () => {
  const r = await exo(["bench", "cpu", "--json", "--seconds", "0.2"]);
  assert.equal(r.code, 0);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const result = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(result).sort(), ["interp", "jit", "jitOverInterp", "match"]);
  for (const engine of ["interp", "jit"]) {
    const e = result[engine];
    assert.equal(e.engine, engine);
    assert.ok(e.instructionsPerSecond > 0, engine);
    assert.ok(e.instructions > 0 && e.hostSeconds > 0 && e.cycles > 0, engine);
    assert.match(e.digest, /^[0-9a-f]{8}$/);
  }
  assert.equal(result.match, true);
  assert.equal(result.jit.digest, result.interp.digest);
  assert.ok(result.jitOverInterp > 0);
  const one = JSON.parse(
    (await exo(["bench", "cpu", "--json", "--seconds", "0.1", "--engine", "jit"]))
      .stdout,
  );
  assert.deepEqual(Object.keys(one).sort(), ["jit", "jitOverInterp", "match"]);
  assert.equal(one.match, null);
});

Deno.test("exo bench compare runs a bare ELF on both engines and says the outputs agree", async () => {
  const r = await exo(["bench", "compare", "--no-gxemul", "--json", guest("hello")]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  const expected = Deno.readTextFileSync(new URL("./guest/expected/hello.txt", import.meta.url));
  assert.deepEqual(result.runs.map((x: { runner: string }) => x.runner), ["interp", "jit"]);
  for (const run of result.runs) {
    assert.equal(run.output, expected);
    assert.equal(run.status, 0);
    assert.ok(run.startupSeconds > 0 && run.startupSeconds < run.wallSeconds);
    assert.ok(run.instructions > 0);
  }
  assert.equal(result.match, true);
  assert.equal(result.gxemul, "left out");
  assert.equal(result.gxemulOverInterp, null);
  const text = await exo(["bench", "compare", "--no-gxemul", guest("hello")]);
  assert.match(
    text.stdout,
    /^compare .*hello\.elf:\n {2}interp .* s wall · exit 0 · first instruction/,
  );
  assert.match(text.stdout, /gxemul: left out, not compared\n {2}outputs: identical\n$/);
});

Deno.test("exo bench compare takes several programs: each report, a summary, an array for --json", async () => {
  const programs = [guest("hello"), guest("promcalls")];
  const r = await exo(["bench", "compare", "--no-gxemul", "--json", ...programs]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.deepEqual(results.map((x: { program: string }) => x.program), programs);
  for (const [i, name] of ["hello", "promcalls"].entries()) {
    const expected = Deno.readTextFileSync(
      new URL(`./guest/expected/${name}.txt`, import.meta.url),
    );
    assert.deepEqual(results[i].runs.map((x: { output: string }) => x.output), [
      expected,
      expected,
    ]);
    assert.equal(results[i].match, true);
    assert.equal(results[i].gxemulOverJit, null);
  }
  const text = (await exo(["bench", "compare", "--no-gxemul", ...programs])).stdout;
  assert.equal(text.match(/^compare .*\.elf:$/gm)?.length, 2);
  assert.match(
    text,
    /\n\nsummary of 2 programs \(wall seconds; gxemul not compared for every program\):\n/,
  );
  assert.match(text, /\n {2}program +interp +jit +gxemul +gxemul\/interp +gxemul\/jit +outputs\n/);
  assert.match(text, /\n {2}\S*hello\.elf +\d+\.\d{3} +\d+\.\d{3} +- +- +- +identical\n/);
  assert.match(text, /\n {2}geometric mean +- +-\n$/);
});

Deno.test("exo run, exec and bench take --engine interp|jit and refuse another", async () => {
  for (const engine of ["interp", "jit"]) {
    const r = await exo(["run", "--engine", engine, "--stats", guest("hello")]);
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.stderr.trim()).engine, engine);
    const x = await exo(["exec", "--engine", engine, "--stats", unix("hello")]);
    assert.equal(x.stdout, unixExpected("hello"));
    assert.equal(JSON.parse(x.stderr.trim()).engine, engine);
  }
  const bad = await exo(["run", "--engine", "fast", guest("hello")]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'exo run: --engine "fast" is not an engine: give interp or jit\n');
  const badExec = await exo(["exec", "--engine", "fast", unix("hello")]);
  assert.equal(badExec.code, 125);
  assert.match(badExec.stderr, /--engine "fast" is not an engine/);
  const badBench = await exo(["bench", "cpu", "--engine", "JIT"]);
  assert.equal(badBench.code, 1);
  assert.match(badBench.stderr, /--engine "JIT" is not an engine: give interp or jit/);
});

Deno.test("EXOLAB_ENGINE and EXOLAB_JIT_HOTNESS set the default; bad values are refused", async () => {
  for (const engine of ["interp", "jit"]) { // each, whatever the default and the outer env
    const r = await exo(["run", "--stats", guest("hello")], "", { EXOLAB_ENGINE: engine });
    assert.equal(JSON.parse(r.stderr.trim()).engine, engine);
  }
  const over = await exo(["run", "--stats", "--engine", "interp", guest("hello")], "", {
    EXOLAB_ENGINE: "jit",
  });
  assert.equal(JSON.parse(over.stderr.trim()).engine, "interp", "--engine wins");
  const bad = await exo(["run", guest("hello")], "", { EXOLAB_ENGINE: "turbo" });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'exo run: EXOLAB_ENGINE "turbo" is not an engine: give interp or jit\n');
  const hot = await exo(["run", guest("hello")], "", { EXOLAB_JIT_HOTNESS: "0" });
  assert.equal(hot.code, 1);
  assert.match(hot.stderr, /EXOLAB_JIT_HOTNESS "0" is not a whole number >= 1/);
});

Deno.test("exo with an unknown command or option says so and exits 1", async () => {
  const a = await exo(["frobnicate"]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /unknown command frobnicate/);
  const b = await exo(["run", "--bogus", guest("hello")]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /bogus/);
});

Deno.test("exo --help documents every command and what each exit status means", async () => {
  const r = await exo(["--help"]);
  assert.equal(r.code, 0);
  for (const command of ["repl", "run", "exec", "bench", "disasm", "paper", "net"]) {
    assert.match(r.stdout, new RegExp(`^  ${command} `, "m"), command);
  }
  assert.match(r.stdout, /^ {2}0 +success$/m);
  assert.match(r.stdout, /^ {2}1 +bad input/m);
  assert.match(r.stdout, /^ {2}2 +a limit reached/m);
  assert.match(r.stdout, /^ {2}3 +the guest died/m);
});

Deno.test("exo COMMAND --help prints the command's usage and exits 0", async () => {
  for (const command of ["repl", "run", "exec", "bench", "disasm", "paper", "net"]) {
    const r = await exo([command, "--help"]);
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`^exo ${command}`), command);
    assert.equal(r.stderr, "", command);
  }
});

const unix = (name: string) => new URL(`./guest/out/unix/${name}.elf`, import.meta.url).pathname;
const unixExpected = (name: string) =>
  Deno.readTextFileSync(new URL(`./guest/unix/expected/${name}.txt`, import.meta.url));

Deno.test("exo exec prints a UNIX program's output and exits with its status", async () => {
  for (const [name, status] of [["hello", 0], ["exitcode", 42], ["forktree", 0]] as const) {
    const r = await exo(["exec", unix(name)]);
    assert.equal(r.stdout, unixExpected(name), name);
    assert.equal(r.stderr, "", name);
    assert.equal(r.code, status, name);
  }
});

Deno.test("exo exec feeds stdin to fd 0", async () => {
  const r = await exo(["exec", unix("readline")], "exolab\n");
  assert.equal(r.stdout, "exolab\n");
  assert.equal(r.code, 0);
  const closed = await exo(["exec", unix("readline")], "no newline");
  assert.equal(closed.stdout, "no newline", "what it read before the input ended");
  assert.equal(closed.code, 1);
});

Deno.test("exo exec rejects a bad ELF with a one-line error and exit status 125", async () => {
  const truncated = tempElf(Deno.readFileSync(unix("hello")).slice(0, 40));
  try {
    for (const path of [guest("hello"), truncated]) { // a bare program: linked in kseg0
      const r = await exo(["exec", path]);
      assert.equal(r.code, 125, path);
      assert.equal(r.stdout, "", path);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^exo exec: .*(outside the program area|Truncated)/);
    }
  } finally {
    Deno.removeSync(truncated);
  }
});

Deno.test("exo exec --max-instructions stops with a message and exit status 124", async () => {
  const r = await exo(["exec", "--max-instructions", "1000", unix("forktree")]);
  assert.equal(r.code, 124);
  assert.match(r.stderr, /stopped after 1000 instructions/);
});

Deno.test("exo paper avm --json prints one array: every AVM row with its keys", async () => {
  const r = await exo(["paper", "avm", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.deepEqual(rows, JSON.parse(JSON.stringify(measureAvm())));
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).slice(0, 9), [
      "structure",
      "name",
      "instructions",
      "cycles",
      "modeledCycles",
      "us",
      "paper",
      "ultrix",
      "ratio",
    ]);
  }
});

Deno.test("exo paper all prints the Aegis, AVM, IPC and network tables; --json all", async () => {
  const quick = ["--rounds", "4", "--figure-rounds", "2"];
  const r = await exo(["paper", "all", ...quick]);
  assert.equal(r.code, 0, r.stderr);
  const net = formatNet(measureNet(4), measureFigure2(10, 2), 4, 2);
  assert.equal(
    r.stdout,
    `${formatAegis(measureAegis())}\n\n${formatAvm(measureAvm())}\n\n${
      formatIpc(measureIpc())
    }\n\n${net}\n`,
  );
  const json = JSON.parse((await exo(["paper", "--json", ...quick])).stdout);
  const tables = measureAegis().length + measureAvm().length + measureIpc().length;
  assert.equal(json.length, tables + 4 + 20, "and Figure 2's 20 points");
});

Deno.test("exo paper ipc --json prints the five IPC rows with their keys", async () => {
  const r = await exo(["paper", "ipc", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.deepEqual(rows.map((x: { name: string }) => x.name), [
    "pipe",
    "pipe'",
    "shm",
    "lrpc",
    "tlrpc",
  ]);
  for (const row of rows) {
    for (const key of ["instructions", "cycles", "modeledCycles", "us", "paper"]) {
      assert.equal(typeof row[key], "number", `${row.name} ${key}`);
    }
    assert.ok("ultrix" in row && "ratio" in row, row.name);
    assert.equal(typeof row.unix.us, "number");
  }
  assert.equal(rows[0].ultrix, 199);
  assert.equal(rows[0].ratio, Number((rows[0].us / rows[0].paper).toFixed(2)));
  assert.equal(rows[0].speedup, Number((199 / rows[0].us).toFixed(1)));
});

Deno.test("exo paper sched prints the shares and Figure 3; --json the series; --svg a file", async () => {
  const r = await exo(["paper", "sched"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Stride scheduling at application level: 3:2:1 tickets/);
  assert.match(r.stdout, /^A +3 +50\.0% +5\d +/m);
  assert.match(r.stdout, /cumulative increments/);
  const json = JSON.parse((await exo(["paper", "sched", "--json"])).stdout);
  assert.equal(json.slices, 100);
  assert.equal(json.counts.length, 101);
  assert.deepEqual(json.clients.map((c: { tickets: number }) => c.tickets), [3, 2, 1]);
  const svg = await Deno.makeTempFile({ suffix: ".svg" });
  try {
    const w = await exo(["paper", "sched", "--svg", svg]);
    assert.match(w.stdout, new RegExp(`Figure 3 as SVG: ${svg}\n$`));
    const text = await Deno.readTextFile(svg);
    assert.match(text, /^<svg /);
    assert.equal(text.match(/<polyline /g)?.length, 6, "three clients, three ideal lines");
  } finally {
    await Deno.remove(svg);
  }
  const mixed = await exo(["paper", "aegis", "sched", "--json"]);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /--json prints sched alone/);
  const stray = await exo(["paper", "ipc", "--svg", "x.svg"]);
  assert.match(stray.stderr, /--svg writes one figure/);
});

Deno.test("exo exec /bin/sh -c runs the one-liner; what follows the program is its own", async () => {
  const r = await exo(["exec", "/bin/sh", "-c", "echo hello world | wc -w"]);
  assert.equal(r.stdout, "2\n");
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  const echo = await exo(["exec", "/bin/echo", "-n", "--stats", "-h"]);
  assert.deepEqual([echo.stdout, echo.code], ["--stats -h", 0], "the program's arguments");
  const dashed = await exo(["exec", "/bin/echo", "--", "a"]);
  assert.equal(dashed.stdout, "a\n", "a -- right after the program is dropped");
  const sh = await exo(["exec", "/bin/sh"], "echo typed\nexit 5\n");
  assert.deepEqual([sh.stdout, sh.stderr, sh.code], ["typed\n", "$ $ ", 5]);
  const killed = await exo(["exec", "/bin/sh", "-c", "kill -KILL $$"]);
  assert.equal(killed.code, 137);
  assert.match(killed.stderr, /killed by SIGKILL \(signal 9\)/);
});

Deno.test("exo disasm --json gives each instruction's address, word, text and symbol", async () => {
  const r = await exo(["disasm", "--json", guest("hello")]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  const text = (await exo(["disasm", guest("hello")])).stdout;
  assert.equal(rows.length, text.split("\n").filter((l) => /^[0-9a-f]{8} {2}/.test(l)).length);
  assert.deepEqual(Object.keys(rows[0]), ["addr", "word", "text", "symbol"]);
  assert.equal(rows[0].symbol, "__start");
  assert.equal(rows[0].addr, 0x80030000);
  for (const row of rows.slice(0, 50)) {
    const hex = (v: number) => v.toString(16).padStart(8, "0");
    assert.ok(text.includes(`${hex(row.addr)}  ${hex(row.word)}  ${row.text}\n`), row.text);
  }
  assert.ok(rows.filter((x: { symbol?: string }) => x.symbol).length > 1, "several functions");
});

Deno.test("exo run of a longer program keeps stdout exact and stderr empty off a terminal", async () => {
  const r = await exo(["run", guest("loop")]);
  const expected = Deno.readTextFileSync(new URL("./guest/expected/loop.txt", import.meta.url));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, expected);
  assert.equal(r.stderr, "");
});

Deno.test("exo repl opens the REPL with the machine in scope, from any directory", async () => {
  const cwd = Deno.makeTempDirSync();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mainTs, "repl"],
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode('time("six sevens", () => 6 * 7)\nclose()\n'));
    await w.close();
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0);
    assert.match(stdout, /DECstation 5000\/200 \(KN02\).*Aegis/);
    assert.match(stdout, /six sevens: 0 instructions · 0 cycles · 0 modeled · 0\.00 us/);
  } finally {
    Deno.removeSync(cwd, { recursive: true });
  }
});

Deno.test({
  name: "exo paper on a terminal leaves only the table on the screen",
  ignore: !hasTmux,
  async fn() {
    const screen = await Screen.open(`"${Deno.execPath()}" run -A "${mainTs}" paper aegis`, ".");
    try {
      const text = await screen.waitFor(/^Brute force: .*years/m);
      assert.match(text, /^Aegis primitives: emulated DECstation/m);
      assert.doesNotMatch(text, /measuring/);
    } finally {
      await screen.close();
    }
  },
});

Deno.test("exo run --memory out of range is one line naming the range, not a stack trace", async () => {
  const r = await exo(["run", "--memory", "9999", guest("hello")]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "exo run: --memory 9999 is not a whole number from 1 to 480\n");
});

Deno.test("exo -h and --version answer, and exo exec with no file names exec", async () => {
  const h = await exo(["-h"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /^exo: the exolab command line/);
  const v = await exo(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^exo \(exolab\) \d+\.\d+\.\d+ · deno \d+\.\d+\.\d+\n$/);
  const runH = await exo(["run", "-h"]);
  assert.match(runH.stdout, /^exo run \[options\] PROG\.elf/);
  const none = await exo(["exec"]);
  assert.equal(none.code, 125);
  assert.equal(none.stderr, "exo exec: Give the program: exo exec PROG.elf\n");
});

Deno.test("exo paper takes several tables and measures each one", async () => {
  const r = await exo(["paper", "aegis", "avm", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { structure?: string }[];
  assert.ok(rows.some((x) => x.structure === undefined), "the aegis rows");
  assert.ok(rows.some((x) => x.structure === "clustered"), "the avm rows");
  const bad = await exo(["paper", "aegis", "avn"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unknown table avn/);
});

Deno.test("exo disasm names jump targets by symbol", async () => {
  const r = await exo(["disasm", "--json", guest("hello")]);
  const rows = JSON.parse(r.stdout) as { text: string }[];
  assert.ok(rows.some((x) => x.text === "jal main"), "jal main, not jal 0x...");
  assert.ok(!rows.some((x) => /^jal 0x/.test(x.text)), "every call target has a name");
});

/** `source` as a UNIX ELF in a temporary file. */
function unixProgram(source: ReturnType<typeof asm>): string {
  return tempElf(elf(source));
}

Deno.test("exo exec keeps fd 1 on stdout and fd 2 on stderr", async () => {
  const path = unixProgram(asm`
        li      $a0, 1
        la      $a1, out
        li      $a2, 4
        ${call("WRITE")}
        li      $a0, 2
        la      $a1, err
        li      $a2, 4
        ${call("WRITE")}
        li      $a0, 7
        ${call("EXIT")}
        .data
out:    .ascii "out\\n"
err:    .ascii "err\\n"
`);
  try {
    const r = await exo(["exec", path]);
    assert.equal(r.stdout, "out\n");
    assert.equal(r.stderr, "err\n");
    assert.equal(r.code, 7, "the guest's own status");
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("exo exec reports a killed process's signal, pc and address, and exits 128 + signal", async () => {
  const path = unixProgram(asm`
        lui     $t0, 0x1000
        sw      $zero, 4($t0)
        li      $a0, 0
        ${call("EXIT")}
`);
  try {
    const r = await exo(["exec", path]);
    assert.equal(r.code, 128 + 11);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^exo exec: .*: killed by SIGSEGV \(signal 11\) at pc 0x00400004, address 0x10000004\n$/,
    );
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("exo exec --stats, --trace and --memory", async () => {
  const stats = await exo(["exec", "--stats", "--memory", "16", unix("hello")]);
  assert.equal(stats.code, 0);
  assert.equal(stats.stdout, unixExpected("hello"));
  const s = JSON.parse(stats.stderr.trim());
  for (const key of ["instructions", "cycles", "us", "hostSeconds", "kernelInstructions"]) {
    assert.equal(typeof s[key], "number", key);
  }
  assert.equal(s.kernelInstructions + s.userInstructions, s.instructions);
  assert.ok(s.syscalls.TLBWR > 0);
  assert.ok(Object.keys(s.environments).includes("0x81"));
  const trace = await exo(["exec", "--trace", unix("hello")]);
  assert.equal(trace.code, 0);
  assert.equal(trace.stdout, unixExpected("hello"), "stdout stays the program's");
  assert.match(trace.stderr, /^-- environment 0x0081 hello\.elf, user mode --$/m);
  assert.match(trace.stderr, /^00001010 {2}\(not mapped\) +! TLBL at 0x00001010 -> 0x80000000\n/m);
  assert.match(trace.stderr, /^main:$/m, "the process's own symbols");
  assert.match(trace.stderr, /^[0-9a-f]{8} {2}jal getpid +ra=0x[0-9a-f]{8}$/m);
  const big = await exo(["exec", "--memory", "9999", unix("hello")]);
  assert.equal(big.code, 125);
  assert.match(big.stderr, /--memory 9999 is not a whole number from 1 to 480/);
});

Deno.test("mod.ts imports from a script outside the repository, with no configuration", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const mod = new URL("../mod.ts", import.meta.url).pathname;
    Deno.writeTextFileSync(
      `${dir}/outside.ts`,
      `import { Lab, time } from ${JSON.stringify(mod)};
const m = new Lab();
const e = m.aegis.createEnv("outside");
console.log(String(time(m, () => e.sys.null())).includes("instructions"), String(m));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", `${dir}/outside.ts`],
      cwd: dir,
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.match(text, /^true DECstation 5000\/200 .* Aegis: 1 environment · /);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("exo fuzz --json prints its one line and exits 0 when nothing was found", async () => {
  const r = await exo(["fuzz", "--calls", "300", "--seed", "5", "--envs", "3", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), [
    "calls",
    "environments",
    "violations",
    "hostExceptions",
    "seed",
  ]);
  assert.equal(out.calls, 300);
  assert.equal(out.seed, 5);
  assert.equal(out.violations, 0);
  assert.equal(out.hostExceptions, 0);
});

Deno.test("exo fuzz refuses a bad count and a stray argument", async () => {
  const bad = await exo(["fuzz", "--calls", "0"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--calls 0 is not a whole number/);
  const stray = await exo(["fuzz", "now"]);
  assert.equal(stray.code, 1);
  assert.match(stray.stderr, /takes no now/);
});
