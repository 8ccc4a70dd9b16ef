/**
 * Builds the test programs: the bare DECstation programs of tests/guest into
 * tests/guest/out/NAME.elf, the long variants of the five benchmarks into
 * tests/guest/out/long/NAME.elf, and the UNIX test programs of tests/guest/unix (run by ExOS,
 * linked with the guest C runtime of guest/libc) into tests/guest/out/unix/NAME.elf; and, first,
 * the /bin programs that ship with exolab (guest/build.ts), so that one command builds and checks
 * every committed ELF.
 *
 * A long variant (LONG below) is a benchmark's own sources built with one -D define that makes it
 * run about ten times as long (230-380 million instructions, 0.6-1.5 s under gxemul), so that
 * `exo bench compare` can time steady-state speed, not start-up. They sit in out/long/ on purpose:
 * tests/machine/engine_diff_test.ts runs every ELF directly in out/ on both engines in lockstep,
 * and no test runs these. Their expected output, from gxemul, is expected/long/NAME.txt.
 *
 * A bare program is crt0.S + prom.c + its own sources, linked at 0x80030000 by ld.script (or, for
 * `default_layout`, with only `-Ttext=0x80030000` and the toolchain's default layout, which adds
 * a segment at 0x00400000 holding .MIPS.abiflags and .reginfo); a UNIX program is
 * guest/libc/crt0.S + guest/libc/libc.c + unix/NAME.c (and any shared sources), linked at
 * 0x00400000 by guest/libc/ld.script. Both are compiled by Debian's MIPS cross compiler with the
 * project's fixed flags (shared/DESIGN.md). The ELFs are committed, so tests need no cross
 * compiler; the build is reproducible (no build id, no timestamps, relative source names), which
 * lets CI rebuild and compare.
 *
 *   deno task guest            build guest/out/bin/ and tests/guest/out/ (with long/ and unix/)
 *   deno task guest --check    build into temporary folders; exit 1 naming the files that
 *                              differ from the committed ones, or the long variants that have
 *                              no expected/long/NAME.txt
 *   deno task guest --gxemul   also rerun each gxemul-checked program and each long variant
 *                              under gxemul and rewrite expected/NAME.txt and
 *                              expected/long/NAME.txt with its console output (see README.md)
 *   deno task guest --host     also build each UNIX test program for this x86-64 Linux host
 *                              (with guest/libc/host.c) and check its output against
 *                              unix/expected/NAME.txt and its exit status against UNIX_PROGRAMS
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  BIN_OUT,
  binElfs,
  buildBin,
  CC,
  checkBin,
  compile,
  differing,
  FLAGS as GUEST_FLAGS,
  LIBC,
  needCompiler,
  run,
  same,
  unixSources,
} from "../../guest/build.ts";

const here = new URL(".", import.meta.url).pathname;

/** Flags every bare program is compiled with: the project's, then its layout. */
const FLAGS = [...GUEST_FLAGS, "-T", "ld.script"];

/**
 * Each program's own sources (crt0.S and prom.c come first), where its expected output is from,
 * and whether it is linked with the toolchain's default layout instead of ld.script.
 */
const PROGRAMS: Record<string, { sources: string[]; gxemul: boolean; defaultLayout?: boolean }> = {
  hello: { sources: ["hello.c"], gxemul: true },
  promcalls: { sources: ["promcalls.c"], gxemul: true },
  arith: { sources: ["arith.c"], gxemul: true },
  memory: { sources: ["memory.c"], gxemul: true },
  calls: { sources: ["calls.c"], gxemul: true },
  loop: { sources: ["loop.c"], gxemul: true },
  exceptions: { sources: ["exceptions.c", "traps.S"], gxemul: false },
  net: { sources: ["net.c"], gxemul: false },
  default_layout: { sources: ["hello.c"], gxemul: true, defaultLayout: true },
  matrix: { sources: ["matrix.c", "matmul.c"], gxemul: true },
  hot_mix: { sources: ["hot_mix.c"], gxemul: true },
  hot_straight: { sources: ["hot_straight.c"], gxemul: true },
  hot_calls: { sources: ["hot_calls.c"], gxemul: true },
};

/**
 * The long variants of the benchmark programs (their sources are PROGRAMS'): the define that
 * makes each about ten times as long, and the instructions it then runs (the default build's in
 * the comment).
 */
export const LONG: Record<string, { define: string; instructions: string }> = {
  loop: { define: "-DROUNDS=128", instructions: "304 M" }, // 6 rounds: 28 M
  matrix: { define: "-DMATRIX_N=360", instructions: "379 M" }, // 150x150: 28 M
  hot_mix: { define: "-DROUNDS=40", instructions: "363 M" }, // 4 rounds: 39 M
  hot_straight: { define: "-DCALLS=40000", instructions: "235 M" }, // 4000 calls: 24 M
  hot_calls: { define: "-DROUNDS=50", instructions: "226 M" }, // 5 rounds: 23 M
};

/** FLAGS with the default layout: the text at 0x80030000, everything else where ld puts it. */
const DEFAULT_LAYOUT_FLAGS = [
  ...FLAGS.filter((f, i) => f !== "-T" && FLAGS[i - 1] !== "-T"),
  "-Wl,-Ttext=0x80030000",
];

/**
 * Each UNIX test program's console input and exit status (its output is in unix/expected/), the
 * sources it takes from tests/guest besides its own (relative to unix/), whether `--host` can
 * run it (it uses only calls guest/libc/host.c maps onto Linux's), and whether it is about the
 * network (tests/exos/net_test.ts runs it on a machine with an address).
 */
export const UNIX_PROGRAMS: Record<
  string,
  { input?: string; status: number; shared?: string[]; host?: false; net?: true }
> = {
  hello: { status: 0 },
  forktree: { status: 0 },
  cow: { status: 0 },
  sbrk: { status: 0 },
  readline: { input: "exolab\n", status: 0 },
  exitcode: { status: 42 },
  badexec: { status: 3 },
  matrix: { status: 0, shared: ["../matmul.c"] },
  pipes: { status: 0, host: false },
  signals: { status: 0, host: false },
  shm: { status: 0, host: false },
  netfork: { status: 0, host: false, net: true },
};

const unix = join(here, "unix");

/** How --host compiles a UNIX program for x86-64 Linux, without the host's C library. */
const HOST_FLAGS = ("-O2 -ffreestanding -nostdlib -static -no-pie -fno-pie -fno-stack-protector " +
  "-Wall -Wextra").split(" ");

/** The gxemul command line whose console output becomes expected/NAME.txt. */
const GXEMUL = "gxemul -E dec -e 3max -M 32 -q";

/** Compile every test program into dir, dir/long and dir/unix; exit with the compiler's message on failure. */
async function build(dir: string) {
  await needCompiler();
  for (const [name, { sources, defaultLayout }] of Object.entries(PROGRAMS)) {
    const flags = defaultLayout ? DEFAULT_LAYOUT_FLAGS : FLAGS;
    await compile(CC, flags, join(dir, `${name}.elf`), ["crt0.S", "prom.c", ...sources], here);
  }
  await Deno.mkdir(join(dir, "long"), { recursive: true });
  for (const [name, { define }] of Object.entries(LONG)) {
    const out = join(dir, "long", `${name}.elf`);
    await compile(
      CC,
      [...FLAGS, define],
      out,
      ["crt0.S", "prom.c", ...PROGRAMS[name].sources],
      here,
    );
  }
  await Deno.mkdir(join(dir, "unix"), { recursive: true });
  for (const [name, { shared = [] }] of Object.entries(UNIX_PROGRAMS)) {
    const out = join(dir, "unix", `${name}.elf`);
    const { flags, sources } = unixSources(unix, name);
    await compile(CC, flags, out, [...sources, ...shared], unix);
  }
}

/** Every ELF path (relative to out/) that a build makes. */
const elfs = () => [
  ...Object.keys(PROGRAMS).map((name) => `${name}.elf`),
  ...Object.keys(LONG).map((name) => `long/${name}.elf`),
  ...Object.keys(UNIX_PROGRAMS).map((name) => `unix/${name}.elf`),
];

/**
 * Build and run each UNIX test program on this x86-64 Linux host (guest/libc/host.c maps the UNIX
 * calls onto Linux's); exit 1 naming those whose output or exit status differs from what is
 * expected.
 */
async function checkOnHost() {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    console.error(`--host needs x86-64 Linux, not ${Deno.build.arch} ${Deno.build.os}`);
    Deno.exit(1);
  }
  const dir = await Deno.makeTempDir({ prefix: "guest_host_" });
  const bad = [];
  try {
    for (const [name, { input, status, shared = [], host }] of Object.entries(UNIX_PROGRAMS)) {
      if (host === false) continue;
      const exe = join(dir, name);
      const libc = (f: string) => join(LIBC, f);
      const flags = [...HOST_FLAGS, "-I", LIBC];
      const sources = [libc("host.c"), libc("libc.c"), `${name}.c`, ...shared];
      await compile("gcc", flags, exe, sources, unix);
      const r = await run(exe, [], { input: input ?? "", signal: AbortSignal.timeout(60_000) });
      const expected = await Deno.readFile(join(unix, "expected", `${name}.txt`));
      if (r!.code !== status || !same(r!.stdout, expected)) {
        const text = new TextDecoder().decode(r!.stdout);
        bad.push(`${name} (exit ${r!.code}, wanted ${status}; output ${JSON.stringify(text)})`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (bad.length > 0) {
    console.error(`Differs from unix/expected on the host: ${bad.join(", ")}`);
    Deno.exit(1);
  }
  const n = Object.values(UNIX_PROGRAMS).filter((p) => p.host !== false).length;
  console.log(`${n} UNIX programs match unix/expected on the host`);
}

/** The long variants whose expected/long/NAME.txt is missing or empty. */
async function longWithoutExpected(): Promise<string[]> {
  const bad = [];
  for (const name of Object.keys(LONG)) {
    const path = join("expected", "long", `${name}.txt`);
    const size = await Deno.stat(join(here, path)).then((s) => s.size, () => 0);
    if (size === 0) bad.push(`tests/guest/${path}`);
  }
  return bad;
}

/**
 * Run each gxemul-checked program and each long variant under gxemul and store its console
 * bytes in expected/ and expected/long/.
 */
async function expectFromGxemul() {
  const runs = [
    ...Object.entries(PROGRAMS).filter(([, p]) => p.gxemul).map(([name]) => name),
    ...Object.keys(LONG).map((name) => `long/${name}`),
  ];
  await Deno.mkdir(join(here, "expected", "long"), { recursive: true });
  for (const name of runs) {
    // gxemul buffers the console when stdout is not a terminal: give it one, without \n -> \r\n.
    const line = `stty -onlcr; ${GXEMUL} out/${name}.elf`;
    const r = await run("script", ["-qfc", line, "/dev/null"], {
      cwd: here,
      signal: AbortSignal.timeout(120_000),
    });
    if (r === null || r.code !== 0) {
      console.error(`gxemul run of ${name} failed (${r ? `exit ${r.code}` : "script not found"})`);
      Deno.exit(1);
    }
    await Deno.writeFile(join(here, "expected", `${name}.txt`), r.stdout);
    console.log(`expected/${name}.txt: ${r.stdout.length} bytes from gxemul`);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { check: { type: "boolean" }, gxemul: { type: "boolean" }, host: { type: "boolean" } },
  });
  if (values.check) {
    const dir = await Deno.makeTempDir({ prefix: "guest_check_" });
    let bad: string[];
    try {
      await build(dir);
      const tests = await differing(dir, join(here, "out"), elfs());
      bad = [...await checkBin(), ...tests.map((e) => `tests/guest/out/${e}`)];
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const missing = await longWithoutExpected();
    if (bad.length > 0) {
      console.error(`Differs from a fresh build: ${bad.join(", ")}; run deno task guest`);
    }
    if (missing.length > 0) {
      console.error(`Missing: ${missing.join(", ")}; run deno task guest --gxemul`);
    }
    if (bad.length > 0 || missing.length > 0) Deno.exit(1);
    console.log(`${binElfs().length + elfs().length} guest programs match a fresh build`);
  } else {
    await buildBin(BIN_OUT);
    await build(join(here, "out"));
    console.log(
      `Built ${binElfs().length} programs into guest/out/bin/ and ${elfs().length} into ` +
        "tests/guest/out/, tests/guest/out/long/ and tests/guest/out/unix/",
    );
    if (values.gxemul) await expectFromGxemul();
  }
  if (values.host) await checkOnHost();
}
