/**
 * Application-specific handlers (ASHs, Wallach, Hsieh, Engler and Kaashoek): code an environment
 * downloads into the kernel to run when a frame matches its filter, made safe by inspection and
 * sandboxing, as the exokernel paper says. This file is the inspector and the rewriter; the
 * kernel's side of a run (the prologue that sets the sandbox up, the helpers, the epilogue) is
 * assembly in aegis/network.ts.
 *
 * Inspection. Every instruction is decoded and must be one the sandbox knows: ALU instructions
 * that cannot trap (addu, subu, and, or, xor, nor, slt, sltu, the shifts, addiu, slti, sltiu,
 * andi, ori, xori, lui), the loads lb, lbu, lh, lhu, lw and stores sb, sh, sw, the branches beq,
 * bne, blez, bgtz, bltz, bgez with targets inside the handler (or just past its end), `jal` to a
 * helper (abi.ts ASH_HELPER) and `jr $ra`. No instruction may name a register the sandbox keeps
 * (at, k0, k1, gp, sp, fp, ra), and a delay slot must hold an ALU instruction. Anything else is
 * refused with the reason and the instruction's index (abi.ts ASH_REFUSAL).
 *
 * Sandboxing (software fault isolation, as Wahbe et al. did it). The handler's addresses are
 * taken modulo 8 KB; bit 12 chooses the segment: its page (gp holds the page's kseg0 address) or
 * the frame (fp holds its address in the LANCE's SRAM, sp its length). Each instruction is
 * rewritten so it cannot leave them:
 * - a store computes its address, masks it into the page (aligned to its size) and stores there:
 *   4 instructions for 1;
 * - a load does the same for the page, or for the frame checks that its last byte lies within
 *   the frame's length, and aborts the run otherwise: 11 instructions for 1;
 * - a load or store whose address is a constant (base $zero) is placed by inspection instead:
 *   1 instruction in the page, 3 in the frame (the length check alone);
 * - a backward branch first spends budget (k0) by the length of the loop it closes, and stops the
 *   run when the budget is gone: 2 instructions more; helpers spend budget by the work they do.
 *   Forward paths are bounded by the code's length, so a run does at most ASH.BUDGET cycles of
 *   work plus one pass over the code;
 * - `jal helper` is linked to the kernel's helper, `jr $ra` and running off the end jump to the
 *   kernel's epilogue; the traps jump through two local stubs.
 * Accesses are aligned by construction and land in kseg0 or the SRAM, so a handler can raise no
 * exception; registers are cleared before it runs, so it reads nothing of anyone else's.
 *
 * @module
 */

import { ASH, ASH_HELPER, ASH_REFUSAL } from "./abi.ts";

/** Why a handler was refused: the reason (ASH_REFUSAL) and the instruction's index. */
export interface AshRefusal {
  /** ASH_REFUSAL code. */
  reason: number;
  /** Index of the instruction at fault. */
  index: number;
}

/** The kernel labels a sandboxed handler links to. */
export interface AshLinks {
  /** Where `jr $ra` and running off the end go (v0 = the verdict). */
  ret: number;
  /** Where a run out of budget goes. */
  timeout: number;
  /** Where a load past the frame goes. */
  fault: number;
  /** The kernel's copy helper. */
  copy: number;
  /** The kernel's send helper. */
  send: number;
}

type Kind = "alu" | "load" | "store" | "branch" | "call" | "return";

interface Decoded {
  kind: Kind;
  /** Registers read and written. */
  reads: number[];
  writes: number[];
  /** For loads and stores: bytes; for branches: the target index. */
  size?: number;
  target?: number;
  helper?: number;
}

const LOADS: Record<number, number> = { 0x20: 1, 0x21: 2, 0x23: 4, 0x24: 1, 0x25: 2 };
const STORES: Record<number, number> = { 0x28: 1, 0x29: 2, 0x2b: 4 };
const ALU_I = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e]);
const ALU_R = new Set([0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2a, 0x2b]);
const SHIFT_IMM = new Set([0x00, 0x02, 0x03]), SHIFT_VAR = new Set([0x04, 0x06, 0x07]);
const HELPERS = [ASH_HELPER.COPY, ASH_HELPER.SEND];

/** Decodes instruction `w` at index `i` of a handler of `n`; a refusal reason when not allowed. */
function decode(w: number, i: number, n: number): Decoded | number {
  const op = w >>> 26, rs = (w >>> 21) & 31, rt = (w >>> 16) & 31, rd = (w >>> 11) & 31;
  const sa = (w >>> 6) & 31, funct = w & 63, imm = (w << 16) >> 16;
  const branchTo = (t: number): Decoded | number => (t < 0 || t > n ? ASH_REFUSAL.BRANCH : {
    kind: "branch",
    reads: [rs, rt],
    writes: [],
    target: t,
  });
  if (op === 0) {
    if (funct === 0x08 && rd === 0 && rt === 0 && sa === 0) {
      return rs === 31 ? { kind: "return", reads: [], writes: [] } : ASH_REFUSAL.JUMP;
    }
    if (funct === 0x09) return ASH_REFUSAL.JUMP;
    if (SHIFT_IMM.has(funct) && rs === 0) return { kind: "alu", reads: [rt], writes: [rd] };
    if (SHIFT_VAR.has(funct) && sa === 0) return { kind: "alu", reads: [rs, rt], writes: [rd] };
    if (ALU_R.has(funct) && sa === 0) return { kind: "alu", reads: [rs, rt], writes: [rd] };
    return ASH_REFUSAL.OPCODE;
  }
  if (op === 1) {
    if (rt === 0 || rt === 1) {
      const b = branchTo(i + 1 + imm);
      return typeof b === "number" ? b : { ...b, reads: [rs] };
    }
    return ASH_REFUSAL.OPCODE;
  }
  if (op === 2) return ASH_REFUSAL.JUMP;
  if (op === 3) {
    const target = (((4 * (i + 1)) & 0xf0000000) | ((w & 0x03ffffff) << 2)) >>> 0;
    const helper = HELPERS.indexOf(target as (typeof HELPERS)[number]);
    return helper < 0 ? ASH_REFUSAL.JUMP : { kind: "call", reads: [], writes: [], helper };
  }
  if (op === 4 || op === 5) return branchTo(i + 1 + imm);
  if (op === 6 || op === 7) {
    if (rt !== 0) return ASH_REFUSAL.OPCODE;
    const b = branchTo(i + 1 + imm);
    return typeof b === "number" ? b : { ...b, reads: [rs] };
  }
  if (ALU_I.has(op)) return { kind: "alu", reads: [rs], writes: [rt] };
  if (op === 0x0f) return rs === 0 ? { kind: "alu", reads: [], writes: [rt] } : ASH_REFUSAL.OPCODE;
  if (LOADS[op] !== undefined) return { kind: "load", reads: [rs], writes: [rt], size: LOADS[op] };
  if (STORES[op] !== undefined) {
    return { kind: "store", reads: [rs, rt], writes: [], size: STORES[op] };
  }
  return ASH_REFUSAL.OPCODE;
}

/** Checks handler `code` as NET_ASH does; returns the refusal, or its decoded instructions. */
export function inspectAsh(code: ArrayLike<number>): { refusal: AshRefusal } | { ok: Decoded[] } {
  const n = code.length;
  if (n < 1 || n > ASH.MAX_INSTRUCTIONS) {
    return { refusal: { reason: ASH_REFUSAL.LENGTH, index: 0 } };
  }
  const out: Decoded[] = [];
  for (let i = 0; i < n; i++) {
    const d = decode(code[i] | 0, i, n);
    if (typeof d === "number") return { refusal: { reason: d, index: i } };
    if ([...d.reads, ...d.writes].some((r) => ASH.RESERVED.includes(r))) {
      return { refusal: { reason: ASH_REFUSAL.REGISTER, index: i } };
    }
    out.push(d);
  }
  for (let i = 0; i < n; i++) {
    if (out[i].kind === "alu" || out[i].kind === "load" || out[i].kind === "store") continue;
    if (i + 1 === n || out[i + 1].kind !== "alu") {
      return { refusal: { reason: ASH_REFUSAL.DELAY, index: Math.min(i + 1, n - 1) } };
    }
  }
  return { ok: out };
}

/** Whether the load or store `w` has a constant address: base $zero, so its segment is known. */
function constant(w: number): boolean {
  return ((w >>> 21) & 31) === 0;
}

/** The segment bit and the offset in it of a constant address `imm` for an access of `size`. */
function place(imm: number, size: number): { frame: boolean; offset: number } {
  const va = (imm << 16) >> 16;
  return { frame: (va & 0x1000) !== 0, offset: va & 0xfff & ~(size - 1) };
}

/** Words of the sandboxed form of instruction `w` (the prologue of a backward branch too). */
function length(d: Decoded, i: number, w: number): number {
  if (d.kind === "load") return constant(w) ? (place(w, d.size!).frame ? 3 : 1) : 11;
  if (d.kind === "store") return constant(w) ? 1 : 4;
  if (d.kind === "branch" && d.target! <= i) return 3;
  return 1;
}

const R = (op: number, rs: number, rt: number, imm: number) =>
  ((op << 26) | (rs << 21) | (rt << 16) | (imm & 0xffff)) >>> 0;
const SPECIAL = (rs: number, rt: number, rd: number, funct: number) =>
  ((rs << 21) | (rt << 16) | (rd << 11) | funct) >>> 0;
const J = (op: number, target: number) => ((op << 26) | ((target >>> 2) & 0x03ffffff)) >>> 0;
const AT = 1, K0 = 26, K1 = 27, GP = 28, SP = 29, FP = 30;

/** Branch word `w` placed at word `from`, retargeted to word `to`. */
function offsetTo(w: number, from: number, to: number): number {
  return ((w & 0xffff0000) | ((to - (from + 1)) & 0xffff)) >>> 0;
}

/**
 * The sandboxed form of inspected handler `code` (see the module comment), position-independent
 * but for its jumps into the kernel at `links`; `inspectAsh` must have accepted it.
 */
export function sandboxAsh(code: ArrayLike<number>, links: AshLinks): Uint32Array {
  const inspected = inspectAsh(code);
  if (!("ok" in inspected)) throw new Error("sandboxAsh: inspect the handler first");
  const ds = inspected.ok, n = ds.length;
  const start: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    start.push(at);
    at += length(ds[i], i, code[i] >>> 0);
  }
  start.push(at); // the end: the epilogue
  const end = at, faultStub = end + 2, timeoutStub = end + 4;
  const words: number[] = [];
  const branch = (w: number, to: number) => offsetTo(w, words.length, to);
  for (let i = 0; i < n; i++) {
    const w = code[i] >>> 0, d = ds[i];
    const rs = (w >>> 21) & 31, rt = (w >>> 16) & 31, imm = w & 0xffff;
    if (d.kind === "alu") words.push(w);
    else if ((d.kind === "store" || d.kind === "load") && constant(w)) {
      // Inspection knows the address: its page, or the frame with only its length to check.
      const { frame, offset } = place(imm, d.size!);
      if (!frame) words.push(R(w >>> 26, GP, rt, offset)); // lX/sX rt, offset(gp)
      else {
        words.push(
          R(0x0b, SP, K1, offset + d.size!), // sltiu k1, sp, offset + size: past the frame?
          offsetTo(R(0x05, K1, 0, 0), words.length + 1, faultStub), // bnez k1, fault
          R(w >>> 26, FP, rt, offset), // lX rt, offset(fp) (delay slot: aborted if past)
        );
      }
    } else if (d.kind === "store") {
      words.push(
        R(0x09, rs, AT, imm), // addiu at, rs, off
        R(0x0c, AT, AT, 0xfff & ~(d.size! - 1)), // andi  at, at, offset in the page, aligned
        SPECIAL(AT, GP, AT, 0x21), // addu  at, at, gp
        R(w >>> 26, AT, rt, 0), // sX    rt, 0(at)
      );
    } else if (d.kind === "load") {
      const here = words.length;
      words.push(
        R(0x09, rs, AT, imm), //                 addiu at, rs, off
        R(0x0c, AT, K1, 0x1000), //              andi  k1, at, 0x1000: the frame?
        R(0x05, K1, 0, 3), //                    bnez  k1, 1f
        R(0x0c, AT, AT, 0xfff & ~(d.size! - 1)), // andi at, at, the offset, aligned
        R(0x04, 0, 0, 5), //                     b     2f
        SPECIAL(AT, GP, AT, 0x21), //            addu  at, at, gp  (the page)
        R(0x09, AT, K1, d.size! - 1), //      1: addiu k1, at, size - 1
        SPECIAL(K1, SP, K1, 0x2b), //            sltu  k1, k1, sp: its last byte in the frame?
        0, //                                    beqz  k1, fault (below)
        SPECIAL(AT, FP, AT, 0x21), //            addu  at, at, fp  (the frame)
        R(w >>> 26, AT, rt, 0), //            2: lX    rt, 0(at)
      );
      words[here + 8] = offsetTo(R(0x04, K1, 0, 0), here + 8, faultStub); // beqz k1, fault
    } else if (d.kind === "branch") {
      if (d.target! <= i) {
        const loop = start[i] + 4 - start[d.target!]; // the loop's words, its delay slot too
        words.push(
          offsetTo(R(0x01, K0, 0, 0), words.length, timeoutStub), // bltz  k0, timeout
          R(0x09, K0, K0, -loop), //                                 addiu k0, k0, -loop
        );
      }
      words.push(branch(w, start[d.target!]));
    } else if (d.kind === "call") {
      words.push(J(0x03, d.helper === 0 ? links.copy : links.send));
    } else words.push(J(0x02, links.ret)); // return
  }
  words.push(J(0x02, links.ret), 0); // running off the end returns (v0 as it is)
  words.push(J(0x02, links.fault), 0);
  words.push(J(0x02, links.timeout), 0);
  return Uint32Array.from(words);
}
