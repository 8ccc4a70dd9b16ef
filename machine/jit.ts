/**
 * The translator behind `cpu.engine = "jit"`: hot code pages become JavaScript functions that do
 * exactly what the interpreter (machine/cpu.ts) would, and nothing that could tell them apart.
 *
 * Unit of translation. Functions per (virtual page, physical page) of code (one, until later
 * entries add more: see When), built with `new Function`. Their blocks are straight runs of
 * instructions from an entry point to a branch and its delay slot (or to the page's end, an
 * instruction it leaves to the interpreter, a load whose delay slot it cannot settle statically, or
 * MAX_BLOCK instructions). Each block is a case of a `switch` on a dense case number inside a
 * labelled loop; the page's Int16Array `index` maps a word of the page to its case (-1: none) and
 * `owner` to its function, and a transfer to a block of the same function (a taken branch, a
 * fall-through, a JR whose target has a case there) continues the loop without leaving it. A
 * function takes FN_INSTRUCTIONS instructions at most: V8 never gives a function of over 60 KB of
 * bytecode its optimizing compiler, and tiers a large one up late.
 *
 * Kernel code (kseg0: unmapped, so its mapping is the identity and cannot change) may span pages: a
 * function of such a page also takes in the blocks its static transfers (calls, jumps, branches,
 * their return points) reach in up to REGION_PAGES - 1 other kseg0 pages the interpreter has run
 * in, so call-heavy code does not return to the dispatcher at every call; JR looks its target up in
 * each of those pages' case indexes (`IX0`, `IX1`, ...). Calls through pointers have no static
 * target: a JR that leaves its function reports where to (`noteJump`, a few times per site), and a
 * target seen JUMP_NOTES times makes the page be translated again (once) with that target's blocks
 * in its region.
 *
 * The guest registers a function uses live in `let` locals, read at entry and written back to
 * `cpu.regs` on every exit (and in a `catch` that rethrows JavaScript errors). A function takes the
 * Cpu's `JitHost` as an argument, so the same code (the same words at the same virtual page, under
 * any physical page) is one function for every Cpu in the process (`SHARED`): V8 compiles and
 * optimizes it once however many machines run it.
 *
 * When. The Cpu's dispatcher (`Cpu.#jitRun`) is asked at the start of `execute` and wherever the
 * interpreter reaches a block boundary (after a delay-slot instruction, after a load landed),
 * except at words it refused before (`refused`, a bit per word of RAM: their first instruction is
 * the interpreter's). It counts visits per word, and an entry reached `jitHotness` times is
 * translated first, together with every block reachable from the page's entries that the
 * interpreter has reached at least once (code never run would have no type feedback, and V8 would
 * deoptimize the whole function the first time it ran). An entry found later (the next phase of a
 * program, a JR target, code beyond a function's FN_INSTRUCTIONS) becomes one more function of the
 * page, made from the entries that have no case yet: the page's older functions, and the code V8
 * has optimized for them, stay (making the whole page again threw that away, and a program's first
 * run spent most of its time re-optimizing). A transfer to a block of another function of the page,
 * or to another page, leaves through the dispatcher, which finds the function and case for (pc,
 * physical page) in a direct-mapped entry cache (a hit stands while the page was verified in the
 * epoch: rule 8); beyond MAX_FNS functions the page is translated again as one. Each further
 * translation of a page waits for more visits (hotness times the translations so far). A page
 * whose translation a guest store dropped rests: for REST_CYCLES, doubled for each earlier such
 * drop (up to 256 times), its words are the interpreter's (`refused`) and the dispatcher does
 * not count its visits, so code that keeps rewriting itself runs at the interpreter's speed; the
 * first `execute` after the rest (`begin`) hands it back. A page whose code the guest rewrote
 * while another page's region held it joins no region again, so that its callers keep theirs.
 *
 * The exactness rules it keeps (the numbers are issue 14's):
 *
 * 1. A block runs only if it fits the remaining budget whole (`n + L <= lim` at its top) and
 *    does not hold the breakpoint (`until`); else the function returns and the interpreter runs
 *    the tail, so run limits, breakpoints, device events and `step` stop on the same instruction.
 * 2. Counts are committed where the interpreter commits them: the function only advances the
 *    execute-local count `n` it was given and returns it; `execute` commits as before.
 * 3. Only slow paths lower the limit (device accesses, stalls, `stop`, interrupt lines) or
 *    invalidate code (a store to a translated word): after each slow path the function re-reads
 *    the limit (-1 when some translation was dropped) and, if the rest of its block no longer
 *    fits, leaves precisely after the instruction, with pc at the next one.
 * 4. Precise faults: the slow path sets a site number `s` before it can fault; a guest
 *    exception comes back as `trap` set (throwing through a large function costs far more than
 *    this); the function then writes back the registers and tells the Cpu that site's pc,
 *    delay-slot flag and count, the dispatcher raises the exception, and the interpreter's own
 *    exception entry sets EPC, BD and the rest. (A JavaScript error, a bug, is caught too, the
 *    registers written back, and rethrown.) A destination register is assigned only after its
 *    access succeeded; ADD/ADDI/SUB check overflow before assigning.
 * 5. Branch conditions and JR/JALR targets are computed before the link register is written
 *    and before the delay slot runs. A branch in a delay slot, a branch in the page's last word,
 *    COP0, COP1-3 and their loads and stores, SYSCALL, BREAK, the hypercall and every reserved
 *    encoding (a shift with rs set, BLEZ with rt set, ...) stay with the interpreter: the block
 *    ends before them.
 * 6. A function that uses HI/LO keeps HI, LO, their ready time and the cycle count in locals, read
 *    at entry and shown to the Cpu around every slow path and on every exit; the cycle count as a
 *    base (`cb`, the Cpu's) plus the stalls since (`dc`), the ready time relative to the base
 *    (`ry`), so the stall arithmetic stays in small integers (a double there made the loop around a
 *    multiply 3.5 times slower). MULT/MULTU compute LO inline and keep their operands for HI, which
 *    is computed when read (MFHI, a slow path, an exit: `HI_NOW`; from the product when it is exact
 *    in a double, else from 16-bit halves), and set the ready time from the count plus the exact
 *    offset; MFHI/MFLO, when HI/LO are not ready, add the stall (a constant when the MULT is
 *    earlier in the block with nothing between that could take a slow path, else computed) to the
 *    cycles and take it off the local limit, leaving precisely if the block no longer fits, and off
 *    the Cpu's limit when the function returns (the Cpu's slow paths only ever cut its limit to 0,
 *    so the order does not matter); DIV/DIVU go through the Cpu. The same cycles as the
 *    interpreter's, slow paths' uncached cycles included.
 * 7. Loads and stores use the interpreter's translation caches and its slow paths, so TLB,
 *    ASID, Mod, AdEL/AdES, DBE, uncached costs and devices behave the same. The one shortcut:
 *    in a page of kseg0 (kernel mode by construction) an aligned load from kseg0 RAM reads RAM
 *    directly, which differs only in not filling the read cache, and every other load of such a
 *    page takes the slow path (which fills it as usual).
 * 8. Code coherence: the words a translation depends on are marked in `codeMask` per physical
 *    page; the Cpu never puts such a page in its write cache, so every store to it (guest,
 *    uncached or SWL/SWR) reaches `Cpu.#store`, which calls `written`: a store to a marked word
 *    drops every translation of that physical page and of the pages whose functions span it
 *    (`foreign`), and sets `dirty`, and the running function
 *    leaves after the store (even when the patched word is later in its own block). Writes from
 *    TypeScript (ELF loading, Aegis, tests) cannot be seen as they happen; they can happen only
 *    between `execute` calls (or in `onException`), so each call (and each onException) starts
 *    a new epoch, and a page is compared with the copy of its words (its region's other pages'
 *    too) the first time it is entered in an epoch (and dropped when they differ).
 * 9. A translation never outlives its mapping: it is found by the virtual page and the physical
 *    page the fetch cache holds for pc, and the dispatcher enters only on a fetch-cache hit,
 *    which the Cpu empties whenever the TLB, ASID or mode change; a function contains no COP0
 *    instruction and leaves on any exception, so the mapping cannot change inside it. (A
 *    region's other pages are kseg0, whose mapping is fixed.)
 * 10. Interrupts are taken where the interpreter takes them, at the start of `execute`: the
 *    function never runs past the limit the run loop sized to the next device event.
 * 11. The load delay: a load whose successor lies in the page and neither reads nor writes its
 *    register (the interpreter's `touches` test, on the statically known word, which is then a
 *    dependency) lands at once, as in the interpreter. Any other load ends its block: the
 *    function writes the registers back and hands the value to `JitHost.loaded` with the
 *    successor's address, the interpreter's own routine, which leaves it pending exactly as the
 *    interpreter would, wherever the successor runs.
 *
 * Not done (yet): the probe's short loops of up to four blocks as JavaScript loops; regions of
 * mapped (user) code, whose other pages' mappings would have to be checked at each transfer.
 *
 * Memory is bounded, whatever the guest's RAM. Per Cpu: at most MAX_PAGES (2048) pages are
 * tracked, each with 2 KB of visit counts and, once translated, 3 KB of case index and owners;
 * the words translations depend on (each once per page, a region's other pages' words too) cost
 * 8 bytes each, and translations are evicted oldest first beyond SOURCE_CAP characters of source
 * or DEPS_CAP (1 M) such words; an entry cache of ENTRY_SLOTS (4096) slots (about 90 KB), 4 KB of
 * jump notes, a bit per RAM word (`refused`) and a byte per RAM page (`codePage`). Per process:
 * the shared functions' source is capped at SHARED_CAP characters (V8's compiled code for it
 * comes on top). For a 32 MB guest (8192 pages): at most 2048 x 5 KB = 10 MB of counts and
 * indexes, 8 MB of dependencies, 1 MB of refused bits and 8 KB of page flags per Cpu, and at most
 * 16 M characters of source in the process.
 *
 * @module
 */

import { TIMING } from "./timing.ts";

/** Instructions in a block at most (a longer run continues in the next block). */
const MAX_BLOCK = 128;

/**
 * Instructions a function takes at most (a block that starts below it is taken whole). V8
 * never optimizes a function beyond 60 KB of bytecode with its best compiler, and its tiering
 * budget grows with the size: a page of straight code as one function stayed slow.
 */
const FN_INSTRUCTIONS = 768;

/**
 * Functions per page at most (the owner table holds a byte); beyond, the page is translated
 * again as one function. Making a page's code one function again throws away what V8 optimized
 * and makes it compile a large function anew, so the limit is the table's, not lower.
 */
const MAX_FNS = 255;

/**
 * Pages a function of kernel code (kseg0) may span at most: its own and those its static
 * transfers reach.
 */
const REGION_PAGES = 16;

/** Times a JR site reports a target outside its function at most (see `Jit.noteJump`). */
const JUMP_NOTES = 16;

/** Slots of `Jit.notes` (a power of two). */
const NOTE_SLOTS = 4096;

/** Targets of JRs leaving a page's functions that are counted at most per page. */
const JUMP_TARGETS = 16;

/** Slots of the entry cache (a power of two): (pc, physical page) to function and case. */
const ENTRY_SLOTS = 4096;

/** 32 - log2(ENTRY_SLOTS): the entry cache hashes pc by Fibonacci hashing. */
const ENTRY_SHIFT = 20;

/** Pages tracked (visited or translated) at most; the oldest is evicted beyond. */
const MAX_PAGES = 2048;

/** Cycles a page rests after a guest store dropped its translation (see When, above). */
const REST_CYCLES = 4096;

/** A visit count meaning "never translate from here": its first instruction is the interpreter's. */
const REFUSED = 0xffff;

/** Characters of generated source kept at most; the oldest translations are evicted beyond. */
const SOURCE_CAP = 16 << 20;

/** Words translations depend on, in all, at most; the oldest translations are evicted beyond. */
const DEPS_CAP = 1 << 20;

/** What a translated page calls back into the Cpu for: its state and its slow paths. */
export interface JitHost {
  /** The CPU, for `hi`, `lo` and `cycles`. */
  readonly cpu: { hi: number; lo: number; cycles: number };
  /** When HI/LO are ready, as a cycle count (element 0). */
  readonly hilo: Float64Array;
  /** General registers. */
  readonly regs: Int32Array;
  /** RAM as bytes. */
  readonly ram8: Uint8Array;
  /** RAM as halfwords. */
  readonly ram16: Uint16Array;
  /** RAM as words. */
  readonly ram32: Int32Array;
  /** The read translation cache: tags ... */
  readonly rTag: Int32Array;
  /** ... and physical page bases. */
  readonly rBase: Int32Array;
  /** The write translation cache: tags ... */
  readonly wTag: Int32Array;
  /** ... and physical page bases. */
  readonly wBase: Int32Array;
  /** RAM size in bytes. */
  readonly ramSize: number;
  /**
   * The interpreter's slow load: zero-extended value. This and the other slow paths do not
   * throw guest exceptions: they record the exception, set `Jit.trap` and return.
   */
  load(va: number, bytes: 1 | 2 | 4): number;
  /** The word containing `va`, for LWL/LWR. */
  loadWord(va: number): number;
  /** The word containing `va` as a store sees it, for SWL/SWR. */
  loadWordForStore(va: number): number;
  /** The interpreter's slow store. */
  store(va: number, bytes: 1 | 2 | 4, value: number): void;
  /** The execute loop's limit now. */
  limit(): number;
  /** The interpreter's load completion for instruction `n`, whose successor is at `npc`. */
  loaded(rt: number, v: number, npc: number, n: number): void;
  /** Records Ov (as a slow path does: sets `Jit.trap`). */
  overflow(): void;
  /** DIV (signed) or DIVU issued as instruction `n`. */
  div(a: number, b: number, signed: boolean, n: number): void;
  /** Lowers the execute loop's limit by `k` cycles of interlock stalls (already in `cycles`). */
  lower(k: number): void;
  /** Leaves the function with pc at `pc` (not in a delay slot). */
  exit(pc: number): void;
  /** A guest fault at `pc` (delay slot: `delay`), `n` instructions before it, next pc `npc`. */
  fault(pc: number, npc: number, delay: number, n: number): void;
  /** Drops write-cache entries for the physical page at `pbase`. */
  purgeWrites(pbase: number): void;
}

/**
 * A translated page's code: runs for the Cpu behind `h` (translator `J`) from case `c` with
 * count `n`, limit `lim` and breakpoint `bp` (-1: none); returns n. The same code (the same
 * words at the same virtual page) is one function for every Cpu in the process (`SHARED`), so
 * V8 compiles and optimizes it once however many machines run it.
 */
type PageFn = (
  h: JitHost,
  J: Jit,
  c: number,
  n: number,
  lim: number,
  bp: number,
) => number;

/** Translated functions by source, shared by every Cpu in the process (oldest first). */
const SHARED = new Map<string, PageFn>();

/** Characters of source behind SHARED at most; the oldest are forgotten beyond. */
const SHARED_CAP = 16 << 20;

/** Characters of source behind SHARED now. */
let sharedSource = 0;

/** The function for `src`, made once per process. */
function shared(src: string): PageFn {
  let fn = SHARED.get(src);
  if (fn !== undefined) return fn;
  fn = new Function(src)() as PageFn;
  SHARED.set(src, fn);
  sharedSource += src.length;
  for (const [old] of SHARED) {
    if (sharedSource <= SHARED_CAP || old === src) break;
    SHARED.delete(old);
    sharedSource -= old.length;
  }
  return fn;
}

/** One (virtual page, physical page) of code: visit counts, and its translation once hot. */
class Page {
  /** Visits per word, counted while the word has no case. */
  readonly visits = new Uint16Array(1024);
  /** The translated functions (none: not translated), each for the entries new when it was made. */
  fns: PageFn[] = [];
  /** Case number per word in its function (-1: none), valid while fns has some. */
  index = new Int16Array(0);
  /** Which function of fns holds the case of each word. */
  owner = new Uint8Array(0);
  /** Entry words (word indices) known: translated from each. */
  entries: number[] = [];
  /**
   * The words the translation depends on (word indices in RAM: a region's other pages'
   * words too) ...
   */
  deps = new Int32Array(0);
  /** ... and their values when it was made. */
  depWords = new Int32Array(0);
  /**
   * Where this page's translated JRs left to in other pages (kernel code only), with the times
   * seen (at most JUMP_NOTES each, JUMP_TARGETS targets); those seen JUMP_NOTES times join its
   * next translation's region.
   */
  readonly jumps = new Map<number, number>();
  /** Whether the page was translated again for its jump targets (once at most). */
  rejoined = false;
  /** Times this page was translated. */
  translations = 0;
  /** Times a guest store to its code dropped its translation (code that rewrites itself). */
  patches = 0;
  /** Generated source length, for the cap. */
  size = 0;
  /** The epoch in which the words were last compared with RAM. */
  epoch = -1;
  /** The next page with the same virtual page number (another physical page). */
  next: Page | null = null;

  /** A page for virtual page `vpn` backed by physical page `ppn`. */
  constructor(readonly vpn: number, readonly ppn: number) {}
}

/** Counters about the translator, from `Cpu.jitStats`. */
export interface JitStats {
  /** Functions made for pages (one more for a page's new entries counts again). */
  pagesTranslated: number;
  /**
   * Page translations dropped (all of a page's functions at once): stores to their code, changed
   * words found at entry, eviction, a page translated again as one function.
   */
  translationsDropped: number;
  /** Of those, functions that span several pages (kernel code calling into other pages). */
  regionsTranslated: number;
  /** Pages with translated functions now. */
  pagesCached: number;
  /** Blocks (cases) in those translations. */
  entriesCached: number;
  /** Characters of generated source in those translations. */
  bytesCached: number;
}

/**
 * True unless instruction `w` certainly neither reads general register r nor writes it at once:
 * a load reads only its base (its own write is late, and an LWL/LWR of r merges with r's new
 * value as with a pending one); anything else counts any of its rs, rt and rd fields, and the
 * link register of JAL, BLTZAL and BGEZAL. False answers must be right; true ones may be wrong.
 * (The interpreter's load delay and the translator's both decide with it.)
 */
export function touches(w: number, r: number): boolean {
  const op = w >>> 26;
  if (op >= 0x20 && op <= 0x26) return ((w >>> 21) & 31) === r;
  if (r === 31 && (op === 0x01 || op === 0x03)) return true;
  return ((w >>> 21) & 31) === r || ((w >>> 16) & 31) === r || ((w >>> 11) & 31) === r;
}

/** The kinds of instruction the translator knows. */
const enum K {
  /** Left to the interpreter. */
  No,
  /** Ends in a delay slot: a branch or jump. */
  Branch,
  /** A load (lands through the load delay). */
  Load,
  /** Anything else it translates. */
  Plain,
}

/** What kind of instruction `w` is for the translator. */
function kind(w: number): K {
  const op = w >>> 26, rs = (w >>> 21) & 31, rt = (w >>> 16) & 31;
  switch (op) {
    case 0x00: {
      const f = w & 63;
      if (f <= 3) return f === 1 || rs !== 0 ? K.No : K.Plain;
      if (f === 4 || f === 6 || f === 7) return K.Plain;
      if (f === 8 || f === 9) return K.Branch;
      if (f >= 0x10 && f <= 0x13) return K.Plain;
      if (f >= 0x18 && f <= 0x1b) return K.Plain;
      if (f >= 0x20 && f <= 0x27) return K.Plain;
      if (f === 0x2a || f === 0x2b) return K.Plain;
      return K.No;
    }
    case 0x01:
      return rt === 0 || rt === 1 || rt === 0x10 || rt === 0x11 ? K.Branch : K.No;
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x05:
      return K.Branch;
    case 0x06:
    case 0x07:
      return rt === 0 ? K.Branch : K.No;
    case 0x0f:
      return rs === 0 ? K.Plain : K.No;
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
      return K.Load;
    case 0x28:
    case 0x29:
    case 0x2a:
    case 0x2b:
    case 0x2e:
      return K.Plain;
    default:
      return op >= 0x08 && op <= 0x0e ? K.Plain : K.No;
  }
}

/** A block found in a page: its first word, length, and how it ends. */
interface Block {
  /** Its virtual page. */
  vpn: number;
  /** First word index in that page. */
  start: number;
  /** Instructions, the delay slot included. */
  length: number;
  /** Ends in a branch (the delay slot is the last instruction). */
  branch: boolean;
  /** Word index of the load at the end whose successor is decided at run time, or -1. */
  dynLoad: number;
}

/** The translator: pages, their translations, the coherence marks. */
export class Jit {
  /** Set when a translation was dropped while translated code ran; the dispatcher clears it. */
  dirty = false;
  /**
   * 1 when a slow path called from translated code raised a guest exception (the host's slow
   * paths catch it and set this instead of throwing through the translated function); the
   * dispatcher clears it and raises the exception.
   */
  trap = 0;
  /**
   * Reports left per JR site (by its word address, hashed) to `noteJump`: translated kernel
   * code calls it only while its site's count here is below JUMP_NOTES.
   */
  readonly notes = new Uint8Array(NOTE_SLOTS);
  /** Bumped at each `execute` (`begin`) and `onException`: TypeScript may have written RAM. */
  epoch = 0;
  /**
   * A bit per word of RAM, set where the dispatcher refused to translate from (the word is the
   * interpreter's): the interpreter does not stop there to ask it again.
   */
  readonly refused: Uint32Array;
  /** Per physical page, 1 when some translation depends on one of its words. */
  readonly codePage: Uint8Array;
  readonly #codeMask = new Map<number, Uint32Array>();
  /** Per physical page, the pages whose region translations depend on some of its words. */
  readonly #foreign = new Map<number, Set<Page>>();
  /**
   * Per physical page, 1 once the guest stored to code of it that another page's region took in
   * (code that writes the code it calls): it joins no region again, so that patching it drops
   * only its own translation, not its callers'.
   */
  readonly #patched: Uint8Array;
  /** Pages resting after a guest store dropped their translation, with the cycle they wake at. */
  readonly #resting = new Map<Page, number>();
  /**
   * The entry cache, direct-mapped by pc: the pc (1: empty), the physical page base it was
   * found under, the case, the epoch in which its page was verified, the page and its
   * function. A hit stands in that epoch only; dropping a page's translation empties its slots.
   */
  readonly #ecPc = new Int32Array(ENTRY_SLOTS).fill(1);
  readonly #ecBase = new Int32Array(ENTRY_SLOTS);
  readonly #ecCase = new Int16Array(ENTRY_SLOTS);
  readonly #ecEpoch = new Int32Array(ENTRY_SLOTS);
  readonly #ecPage: (Page | null)[] = new Array(ENTRY_SLOTS).fill(null);
  readonly #ecFn: (PageFn | null)[] = new Array(ENTRY_SLOTS).fill(null);
  readonly #pages = new Map<number, Page>();
  /** Pages in order of creation (oldest first), for eviction. */
  readonly #order = new Set<Page>();
  #source = 0;
  #depCount = 0;
  #translated = 0;
  #regions = 0;
  #dropped = 0;
  readonly #host: JitHost;

  /** A translator for the Cpu behind `host`. */
  constructor(host: JitHost) {
    this.#host = host;
    this.codePage = new Uint8Array(Math.ceil(host.ramSize / 4096));
    this.#patched = new Uint8Array(this.codePage.length);
    this.refused = new Uint32Array(Math.ceil(host.ramSize / 128));
  }

  /** The counters. */
  stats(): JitStats {
    let pages = 0, entries = 0;
    for (const p of this.#order) {
      if (p.fns.length === 0) continue;
      pages++;
      for (const c of p.index) if (c >= 0) entries++;
    }
    return {
      pagesTranslated: this.#translated,
      regionsTranslated: this.#regions,
      translationsDropped: this.#dropped,
      pagesCached: pages,
      entriesCached: entries,
      bytesCached: this.#source,
    };
  }

  /**
   * The translated function for pc (virtual) in physical page `pbase`, with the case of pc in
   * `this.entry`; or null (not hot yet, or not translatable): the interpreter runs it then.
   */
  find(pc: number, pbase: number, hotness: number): PageFn | null {
    const e = Math.imul(pc, 0x9e3779b1) >>> ENTRY_SHIFT;
    if (this.#ecPc[e] === pc && this.#ecBase[e] === pbase && this.#ecEpoch[e] === this.epoch) {
      this.entry = this.#ecCase[e];
      return this.#ecFn[e];
    }
    return this.#lookup(e, pc, pbase, hotness);
  }

  /** `find` past the entry cache (`e`: pc's slot): the page, its verification, translating. */
  #lookup(e: number, pc: number, pbase: number, hotness: number): PageFn | null {
    const vpn = pc >>> 12, ppn = pbase >>> 12;
    const page = this.#tracked(vpn, ppn) ?? this.#track(vpn, ppn);
    const w = (pc & 0xfff) >>> 2;
    if (page.fns.length > 0) {
      if (page.epoch !== this.epoch) this.#verify(page);
      if (page.fns.length > 0) {
        const c = page.index[w];
        if (c >= 0) return this.#enter(e, pc, pbase, page, page.fns[page.owner[w]], c);
      }
    }
    if (this.#resting.has(page)) return null;
    // Each translation of a page makes the next one wait longer: entries found late (JR
    // targets, returns from handlers) would otherwise make a page translate again and again.
    const due = Math.min(hotness * (1 + page.translations), REFUSED - 1);
    if (page.visits[w] === REFUSED || ++page.visits[w] < due) return null;
    page.visits[w] = 0;
    if (!page.entries.includes(w)) page.entries.push(w);
    this.#compile(page, w);
    const c = page.fns.length === 0 ? -1 : page.index[w];
    if (c < 0) {
      // Its first instruction is the interpreter's: do not count it again.
      page.entries = page.entries.filter((e) => e !== w);
      page.visits[w] = REFUSED;
      this.refused[((ppn << 10) | w) >>> 5] |= 1 << (w & 31);
      return null;
    }
    return this.#enter(e, pc, pbase, page, page.fns[page.owner[w]], c);
  }

  /** The case `find` found. */
  entry = 0;

  /** Puts `fn` and case `c` for (pc, pbase) of `page` in entry-cache slot `e`; returns fn. */
  #enter(e: number, pc: number, pbase: number, page: Page, fn: PageFn, c: number): PageFn {
    this.#ecPc[e] = pc;
    this.#ecBase[e] = pbase;
    this.#ecPage[e] = page;
    this.#ecFn[e] = fn;
    this.#ecCase[e] = c;
    this.#ecEpoch[e] = this.epoch;
    this.entry = c;
    return fn;
  }

  /**
   * A store of `bytes` reached physical `pa` in a page holding code: drops the page's
   * translations when the store covers a word they depend on.
   */
  written(pa: number, bytes: number): void {
    const mask = this.#codeMask.get(pa >>> 12);
    if (mask === undefined) return;
    const first = (pa & 0xfff) >>> 2, last = ((pa & 0xfff) + bytes - 1) >>> 2;
    for (let w = first; w <= last && w < 1024; w++) {
      if ((mask[w >>> 5] & (1 << (w & 31))) !== 0) {
        const ppn = pa >>> 12, now = this.#host.cpu.cycles;
        if (this.#foreign.has(ppn)) this.#patched[ppn] = 1;
        const rest = this.#dropPhysical(ppn);
        for (const p of rest) {
          this.#resting.set(p, now + REST_CYCLES * 2 ** Math.min(p.patches++, 8));
        }
        if (rest.length > 0) this.refused.fill(0xffffffff, ppn << 5, (ppn + 1) << 5);
        return;
      }
    }
  }

  /**
   * Translated kernel code of virtual page `vpn` left a function through a JR to `tgt`: counts
   * it, and once a kseg0 target has been seen JUMP_NOTES times, drops the page's translation
   * (once per page) so that its next one takes the target's blocks into its region.
   */
  noteJump(vpn: number, tgt: number): void {
    const page = this.#tracked(vpn, vpn & 0x1ffff);
    if (page === null || page.fns.length === 0 || page.rejoined) return;
    // Only kseg0 targets in other pages (one in this page gets a case of its own there).
    if (tgt >>> 29 !== 4 || (tgt & 3) !== 0 || tgt >>> 12 === vpn) return;
    const k = (page.jumps.get(tgt) ?? 0) + 1;
    if (k === 1 && page.jumps.size >= JUMP_TARGETS) return;
    page.jumps.set(tgt, k);
    if (k !== JUMP_NOTES) return;
    page.rejoined = true;
    this.#drop(page);
  }

  /** Starts tracking (vpn, ppn), evicting the oldest page beyond MAX_PAGES. */
  #track(vpn: number, ppn: number): Page {
    if (this.#order.size >= MAX_PAGES) this.#evict(this.#order.values().next().value!);
    const page = new Page(vpn, ppn);
    page.next = this.#pages.get(vpn) ?? null;
    this.#pages.set(vpn, page);
    this.#order.add(page);
    return page;
  }

  /**
   * Starts an `execute` at cycle `now`: a new epoch (TypeScript may have written RAM since the
   * last), and the resting pages whose time has come are the dispatcher's again.
   */
  begin(now: number): void {
    this.epoch = (this.epoch + 1) | 0;
    if (this.#resting.size === 0) return;
    for (const [page, at] of this.#resting) if (now >= at) this.#wake(page);
  }

  /** Ends `page`'s rest: its words are asked about again. */
  #wake(page: Page): void {
    this.#resting.delete(page);
    this.refused.fill(0, page.ppn << 5, (page.ppn + 1) << 5);
  }

  /** Forgets `page` entirely. */
  #evict(page: Page): void {
    if (this.#resting.has(page)) this.#wake(page);
    if (page.fns.length > 0) this.#drop(page);
    this.#order.delete(page);
    let p = this.#pages.get(page.vpn) ?? null;
    if (p === page) {
      if (page.next === null) this.#pages.delete(page.vpn);
      else this.#pages.set(page.vpn, page.next);
      return;
    }
    while (p !== null && p.next !== page) p = p.next;
    if (p !== null) p.next = page.next;
  }

  /** Compares a page's words with RAM; drops the translation when one changed. */
  #verify(page: Page): void {
    page.epoch = this.epoch;
    const ram32 = this.#host.ram32;
    const deps = page.deps, words = page.depWords;
    for (let i = 0; i < deps.length; i++) {
      if (ram32[deps[i]] !== words[i]) {
        this.#dropPhysical(deps[i] >>> 10);
        if (page.fns.length > 0) this.#drop(page);
        return;
      }
    }
  }

  /**
   * Drops every translation of physical page `ppn` and its coherence marks; returns the pages of
   * `ppn` itself whose translations it dropped.
   */
  #dropPhysical(ppn: number): Page[] {
    const own: Page[] = [];
    for (const p of this.#order) {
      if (p.ppn === ppn && p.fns.length > 0) own.push(p), this.#drop(p);
    }
    for (const p of this.#foreign.get(ppn) ?? []) if (p.fns.length > 0) this.#drop(p);
    this.#foreign.delete(ppn);
    this.#codeMask.delete(ppn);
    this.codePage[ppn] = 0;
    this.refused.fill(0, ppn << 5, (ppn + 1) << 5); // the code changed: ask again
    this.dirty = true;
    return own;
  }

  /** Drops one page's translation (its entries stay known for the next translation). */
  #drop(page: Page): void {
    for (let e = 0; e < ENTRY_SLOTS; e++) {
      if (this.#ecPage[e] === page) {
        this.#ecPc[e] = 1;
        this.#ecPage[e] = this.#ecFn[e] = null;
      }
    }
    page.fns = [];
    page.index = new Int16Array(0);
    page.owner = new Uint8Array(0);
    this.#depCount -= page.deps.length;
    page.deps = new Int32Array(0);
    page.depWords = new Int32Array(0);
    this.#source -= page.size;
    page.size = 0;
    this.#dropped++;
  }

  /**
   * Translates `page`'s entries that have no case yet into one more function of the page, from
   * which the others are left to the dispatcher (so the code V8 optimized stays); beyond
   * MAX_FNS functions, translates all the entries into one function again. The entry at word
   * `first` (the one that became hot) is translated first, so that FN_INSTRUCTIONS cannot leave
   * it out. Adds no function when nothing is translatable.
   */
  #compile(page: Page, first: number): void {
    if (page.fns.length >= MAX_FNS) this.#drop(page);
    const ram32 = this.#host.ram32;
    const kseg0 = page.vpn >>> 17 === 4; // 0x80000000-0x9fffffff: unmapped, kernel mode only
    const blocks: Block[] = [];
    const cases = new Map<number, number>(); // block start (unsigned pc) -> case
    const covered = page.fns.length > 0 ? page.index : null;
    const deps = new Set<number>(); // RAM word indices
    const region = new Map<number, Page>([[page.vpn, page]]); // vpn -> its page
    const pcOf = (vpn: number, i: number) => ((vpn << 12) + (i << 2)) >>> 0;
    const work = page.entries.map((i) => pcOf(page.vpn, i));
    // The JR targets seen often enough (they ran, from translated code) join as entries.
    const joined = new Set<number>();
    for (const [t, k] of page.jumps) if (k >= JUMP_NOTES) joined.add(t >>> 0);
    work.push(...joined, pcOf(page.vpn, first)); // the entry that asked first: it must fit
    // Where a block of MAX_BLOCK instructions goes on: the interpreter never stops there to count
    // a visit (no delay slot ends before it), but it ran it whenever it ran the block before.
    const straight = new Set<number>();
    let size = 0;
    while (work.length > 0) {
      const pc = work.pop()!, vpn = pc >>> 12, start = (pc & 0xfff) >>> 2;
      if (cases.has(pc)) continue;
      let p = region.get(vpn);
      if (p === undefined) {
        // Kernel code's static transfers to another page of kseg0 the interpreter has run in
        // stay in the function: the mapping is the identity, and the mode cannot change in it.
        if (!kseg0 || vpn >>> 17 !== 4 || region.size >= REGION_PAGES) continue;
        const q = this.#tracked(vpn, vpn & 0x1ffff);
        if (q === null || this.#patched[q.ppn] !== 0) continue;
        region.set(vpn, p = q);
      }
      if (p === page && covered !== null && covered[start] >= 0) continue;
      // Only code the interpreter has reached: the rest would be compiled without type
      // feedback, and V8 would deoptimize the whole function the first time it ran.
      const reached = p.visits[start] !== 0 || joined.has(pc) || straight.has(pc) ||
        (p !== page && p.fns.length > 0 && p.index[start] >= 0) ||
        (p === page && page.entries.includes(start));
      if (!reached) continue;
      // A function stops growing at FN_INSTRUCTIONS: what is left leaves to the dispatcher and
      // makes functions of its own when it gets hot.
      if (size >= FN_INSTRUCTIONS) break;
      const base = p.ppn << 10;
      const word = (i: number) => ram32[base + i];
      const b = this.#scan(vpn, start, word, deps, base);
      if (b === null) continue;
      cases.set(pc, blocks.length);
      blocks.push(b);
      size += b.length;
      const end = b.start + b.length;
      if (b.dynLoad >= 0) {
        // The interpreter runs the load's successor and lands it; the dispatcher is asked again
        // after that, at the word following the successor (when the load's block falls through).
        if (!b.branch && end + 1 < 1024) work.push(pcOf(vpn, end + 1));
        continue;
      }
      if (b.branch) {
        const bw = word(end - 2), t = staticTarget(bw, vpn, end - 2);
        if (t !== -1) work.push(t);
        if (end < 1024 && !isJump(bw)) work.push(pcOf(vpn, end));
        if (end < 1024 && isLink(bw)) work.push(pcOf(vpn, end));
      } else if (end < 1024) {
        work.push(pcOf(vpn, end));
        if (b.length === MAX_BLOCK) straight.add(pcOf(vpn, end));
        // When the interpreter runs an instruction the block ends before (COP0, say), it hands
        // back after the next delay slot: at that branch's target or fall-through.
        if (kind(word(end)) === K.No) {
          for (const i of this.#resumePoints(vpn, end, word)) work.push(pcOf(vpn, i));
        }
      }
    }
    if (blocks.length === 0) return;
    const src = generate(page, blocks, cases, (vpn, i) => ram32[(region.get(vpn)!.ppn << 10) + i]);
    if (covered === null) {
      page.index = new Int16Array(1024).fill(-1);
      page.owner = new Uint8Array(1024);
    }
    const number = page.fns.length;
    page.fns.push(shared(src));
    for (const b of blocks) {
      if (b.vpn !== page.vpn) continue;
      page.index[b.start] = cases.get(pcOf(b.vpn, b.start))!;
      page.owner[b.start] = number;
    }
    // The words the page's functions depend on, each once, with its value when first used.
    const words = new Map<number, number>();
    page.deps.forEach((d, k) => words.set(d, page.depWords[k]));
    for (const d of deps) if (!words.has(d)) words.set(d, ram32[d]);
    this.#depCount += words.size - page.deps.length;
    page.deps = Int32Array.from(words.keys());
    page.depWords = Int32Array.from(words.values());
    page.size += src.length;
    page.epoch = this.epoch;
    this.#source += src.length;
    this.#translated++;
    if (blocks.some((b) => b.vpn !== page.vpn)) this.#regions++;
    page.translations++;
    const ppns = new Set<number>();
    for (const d of deps) {
      const ppn = d >>> 10;
      let mask = this.#codeMask.get(ppn);
      if (mask === undefined) this.#codeMask.set(ppn, mask = new Uint32Array(32));
      mask[(d & 1023) >>> 5] |= 1 << (d & 31);
      ppns.add(ppn);
    }
    for (const ppn of ppns) {
      this.codePage[ppn] = 1;
      this.#host.purgeWrites(ppn << 12);
      if (ppn === page.ppn) continue;
      let owners = this.#foreign.get(ppn);
      if (owners === undefined) this.#foreign.set(ppn, owners = new Set());
      owners.add(page);
    }
    while (this.#source > SOURCE_CAP || this.#depCount > DEPS_CAP) {
      const old = [...this.#order].find((p) => p.fns.length > 0 && p !== page);
      if (old === undefined) break;
      this.#drop(old);
    }
  }

  /** The page tracked for (vpn, ppn), or null. */
  #tracked(vpn: number, ppn: number): Page | null {
    let page = this.#pages.get(vpn) ?? null;
    while (page !== null && page.ppn !== ppn) page = page.next;
    return page;
  }

  /**
   * Where the dispatcher is asked again after the interpreter runs from word `from`: the
   * target (when static and in the page) and the fall-through of the next branch, if any.
   */
  #resumePoints(vpn: number, from: number, word: (i: number) => number): number[] {
    for (let i = from; i + 2 < 1024; i++) {
      const w = word(i);
      if (kind(w) !== K.Branch) continue;
      const t = staticTarget(w, vpn, i);
      const out = isJump(w) ? [] : [i + 2];
      if (t !== -1 && t >>> 12 === vpn) out.push((t & 0xfff) >>> 2);
      return out;
    }
    return [];
  }

  /**
   * Finds the block from word `start` of virtual page `vpn` (RAM word `base` onwards), adding
   * the RAM word indices it depends on to `deps`; null when its first instruction is left to
   * the interpreter.
   */
  #scan(
    vpn: number,
    start: number,
    word: (i: number) => number,
    deps: Set<number>,
    base: number,
  ): Block | null {
    const dep = (i: number) => deps.add(base + i);
    let i = start;
    for (; i < 1024 && i - start < MAX_BLOCK; i++) {
      const w = word(i), k = kind(w);
      if (k === K.No) break;
      if (k === K.Branch) {
        // Its delay slot must be in the page and translatable, and not a branch itself.
        if (i + 1 >= 1024) break;
        const d = word(i + 1), dk = kind(d);
        if (dk === K.No || dk === K.Branch) break;
        dep(i);
        dep(i + 1);
        let dyn = -1;
        const rt = (d >>> 16) & 31;
        if (dk === K.Load && rt !== 0) {
          // The load's successors: the target and, for a conditional branch, pc + 8. Each must
          // be a word of this page whose value (now a dependency) lets the load land at once.
          const succ = isJump(w) && w >>> 26 === 0 ? [-1] : [staticTarget(w, vpn, i)];
          if (!isJump(w)) succ.push(((vpn << 12) + ((i + 2) << 2)) >>> 0);
          for (const a of succ) {
            if (a === -1 || a >>> 12 !== vpn) {
              dyn = i + 1;
              break;
            }
            const si = (a & 0xfff) >>> 2;
            dep(si);
            if (touches(word(si), rt)) dyn = i + 1;
          }
        }
        return { vpn, start, length: i + 2 - start, branch: true, dynLoad: dyn };
      }
      dep(i);
      if (k === K.Load && ((w >>> 16) & 31) !== 0) {
        const rt = (w >>> 16) & 31;
        if (i + 1 >= 1024) return { vpn, start, length: i + 1 - start, branch: false, dynLoad: i };
        dep(i + 1);
        if (touches(word(i + 1), rt)) {
          return { vpn, start, length: i + 1 - start, branch: false, dynLoad: i };
        }
      }
    }
    if (i === start) return null;
    return { vpn, start, length: i - start, branch: false, dynLoad: -1 };
  }
}

/** True for J, JAL, JR and JALR (unconditional: no fall-through successor). */
function isJump(w: number): boolean {
  const op = w >>> 26;
  return op === 2 || op === 3 || (op === 0 && ((w & 63) === 8 || (w & 63) === 9));
}

/** True for instructions that link (JAL, JALR, BLTZAL, BGEZAL): pc + 8 is a return point. */
function isLink(w: number): boolean {
  const op = w >>> 26;
  return op === 3 || (op === 0 && (w & 63) === 9) || (op === 1 && (w & 0x00100000) !== 0);
}

/**
 * The static target (unsigned) of the branch `w` at word `i` of virtual page `vpn`, or -1 for
 * JR/JALR.
 */
function staticTarget(w: number, vpn: number, i: number): number {
  const op = w >>> 26;
  const pc = (vpn << 12) + (i << 2);
  if (op === 0) return -1;
  if (op === 2 || op === 3) return (((pc + 4) & 0xf0000000) | ((w & 0x3ffffff) << 2)) >>> 0;
  return (pc + 4 + ((w << 16) >> 14)) >>> 0;
}

/**
 * Generates the source of the factory for `page`'s next function: `blocks`, whose starts
 * (unsigned pcs) have the cases `cases`, in the pages whose words `at(vpn, i)` reads.
 */
function generate(
  page: Page,
  blocks: Block[],
  cases: Map<number, number>,
  at: (vpn: number, i: number) => number,
): string {
  const kseg0 = page.vpn >>> 17 === 4; // 0x80000000-0x9fffffff
  // Each page's case index, for JR and JALR: IX0 the page's own, IX1... the region's others.
  const pages = [page.vpn, ...new Set(blocks.map((b) => b.vpn).filter((v) => v !== page.vpn))];
  const ix = pages.map(() => [] as number[]);
  for (const [a, c] of cases) ix[pages.indexOf(a >>> 12)].push((a & 0xfff) >>> 2, c);
  const jr =
    pages.map((v, k) =>
      `if ((tgt & 0xfffff003) === ${String((v << 12) | 0)}) k = IX${k}[(tgt & 0xfff) >> 2]; else `
    ).join("") + "k = -1;";
  const used = new Set<number>();
  const out: string[] = [];
  const sites: number[][] = []; // [pc, npcKind (0: pc + 4, 1: tgt), delay, offset]
  const r = (i: number) => {
    if (i !== 0) used.add(i);
    return i === 0 ? "0" : `r${i}`;
  };
  const set = (i: number, e: string) => i === 0 ? `${e};` : `${r(i)} = ${e};`;
  const hex = (v: number) => String(v | 0);
  const site = (pc: number, delay: boolean, off: number) => {
    sites.push([pc, delay ? 1 : 0, off]);
    return sites.length - 1;
  };
  /** A transfer to virtual address `a` (static): the same function's case, or an exit. */
  const go = (a: number) => {
    const c = cases.get(a >>> 0) ?? -1;
    return c >= 0 ? `c = ${c}; continue L;` : `x = ${hex(a)}; break L;`;
  };
  for (const b of blocks) {
    const L = b.length, vbase = b.vpn << 12;
    const word = (i: number) => at(b.vpn, i);
    const startPc = vbase + (b.start << 2);
    // A block that branches back to itself runs as a JavaScript loop: no switch per iteration.
    const bw0 = b.branch ? word(b.start + L - 2) : 0;
    const selfLoop = b.branch && b.dynLoad < 0 && !isJump(bw0) &&
      staticTarget(bw0, b.vpn, b.start + L - 2) === startPc >>> 0;
    out.push(`case ${cases.get(startPc >>> 0)}: ${selfLoop ? "for (;;) " : ""}{`);
    out.push(
      `if (n + ${L} > lim || ((bp - ${hex(startPc)}) >>> 0) < ${4 * L}) ` +
        `{ x = ${hex(startPc)}; break L; }`,
    );
    // The interlock a MFHI/MFLO meets is known here when the MULT it waits for is earlier in
    // the block with nothing between that could take a slow path (which rebases the cycles).
    let multAt = -1, stalledSince = 0;
    for (let j = 0; j < L; j++) {
      const wi = b.start + j, w = word(wi), pc = (vbase + (wi << 2)) >>> 0;
      const op = w >>> 26, fn = w & 63;
      let known = -1;
      if (op === 0 && (fn === 0x10 || fn === 0x12) && multAt >= 0) {
        known = Math.max(multAt + TIMING.multiply - (j + stalledSince), 0);
        stalledSince += known;
      }
      if (op === 0 && (fn === 0x18 || fn === 0x19)) multAt = j, stalledSince = 0;
      else if ((op === 0 && (fn === 0x1a || fn === 0x1b)) || (op >= 0x20 && op <= 0x2e)) {
        multAt = -1;
      }
      const delay = b.branch && j === L - 1;
      const dyn = b.dynLoad === wi;
      // After a slow path: re-read the limit and leave precisely if the block no longer fits.
      const after = delay || dyn
        ? `lim = h.limit() - debt; if (J.dirty) lim = -1;`
        : `lim = h.limit() - debt; if (J.dirty) lim = -1; if (n + ${L} > lim) { ${"@ASSIGN@"} n += ${
          j + 1
        }; x = ${hex(pc + 4)}; break L; }`;
      // After an interlock stall: the limit is lower by the cycles stalled (the Cpu's own limit
      // is lowered by all of them, \`debt\`, when the function returns).
      const stalled = delay || dyn
        ? ""
        : `if (n + ${L} > lim) { ${"@ASSIGN@"} n += ${j + 1}; x = ${hex(pc + 4)}; break L; }`;
      out.push(
        instruction(w, pc, j, delay, dyn, after, stalled, known, r, set, site, kseg0, hex),
      );
    }
    // The block's end.
    if (b.branch) {
      const bw = word(b.start + L - 2), bpc = vbase + ((b.start + L - 2) << 2);
      out.push(`n += ${L};`);
      if (b.dynLoad >= 0) {
        out.push(`lr = ${(word(b.dynLoad) >>> 16) & 31}; x = tgt; break L;`);
      } else if (isJump(bw) && (bw >>> 26) === 0) {
        // Kernel code tells the translator where its JRs leave the function to (at most
        // JUMP_NOTES times a site, per Cpu), so that calls through pointers can join regions.
        const jn = `J.notes[${((bpc >>> 2) & (NOTE_SLOTS - 1))}]`;
        const note = kseg0
          ? `if (${jn} < ${JUMP_NOTES}) { ${jn}++; J.noteJump(${page.vpn}, tgt); } `
          : "";
        out.push(`${jr} if (k >= 0) { c = k; continue L; } ${note}x = tgt; break L;`);
      } else {
        const t = staticTarget(bw, b.vpn, b.start + L - 2);
        if (isJump(bw)) out.push(go(t));
        else if (selfLoop) out.push(`if (tgt === ${hex(t)}) continue; ${go((bpc + 8) >>> 0)}`);
        else out.push(`if (tgt === ${hex(t)}) { ${go(t)} } ${go((bpc + 8) >>> 0)}`);
      }
    } else {
      const next = (vbase + ((b.start + L) << 2)) >>> 0;
      out.push(`n += ${L};`);
      if (b.dynLoad >= 0) {
        out.push(`lr = ${(word(b.dynLoad) >>> 16) & 31}; x = ${hex(next)}; break L;`);
      } else out.push(go(next));
    }
    out.push(`}`);
  }
  const regs = [...used].sort((a, b) => a - b);
  // HI, LO, their ready time and the cycle count live in locals in a function that uses them
  // (MULT, DIV, MFHI, MTLO, ...), shown to the Cpu around every slow path and on every exit.
  const hilo = blocks.some((b) => {
    for (let i = b.start; i < b.start + b.length; i++) {
      const w = at(b.vpn, i);
      if (w >>> 26 === 0 && (w & 63) >= 0x10 && (w & 63) <= 0x1b) return true;
    }
    return false;
  });
  // The cycle count is `cb` (a double, the Cpu's at entry or at the last slow path) plus `dc`
  // (an integer: stalls since), and the ready time `ry` an integer relative to `cb` (0 when
  // ready before it), so that the stall arithmetic stays in small integers.
  const rebase = "cb = cpu.cycles; dc = 0; ry = HR[0] > cb ? (HR[0] - cb) | 0 : 0; rw = 0;";
  const toCpu = hilo
    ? `${HI_NOW} cpu.hi = hi; cpu.lo = lo; if (rw !== 0) HR[0] = cb + ry; cpu.cycles = cb + dc;`
    : "";
  const fromCpu = hilo ? `hi = cpu.hi; lo = cpu.lo; ${rebase}` : "";
  const body = out.join("\n").replaceAll(SYNC, toCpu).replaceAll(RESYNC, fromCpu);
  const load = regs.map((i) => `r${i} = regs[${i}]`).join(", ") +
    (hilo
      ? `${regs.length > 0 ? ", " : ""}hi = cpu.hi, lo = cpu.lo, cb = 0, dc = 0, ry = 0, rw = 0, ` +
        "ma = 0, mb = 0, mk = 0"
      : "");
  const store = regs.map((i) => `regs[${i}] = r${i};`).join(" ") + toCpu;
  const sp = sites.map((s) => s[0] | 0), sd = sites.map((s) => s[1]), so = sites.map((s) => s[2]);
  return `"use strict";
function ix(pairs) {
  const a = new Int16Array(1024).fill(-1);
  for (let i = 0; i < pairs.length; i += 2) a[pairs[i]] = pairs[i + 1];
  return a;
}
${ix.map((p, k) => `const IX${k} = ix([${p.join(",")}]);`).join("\n")}
const SP = new Int32Array([${sp.join(",")}]), SD = new Int32Array([${sd.join(",")}]);
const SO = new Int32Array([${so.join(",")}]);
function mulhiu(au, bu) {
  const p = au * bu;
  if (p <= 9007199254740991) return Math.floor(p / 4294967296) | 0;
  const t = (au & 0xffff) * bu;
  return Math.floor(((au >>> 16) * bu + Math.floor(t / 65536)) / 65536) | 0;
}
function mulhi(a, b) {
  const p = a * b;
  if (p >= -9007199254740991 && p <= 9007199254740991) return Math.floor(p / 4294967296) | 0;
  return (mulhiu(a >>> 0, b >>> 0) - (a < 0 ? b >>> 0 : 0) - (b < 0 ? a >>> 0 : 0)) | 0;
}
return function page_${page.vpn.toString(16)}_${page.fns.length}(h, J, c, n, lim, bp) {
  const cpu = h.cpu, regs = h.regs, ram8 = h.ram8, ram16 = h.ram16, ram32 = h.ram32, HR = h.hilo;
  const rTag = h.rTag, rBase = h.rBase, wTag = h.wTag, wBase = h.wBase, RAMSZ = h.ramSize;
  let ${
    load.length > 0 ? load + ", " : ""
  }s = 0, x = 0, k = 0, t = 0, d = 0, u = 0, va = 0, tgt = 0, lr = 0, lv = 0, debt = 0;
  ${hilo ? rebase : ""}
  try {
    L: for (;;) {
      switch (c) {
${body}
        default: throw new Error("exolab jit: case " + c + " out of range");
      }
    }
  } catch (e) {
    ${store}
    if (debt !== 0) h.lower(debt);
    h.fault(SP[s], SD[s] === 1 ? tgt : (SP[s] + 4) | 0, SD[s], n + SO[s]);
    throw e;
  }
  ${store}
  if (debt !== 0) h.lower(debt);
  if (J.trap !== 0) {
    h.fault(SP[s], SD[s] === 1 ? tgt : (SP[s] + 4) | 0, SD[s], n + SO[s]);
    return n;
  }
  h.exit(x);
  if (lr !== 0) h.loaded(lr, lv, x, n - 1);
  return n;
};`;
}

/**
 * Markers in an instruction's source around each slow-path call, for the HI/LO and cycle
 * locals: before it the Cpu must see them (`SYNC`), after it they are read back (`RESYNC`).
 * Replaced by `generate`, by nothing in a function that keeps no such locals.
 */
const SYNC = "\u0001", RESYNC = "\u0002";

/**
 * HI after a MULT or MULTU is computed when something reads it (MFHI, the Cpu at a slow path
 * or an exit), from the operands kept in `ma` and `mb` (`mk`: 1 signed, 2 unsigned, 0 none).
 */
const HI_NOW =
  "if (mk !== 0) { hi = mk === 1 ? mulhi(ma, mb) : mulhiu(ma >>> 0, mb >>> 0); mk = 0; }";

/**
 * The source of one instruction `w` at `pc`, offset `j` in its block. `known` is the stall a
 * MFHI/MFLO meets when the block's code settles it (-1: decided at run time). `after` is the code
 * for after a slow path and `stalled` after an interlock stall (with @ASSIGN@ where the
 * destination's assignment goes); `dyn` marks a load
 * whose value goes to `lv` for `JitHost.loaded` instead of its register.
 */
function instruction(
  w: number,
  pc: number,
  j: number,
  delay: boolean,
  dyn: boolean,
  after: string,
  stalled: string,
  known: number,
  r: (i: number) => string,
  set: (i: number, e: string) => string,
  site: (pc: number, delay: boolean, off: number) => number,
  kseg0: boolean,
  hex: (v: number) => string,
): string {
  const op = w >>> 26, rs = (w >>> 21) & 31, rt = (w >>> 16) & 31, rd = (w >>> 11) & 31;
  const imm = (w << 16) >> 16, uimm = w & 0xffff, sa = (w >>> 6) & 31;
  const S = () => r(rs), T = () => r(rt);
  const fault = () => `s = ${site(pc, delay, j)};`;
  const slow = (assign: string) => after.replace("@ASSIGN@", assign);
  const target = hex(pc + 4 + (imm << 2));
  const fall = hex(pc + 8);
  const jump = hex(((pc + 4) & 0xf0000000) | ((w & 0x3ffffff) << 2));
  switch (op) {
    case 0x00:
      switch (w & 63) {
        case 0x00:
          return rd === 0 ? "" : set(rd, `${T()} << ${sa}`);
        case 0x02:
          return rd === 0 ? "" : set(rd, `(${T()} >>> ${sa}) | 0`);
        case 0x03:
          return rd === 0 ? "" : set(rd, `${T()} >> ${sa}`);
        case 0x04:
          return rd === 0 ? "" : set(rd, `${T()} << (${S()} & 31)`);
        case 0x06:
          return rd === 0 ? "" : set(rd, `(${T()} >>> (${S()} & 31)) | 0`);
        case 0x07:
          return rd === 0 ? "" : set(rd, `${T()} >> (${S()} & 31)`);
        case 0x08:
          return `tgt = ${S()};`;
        case 0x09:
          return `tgt = ${S()}; ${rd === 0 ? "" : set(rd, hex(pc + 8))}`;
        case 0x10:
        case 0x12: {
          const reg = (w & 63) === 0x10 ? "hi" : "lo", now = reg === "hi" ? HI_NOW : "";
          if (known === 0) return `${now} ${set(rd, reg)}`;
          if (known > 0) {
            return `${now} dc += ${known}; debt += ${known}; lim -= ${known}; ` +
              `${stalled.replace("@ASSIGN@", set(rd, reg))} ${set(rd, reg)}`;
          }
          return `${now} d = dc + n + ${j}; if (d < ry) { d = ry - d; dc += d; ` +
            `debt += d; lim -= d; ${stalled.replace("@ASSIGN@", set(rd, reg))} } ${set(rd, reg)}`;
        }
        case 0x11:
          return `hi = ${S()}; mk = 0;`;
        case 0x13:
          return `lo = ${S()};`;
        case 0x18:
        case 0x19: {
          return `ma = ${S()}; mb = ${T()}; mk = ${(w & 63) === 0x18 ? 1 : 2}; ` +
            `lo = Math.imul(${S()}, ${T()}); ry = dc + n + ${j + TIMING.multiply}; rw = 1;`;
        }
        case 0x1a:
        case 0x1b:
          return `${SYNC} h.div(${S()}, ${T()}, ${(w & 63) === 0x1a}, n + ${j}); ${RESYNC}`;
        case 0x20:
          return `t = (${S()} + ${T()}) | 0; if (((${S()} ^ t) & (${T()} ^ t)) < 0) { ${fault()} ${SYNC} h.overflow(); break L; } ${
            set(rd, "t")
          }`;
        case 0x21:
          return rd === 0 ? "" : set(rd, `(${S()} + ${T()}) | 0`);
        case 0x22:
          return `t = (${S()} - ${T()}) | 0; if (((${S()} ^ ${T()}) & (${S()} ^ t)) < 0) { ${fault()} ${SYNC} h.overflow(); break L; } ${
            set(rd, "t")
          }`;
        case 0x23:
          return rd === 0 ? "" : set(rd, `(${S()} - ${T()}) | 0`);
        case 0x24:
          return rd === 0 ? "" : set(rd, `${S()} & ${T()}`);
        case 0x25:
          return rd === 0 ? "" : set(rd, `${S()} | ${T()}`);
        case 0x26:
          return rd === 0 ? "" : set(rd, `${S()} ^ ${T()}`);
        case 0x27:
          return rd === 0 ? "" : set(rd, `~(${S()} | ${T()})`);
        case 0x2a:
          return rd === 0 ? "" : set(rd, `${S()} < ${T()} ? 1 : 0`);
        case 0x2b:
          return rd === 0 ? "" : set(rd, `(${S()} >>> 0) < (${T()} >>> 0) ? 1 : 0`);
      }
      break;
    case 0x01: {
      const cond = rt & 1 ? ">= 0" : "< 0";
      const link = rt & 0x10 ? ` r31 = ${hex(pc + 8)};` : "";
      if (link !== "") r(31);
      return `tgt = ${S()} ${cond} ? ${target} : ${fall};${link}`;
    }
    // J and JAL: \`tgt\` too, which a pending load's exit and a delay-slot fault's npc read.
    case 0x02:
      return `tgt = ${jump};`;
    case 0x03:
      return `tgt = ${jump}; ${set(31, hex(pc + 8))}`;
    case 0x04:
      return `tgt = ${S()} === ${T()} ? ${target} : ${fall};`;
    case 0x05:
      return `tgt = ${S()} !== ${T()} ? ${target} : ${fall};`;
    case 0x06:
      return `tgt = ${S()} <= 0 ? ${target} : ${fall};`;
    case 0x07:
      return `tgt = ${S()} > 0 ? ${target} : ${fall};`;
    case 0x08:
      return `t = (${S()} + ${imm}) | 0; if (((${S()} ^ t) & (${imm} ^ t)) < 0) { ${fault()} ${SYNC} h.overflow(); break L; } ${
        set(rt, "t")
      }`;
    case 0x09:
      return rt === 0 ? "" : set(rt, `(${S()} + ${imm}) | 0`);
    case 0x0a:
      return rt === 0 ? "" : set(rt, `${S()} < ${imm} ? 1 : 0`);
    case 0x0b:
      return rt === 0 ? "" : set(rt, `(${S()} >>> 0) < ${imm >>> 0} ? 1 : 0`);
    case 0x0c:
      return rt === 0 ? "" : set(rt, `${S()} & ${uimm}`);
    case 0x0d:
      return rt === 0 ? "" : set(rt, `${S()} | ${uimm}`);
    case 0x0e:
      return rt === 0 ? "" : set(rt, `${S()} ^ ${uimm}`);
    case 0x0f:
      return rt === 0 ? "" : set(rt, `${imm << 16}`);
    case 0x20:
    case 0x21:
    case 0x23:
    case 0x24:
    case 0x25: {
      const bytes = op === 0x23 ? 4 : op === 0x21 || op === 0x25 ? 2 : 1;
      const alignMask = hex(0xfffff000 | (bytes - 1));
      const arr = bytes === 4 ? "ram32" : bytes === 2 ? "ram16" : "ram8";
      const sh = bytes === 4 ? 2 : bytes === 2 ? 1 : 0;
      const ext = op === 0x20 ? "(t << 24) >> 24" : op === 0x21 ? "(t << 16) >> 16" : "t";
      const dest = dyn ? `lv = ${ext};` : set(rt, ext);
      let s = `va = (${S()} + ${imm}) | 0; `;
      if (kseg0) {
        // Kernel code: kseg0 RAM directly; anything else through the slow path, which fills
        // the read cache on the way as the interpreter's would.
        s += `u = va ^ -2147483648; if ((u >>> 0) < RAMSZ${
          bytes > 1 ? ` && (u & ${bytes - 1}) === 0` : ""
        }) t = ${arr}[u >> ${sh}]; `;
      } else {
        s += `if ((va & ${alignMask}) === rTag[(va >>> 12) & 63]) ` +
          `t = ${arr}[(rBase[(va >>> 12) & 63] | (va & 0xfff)) >> ${sh}]; `;
      }
      s +=
        `else { ${fault()} ${SYNC} t = h.load(va, ${bytes}) | 0; ${RESYNC} if (J.trap !== 0) break L; ${
          slow(dest)
        } } ${dest}`;
      return s;
    }
    case 0x22:
    case 0x26: {
      const merge = op === 0x22
        ? `(${T()} & (0xffffff >>> (k << 3))) | (t << (24 - (k << 3)))`
        : `(${T()} & ~(-1 >>> (k << 3))) | (t >>> (k << 3))`;
      const dest = dyn ? `lv = ${merge} | 0;` : set(rt, `${merge} | 0`);
      return `va = (${S()} + ${imm}) | 0; k = va & 3; ` +
        `if ((va & 0xfffff000) === rTag[(va >>> 12) & 63]) t = ram32[(rBase[(va >>> 12) & 63] | (va & 0xffc)) >> 2]; ` +
        `else { ${fault()} ${SYNC} t = h.loadWord(va) | 0; ${RESYNC} if (J.trap !== 0) break L; ${
          slow(dest)
        } } ${dest}`;
    }
    case 0x28:
    case 0x29:
    case 0x2b: {
      const bytes = op === 0x2b ? 4 : op === 0x29 ? 2 : 1;
      const alignMask = hex(0xfffff000 | (bytes - 1));
      const arr = bytes === 4 ? "ram32" : bytes === 2 ? "ram16" : "ram8";
      const sh = bytes === 4 ? 2 : bytes === 2 ? 1 : 0;
      return `va = (${S()} + ${imm}) | 0; ` +
        `if ((va & ${alignMask}) === wTag[(va >>> 12) & 63]) ${arr}[(wBase[(va >>> 12) & 63] | (va & 0xfff)) >> ${sh}] = ${T()}; ` +
        `else { ${fault()} ${SYNC} h.store(va, ${bytes}, ${T()}); ${RESYNC} if (J.trap !== 0) break L; ${
          slow("")
        } }`;
    }
    case 0x2a:
    case 0x2e: {
      const merge = op === 0x2a
        ? `(t & ~(-1 >>> (24 - (k << 3)))) | (${T()} >>> (24 - (k << 3)))`
        : `(t & ~(-1 << (k << 3))) | (${T()} << (k << 3))`;
      return `va = (${S()} + ${imm}) | 0; k = va & 3; ${fault()} ${SYNC} t = h.loadWordForStore(va) | 0; ` +
        `${RESYNC} if (J.trap !== 0) break L; ${SYNC} h.store(va & ~3, 4, (${merge}) | 0); ${RESYNC} ` +
        `if (J.trap !== 0) break L; ${slow("")}`;
    }
  }
  throw new Error(`exolab jit: no translation for 0x${(w >>> 0).toString(16)} (a translator bug)`);
}
