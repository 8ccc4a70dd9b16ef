/**
 * Every piece of kernel and library OS assembly, checked for the R3000A's pipeline hazards: each
 * source in SOURCES assembles with the assembler's hazard check on (no load-use or CP0 hazard,
 * machine/asm/_hazard.ts), and no jr or jalr has a load in its delay slot, whose value the
 * unknown target's first instruction would not see, unless the source says why that is safe.
 *
 * To check a new source, add it to SOURCES: a name and a function that assembles it at its
 * address.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assemble, decode, disassemble, type Program } from "../machine/asm/mod.ts";
import { DECstation } from "../machine/mod.ts";
import { Aegis, K, U } from "../aegis/mod.ts";
import { kernelText, trampolineText } from "../aegis/boot.ts";
import { LIB, newPageTable, PAGE_SIZE, PAGE_TABLE_KINDS, vmSource } from "../exos/mod.ts";

/** Why the library's way back may load in a jr's delay slot (exos/vm_asm.ts, "The way back"). */
const K0_RELOAD =
  "it reloads k0, the kernel's register, which the program at the target never reads";

/** A page-table memory that holds nothing: only the table's guest code is wanted. */
const NO_MEMORY = { read32: () => 0, write32: () => {} };
const TABLE_BYTES = LIB.TABLE_PAGES * PAGE_SIZE;

/** An assembly source to check, assembled where it runs, and its jr/jalr delay-slot loads. */
interface Checked {
  name: string;
  /** Assembles it (with the hazard check on: an AsmError names the first hazard). */
  program: () => Program;
  /** Labels of jumps whose delay-slot load is safe, each with the reason. */
  slotLoads?: Record<string, string>;
}

const SOURCES: Checked[] = [
  {
    name: "Aegis kernel (32 MB)",
    program: () => assemble(kernelText(8192), { origin: K.UTLB_VECTOR }),
  },
  {
    name: "Aegis kernel (480 MB)",
    program: () => assemble(kernelText(122880), { origin: K.UTLB_VECTOR }),
  },
  {
    name: "Aegis trampoline",
    program: () => assemble(trampolineText(), { origin: U.TRAMPOLINE }),
  },
  ...PAGE_TABLE_KINDS.map((structure): Checked => ({
    name: `ExOS library code (${structure} page table)`,
    program: () =>
      vmSource(newPageTable(structure, NO_MEMORY, LIB.TABLE, TABLE_BYTES).guest()).at(LIB.CODE),
    slotLoads: {
      block: "it jumps back to a trap, which takes its exception after the load",
      ...Object.fromEntries(
        ["resume", "map", "upcall"].map((label) => [label, K0_RELOAD]),
      ),
    },
  })),
];

for (const { name, program, slotLoads = {} } of SOURCES) {
  Deno.test(`${name} has no load-use or CP0 hazard`, () => {
    program(); // throws AsmError naming the first hazard
  });

  Deno.test(`${name} loads in no jr or jalr delay slot but where it says why`, () => {
    const p = program();
    const labels = Object.entries(p.symbols).filter(([, a]) => a >= p.origin).sort((x, y) =>
      x[1] - y[1]
    );
    /** The label at or before `addr`. */
    const labelOf = (addr: number) => labels.filter(([, a]) => a <= addr).at(-1)?.[0] ?? "";
    const found: string[] = [];
    for (let i = 0; i + 1 < p.text.length; i++) {
      const jump = decode(p.text[i])?.name, slot = decode(p.text[i + 1])?.name ?? "";
      if ((jump === "jr" || jump === "jalr") && /^(lb|lbu|lh|lhu|lw|lwl|lwr|mfc0)$/.test(slot)) {
        const pc = p.origin + 4 * i;
        if (!(labelOf(pc) in slotLoads)) {
          found.push(
            `${labelOf(pc)}: ${disassemble(p.text[i], pc)}; ${disassemble(p.text[i + 1], pc + 4)}`,
          );
        }
      }
    }
    assert.deepEqual(found, []);
  });
}

Deno.test("Aegis boots with its kernel, idle loop and trampoline assembled, hazards checked", () => {
  // The boot assembles the trampoline (aegis/kernel.ts) with the check on: it would throw.
  const aegis = new Aegis(new DECstation());
  assert.equal(aegis.symbols.general, K.GENERAL_VECTOR);
});
