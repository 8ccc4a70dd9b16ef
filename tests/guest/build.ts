/**
 * Builds the bare DECstation test programs of tests/guest into tests/guest/out/NAME.elf, and the
 * UNIX personality programs of tests/guest/unix (run by ExOS) into tests/guest/out/unix/NAME.elf.
 *
 * A bare program is crt0.S + prom.c + its own sources, linked at 0x80030000 by ld.script; a UNIX
 * program is unix/crt0.S + unix/libc.c + unix/NAME.c, linked at 0x00400000 by unix/ld.script.
 * Both are compiled by Debian's MIPS cross compiler with the project's fixed flags
 * (shared/DESIGN.md). The ELFs are committed, so tests need no cross compiler; the build is
 * reproducible (no build id, no timestamps, relative source names), which lets CI rebuild and
 * compare.
 *
 *   deno task guest            build every program into out/ and out/unix/
 *   deno task guest --check    build into a temporary folder; exit 1 naming the files that
 *                              differ from the committed out/
 *   deno task guest --gxemul   also rerun each gxemul-checked program under gxemul and rewrite
 *                              expected/NAME.txt with its console output (see README.md)
 *   deno task guest --host     also build each UNIX program for this x86-64 Linux host (with
 *                              unix/host.c) and check its output against unix/expected/NAME.txt
 *                              and its exit status against UNIX_PROGRAMS
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;

/** Flags every program is compiled with: the project's, then the layout and warnings. */
const FLAGS = [
  ...("-O2 -march=r3000 -mfp32 -mabi=32 -mno-abicalls -fno-pic -msoft-float -nostdlib -static " +
    "-ffreestanding -G0").split(" "),
  "-T",
  "ld.script",
  "-Wl,--build-id=none",
  "-Wl,-z,max-page-size=4096",
  "-Wall",
  "-Wextra",
];

/** Each program's own sources (crt0.S and prom.c come first) and where its expected output is from. */
const PROGRAMS: Record<string, { sources: string[]; gxemul: boolean }> = {
  hello: { sources: ["hello.c"], gxemul: true },
  promcalls: { sources: ["promcalls.c"], gxemul: true },
  arith: { sources: ["arith.c"], gxemul: true },
  memory: { sources: ["memory.c"], gxemul: true },
  calls: { sources: ["calls.c"], gxemul: true },
  loop: { sources: ["loop.c"], gxemul: true },
  exceptions: { sources: ["exceptions.c", "traps.S"], gxemul: false },
  net: { sources: ["net.c"], gxemul: false },
};

/**
 * Each UNIX program's console input and exit status (its output is in unix/expected/); the
 * network's programs (`host: false`) need a network and a peer, so --host leaves them out (their
 * tests are tests/exos/net_test.ts).
 */
export const UNIX_PROGRAMS: Record<string, { input?: string; status: number; host?: false }> = {
  hello: { status: 0 },
  forktree: { status: 0 },
  cow: { status: 0 },
  sbrk: { status: 0 },
  echo: { input: "exolab\n", status: 0 },
  exitcode: { status: 42 },
  badexec: { status: 3 },
  ping: { status: 0, host: false },
  udpecho: { status: 0, host: false },
  udpclient: { status: 0, host: false },
  pingpong: { status: 0, host: false },
  spin: { status: 0, host: false },
};

const CC = "mipsel-linux-gnu-gcc";
const unix = join(here, "unix");

/** How --host compiles a UNIX program for x86-64 Linux, without the host's C library. */
const HOST_FLAGS = ("-O2 -ffreestanding -nostdlib -static -no-pie -fno-pie -fno-stack-protector " +
  "-Wall -Wextra").split(" ");

/** The gxemul command line whose console output becomes expected/NAME.txt. */
const GXEMUL = "gxemul -E dec -e 3max -M 32 -q";

/**
 * Run a command in cwd (tests/guest unless told), feeding it input if given; return its exit code
 * and output, or null when it is missing.
 */
async function run(
  cmd: string,
  args: string[],
  opt: { signal?: AbortSignal; cwd?: string; input?: string } = {},
) {
  try {
    const { signal, cwd = here, input } = opt;
    const stdin = input === undefined ? "null" : "piped";
    const options = { args, cwd, stdin, stdout: "piped", stderr: "piped", signal } as const;
    const child = new Deno.Command(cmd, options).spawn();
    if (input !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(input));
      await w.close();
    }
    const out = await child.output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: out.stdout, stderr: text(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Compile cc's sources in cwd into out; exit with the compiler's message on failure. */
async function compile(cc: string, flags: string[], out: string, sources: string[], cwd: string) {
  const r = await run(cc, [...flags, "-o", out, ...sources], { cwd });
  if (r === null) {
    const pkg = cc === CC ? "gcc-mipsel-linux-gnu" : "gcc";
    console.error(`${cc} not found: install it (apt-get install ${pkg})`);
    Deno.exit(1);
  }
  if (r.stderr) console.error(r.stderr.trimEnd());
  if (r.code !== 0) {
    console.error(`Building ${out} failed: ${cc} exited with ${r.code}`);
    Deno.exit(1);
  }
}

/** Compile every program into dir and dir/unix; exit with the compiler's message on failure. */
async function build(dir: string) {
  if (await run(CC, ["--version"]) === null) {
    console.error(
      `${CC} not found: install Debian's MIPS cross compiler (apt-get install gcc-mipsel-linux-gnu)`,
    );
    Deno.exit(1);
  }
  for (const [name, { sources }] of Object.entries(PROGRAMS)) {
    await compile(CC, FLAGS, join(dir, `${name}.elf`), ["crt0.S", "prom.c", ...sources], here);
  }
  await Deno.mkdir(join(dir, "unix"), { recursive: true });
  for (const name of Object.keys(UNIX_PROGRAMS)) {
    const out = join(dir, "unix", `${name}.elf`);
    await compile(CC, FLAGS, out, ["crt0.S", "libc.c", `${name}.c`], unix);
  }
}

/** Every ELF path (relative to out/) that a build makes. */
const elfs = () => [
  ...Object.keys(PROGRAMS).map((name) => `${name}.elf`),
  ...Object.keys(UNIX_PROGRAMS).map((name) => `unix/${name}.elf`),
];

/** Bytes equal. */
const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Names of the ELFs in dir that differ from (or are missing in) out/. */
async function differing(dir: string): Promise<string[]> {
  const read = (p: string) => Deno.readFile(p).catch(() => new Uint8Array());
  const bad = [];
  for (const elf of elfs()) {
    if (!same(await read(join(dir, elf)), await read(join(here, "out", elf)))) {
      bad.push(`out/${elf}`);
    }
  }
  return bad;
}

/**
 * Build and run each UNIX program on this x86-64 Linux host (unix/host.c maps the UNIX calls onto
 * Linux's); exit 1 naming those whose output or exit status differs from what is expected.
 */
async function checkOnHost() {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    console.error(`--host needs x86-64 Linux, not ${Deno.build.arch} ${Deno.build.os}`);
    Deno.exit(1);
  }
  const dir = await Deno.makeTempDir({ prefix: "guest_host_" });
  const bad = [];
  try {
    for (const [name, { input, status, host }] of Object.entries(UNIX_PROGRAMS)) {
      if (host === false) continue;
      const exe = join(dir, name);
      await compile("gcc", HOST_FLAGS, exe, ["host.c", "libc.c", `${name}.c`], unix);
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
  const checked = Object.values(UNIX_PROGRAMS).filter((p) => p.host !== false).length;
  console.log(`${checked} UNIX programs match unix/expected on the host`);
}

/** Run each gxemul-checked program under gxemul and store its console bytes in expected/. */
async function expectFromGxemul() {
  for (const [name, { gxemul }] of Object.entries(PROGRAMS)) {
    if (!gxemul) continue;
    // gxemul buffers the console when stdout is not a terminal: give it one, without \n -> \r\n.
    const line = `stty -onlcr; ${GXEMUL} out/${name}.elf`;
    const r = await run("script", ["-qfc", line, "/dev/null"], {
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
      bad = await differing(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    if (bad.length > 0) {
      console.error(`Differs from a fresh build: ${bad.join(", ")}; run deno task guest`);
      Deno.exit(1);
    }
    console.log(`${elfs().length} guest programs match a fresh build`);
  } else {
    await build(join(here, "out"));
    console.log(`Built ${elfs().length} programs into tests/guest/out/ and tests/guest/out/unix/`);
    if (values.gxemul) await expectFromGxemul();
  }
  if (values.host) await checkOnHost();
}
