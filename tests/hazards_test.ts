/**
 * Every piece of kernel and library OS assembly, checked for the R3000A's pipeline hazards: each
 * source in SOURCES assembles with the assembler's hazard check on (no load-use or CP0 hazard,
 * machine/asm/_hazard.ts), and no jr or jalr has a load in its delay slot, whose value the
 * unknown target's first instruction would not see, unless the source says why that is safe.
 *
 * To check a new source, add it to SOURCES: a name, a function giving its AsmSource and the
 * address it is assembled at.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type AsmSource, decode, disassemble } from "../machine/asm/mod.ts";
import { DECstation } from "../machine/mod.ts";
import { Aegis, K } from "../aegis/mod.ts";
import { idleSource, kernelSource } from "../aegis/kernel_asm.ts";
import { ClusteredPageTable, LIB, LinearPageTable, PAGE_SIZE, vmSource } from "../exos/mod.ts";

/** A page-table memory that holds nothing: only the table's guest code is wanted. */
const NO_MEMORY = { read32: () => 0, write32: () => {} };
const TABLE_BYTES = LIB.TABLE_PAGES * PAGE_SIZE;

/** An assembly source to check, where it is assembled, and its jr/jalr delay-slot loads. */
interface Checked {
  name: string;
  source: () => AsmSource;
  origin: number;
  /** Labels of jumps whose delay-slot load is safe, each with the reason. */
  slotLoads?: Record<string, string>;
}

const SOURCES: Checked[] = [
  { name: "Aegis kernel (32 MB)", source: () => kernelSource(8192), origin: K.UTLB_VECTOR },
  { name: "Aegis kernel (480 MB)", source: () => kernelSource(122880), origin: K.UTLB_VECTOR },
  { name: "Aegis idle loop", source: idleSource, origin: K.TEXT_END - 0x100 },
  ...(["linear", "clustered"] as const).map((structure): Checked => ({
    name: `ExOS library code (${structure} page table)`,
    source: () => {
      const Table = structure === "linear" ? LinearPageTable : ClusteredPageTable;
      return vmSource(new Table(NO_MEMORY, LIB.TABLE, TABLE_BYTES).guest());
    },
    origin: LIB.CODE,
    slotLoads: { block: "it jumps back to a trap, which takes its exception after the load" },
  })),
];

for (const { name, source, origin, slotLoads = {} } of SOURCES) {
  Deno.test(`${name} has no load-use or CP0 hazard`, () => {
    source().at(origin); // throws AsmError naming the first hazard
  });

  Deno.test(`${name} loads in no jr or jalr delay slot but where it says why`, () => {
    const p = source().at(origin);
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
  const aegis = new Aegis(new DECstation(), { seed: 1 });
  assert.equal(aegis.symbols.general, K.GENERAL_VECTOR);
});
