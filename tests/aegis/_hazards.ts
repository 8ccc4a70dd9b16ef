/**
 * A load-delay checker for kernel code, for the tests: the R3000A has no load interlock, so the
 * instruction after a load (or an MFC0) sees the register's old value. Code written for it must
 * never read a loaded register in the next instruction it executes: the next word, or, for a load
 * in a branch's delay slot, the branch's target as well.
 *
 * @module
 */

/** The registers instruction `w` reads (general registers; 0 never counts). */
function reads(w: number): number[] {
  const op = w >>> 26, rs = (w >>> 21) & 31, rt = (w >>> 16) & 31, funct = w & 63;
  let out: number[];
  if (op === 0) {
    if (funct <= 3) out = [rt]; // sll, srl, sra
    else if (funct === 0x08 || funct === 0x09 || funct === 0x11 || funct === 0x13) out = [rs];
    else if (funct === 0x10 || funct === 0x12 || funct === 0x0c || funct === 0x0d) out = [];
    else out = [rs, rt];
  } else if (op === 1 || op === 6 || op === 7) out = [rs];
  else if (op === 2 || op === 3 || op === 0x0f) out = [];
  else if (op === 4 || op === 5) out = [rs, rt];
  else if (op === 0x10) out = ((w >>> 21) & 31) === 4 ? [rt] : []; // mtc0 reads rt
  else if (op === 0x22 || op === 0x26) out = [rs, rt]; // lwl, lwr merge with rt
  else if (op >= 0x28) out = [rs, rt]; // stores
  else out = [rs];
  return out.filter((r) => r !== 0);
}

/** The register a load or MFC0 at `w` writes late, or -1. */
function delayed(w: number): number {
  const op = w >>> 26;
  if (op >= 0x20 && op <= 0x26) return (w >>> 16) & 31;
  if (op === 0x10 && ((w >>> 21) & 31) === 0) return (w >>> 16) & 31; // mfc0
  return -1;
}

/** The target word index of branch `w` at index `i`, or -1 when it is not a PC-relative branch. */
function branchTarget(w: number, i: number): number {
  const op = w >>> 26;
  if (op === 1 || (op >= 4 && op <= 7)) return i + 1 + ((w << 16) >> 16);
  return -1;
}

/**
 * The load-delay hazards in `words` (assembled at `origin`): one line per load whose register the
 * next executed instruction reads.
 */
export function loadHazards(words: ArrayLike<number>, origin: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length - 1; i++) {
    const w = words[i] >>> 0, r = delayed(w);
    if (r < 0) continue;
    const next = [i + 1];
    if (i > 0) {
      const t = branchTarget(words[i - 1] >>> 0, i - 1);
      if (t >= 0 && t < words.length) next.push(t);
    }
    for (const n of next) {
      if (reads(words[n] >>> 0).includes(r)) {
        out.push(
          `0x${(origin + 4 * i).toString(16)}: $${r} loaded here is read at 0x${
            (origin + 4 * n).toString(16)
          }`,
        );
      }
    }
  }
  return out;
}
