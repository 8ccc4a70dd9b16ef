/**
 * Fixtures for the ExOS process tests: a lab with the slice clock running (processes start at its
 * first tick), small UNIX programs written in assembly and wrapped as ELF files, and the UNIX
 * test programs of tests/guest/out/unix with their expected output.
 *
 * @module
 */

import { type AsmSource } from "../../machine/asm/mod.ts";
import { writeElf } from "../../machine/elf_writer.ts";
import { Lab } from "../../shell/lab.ts";
import { type PageTableKind, UNIX, UNIX_TRAP } from "../../exos/mod.ts";

/**
 * A lab with its processes on `pageTable`; the slice clock runs, as ExOS needs. Besides /bin,
 * the test programs of tests/guest/out/unix may be exec'd as /test/NAME.
 */
export function lab(pageTable: PageTableKind = "linear"): Lab {
  const m = new Lab({ pageTable });
  for (const name of programs()) m.exos.files.set(`/test/${name}`, unixElf(name));
  return m;
}

/** Assembly for UNIX call `name` (arguments already in a0..a2): v0 = the result. */
export function call(name: keyof typeof UNIX): string {
  return `li $v0, ${UNIX[name]}\n        .word ${UNIX_TRAP}`;
}

/** `source` assembled at 0x00400000 as an ELF executable: one PT_LOAD (read, write, execute). */
export function elf(source: AsmSource): Uint8Array {
  return writeElf(source.at(0x00400000));
}

const out = new URL("../guest/out/unix/", import.meta.url);
const expected = new URL("../guest/unix/expected/", import.meta.url);

/** Each UNIX program's console input and exit status: the build's own table. */
export { UNIX_PROGRAMS } from "../guest/build.ts";

/** The bytes of tests/guest/out/unix/NAME.elf. */
export function unixElf(name: string): Uint8Array {
  return Deno.readFileSync(new URL(`${name}.elf`, out));
}

/** The expected console output of UNIX program `name`. */
export function unixExpected(name: string): string {
  return Deno.readTextFileSync(new URL(`${name}.txt`, expected));
}

/** The names of the built UNIX programs, sorted. */
export function programs(): string[] {
  return [...Deno.readDirSync(out)].map((f) => f.name.replace(/\.elf$/, "")).sort();
}

/** Physical pages owned by the environments `ids`. */
export function pagesOwned(m: Lab, ...ids: number[]): number {
  let n = 0;
  for (let p = m.aegis.firstPage; p < m.aegis.pages; p++) {
    if (ids.includes(m.aegis.ownerOf(p))) n++;
  }
  return n;
}
