/**
 * Builds the bare DECstation test programs of tests/guest into tests/guest/out/NAME.elf.
 *
 * Each program is crt0.S + prom.c + its own sources, compiled by Debian's MIPS cross compiler
 * with the project's fixed flags (shared/DESIGN.md) and linked at 0x80030000 by ld.script. The
 * ELFs are committed, so tests need no cross compiler; the build is reproducible (no build id,
 * no timestamps, relative source names), which lets CI rebuild and compare.
 *
 *   deno task guest            build every program into out/
 *   deno task guest --check    build into a temporary folder; exit 1 naming the files that
 *                              differ from the committed out/
 *   deno task guest --gxemul   also rerun each gxemul-checked program under gxemul and rewrite
 *                              expected/NAME.txt with its console output (see README.md)
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
};

const CC = "mipsel-linux-gnu-gcc";

/** The gxemul command line whose console output becomes expected/NAME.txt. */
const GXEMUL = "gxemul -E dec -e 3max -M 32 -q";

/** Run a command in tests/guest; return its exit code and output, or null when it is missing. */
async function run(cmd: string, args: string[], signal?: AbortSignal) {
  try {
    const out = await new Deno.Command(cmd, { args, cwd: here, stdin: "null", signal }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: out.stdout, stderr: text(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Compile every program into dir; exit with the compiler's message on failure. */
async function build(dir: string) {
  if (await run(CC, ["--version"]) === null) {
    console.error(
      `${CC} not found: install Debian's MIPS cross compiler (apt-get install gcc-mipsel-linux-gnu)`,
    );
    Deno.exit(1);
  }
  for (const [name, { sources }] of Object.entries(PROGRAMS)) {
    const out = join(dir, `${name}.elf`);
    const r = await run(CC, [...FLAGS, "-o", out, "crt0.S", "prom.c", ...sources]);
    if (r!.stderr) console.error(r!.stderr.trimEnd());
    if (r!.code !== 0) {
      console.error(`Building ${name} failed: ${CC} exited with ${r!.code}`);
      Deno.exit(1);
    }
  }
}

/** Names of the programs whose ELF in dir differs from (or is missing in) out/. */
async function differing(dir: string): Promise<string[]> {
  const read = (p: string) => Deno.readFile(p).catch(() => new Uint8Array());
  const bad = [];
  for (const name of Object.keys(PROGRAMS)) {
    const a = await read(join(dir, `${name}.elf`));
    const b = await read(join(here, "out", `${name}.elf`));
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) bad.push(`out/${name}.elf`);
  }
  return bad;
}

/** Run each gxemul-checked program under gxemul and store its console bytes in expected/. */
async function expectFromGxemul() {
  for (const [name, { gxemul }] of Object.entries(PROGRAMS)) {
    if (!gxemul) continue;
    // gxemul buffers the console when stdout is not a terminal: give it one, without \n -> \r\n.
    const line = `stty -onlcr; ${GXEMUL} out/${name}.elf`;
    const r = await run("script", ["-qfc", line, "/dev/null"], AbortSignal.timeout(120_000));
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
    options: { check: { type: "boolean" }, gxemul: { type: "boolean" } },
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
    console.log(`${Object.keys(PROGRAMS).length} guest programs match a fresh build`);
  } else {
    await build(join(here, "out"));
    console.log(`Built ${Object.keys(PROGRAMS).length} programs into tests/guest/out/`);
    if (values.gxemul) await expectFromGxemul();
  }
}
