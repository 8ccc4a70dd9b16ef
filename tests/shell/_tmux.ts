/**
 * A terminal for tests that drive a program as a person would: tmux runs it in a pseudo-terminal
 * of 120 x 40, `type` sends keys, `waitFor` polls the screen (with its scrollback) for text.
 * `openRepl`, `paste` and `readmeInputs` serve the tests that drive `deno task start`.
 *
 * Each Screen has its own tmux server (a private socket, no user configuration), so tests never
 * touch a tmux a person is using. Waits are generous (30 s) and poll: nothing depends on the
 * host's speed.
 *
 * @module
 */

/** Whether tmux is installed (`which tmux`): the tests that need it are skipped without it. */
export const hasTmux: boolean = (() => {
  try {
    return new Deno.Command("which", { args: ["tmux"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

if (!hasTmux) {
  console.warn(
    "tmux is not installed, so the tests that drive the REPL through a terminal are skipped " +
      "(apt-get install -y tmux)",
  );
}

let sessions = 0;

/** Runs tmux on `socket` with `args`; returns stdout, or throws with stderr when it fails. */
async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args: ["-L", socket, ...args] }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`tmux ${args[0]} failed: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** A program running in a tmux pane. */
export class Screen {
  private constructor(readonly socket: string) {}

  /** Starts `command` (a shell command line) in `cwd` in a new 120 x 40 terminal. */
  static async open(command: string, cwd: string): Promise<Screen> {
    const socket = `exolab-test-${Deno.pid}-${++sessions}`;
    // Start the server with the scrollback and exit behaviour set before the pane exists.
    await tmux(
      socket,
      "-f",
      "/dev/null",
      "start-server",
      ";",
      "set-option",
      "-g",
      "history-limit",
      "50000",
      ";",
      "set-option",
      "-g",
      "remain-on-exit",
      "on",
      ";",
      "new-session",
      "-d",
      "-x",
      "120",
      "-y",
      "40",
      "-e",
      "NO_COLOR=1",
      "-c",
      cwd,
      command,
    );
    return new Screen(socket);
  }

  /** Types `line` and presses Enter. */
  async type(line: string): Promise<void> {
    // tmux reads an argument ending in ";" as a command separator: type those escaped.
    const body = line.replace(/;+$/, "");
    if (body !== "") await tmux(this.socket, "send-keys", "-l", body);
    for (let i = body.length; i < line.length; i++) {
      await tmux(this.socket, "send-keys", "-l", "\\;");
    }
    await tmux(this.socket, "send-keys", "Enter");
  }

  /** Presses `key` as tmux names it ("C-c" for Ctrl-C, "Enter", ...). */
  async press(key: string): Promise<void> {
    await tmux(this.socket, "send-keys", key);
  }

  /** Everything on the screen and in its scrollback, wrapped lines joined. */
  async text(): Promise<string> {
    return await tmux(this.socket, "capture-pane", "-p", "-J", "-S", "-");
  }

  /**
   * Polls until the screen matches `pattern` (a RegExp or a test of the text), for up to `ms`;
   * returns the screen, or throws an error that shows it.
   */
  async waitFor(pattern: RegExp | ((text: string) => boolean), ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    const ok = typeof pattern === "function" ? pattern : (t: string) => pattern.test(t);
    for (;;) {
      const text = await this.text();
      if (ok(text)) return text;
      if (Date.now() > end) {
        throw new Error(`The screen did not show ${pattern} within ${ms} ms:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends the program and the terminal. */
  async close(): Promise<void> {
    await tmux(this.socket, "kill-server").catch(() => {});
  }
}

/** The repository's root, where `deno task start` runs. */
const root = new URL("../../", import.meta.url).pathname;

/** `deno task start` in a terminal, at its first prompt. */
export async function openRepl(): Promise<Screen> {
  const screen = await Screen.open(`"${Deno.execPath()}" task start`, root);
  await screen.waitFor(/^> $/m);
  return screen;
}

/** How many prompts the screen shows, answered or not. */
export const prompts = (text: string): number => text.match(/^>( |$)/gm)?.length ?? 0;

/**
 * Types each input of `code` (its lines, then Enter) as a person would, waiting for the next
 * prompt before the next input; returns the screen at the end.
 */
export async function paste(screen: Screen, code: string[]): Promise<string> {
  let text = await screen.text();
  for (const input of code) {
    const before = prompts(text);
    for (const line of input.split("\n")) await screen.type(line);
    text = await screen.waitFor((t) => prompts(t) > before && t.trimEnd().endsWith(">"));
  }
  return text;
}

/** The screen's output lines: what the REPL printed, not what was typed. */
export function output(screen: string): string {
  return screen.split("\n").filter((l) => !l.startsWith("> ")).join("\n");
}

/**
 * The inputs of the README's first `ts` block under `heading`: its lines after "> ", each with
 * its continuation lines.
 */
export function readmeInputs(heading: string): string[] {
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  const block = readme.split(heading)[1].split("```ts\n")[1].split("```")[0];
  const inputs: string[] = [];
  for (const line of block.trimEnd().split("\n")) {
    if (line.startsWith("> ")) inputs.push(line.slice(2));
    else inputs[inputs.length - 1] += "\n" + line;
  }
  return inputs;
}
