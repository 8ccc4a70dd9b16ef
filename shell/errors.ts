/**
 * Errors as the REPL prints them: the message, and the frames of the code the person typed, but
 * not the library's own frames, which say nothing to someone who called `e.sys.dealloc(...)`
 * with a bad page. Every frame stays on the error, as `error.frames`, for a bug report.
 *
 * V8 asks `Error.prepareStackTrace` for an error's `stack` the first time it is read; the REPL
 * reads it to print "Uncaught ...". The prelude installs `replStackTrace` there. Frames inside
 * the exolab tree (`root`) are dropped from `stack`; frames elsewhere (the REPL's own input, a
 * user's script) stay.
 *
 * @module
 */

/** The call sites V8 passes to `prepareStackTrace`: only their printed form is used. */
type CallSite = { toString(): string };

/** Every frame of each error whose stack was made, by error. */
const allFrames = new WeakMap<object, string>();

/**
 * Makes `Error.prepareStackTrace` drop frames under `root` (a file URL) from `stack`, and gives
 * every error a `frames` property with all of them.
 */
export function installReplStackTrace(root: URL): void {
  const prefix = root.pathname;
  Object.defineProperty(Error.prototype, "frames", {
    get(this: Error): string {
      void this.stack; // V8 makes the stack, and so the frames, when it is first read
      return allFrames.get(this) ?? "";
    },
    configurable: true,
  });
  (Error as unknown as { prepareStackTrace: unknown }).prepareStackTrace = (
    error: Error,
    sites: CallSite[],
  ) => {
    const all = sites.map((s) => `    at ${s}`);
    allFrames.set(error, all.join("\n"));
    const kept = all.filter((line) => !line.includes(prefix));
    const head = `${error.name}: ${error.message}`;
    return kept.length === 0 ? head : `${head}\n${kept.join("\n")}`;
  };
}
