/**
 * The worker behind shell/interrupt.ts: it listens for SIGINT (Ctrl-C at a terminal) on its own
 * event loop, which keeps turning while the main thread is busy in a synchronous run, and sets
 * the shared flag the run loop polls. It does nothing else.
 *
 * @module
 */

/// <reference lib="deno.worker" />

self.onmessage = (e: MessageEvent<SharedArrayBuffer>) => {
  const flag = new Int32Array(e.data);
  Deno.addSignalListener("SIGINT", () => {
    Atomics.store(flag, 0, 1);
  });
  self.postMessage("listening");
};
