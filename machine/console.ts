/**
 * The console terminal: what a person would see on the serial line the PROM talks to.
 *
 * The DZ's line 3 is the 5000/200's console. The machine connects its output to `write` and
 * sets `onInput` to feed DZ line 3's wire; this module keeps three views of the output:
 * - `bytes` and `text`: the raw stream, every byte ever written, in order;
 * - `onOutput` listeners: each write as it happens, for a command line that streams to stdout;
 * - a headless xterm: the screen as a VT100-style terminal would show it (`lines`, `cursor`).
 * xterm parses asynchronously, so output reaches it on `flush()`; `lines` and `cursor` describe
 * the screen as of the last flush. `type` sends keystrokes (raw bytes: "\r" is Enter) to
 * `onInput`. The xterm dependency stays behind this module, and it is loaded on the first
 * `flush()`: a program that only streams output (`exo run`) never pays for it.
 *
 * @module
 */

// An npm: specifier, not the import map: a script outside the repository imports this too.
// A type-only import: erased, so xterm is not loaded with this module (see loadXterm).
// deno-lint-ignore no-import-prefix
import type xterm from "npm:@xterm/headless@5.5.0";

type Terminal = InstanceType<typeof xterm.Terminal>;

/** xterm's module once loaded: from then on every console makes its screen synchronously. */
let loadedXterm: typeof xterm | undefined;

/**
 * Loads xterm, once for every console. Dynamic, for start-up: importing xterm takes tens of
 * milliseconds, and most runs never look at the screen.
 */
async function loadXterm(): Promise<typeof xterm> {
  // deno-lint-ignore no-import-prefix
  loadedXterm ??= (await import("npm:@xterm/headless@5.5.0")).default;
  return loadedXterm;
}

/** Options for the console. */
export interface ConsoleOptions {
  /** Screen width in columns; default 80. */
  cols?: number;
  /** Screen height in rows; default 24. */
  rows?: number;
  /** Lines kept above the screen; default 1000. */
  scrollback?: number;
}

/** Receives the bytes a write put out. */
export type OutputListener = (bytes: Uint8Array) => void;

const encoder = new TextEncoder();

/** The console terminal: raw output stream, xterm screen, keyboard input. */
export class Console {
  /** Screen width in columns. */
  readonly cols: number;
  /** Screen height in rows. */
  readonly rows: number;
  /** Where typed bytes go (the machine points it at DZ line 3); unset, `type` throws. */
  onInput: ((bytes: Uint8Array) => void) | undefined;
  readonly #scrollback: number;
  /** The screen, made on the first flush; until then `lines` and `cursor` show a blank one. */
  #term: Terminal | undefined;
  readonly #listeners = new Set<OutputListener>();
  #buf = new Uint8Array(4096);
  #length = 0;
  #parsed = 0;

  /** Makes an empty terminal of the given size. */
  constructor(options: ConsoleOptions = {}) {
    this.cols = options.cols ?? 80;
    this.rows = options.rows ?? 24;
    this.#scrollback = options.scrollback ?? 1000;
  }

  /** Every byte written so far (a snapshot: later writes do not change it). */
  get bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /** Every byte written so far, decoded as UTF-8. */
  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  /** Appends `data` (bytes, or a string sent as UTF-8) to the output; never fails. */
  write(data: ArrayLike<number> | string): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (this.#length + bytes.length > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + bytes.length));
      grown.set(this.#buf.subarray(0, this.#length));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#length);
    const written = this.#buf.subarray(this.#length, this.#length + bytes.length);
    this.#length += bytes.length;
    for (const listener of this.#listeners) listener(written);
  }

  /** Calls `listener` with each later write; returns the function that removes it. */
  onOutput(listener: OutputListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the screen shows everything written so far. */
  flush(): Promise<void> {
    // Before xterm is loaded, load it and flush then: flushes keep their order, as each one
    // after the first finds nothing left to send.
    if (loadedXterm === undefined) return loadXterm().then(() => this.flush());
    this.#term ??= new loadedXterm.Terminal({
      cols: this.cols,
      rows: this.rows,
      scrollback: this.#scrollback,
      allowProposedApi: true,
    });
    const term = this.#term;
    const pending = this.#buf.slice(this.#parsed, this.#length);
    this.#parsed = this.#length;
    return new Promise((resolve) => term.write(pending, resolve));
  }

  /** The screen rows as of the last flush, trailing blanks trimmed. */
  get lines(): string[] {
    if (this.#term === undefined) return new Array<string>(this.rows).fill("");
    const buffer = this.#term.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.rows; y++) {
      rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true).trimEnd() ?? "");
    }
    return rows;
  }

  /** The cursor as of the last flush: column x and screen row y, from 0. */
  get cursor(): { x: number; y: number } {
    if (this.#term === undefined) return { x: 0, y: 0 };
    const buffer = this.#term.buffer.active;
    return { x: buffer.cursorX, y: buffer.cursorY };
  }

  /** Flushes, then returns the screen rows. */
  async screen(): Promise<string[]> {
    await this.flush();
    return this.lines;
  }

  /** Sends `input` (a string as UTF-8, or bytes) to `onInput`; throws when it is unset. */
  type(input: string | ArrayLike<number>): void {
    if (this.onInput === undefined) {
      throw new Error("Console has no input connection for typed input: set console.onInput first");
    }
    this.onInput(typeof input === "string" ? encoder.encode(input) : Uint8Array.from(input));
  }

  /** Forgets everything written after the first `length` bytes (for machine snapshots). */
  truncate(length: number): void {
    if (length >= this.#length) return;
    this.#length = length;
    this.#term?.reset();
    this.#parsed = 0;
  }

  /** Releases the terminal. */
  dispose(): void {
    this.#term?.dispose();
    this.#term = undefined;
  }
}
