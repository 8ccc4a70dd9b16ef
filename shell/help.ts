/**
 * What `help()` prints in the REPL: the names in scope, then short examples a newcomer pastes in
 * order, each followed by what it shows. The examples are kept as data (`EXAMPLES`) so a test can
 * paste every one of them into a real REPL and check that none fails.
 *
 * @module
 */

/** An example: code to paste (one line, or several for assembly) and what it does. */
export interface Example {
  /** The code, exactly as it is pasted. */
  code: string;
  /** A note printed after it as a comment. */
  note?: string;
}

/** A group of examples under a heading. */
interface Section {
  heading: string;
  examples: Example[];
}

const INTRO = `exolab: a DECstation 5000/200 (R3000A, 25 MHz) running the Aegis exokernel.

  m          the machine: m.cpu (the registers), m.bus.ram32, m.run(n) (n instructions)
  m.aegis    the exokernel: its environments; m.aegis.tlb(), .stlb(), .page(n), .exits
  m.exos     ExOS's processes: m.exos.exec(prog, argv), m.exos.run(), m.exos.processes,
             m.exos.kill(pid, sig)
  asm\`...\`   GNU-style MIPS; asm\`...\`.at(addr) gives .text (the words) and .symbols
  time       time(fn), time("label", fn), time.compare({ a: fn, b: fn }, { repeat: n })

The bench: Ctrl-C stops any run. m.step(n), m.next(), m.break(addr | "symbol" |
{ exception: "TLBL" } | { syscall: "TLBWR" }), m.watch(addr, { access, physical }),
m.breakpoints, m.unbreak(), m.trace(true | "file"); m.disasm(at?, n?, env?), m.dump(at, n?, env?),
m.stats (m.stats.reset()), m.symbols.add(prog, env); m.snapshot() (machine, Aegis and ExOS's
processes; s.save(file)), m.restore(s | file), m.reset() (reboots Aegis), m.loadElf(bytes) (a bare
program instead of Aegis).
A run returns why it stopped, where, and which environments died; an error shows its message
(all its frames are in err.frames).

Demos to read and run: scripts/demo_fault_counter.ts, scripts/demo_revocation.ts,
scripts/demo_page_table.ts; the paper's tables: deno task exo paper; two machines on a wire:
deno task exo net ping, and NetLab (shell/net.ts) in a script`;

const SECTIONS: Section[] = [
  {
    heading:
      "An environment, a page and a secure binding (each call runs the real system-call path):",
    examples: [
      { code: `const e = m.aegis.createEnv("demo")` },
      { code: `const p = e.sys.allocPage()`, note: "a physical page and its capability" },
      {
        code: `e.sys.tlbWrite(0x10000000, p, { writable: true })`,
        note: "TLBwr checks the capability",
      },
      { code: `m.aegis.page(p.number)`, note: "who owns the page" },
      { code: `m.aegis.tlb()`, note: "the hardware TLB, with the new entry" },
    ],
  },
  {
    heading: "Exception handlers, in TypeScript or in guest assembly (t0 = EPC, t1 = BadVAddr):",
    examples: [
      {
        code:
          `e.onException("TLBS", (x) => (e.sys.tlbWrite(x.badVAddr & ~0xfff, e.sys.allocPage(), { writable: true }), "resume"))`,
      },
      {
        code: "const ov = e.load(asm`addiu $s0, $s0, 1; addiu $t0, $t0, 4; jr $t0`)",
        note: "count in s0, skip the instruction",
      },
      { code: `e.onException("Ov", ov.origin)` },
    ],
  },
  {
    heading: "Guest code in the environment:",
    examples: [
      {
        code: [
          "const prog = e.load(asm`",
          "    li    $t3, 0x7fffffff",
          "    addi  $t3, $t3, 1       # overflow: the assembly handler counts it",
          "    lui   $t4, 0x2000",
          "    sw    $t3, 0($t4)       # no binding: the TypeScript handler maps a page",
          "1:  b     1b",
          "`)",
        ].join("\n"),
      },
      { code: `e.sys.sliceAlloc()`, note: "a time slice, so the clock gives it the CPU" },
      { code: `e.enter(prog.origin); m.run({ maxInstructions: 500 })` },
      { code: `m.cpu.regs[16]`, note: "s0: 1 overflow" },
      { code: `e.read32(0x20000000).toString(16)`, note: "the word stored: 7fffffff" },
      { code: `m.aegis`, note: "the environments, as a table" },
    ],
  },
  {
    heading: "Timing, in emulated time (instructions, cycles, modeled cycles, us):",
    examples: [
      { code: `time("null syscall", () => e.sys.null())` },
      {
        code:
          `const c = time.compare({ null: () => e.sys.null(), getid: () => e.sys.getid() }, { repeat: 5 })`,
      },
      { code: `c`, note: "side by side, with a bar chart" },
      { code: `c.svg()`, note: "the chart as an SVG file; returns its path" },
    ],
  },
  {
    heading:
      "The network: a packet filter, compiled to MIPS with the others, and a frame classified:",
    examples: [
      {
        code: `const f = e.installFilter("[12:2] == 0x0800 && [23:1] == 17 && [36:2] == 7000")`,
        note: "checked, merged, compiled (DPF)",
      },
      { code: `e.receivePages(f, 2)`, note: "four receive slots in e's own pages" },
      {
        code:
          `const frame = new Uint8Array(60); frame.set([8, 0], 12); frame[23] = 17; frame.set([0x1b, 0x58], 36)`,
      },
      { code: `m.aegis.network.classify(frame)`, note: "the compiled classifier, on the CPU" },
      { code: `m.aegis.network.classify(frame, "mpf")`, note: "the interpreter, on the same" },
      { code: `m.aegis.network`, note: "filters, what each matched, delivered, dropped" },
    ],
  },
  {
    heading:
      "ExOS processes: /bin/sh forks a pipeline (copy-on-write), a pipe between, each exit reaches it:",
    examples: [
      {
        code: `const proc = m.exos.exec("/bin/sh", ["sh", "-c", "echo hello world | wc -w; ps"])`,
        note: "pid 1 in a fresh environment",
      },
      { code: `m.exos.run()`, note: "until every process has exited" },
      { code: `m.console.text`, note: "what they wrote to fd 1: 2, then the process table" },
      { code: `proc`, note: "pid, state, exit status, environment, pages, break" },
      { code: `m.exos.lastFork`, note: "what the last fork cost, in system calls" },
      { code: `m.exos.processes`, note: "the process table" },
    ],
  },
  {
    heading: "At the bench: look, break, step (a run with no limit stops on Ctrl-C too):",
    examples: [
      { code: `m.cpu`, note: "registers by name; Status and Cause decoded" },
      { code: `m.symbols.add(prog, e)`, note: "prog's labels name its addresses" },
      { code: `m.disasm(prog.origin, 6, e)`, note: "e's code, through its bindings" },
      { code: `m.dump(0x20000000, 16, e)`, note: "e's page: the word the handler mapped" },
      { code: `m.break({ exception: "Ov" })`, note: "or an address, a symbol, { syscall }" },
      {
        code: `m.stats.reset(); e.enter(prog.origin); m.run()`,
        note: "stops at the vector, before the handler",
      },
      { code: `m.step(4)`, note: "each instruction with the registers it changed" },
      { code: `m.unbreak(); m.stats`, note: "kernel and user instructions, exceptions, calls" },
    ],
  },
];

/** Every example help() shows, in order. */
export const EXAMPLES: readonly Example[] = SECTIONS.flatMap((s) => s.examples);

/** Where notes start, so they line up. */
const NOTE_COLUMN = 54;

/** The example as help() prints it: indented, the note as a `//` comment after its last line. */
function render(x: Example): string {
  const lines = x.code.split("\n").map((l) => "  " + l);
  if (x.note !== undefined) {
    const last = lines.length - 1;
    lines[last] = `${lines[last].padEnd(NOTE_COLUMN - 1)} // ${x.note}`;
  }
  return lines.join("\n");
}

/** The whole help text. */
export function helpText(): string {
  const sections = SECTIONS.map((s) => `${s.heading}\n${s.examples.map(render).join("\n")}`);
  return [INTRO, ...sections].join("\n\n");
}
