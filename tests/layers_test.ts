/**
 * The layers of DESIGN.md, checked: imports point down only, and exos/ reaches the kernel only
 * through aegis/abi.ts and the machine only through its tools (the assembler, the ELF reader).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fromFileUrl } from "./_paths.ts";

const root = resolve(dirname(fromFileUrl(import.meta.url)), "..");

/** Every .ts file below `dir` (relative to the project root). */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(root, d))];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".ts")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const IMPORT =
  /\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The project-relative targets of the relative imports in `text`, the source of `file`. */
function importsIn(file: string, text: string): string[] {
  const specs = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.filter((s) => s.startsWith(".")).map((s) =>
    relative(root, resolve(join(root, dirname(file)), s))
  );
}

/** The project-relative targets of the relative imports in `file`. */
function imports(file: string): string[] {
  return importsIn(file, Deno.readTextFileSync(join(root, file)));
}

/** Which imports of a layer break the rules: returns "file -> target" lines. */
export function violations(layer: string, allowed: (target: string) => boolean): string[] {
  return sources(layer).flatMap((f) =>
    imports(f).filter((t) => !allowed(t)).map((t) => `${f} -> ${t}`)
  );
}

const inside = (dir: string) => (t: string) => t.startsWith(dir + "/");
const machineTools = (t: string) => t.startsWith("machine/asm/") || t === "machine/elf.ts";

Deno.test("layers machine/ imports nothing above it", () => {
  assert.deepEqual(violations("machine", inside("machine")), []);
});

Deno.test("layers aegis/ imports only machine/ and itself", () => {
  assert.deepEqual(violations("aegis", (t) => inside("machine")(t) || inside("aegis")(t)), []);
});

Deno.test("layers exos/ reaches the kernel only through aegis/abi.ts", () => {
  const ok = (t: string) => inside("exos")(t) || t === "aegis/abi.ts" || machineTools(t);
  assert.deepEqual(violations("exos", ok), []);
});

Deno.test("layers the import scanner sees every form of import", () => {
  const text = [
    'import { a } from "../aegis/abi.ts";',
    'import type {\n  B,\n} from "./cpu.ts";',
    'export { c } from "../exos/mod.ts";',
    'import "../shell/repl.ts";',
    'const d = await import("../scripts/x.ts");',
    'import e from "node:path";',
  ].join("\n");
  assert.deepEqual(importsIn("machine/x.ts", text), [
    "aegis/abi.ts",
    "machine/cpu.ts",
    "exos/mod.ts",
    "shell/repl.ts",
    "scripts/x.ts",
  ]);
});
