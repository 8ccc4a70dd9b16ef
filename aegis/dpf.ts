/**
 * Dynamic packet filters (DPF, Engler and Kaashoek, SIGCOMM 1996): the language, its checks, and
 * the compiler that turns every installed filter, merged, into one MIPS classifier.
 *
 * The language is declarative: a filter is a conjunction of atoms, each comparing the big-endian
 * number in 1, 2 or 4 bytes at a fixed offset of the frame, under a mask, with a constant, and a
 * length check (abi.ts Filter). In text (for people; libraries give atoms):
 *
 *   [12:2] == 0x0800 && [23:1] == 17 && [36:2] == 7000 && len >= 42
 *   [20:2] & 0x3fff == 0
 *
 * Checks (NET_FILTER refuses a filter that breaks one, naming the rule and the atom): 1 to
 * FILTER.MAX_ATOMS atoms, sizes 1, 2 or 4, every atom within the longest frame, masks nonzero and
 * within their size, values within their masks, a length check within the longest frame, and no
 * two atoms contradicting each other. Filters never overlap: a filter that some frame could
 * match together with one installed already is refused (BUSY), so a frame has at most one owner.
 * Overlap is exact for this language: two filters are disjoint exactly when some byte is
 * constrained by both to different bits.
 *
 * Compiling, using the filters' constants as DPF does:
 * - Atoms become constraints on bytes, and the bytes of each aligned word are coalesced into one
 *   word compare (mask and value in the little-endian order a `lw` sees the frame), so a
 *   TCP/IP five-tuple is six loads whatever the fields' sizes and alignment.
 * - Filters are merged into a trie: filters that compare the same word under the same mask share
 *   the load, and a word on which several filters want different values becomes a switch: a
 *   compare chain for up to three values, a binary search over sorted constants beyond. So the
 *   cost of classifying grows with the depth of the trie and the log of the fan-out, not with
 *   the number of filters.
 * - Constants go into immediates where they fit (andi, xori), whole-word masks vanish, and a
 *   length check is compiled only where a filter asks for more than the 60 bytes every frame has
 *   (the LANCE drops shorter ones): loads past a frame's end read its buffer, harmlessly, since
 *   no filter whose length check fails accepts.
 * - The code is hazard-free for the R3000A (no load interlock: nothing uses a loaded register
 *   in the next instruction).
 *
 * The classifier is called with a0 = the frame (in the LANCE's SRAM), a1 = its length without
 * the FCS; it returns v0 = the kseg0 address of the matching filter's record, or 0, and uses only
 * v0 and t0-t2.
 *
 * @module
 */

import { FILTER, type Filter, FILTER_REFUSAL, type FilterAtom } from "./abi.ts";

/** Why a filter was refused: the reason (FILTER_REFUSAL) and the atom (0xffff for none). */
export interface Refusal {
  /** FILTER_REFUSAL code. */
  reason: number;
  /** Index of the atom at fault, 0xffff for the filter as a whole. */
  index: number;
}

/** What every frame reaching a filter has at least, in bytes: the LANCE keeps no runt. */
export const FRAME_FLOOR = 60;

/** The constraint a filter puts on one byte: the bits that must match, and their values. */
export type ByteConstraints = Map<number, { mask: number; value: number }>;

/** The full mask of `size` bytes. */
function fullMask(size: number): number {
  return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
}

/** `filter` with every mask given and every number unsigned. */
export function normalize(filter: Filter): Filter {
  return {
    minLength: filter.minLength ?? 0,
    atoms: filter.atoms.map((a) => ({
      offset: a.offset,
      size: a.size,
      mask: (a.mask ?? fullMask(a.size)) >>> 0,
      value: a.value >>> 0,
    })),
  };
}

/**
 * Checks `filter` as NET_FILTER does; returns the refusal, or undefined when it is a filter the
 * kernel takes. Also returns its byte constraints and the shortest frame it accepts.
 */
export function checkFilter(
  filter: Filter,
): { refusal: Refusal } | { bytes: ByteConstraints; length: number } {
  const refuse = (reason: number, index = 0xffff) => ({ refusal: { reason, index } });
  const atoms = filter.atoms;
  if (atoms.length < 1 || atoms.length > FILTER.MAX_ATOMS) return refuse(FILTER_REFUSAL.COUNT);
  const minLength = filter.minLength ?? 0;
  if (!Number.isInteger(minLength) || minLength < 0 || minLength > FILTER.MAX_FRAME) {
    return refuse(FILTER_REFUSAL.LENGTH);
  }
  const bytes: ByteConstraints = new Map();
  let length = minLength;
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i];
    if (a.size !== 1 && a.size !== 2 && a.size !== 4) return refuse(FILTER_REFUSAL.SIZE, i);
    if (!Number.isInteger(a.offset) || a.offset < 0 || a.offset + a.size > FILTER.MAX_FRAME) {
      return refuse(FILTER_REFUSAL.OFFSET, i);
    }
    const full = fullMask(a.size);
    const mask = (a.mask ?? full) >>> 0, value = a.value >>> 0;
    if (mask === 0 || (mask & ~full) !== 0) return refuse(FILTER_REFUSAL.MASK, i);
    if ((value & ~mask) !== 0) return refuse(FILTER_REFUSAL.VALUE, i);
    for (let j = 0; j < a.size; j++) {
      const shift = 8 * (a.size - 1 - j);
      const m = (mask >>> shift) & 0xff, v = (value >>> shift) & 0xff;
      if (m === 0) continue;
      const at = a.offset + j, old = bytes.get(at);
      if (old !== undefined && (old.mask & m & (old.value ^ v)) !== 0) {
        return refuse(FILTER_REFUSAL.NEVER, i);
      }
      bytes.set(
        at,
        old === undefined ? { mask: m, value: v } : {
          mask: old.mask | m,
          value: old.value | v,
        },
      );
    }
    length = Math.max(length, a.offset + a.size);
  }
  return { bytes, length };
}

/** Whether some frame could match filters with byte constraints `a` and `b`. */
export function overlaps(a: ByteConstraints, b: ByteConstraints): boolean {
  for (const [at, x] of a) {
    const y = b.get(at);
    if (y !== undefined && (x.mask & y.mask & (x.value ^ y.value)) !== 0) return false;
  }
  return true;
}

/** One aligned word of the frame compared under a mask (both in `lw` order). */
interface WordAtom {
  word: number;
  mask: number;
  value: number;
}

/** The byte constraints of a filter coalesced into aligned little-endian word compares. */
function wordAtoms(bytes: ByteConstraints): WordAtom[] {
  const words = new Map<number, WordAtom>();
  for (const [at, c] of bytes) {
    const w = at & ~3, shift = 8 * (at & 3);
    const atom = words.get(w) ?? { word: w, mask: 0, value: 0 };
    atom.mask = (atom.mask | (c.mask << shift)) >>> 0;
    atom.value = (atom.value | (c.value << shift)) >>> 0;
    words.set(w, atom);
  }
  return [...words.values()].sort((x, y) => x.word - y.word);
}

/** A filter as the compiler takes it: its record's address, constraints and length. */
export interface CompiledFilter {
  /** kseg0 address of its record: what the classifier returns. */
  record: number;
  /** Its byte constraints (checkFilter). */
  bytes: ByteConstraints;
  /** The shortest frame it accepts. */
  length: number;
}

interface Node {
  cells: Cell[];
  leaf?: { record: number; length: number };
}

interface Cell {
  word: number;
  mask: number;
  branches: Map<number, Node>;
}

/** The trie of `filters`, in the order given. */
function trie(filters: readonly CompiledFilter[]): Node {
  const root: Node = { cells: [] };
  for (const f of filters) {
    let node = root;
    for (const a of wordAtoms(f.bytes)) {
      let cell = node.cells.find((c) => c.word === a.word && c.mask === a.mask);
      if (cell === undefined) {
        node.cells.push(cell = { word: a.word, mask: a.mask, branches: new Map() });
      }
      let next = cell.branches.get(a.value);
      if (next === undefined) cell.branches.set(a.value, next = { cells: [] });
      node = next;
    }
    node.leaf = { record: f.record, length: f.length };
  }
  return root;
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16);

/** The instructions that put constant `v` in register `r` (none when it is zero: use $zero). */
function li(r: string, v: number): string[] {
  v >>>= 0;
  if (v === 0) return [`move    ${r}, $zero`];
  if (v <= 0xffff) return [`ori     ${r}, $zero, ${hex(v)}`];
  if ((v & 0xffff) === 0) return [`lui     ${r}, ${hex(v >>> 16)}`];
  return [`lui     ${r}, ${hex(v >>> 16)}`, `ori     ${r}, ${r}, ${hex(v & 0xffff)}`];
}

/**
 * The classifier for `filters` (merged; see the module comment) as assembly source, with
 * `.set noreorder`, to be assembled at K.DPF_CODE.
 */
export function compileFilters(filters: readonly CompiledFilter[]): string {
  const out: string[] = [".set noreorder", ".set noat"];
  let labels = 0;
  const label = () => `d${labels++}`;
  const emit = (s: string) => out.push(`        ${s}`);

  /**
   * Loads the cell's word into t0 (unless the branch before did, in its delay slot) and masks
   * it, leaving the load delay filled.
   */
  const load = (c: Cell, prep: string[], loaded: boolean) => {
    if (!loaded) emit(`lw      $t0, ${c.word}($a0)`);
    const mask: string[] = [];
    if (c.mask !== 0xffffffff) {
      if (c.mask <= 0xffff) mask.push(`andi    $t0, $t0, ${hex(c.mask)}`);
      else {
        prep.push(...li("$t2", c.mask));
        mask.push("and     $t0, $t0, $t2");
      }
    }
    if (prep.length === 0) prep.push("nop"); // the load's delay slot: t0 is not there yet
    for (const s of [...prep, ...mask]) emit(s);
  };

  /** Dispatches on t0 among sorted values[lo..hi] to their labels; else to `miss`. */
  const search = (values: number[], targets: string[], lo: number, hi: number, miss: string) => {
    if (hi - lo < 3) {
      for (let i = lo; i <= hi; i++) {
        for (const s of li("$t1", values[i])) emit(s);
        emit(`beq     $t0, $t1, ${targets[i]}`);
        emit("nop");
      }
      emit(`b       ${miss}`);
      emit("nop");
      return;
    }
    const mid = (lo + hi) >> 1, left = label();
    for (const s of li("$t1", values[mid])) emit(s);
    emit(`beq     $t0, $t1, ${targets[mid]}`);
    emit("sltu    $t2, $t0, $t1"); // (delay slot: harmless when the branch is taken)
    emit(`bnez    $t2, ${left}`);
    emit("nop");
    search(values, targets, mid + 1, hi, miss);
    out.push(`${left}:`);
    search(values, targets, lo, mid - 1, miss);
  };

  /** Code for `node`, going to `fail` when no filter below it matches; `loaded`: the word in t0. */
  const gen = (node: Node, fail: string, loaded = -1) => {
    if (node.leaf !== undefined) {
      const { record, length } = node.leaf;
      if (length > FRAME_FLOOR) {
        emit(`sltiu   $t0, $a1, ${length}`);
        emit(`bnez    $t0, ${fail}`);
        emit("nop");
      }
      emit(`lui     $v0, ${hex(record >>> 16)}`);
      emit("jr      $ra");
      emit(`ori     $v0, $v0, ${hex(record & 0xffff)}`);
      return;
    }
    node.cells.forEach((c, i) => {
      const next = i === node.cells.length - 1 ? fail : label();
      const values = [...c.branches.keys()].sort((x, y) => x - y);
      const preloaded = i === 0 && loaded === c.word;
      if (values.length === 1) {
        const v = values[0], child = c.branches.get(v)!;
        const prep = v > 0xffff ? li("$t1", v) : [];
        load(c, prep, preloaded);
        if (v === 0) emit(`bnez    $t0, ${next}`);
        else if (v <= 0xffff) {
          emit(`xori    $t0, $t0, ${hex(v)}`);
          emit(`bnez    $t0, ${next}`);
        } else emit(`bne     $t0, $t1, ${next}`);
        // The delay slot loads the child's first word: harmless when the branch is taken.
        const first = child.leaf === undefined ? child.cells[0].word : -1;
        emit(first < 0 ? "nop" : `lw      $t0, ${first}($a0)`);
        gen(child, next, first);
      } else {
        load(c, [], preloaded);
        const targets = values.map(() => label());
        search(values, targets, 0, values.length - 1, next);
        values.forEach((v, k) => {
          out.push(`${targets[k]}:`);
          gen(c.branches.get(v)!, next);
        });
      }
      if (next !== fail) out.push(`${next}:`);
    });
  };

  out.push("dpf_classify:");
  gen(trie(filters), "dpf_fail");
  out.push("dpf_fail:");
  emit("jr      $ra");
  emit("move    $v0, $zero");
  return out.join("\n") + "\n";
}

// ---- the text form -----------------------------------------------------------------------------

/** A number in a filter's text: decimal or 0x hex. */
function number(s: string, what: string, text: string): number {
  const t = s.trim();
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) {
    throw new SyntaxError(`Filter term "${text}": ${what} ${t || "(nothing)"} is not a number`);
  }
  return Number(t);
}

/**
 * Parses the text form of a filter (see the module comment): terms joined by `&&`, each
 * `[offset:size] == value`, `[offset:size] & mask == value` or `len >= n`. Throws SyntaxError
 * naming the term that is not one of those. The result is not checked: NET_FILTER does that.
 *
 * @example
 * ```ts
 * parseFilter("[12:2] == 0x0800 && [23:1] == 17 && [36:2] == 7000");
 * ```
 */
export function parseFilter(text: string): Filter {
  if (typeof text !== "string") throw new TypeError(`A filter's text is a string, not ${text}`);
  const atoms: FilterAtom[] = [];
  let minLength = 0;
  for (const raw of text.split("&&")) {
    const term = raw.trim();
    const len = /^len\s*>=\s*(\S+)$/.exec(term);
    if (len !== null) {
      minLength = Math.max(minLength, number(len[1], "the length", term));
      continue;
    }
    const m = /^\[\s*([^:\]]+):\s*([^\]]+)\]\s*(?:&\s*(\S+)\s*)?={1,2}\s*(\S+)$/.exec(term);
    if (m === null) {
      throw new SyntaxError(
        `Filter term "${term}" is not [offset:size] == value, [offset:size] & mask == value ` +
          "or len >= n",
      );
    }
    const size = number(m[2], "the size", term);
    if (size !== 1 && size !== 2 && size !== 4) {
      throw new SyntaxError(`Filter term "${term}": the size is 1, 2 or 4 bytes, not ${size}`);
    }
    atoms.push({
      offset: number(m[1], "the offset", term),
      size,
      ...(m[3] === undefined ? {} : { mask: number(m[3], "the mask", term) }),
      value: number(m[4], "the value", term),
    });
  }
  return { atoms, minLength };
}

/** The text form of `filter`. */
export function formatFilter(filter: Filter): string {
  const terms = filter.atoms.map((a) => {
    const full = fullMask(a.size);
    const mask = (a.mask ?? full) >>> 0;
    const v = a.value >>> 0;
    return `[${a.offset}:${a.size}]${mask === full ? "" : ` & ${hex(mask)}`} == ${
      v > 9 ? hex(v) : v
    }`;
  });
  if ((filter.minLength ?? 0) > 0) terms.push(`len >= ${filter.minLength}`);
  return terms.join(" && ");
}

/** Decodes the filter encoding in `words` (abi.ts FILTER): the count, then three words an atom. */
export function decodeFilter(words: ArrayLike<number>): Filter {
  const n = words[0] & 0xffff;
  const atoms: FilterAtom[] = [];
  for (let i = 0; i < n; i++) {
    const w = words[1 + 3 * i];
    atoms.push({
      offset: w & 0xffff,
      size: ((w >>> 16) & 0xffff) as 1 | 2 | 4,
      mask: words[2 + 3 * i] >>> 0,
      value: words[3 + 3 * i] >>> 0,
    });
  }
  return { atoms, minLength: (words[0] >>> 16) & 0xffff };
}
