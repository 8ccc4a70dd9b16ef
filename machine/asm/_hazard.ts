/**
 * The R3000A's pipeline hazards, as the assembler sees them: which instruction pairs GNU as pads
 * with nops in `.set reorder` for MIPS I, and which pairs `.set noreorder` code must not contain.
 *
 * The R3000A has no load interlock (machine/cpu.ts): the instruction after a load or MFC0 sees
 * the register's old value. LWL and LWR merge with a pending load of their own register, so an
 * LWL or LWR of the same register right after a load is fine (the `lwr; lwl` pair); reading the
 * register any other way, as a base included, is a load-use hazard.
 *
 * What `mipsel-linux-gnu-as -march=r3000` does in `.set reorder`, found by assembling test
 * sources with it (`-O1`, so that it does not also move instructions into branch delay slots):
 * - a load or MFC0 whose next instruction reads its register, LWL/LWR merges excepted, gets one
 *   nop; the next instruction's own mode does not matter, and labels are transparent;
 * - an MTC0 followed by another MTC0 or an MFC0 gets one nop (it does nothing for MTC0 followed
 *   by a TLB instruction or RFE);
 * - where the next thing is not an instruction (a data directive or `.align` in the text, a
 *   section change, the end of the source), it assumes the worst: one nop after a load or MFC0,
 *   two after an MTC0;
 * - a pair counts when either of its instructions was assembled under `.set reorder`.
 * exolab's assembler does all of that, and one thing more: in `.set reorder` it also pads the
 * two CP0 hazards below that GNU as does not know for MIPS I (MTC0 to a TLB register followed by
 * a TLB instruction, MTC0 to Status followed by an instruction that depends on it) with a nop,
 * so that reorder code is hazard-free on the R3000A. Its output differs from GNU as's only there.
 *
 * What `.set noreorder` code must not contain (the assembler reports it as an error):
 * - a load-use hazard, as above, with one exception: when the load follows a load of the same
 *   register, the instruction after the second load reads the first one's value, which has
 *   landed: `lw $t2, EPC; lw $t2, SAVED_T2; jr $t2; nop` jumps to EPC and arrives with t2
 *   restored. That is the R3000A's load delay used on purpose (an interlocked MIPS would jump
 *   elsewhere; tests/machine/cpu_load_delay_test.ts runs it), and it is not reported;
 * - MTC0 to Index, EntryLo or EntryHi followed at once by TLBR, TLBWI, TLBWR or TLBP: the TLB
 *   instruction may see the register's old value;
 * - MTC0 to Status followed at once by an instruction that depends on Status. The R3000 manuals
 *   define MTC0 so: "the state of the virtual memory system may be altered by this instruction",
 *   so loads, stores and TLB operations just before or after it are undefined (Toshiba's TX39, an
 *   R3000A core, says it in those words). Status decides, for the next instruction, whether its
 *   load or store may touch kseg0-2 (KUc) and reaches memory (IsC), whether a coprocessor
 *   instruction may run (CU0-CU3), what RFE pops and what MFC0 of Status reads. So "depends" means:
 *   a load or store (LWCz and SWCz included), any CP0 instruction (MFC0, MTC0, TLBR, TLBWI, TLBWR,
 *   TLBP, RFE), a COP1-COP3 instruction, and HCALL (legal only in kernel mode). Not counted: the
 *   instruction after an MTC0 that sets IEc may or may not be interrupted on the hardware, which
 *   no instruction choice avoids; ALU and branch instructions, which Status does not affect.
 *
 * MTC0 to EntryHi followed by a load or store is not reported: the ASID matters only to mapped
 * addresses, which the assembler cannot tell from kseg0 ones.
 *
 * Which pairs run one after the other is the assembler's to say (assembler.ts, checkHazards): a
 * branch's delay-slot instruction follows the branch, and is itself followed by the next
 * instruction when the branch may fall through, and by the branch's target when that is a label
 * of the same text. After a jr or jalr the target is unknown and not checked, nor is what follows
 * a delay slot of a jump or of a branch that always goes, nor data words in the text.
 *
 * @module
 */

import { decode, GPR_NAMES } from "./isa.ts";

/** CP0 register numbers the hazards concern. */
const INDEX = 0, ENTRYLO = 2, ENTRYHI = 10, STATUS = 12;

const LOADS = new Set(["lb", "lbu", "lh", "lhu", "lw", "lwl", "lwr"]);
const TLB_OPS = new Set(["tlbr", "tlbwi", "tlbwr", "tlbp"]);
const CP0_OPS = new Set(["mfc0", "mtc0", "tlbr", "tlbwi", "tlbwr", "tlbp", "rfe"]);

const rs = (w: number) => (w >>> 21) & 31;
const rt = (w: number) => (w >>> 16) & 31;
const rd = (w: number) => (w >>> 11) & 31;

/** The register a load or MFC0 in `word` writes one instruction late, or 0 (none, or $zero). */
export function lateWrite(word: number): number {
  const name = decode(word)?.name;
  return name !== undefined && (LOADS.has(name) || name === "mfc0") ? rt(word) : 0;
}

/**
 * True if `word` reads general register `r` (not 0) as an input, counting an LWL or LWR of `r`
 * as a merge (not a read) when `merge` is set. A word that is not a MIPS I instruction reads
 * everything.
 */
export function reads(word: number, r: number, merge: boolean): boolean {
  const d = decode(word);
  if (d === undefined) return true;
  const s = rs(word) === r, t = rt(word) === r;
  switch (d.form) {
    case "rd,rs,rt":
    case "rd,rt,rs":
    case "rs,rt":
    case "rs,rt,off":
      return s || t;
    case "rd,rt,sa":
      return t;
    case "rs":
    case "rd,rs":
    case "rs,off":
    case "rt,rs,simm":
    case "rt,rs,uimm":
      return s;
    case "rt,mem":
      if (d.name === "lwl" || d.name === "lwr") return s || (t && !merge);
      return s || (t && !LOADS.has(d.name));
    case "rt,c0":
      return d.name === "mtc0" && t;
    default: // rd (mfhi, mflo), rt,uimm (lui), target, codes, none
      return false;
  }
}

/**
 * How many nops GNU as puts between `prev` and `next` in `.set reorder` for MIPS I (`next`
 * undefined: what follows is not an instruction, so it assumes the worst).
 */
export function reorderNops(prev: number, next: number | undefined): number {
  const late = lateWrite(prev);
  if (late !== 0) return next === undefined || reads(next, late, true) ? 1 : 0;
  if (decode(prev)?.name !== "mtc0") return 0;
  if (next === undefined) return 2;
  const n = decode(next)?.name;
  return n === "mtc0" || n === "mfc0" || cp0Hazard(prev, next) !== undefined ? 1 : 0;
}

/**
 * The hazard of running `next` right after `prev` on the R3000A, said in a sentence that names
 * `prev` as `first` (its source text and line), or undefined when there is none; `before` is the
 * instruction that ran before `prev`, when known. A word that is not an instruction (data in the
 * text) is never a hazard: the assembler cannot know it runs.
 */
export function hazard(
  prev: number,
  next: number,
  first: string,
  before?: number,
): string | undefined {
  const p = decode(prev), n = decode(next);
  if (p === undefined || n === undefined) return undefined;
  const late = lateWrite(prev);
  const deliberate = before !== undefined && lateWrite(before) === late;
  if (late !== 0 && !deliberate && reads(next, late, true)) {
    return `load-use hazard: $${GPR_NAMES[late]} is read here, in the load delay slot of ` +
      `${first}, while it still holds its old value`;
  }
  const what = cp0Hazard(prev, next);
  if (what === undefined) return undefined;
  const after = `runs right after ${first}, so it may see the old ${what}`;
  return what === "Status"
    ? `CP0 hazard: ${n.name} depends on Status and ${after}`
    : `CP0 hazard: ${n.name} ${after}`;
}

/** The CP0 register whose new value `next` may miss right after the MTC0 `prev`, or undefined. */
function cp0Hazard(prev: number, next: number): string | undefined {
  if (decode(prev)?.name !== "mtc0") return undefined;
  const c0 = rd(prev), n = decode(next)?.name;
  if ((c0 === INDEX || c0 === ENTRYLO || c0 === ENTRYHI) && n !== undefined && TLB_OPS.has(n)) {
    return CP0_HAZARD_NAMES[c0];
  }
  return c0 === STATUS && dependsOnStatus(next) ? "Status" : undefined;
}

const CP0_HAZARD_NAMES: Record<number, string> = {
  [INDEX]: "Index",
  [ENTRYLO]: "EntryLo",
  [ENTRYHI]: "EntryHi",
};

/** True if what `word` does depends on Status (see the module comment for the list). */
function dependsOnStatus(word: number): boolean {
  const op = word >>> 26;
  if (op >= 0x11 && op <= 0x13) return true; // COP1-COP3
  if (op >= 0x20 && op <= 0x3b) return true; // loads, stores, LWCz, SWCz
  const name = decode(word)?.name;
  return name === "hcall" || (name !== undefined && CP0_OPS.has(name));
}
