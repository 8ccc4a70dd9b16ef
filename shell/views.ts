/**
 * What the bench shows of memory: `m.disasm` (instructions, with symbols and an arrow at the
 * pc) and `m.dump` (a hex dump with ASCII), over any of the address spaces a person asks about.
 *
 * An address is read as the hardware would see it, without side effects and without touching
 * devices: kseg0 and kseg1 are physical memory (RAM, and the boot ROM); kseg2 goes through the
 * TLB; a user address goes through an environment's bindings (the TLB, then the STLB, then its
 * guaranteed mappings: `aegis.physicalFor`), the one named or the one on the CPU. Without an
 * environment, `dump` reads an address below 0x80000000 as physical. Words that cannot be read
 * print as such instead of failing the whole view.
 *
 * @module
 */

import type { DECstation } from "../machine/decstation.ts";
import { disassemble } from "../machine/asm/disassembler.ts";
import { hex } from "../machine/table.ts";
import type { SymbolTable } from "./symbols.ts";

/** What a view needs: the machine, symbols, and an environment's user mappings. */
export interface MemorySpace {
  /** The machine. */
  machine: DECstation;
  /** Names for addresses. */
  symbols: SymbolTable;
  /** The physical address environment `env` reaches at user address `va`, or -1. */
  userPhysical(env: number, va: number): number;
  /** The environment on the CPU, or 0. */
  current(): number;
  /** The name of environment `env`, if any. */
  envName(env: number): string | undefined;
}

/** How an address is read: through which space, for the header line. */
export interface Reader {
  /** The word at `va` (aligned), or undefined when nothing readable is there. */
  word(va: number): number | undefined;
  /** The byte at `va`, or undefined. */
  byte(va: number): number | undefined;
  /** The environment whose symbols name user addresses (0 for none). */
  env: number;
  /** The space, in words, for the header. */
  space: string;
}

/** The physical word or byte at `pa` in RAM or the ROM, or undefined (devices are not read). */
function physical(machine: DECstation, pa: number, bytes: 1 | 4): number | undefined {
  if (pa < 0) return undefined;
  if (pa + bytes <= machine.bus.ramSize) {
    return bytes === 4 ? machine.bus.ram32[pa >>> 2] >>> 0 : machine.bus.ram8[pa];
  }
  const rom = machine.rom;
  if (pa >= rom.base && pa + bytes <= rom.base + rom.size) return machine.bus.read(pa, bytes) >>> 0;
  return undefined;
}

/**
 * A reader of `space`: with `env` (nonzero), user addresses through its bindings; without,
 * user addresses through the CPU's TLB and the current environment (`userAsPhysical`: as
 * physical addresses instead).
 */
export function reader(space: MemorySpace, env: number, userAsPhysical: boolean): Reader {
  const m = space.machine;
  const cur = env !== 0 ? env : space.current();
  const pa = (va: number): number => {
    const a = va >>> 0;
    if (a >= 0x80000000 && a < 0xc0000000) return a & 0x1fffffff;
    if (a >= 0xc0000000) return m.cpu.translate(a);
    if (env !== 0) return space.userPhysical(env, a);
    if (userAsPhysical) return a;
    const t = m.cpu.translate(a);
    return t >= 0 ? t : cur !== 0 ? space.userPhysical(cur, a) : -1;
  };
  const name = space.envName(env);
  return {
    word: (va) => physical(m, pa(va), 4),
    byte: (va) => physical(m, pa(va), 1),
    env: cur,
    space: env !== 0
      ? `user addresses of environment ${hex(env, 4)}${name ? ` ${name}` : ""}`
      : userAsPhysical
      ? "physical addresses below 0x80000000, kseg0/kseg1 as physical, kseg2 through the TLB"
      : `kseg0/kseg1 as physical, kseg2 and user addresses through the TLB` +
        (cur !== 0 ? ` and environment ${hex(cur, 4)}'s bindings` : ""),
  };
}

/**
 * `count` instructions from `at` (or around the pc), one per line: an arrow at the pc, the
 * address, the word, the instruction with symbols; a label line where a symbol starts.
 */
export function disasmView(
  space: MemorySpace,
  read: Reader,
  at: number | undefined,
  count: number,
): string {
  const cpu = space.machine.cpu;
  const pc = cpu.pc;
  const first = at !== undefined ? (at & ~3) >>> 0 : (pc - 4 * Math.floor(count / 4)) >>> 0;
  const env = read.env;
  const lookup = space.symbols.resolver(env);
  const out: string[] = [];
  const where = space.symbols.describe(first, env);
  out.push(`${hex(first)}${where ? ` <${where}>` : ""} · ${read.space}`);
  for (let i = 0; i < count; i++) {
    const va = (first + 4 * i) >>> 0;
    const label = space.symbols.nameAt(va, env);
    if (label !== undefined) out.push(`          ${label}:`);
    const w = read.word(va);
    const arrow = va === pc ? "→" : " ";
    out.push(
      w === undefined
        ? `${arrow} ${hex(va)}  --------  (not mapped)`
        : `${arrow} ${hex(va)}  ${hex(w).slice(2)}  ${disassemble(w, va, lookup)}`,
    );
  }
  return out.join("\n");
}

/** `bytes` bytes from `at` as a hex dump: 16 per line, with their ASCII. */
export function dumpView(read: Reader, at: number, bytes: number): string {
  const out = [`${hex(at)} · ${bytes} bytes · ${read.space}`];
  const start = (at & ~15) >>> 0;
  for (let line = start; line < at + bytes; line += 16) {
    const cells: string[] = [];
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      const va = (line + i) >>> 0;
      const inside = line + i >= at && line + i < at + bytes;
      const b = inside ? read.byte(va) : undefined;
      cells.push(b === undefined ? (inside ? "--" : "  ") : b.toString(16).padStart(2, "0"));
      ascii += b === undefined ? " " : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
      if (i === 7) cells.push("");
    }
    out.push(`${hex(line >>> 0)}  ${cells.join(" ")}  |${ascii}|`);
  }
  return out.join("\n");
}
