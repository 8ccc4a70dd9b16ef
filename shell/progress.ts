/**
 * A progress line for long commands: one line on the terminal, rewritten in place and erased at
 * the end, so a person watching sees the work go on while stdout stays exactly the program's.
 *
 * main.ts makes one only when stderr is a terminal (`Progress.forStderr`): a log file, a pipe or
 * a test never sees a progress line. `tick` is cheap to call often: it writes only after `delay`
 * milliseconds of host time since the start and then at most every `interval`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Host milliseconds, for the throttle. */
export type Clock = () => number;

/** A line on a terminal, rewritten in place. */
export class Progress {
  readonly #write: (text: string) => void;
  readonly #now: Clock;
  readonly #start: number;
  #last = -Infinity;
  #shown = false;

  /**
   * Writes through `write`; `tick` stays silent for the first `delay` ms of `now` and then
   * writes at most every `interval` ms.
   */
  constructor(
    write: (text: string) => void,
    now: Clock = () => performance.now(),
    readonly delay = 1000,
    readonly interval = 250,
  ) {
    this.#write = write;
    this.#now = now;
    this.#start = now();
  }

  /** A progress line on stderr when stderr is a terminal, else null. */
  static forStderr(): Progress | null {
    if (!Deno.stderr.isTerminal()) return null;
    return new Progress((text) => Deno.stderr.writeSync(encoder.encode(text)));
  }

  /** Host seconds since the line was made. */
  get seconds(): number {
    return (this.#now() - this.#start) / 1000;
  }

  /** Shows `text()` if the delay has passed and the last line is `interval` old. */
  tick(text: () => string): void {
    const now = this.#now();
    if (now - this.#start < this.delay || now - this.#last < this.interval) return;
    this.show(text());
  }

  /** Shows `text` now, in place of the previous line. */
  show(text: string): void {
    this.#last = this.#now();
    this.#shown = true;
    this.#write(`\r\x1b[K${text}`);
  }

  /** Erases the line, if one is shown, leaving the cursor where the line began. */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#write("\r\x1b[K");
  }
}
