/**
 * The disassembler: one MIPS I word at a pc becomes one line of GNU as syntax that this package's
 * assembler turns back into the same word at the same pc.
 *
 * Registers print by name (`$t0`, CP0 registers as `$status` and friends or `$n`), branch and
 * jump targets as absolute hex addresses or, when symbols are given (a name-to-address record,
 * or a function that names an address, as the shell's symbol table offers), as the name of a
 * symbol at exactly that address. Common idioms print as the pseudo-instruction that encodes to
 * them (nop, move, not, neg, negu, li, b, bal, beqz, bnez). A word that is not a valid MIPS I
 * instruction, reserved fields included, prints as `.word 0x...`. Round trip:
 * `assemble(disassemble(w, pc), { origin: pc, reorder: false }).text` is `[w]` for every w.
 *
 * @module
 */

import { CP0_NAMES, decode, GPR_NAMES } from "./isa.ts";

/** Symbols for the disassembler: names by address, as a record or as a lookup function. */
export type SymbolLookup = Record<string, number> | ((addr: number) => string | undefined);

const byAddress = new WeakMap<Record<string, number>, Map<number, string>>();
const NAME = /^[A-Za-z_.][A-Za-z0-9_.$]*$/;

/** The name of a symbol at exactly `addr`, if any; a record's names are cached per record. */
function nameAt(symbols: SymbolLookup, addr: number): string | undefined {
  if (typeof symbols === "function") return symbols(addr);
  let m = byAddress.get(symbols);
  if (!m) {
    m = new Map();
    for (const [name, v] of Object.entries(symbols)) {
      if (NAME.test(name) && !m.has(v >>> 0)) m.set(v >>> 0, name);
    }
    byAddress.set(symbols, m);
  }
  return m.get(addr);
}

/** Disassembles `word` located at `pc`; never fails (unknown encodings print as `.word`). */
export function disassemble(word: number, pc: number, symbols?: SymbolLookup): string {
  const w = word >>> 0;
  const d = decode(w);
  if (!d) return `.word 0x${hex8(w)}`;
  const rs = w >>> 21 & 31, rt = w >>> 16 & 31, rd = w >>> 11 & 31, sa = w >>> 6 & 31;
  const imm = w & 0xffff, simm = (w << 16) >> 16;
  const r = (n: number) => "$" + GPR_NAMES[n];
  const addr = (t: number) => (symbols && nameAt(symbols, t)) ?? "0x" + t.toString(16);
  const target = () => addr((pc + 4 + simm * 4) >>> 0);
  const n = d.name;
  switch (d.form) {
    case "rd,rs,rt":
      if (n === "or" && rt === 0) return `move ${r(rd)}, ${r(rs)}`;
      if (n === "nor" && rt === 0) return `not ${r(rd)}, ${r(rs)}`;
      if ((n === "sub" || n === "subu") && rs === 0) return `neg${n.slice(3)} ${r(rd)}, ${r(rt)}`;
      return `${n} ${r(rd)}, ${r(rs)}, ${r(rt)}`;
    case "rd,rt,sa":
      return w === 0 ? "nop" : `${n} ${r(rd)}, ${r(rt)}, ${sa}`;
    case "rd,rt,rs":
      return `${n} ${r(rd)}, ${r(rt)}, ${r(rs)}`;
    case "rs":
      return `${n} ${r(rs)}`;
    case "rd":
      return `${n} ${r(rd)}`;
    case "rs,rt":
      return `${n} ${r(rs)}, ${r(rt)}`;
    case "rd,rs":
      return rd === 31 ? `${n} ${r(rs)}` : `${n} ${r(rd)}, ${r(rs)}`;
    case "code20": {
      const code = w >>> 6 & 0xfffff;
      return code ? `${n} 0x${code.toString(16)}` : n;
    }
    case "code10,10": {
      const hi = w >>> 16 & 0x3ff, lo = w >>> 6 & 0x3ff;
      if (lo) return `${n} 0x${hi.toString(16)}, 0x${lo.toString(16)}`;
      return hi ? `${n} 0x${hi.toString(16)}` : n;
    }
    case "rs,rt,off":
      if (rt === 0) {
        if (n === "beq" && rs === 0) return `b ${target()}`;
        return `${n}z ${r(rs)}, ${target()}`;
      }
      return `${n} ${r(rs)}, ${r(rt)}, ${target()}`;
    case "rs,off":
      return n === "bgezal" && rs === 0 ? `bal ${target()}` : `${n} ${r(rs)}, ${target()}`;
    case "rt,rs,simm":
      return n === "addiu" && rs === 0
        ? `li ${r(rt)}, ${simm}`
        : `${n} ${r(rt)}, ${r(rs)}, ${simm}`;
    case "rt,rs,uimm":
      if (n === "ori" && rs === 0 && imm >= 0x8000) return `li ${r(rt)}, 0x${imm.toString(16)}`;
      return `${n} ${r(rt)}, ${r(rs)}, 0x${imm.toString(16)}`;
    case "rt,uimm":
      return `${n} ${r(rt)}, 0x${imm.toString(16)}`;
    case "rt,mem":
      return `${n} ${r(rt)}, ${simm}(${r(rs)})`;
    case "target":
      return `${n} ${addr(((pc + 4) & 0xf0000000 | (w & 0x3ffffff) << 2) >>> 0)}`;
    case "rt,c0":
      return `${n} ${r(rt)}, $${CP0_NAMES[rd] ?? rd}`;
    case "none":
      return n;
  }
}

/** Disassembles consecutive words from `origin`, one line each: address, word, <symbol>, text. */
export function disassembleRange(
  words: ArrayLike<number>,
  origin: number,
  symbols?: SymbolLookup,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pc = (origin + i * 4) >>> 0;
    const label = symbols && nameAt(symbols, pc);
    const text = disassemble(words[i], pc, symbols);
    out.push(`${hex8(pc)}  ${hex8(words[i] >>> 0)}  ${label ? `<${label}> ` : ""}${text}`);
  }
  return out;
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, "0");
}
