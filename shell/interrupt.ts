/**
 * Ctrl-C for synchronous runs. `m.run()` keeps the main thread busy, so a signal listener there
 * would only run once the run is over. A Worker has its own event loop: it listens for SIGINT and
 * sets a flag in a SharedArrayBuffer, and the bench (shell/debugger.ts) polls that flag between
 * slices of emulated work (every million instructions at most, a few milliseconds of host
 * time). A run that sees it stops at an instruction boundary with reason "interrupted" and the
 * machine can go on from there.
 *
 * The REPL prelude calls `ctrlC.listen()`. Scripts and `exo` do not, so there Ctrl-C ends the
 * process as usual. While listening, SIGINT no longer ends the process: the REPL's own Ctrl-C at
 * the prompt is a key press, not a signal, and keeps working.
 *
 * @module
 */

const flag = new Int32Array(new SharedArrayBuffer(4));
let worker: Worker | undefined;

/** The Ctrl-C flag the bench polls, and the listener that sets it. */
export const ctrlC = {
  /** Starts listening for SIGINT (once); resolves when the listener is in place. */
  async listen(): Promise<void> {
    if (worker !== undefined) return;
    const w = new Worker(new URL("./_sigint_worker.ts", import.meta.url), { type: "module" });
    worker = w;
    const ready = new Promise((resolve) => w.onmessage = resolve);
    w.postMessage(flag.buffer);
    await ready;
  },

  /** Stops listening: SIGINT ends the process again. */
  close(): void {
    worker?.terminate();
    worker = undefined;
  },

  /** Whether a listener is in place (so a run with no limit can say how to stop it). */
  get listening(): boolean {
    return worker !== undefined;
  },

  /** Whether Ctrl-C was pressed since the last `clear`. */
  get pressed(): boolean {
    return Atomics.load(flag, 0) !== 0;
  },

  /** Forgets a press (each run starts with a clear flag). */
  clear(): void {
    Atomics.store(flag, 0, 0);
  },

  /** Sets the flag as Ctrl-C would (for tests, and for code that wants to stop a run). */
  press(): void {
    Atomics.store(flag, 0, 1);
  },
};
