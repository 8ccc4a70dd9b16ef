/**
 * Builds the guest programs that ship with exolab: the /bin programs of guest/bin, each linked
 * with the guest C runtime of guest/libc (crt0.S, libc.c, unix.h, ld.script), into
 * guest/out/bin/NAME.elf, which ExOS offers as /bin/NAME (shell/lab.ts).
 *
 * Each is compiled by Debian's MIPS cross compiler with the project's fixed flags
 * (shared/DESIGN.md). The ELFs are committed, so nothing at run time needs a cross compiler; the
 * build is reproducible (no build id, no timestamps, relative source names), which lets CI
 * rebuild and compare. tests/guest/build.ts (`deno task guest`) builds these and the test
 * programs together; this file alone:
 *
 *   deno run -A guest/build.ts            build guest/out/bin/*.elf
 *   deno run -A guest/build.ts --check    build into a temporary folder; exit 1 naming the files
 *                                         that differ from the committed ones
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

/** This folder, guest/. */
export const GUEST = new URL(".", import.meta.url).pathname;

/** The guest C runtime: crt0.S, libc.c, unix.h, ld.script. */
export const LIBC = join(GUEST, "libc");

/** Debian's MIPS cross compiler. */
export const CC = "mipsel-linux-gnu-gcc";

/** The project's compiler flags (shared/DESIGN.md), then the build's own and the warnings. */
export const FLAGS = [
  ...("-O2 -march=r3000 -mfp32 -mabi=32 -mno-abicalls -fno-pic -msoft-float -nostdlib -static " +
    "-ffreestanding -G0").split(" "),
  "-Wl,--build-id=none",
  "-Wl,-z,max-page-size=4096",
  "-Wall",
  "-Wextra",
];

/**
 * The flags and sources that link a UNIX program `name.c`, compiled in the folder `cwd`, with
 * the guest C runtime: crt0.S first, then libc.c, by paths relative to `cwd`.
 */
export function unixSources(cwd: string, name: string): { flags: string[]; sources: string[] } {
  const rel = (f: string) => join(relativeTo(cwd, LIBC), f);
  return {
    flags: [...FLAGS, "-I", relativeTo(cwd, LIBC), "-T", rel("ld.script")],
    sources: [rel("crt0.S"), rel("libc.c"), `${name}.c`],
  };
}

/** The path of folder `to` relative to folder `from` (both absolute). */
function relativeTo(from: string, to: string): string {
  const a = from.split("/").filter(Boolean), b = to.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/") || ".";
}

/** The /bin programs, each guest/bin/NAME.c. */
export const BIN_PROGRAMS = [
  "sh",
  "echo",
  "cat",
  "wc",
  "true",
  "false",
  "kill",
  "sleep",
  "ps",
  "ping",
  "udpecho",
  "udpclient",
  "pingpong",
  "spin",
] as const;

/**
 * Runs `cmd` with `args` in `cwd`, feeding it `input` if given; returns its exit code and
 * output, or null when the command is missing.
 */
export async function run(
  cmd: string,
  args: string[],
  opt: { signal?: AbortSignal; cwd?: string; input?: string } = {},
) {
  try {
    const { signal, cwd = GUEST, input } = opt;
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

/** Compiles `sources` in `cwd` into `out` with `cc`; exits with the compiler's message on failure. */
export async function compile(
  cc: string,
  flags: string[],
  out: string,
  sources: string[],
  cwd: string,
) {
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

/** Exits naming the package to install when the cross compiler is missing. */
export async function needCompiler(): Promise<void> {
  if (await run(CC, ["--version"]) === null) {
    console.error(
      `${CC} not found: install Debian's MIPS cross compiler (apt-get install gcc-mipsel-linux-gnu)`,
    );
    Deno.exit(1);
  }
}

/** Builds every /bin program into `dir`/NAME.elf. */
export async function buildBin(dir: string): Promise<void> {
  await needCompiler();
  await Deno.mkdir(dir, { recursive: true });
  const cwd = join(GUEST, "bin");
  for (const name of BIN_PROGRAMS) {
    const { flags, sources } = unixSources(cwd, name);
    await compile(CC, flags, join(dir, `${name}.elf`), sources, cwd);
  }
}

/** The ELF files a build of the /bin programs makes, relative to guest/out/bin. */
export const binElfs = (): string[] => BIN_PROGRAMS.map((name) => `${name}.elf`);

/** Whether two byte arrays are equal. */
export const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The names of `elfs` in folder `built` that differ from (or are missing in) folder `committed`. */
export async function differing(
  built: string,
  committed: string,
  elfs: readonly string[],
): Promise<string[]> {
  const read = (p: string) => Deno.readFile(p).catch(() => new Uint8Array());
  const bad = [];
  for (const elf of elfs) {
    if (!same(await read(join(built, elf)), await read(join(committed, elf)))) bad.push(elf);
  }
  return bad;
}

/** The committed /bin ELFs: guest/out/bin. */
export const BIN_OUT = join(GUEST, "out", "bin");

/**
 * Rebuilds the /bin programs into a temporary folder; returns the committed ELFs that differ
 * from the fresh build (as paths relative to the repository).
 */
export async function checkBin(): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "guest_bin_" });
  try {
    await buildBin(dir);
    return (await differing(dir, BIN_OUT, binElfs())).map((e) => `guest/out/bin/${e}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { check: { type: "boolean" } } });
  if (values.check) {
    const bad = await checkBin();
    if (bad.length > 0) {
      console.error(`Differs from a fresh build: ${bad.join(", ")}; run deno task guest`);
      Deno.exit(1);
    }
    console.log(`${binElfs().length} /bin programs match a fresh build`);
  } else {
    await buildBin(BIN_OUT);
    console.log(`Built ${binElfs().length} programs into guest/out/bin/`);
  }
}
