/**
 * The paper's IPC tables (Table 8 and Table 12), measured: ExOS's pipes, inlined pipes (pipe'),
 * shared memory with yield, LRPC and trusted LRPC on the emulated DECstation, beside the figures
 * the paper reports for ExOS and Ultrix (shared/PAPER.md, "IPC"), and beside each the same
 * exchange made through ExOS's UNIX personality, so the table shows what the library costs above
 * the raw mechanism.
 *
 * The raw rows run two environments, each with an ExOS address space (exos/vm.ts), on a fresh
 * machine with the slice clock masked, and guest programs (below) that call the library's guest
 * routines or inline its code: nothing but MIPS runs between the labels a row is measured at, so
 * modeledCycles is 0 (a row says why in `note` if not).
 *
 * - pipe: a word-sized counter ping-ponged between two processes through two rings (pipe.ts),
 *   with `jal pipe_write` and `jal pipe_read`; a read of an empty ring yields to its writer.
 *   One way: a lap (there and back) divided by 2.
 * - pipe': the same with the read and the write inlined (pipeReadWord, pipeWriteWord).
 * - shm: a counter in a page both map, each side incrementing it when it is its turn and
 *   switching with a directed yield. One way: a lap divided by 2.
 * - lrpc: `jal lrpc_call` into the other address space, whose procedure increments a counter and
 *   returns it; the server's entry stub saves and restores every callee-saved register (lrpc.ts).
 *   A round trip, as the paper's.
 * - tlrpc: the same with tlrpc_entry, which trusts the procedure to keep them.
 *
 * The UNIX rows are ExOS processes (exos/unix.ts) made from programs written with the UNIX trap,
 * the slice clock masked once they run:
 * - pipe (and pipe', which the personality cannot inline): the same ping-pong with PIPE, FORK,
 *   WRITE and READ; every call is a trap into the library's TypeScript, and a read of an empty
 *   pipe blocks, giving the rest of the slice to the writer (block_to).
 * - shm: the counter in a segment (SHMGET, SHMAT) and, there being no yield in UNIX, the switch
 *   made with signals (KILL, SIGSUSPEND and an empty handler), as the paper's Ultrix figure was.
 * - lrpc and tlrpc: UNIX has no call into another address space: a round trip through two pipes
 *   (the pipe row's lap), as the paper's text says lrpc is emulated on Ultrix.
 * UNIX rows include the library's TypeScript work, charged as aegis/costs.ts declares; their
 * modeledCycles say how much.
 *
 * Every span is taken warm, RUNS times, and the median (by cycles) is reported; a span that an
 * interrupt landed in, or whose exchange did not happen (a counter that did not move as it must),
 * throws instead of being reported.
 *
 * Run it with `deno run -A scripts/paper_ipc.ts`, or `exo paper ipc [--json]`.
 *
 * @module
 */

import { asm } from "../machine/asm/mod.ts";
import { writeElf } from "../machine/elf_writer.ts";
import { formatTable } from "../machine/table.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { SYS } from "../aegis/abi.ts";
import { Lab } from "../shell/lab.ts";
import { measure, type Measurement } from "../shell/measure.ts";
import {
  AddressSpace,
  connectRing,
  lrpcClient,
  lrpcServe,
  PAGE_SIZE,
  pipeReadWord,
  pipeWriteWord,
  SHM,
  SIGNAL,
  UNIX,
  UNIX_TRAP,
  USER,
} from "../exos/mod.ts";

/** The rows, in the paper's order. */
export const IPC_NAMES = ["pipe", "pipe'", "shm", "lrpc", "tlrpc"] as const;

/** A row's name. */
export type IpcName = typeof IPC_NAMES[number];

/** The paper's figures (us, DEC5000): ExOS, and Ultrix where it gives one. */
export const IPC_PAPER: Record<IpcName, { exos: number; ultrix: number | null }> = {
  pipe: { exos: 14.2, ultrix: 199.0 },
  "pipe'": { exos: 10.7, ultrix: null },
  shm: { exos: 5.7, ultrix: 118.0 },
  lrpc: { exos: 6.3, ultrix: null },
  tlrpc: { exos: 2.9, ultrix: null },
};

/** The same exchange through the UNIX personality. */
export interface UnixFigure extends Measurement {
  /** What was measured. */
  what: string;
}

/** One row: the raw mechanism, the paper's figures, the UNIX personality's. */
export interface IpcRow extends Measurement {
  /** pipe, pipe', shm, lrpc or tlrpc. */
  name: IpcName;
  /** One way (pipe, pipe', shm) or a round trip (lrpc, tlrpc). */
  per: "one way" | "round trip";
  /** The paper's ExOS figure (us). */
  paper: number;
  /** The paper's Ultrix figure (us), or null where it gives none. */
  ultrix: number | null;
  /** us / paper, as in every paper table's rows. */
  ratio: number | null;
  /** Ultrix's figure over the measured us (how many times faster than Ultrix), or null. */
  speedup: number | null;
  /** The same exchange through ExOS's UNIX personality. */
  unix: UnixFigure;
  /** Why modeledCycles is not 0, when it is not. */
  note?: string;
}

/** Laps per measured span. */
const LAPS = 16;

/** Spans per row; the median is reported. */
const RUNS = 7;

/** Laps run before measuring. */
const WARM = 4;

/** Instructions one lap may take before it counts as lost. */
const LAP_LIMIT = 200_000;

/** Where the second process's program goes (the first's is at USER.PROGRAM). */
const SECOND = 0x00440000;

/** A UNIX call in assembly (arguments already in a0..a2): v0 = the result. */
const call = (name: keyof typeof UNIX) =>
  `li      $v0, ${UNIX[name]}\n        .word   ${UNIX_TRAP}`;

/** The median by cycles. */
function median(xs: Measurement[]): Measurement {
  return [...xs].sort((a, b) => a.cycles - b.cycles)[xs.length >> 1];
}

/** `r` divided by `n` (per one way, per lap). */
function per(r: Measurement, n: number): Measurement {
  return {
    instructions: r.instructions / n,
    cycles: r.cycles / n,
    modeledCycles: r.modeledCycles / n,
    us: cyclesToUs(r.cycles / n),
  };
}

/**
 * Runs laps: the CPU stops at `lap` each time round; measures RUNS spans of LAPS laps (after
 * WARM) and checks that `counter` (read with the CPU stopped at `lap`) moved by `step` a lap in
 * each. Returns the median span.
 */
function laps(
  m: Lab,
  lap: number,
  what: string,
  counter: () => number,
  step: number,
): Measurement {
  const runTo = () => {
    const r = m.run({ until: lap, maxInstructions: LAP_LIMIT });
    if (r.reason !== "breakpoint") throw new Error(`${what} did not come round a lap: ${r.reason}`);
  };
  for (let i = 0; i < WARM; i++) runTo();
  let before = counter();
  const spans: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) {
    const ticks = m.cpu.exceptionCounts[0];
    const r = measure(m, () => {
      for (let k = 0; k < LAPS; k++) runTo();
    });
    if (m.cpu.exceptionCounts[0] !== ticks) {
      throw new Error(`An interrupt landed in a ${what} span: mask the clock and measure again`);
    }
    const now = counter();
    if (((now - before) | 0) !== step * LAPS) {
      throw new Error(
        `${what}: the counter moved by ${now - before} in ${LAPS} laps, not ${step * LAPS}`,
      );
    }
    before = now;
    spans.push(r);
  }
  return per(median(spans), LAPS);
}

/** Two environments with address spaces, the second's program at SECOND. */
function pair(m: Lab, name: string) {
  const a = m.aegis.createEnv(`${name}-a`), b = m.aegis.createEnv(`${name}-b`);
  return { a, b, va: new AddressSpace(a), vb: new AddressSpace(b) };
}

/** A page `from` mmaps, mapped writable in `to` too; returns the address in each. */
function sharePage(from: AddressSpace, to: AddressSpace): [number, number] {
  const at = from.mmap(PAGE_SIZE);
  from.write32(at, 0);
  return [at, to.mapShared(from.share(at))];
}

/** Starts `a` at `aStart` after putting `b` at `bStart` (it runs when `a` first yields to it). */
function start(
  x: { a: { enter(pc: number): void }; b: { enter(pc: number): void } },
  va: AddressSpace,
  aStart: number,
  vb: AddressSpace,
  bStart: number,
) {
  x.b.enter(vb.entry(bStart));
  x.a.enter(va.entry(aStart));
}

/** pipe and pipe': the ping-pong through two rings, called (`inline` false) or inlined. */
function rawPipe(inline: boolean): Measurement {
  const m = new Lab();
  m.aegis.sliceClock(false); // nothing preempts a span
  const x = pair(m, inline ? "pipe'" : "pipe");
  const [abA, abB] = sharePage(x.va, x.vb), [baA, baB] = sharePage(x.va, x.vb);
  connectRing(x.va, abA, { reader: x.b.id, writer: x.a.id, readers: 1, writers: 1 });
  connectRing(x.va, baA, { reader: x.a.id, writer: x.b.id, readers: 1, writers: 1 });
  const ra = x.va.routines;
  const called = (ring: string, routine: number) => `
        move    $a0, ${ring}
        move    $a1, $sp
        li      $a2, 4
        jal     ${routine}
        nop`;
  const bump = `
        lw      $t0, 0($sp)
        nop
        addiu   $t0, $t0, 1
        sw      $t0, 0($sp)`;
  const aSource = inline
    ? asm`
        .set    noreorder
a_go:   li      $s0, ${abA}
        li      $s1, ${baA}
        move    $s2, $zero
again:
${pipeWriteWord("$s0", "$s2", "fail", "a1")}
${pipeReadWord("$s1", "$s2", "fail", "a2")}
        addiu   $s2, $s2, 1
lap:    b       again                        # (a branch: it never runs twice for one lap)
        nop
fail:   b       fail
        nop
`
    : asm`
        .set    noreorder
a_go:   li      $s0, ${abA}
        li      $s1, ${baA}
        addiu   $sp, $sp, -16
        sw      $zero, 0($sp)
lap:
${called("$s0", ra.pipeWrite)}
${called("$s1", ra.pipeRead)}
${bump}
        b       lap
        nop
`;
  const bSource = inline
    ? asm`
        .set    noreorder
b_go:   li      $s0, ${abB}
        li      $s1, ${baB}
b_lap:
${pipeReadWord("$s0", "$s2", "b_fail", "b1")}
        addiu   $s2, $s2, 1
${pipeWriteWord("$s1", "$s2", "b_fail", "b2")}
        b       b_lap
        nop
b_fail: b       b_fail
        nop
`
    : asm`
        .set    noreorder
b_go:   li      $s0, ${abB}
        li      $s1, ${baB}
        addiu   $sp, $sp, -16
b_lap:
${called("$s0", ra.pipeRead)}
${bump}
${called("$s1", ra.pipeWrite)}
        b       b_lap
        nop
`;
  const a = x.va.load(aSource), b = x.vb.load(bSource, SECOND);
  start(x, x.va, a.symbols.a_go, x.vb, b.symbols.b_go);
  // The counter the two pass: in a register (pipe') or on a's stack; +2 a lap either way.
  const counter = () => inline ? m.cpu.regs[18] : x.va.read32((USER.STACK_TOP - 16) >>> 0);
  return per(laps(m, a.symbols.lap, inline ? "pipe'" : "pipe", counter, 2), 2);
}

/** shm: the counter in a shared page, each side switching to the other with a directed yield. */
function rawShm(): Measurement {
  const m = new Lab();
  m.aegis.sliceClock(false); // nothing preempts a span
  const x = pair(m, "shm");
  const [atA, atB] = sharePage(x.va, x.vb);
  const side = (label: string, at: number, parity: number, other: number) => `
${label}_go:
        li      $s0, ${at}
        li      $s1, ${other}
${label}:
        lw      $t0, 0($s0)
        nop
        andi    $t1, $t0, 1
        xori    $t1, $t1, ${parity}
        bnez    $t1, ${label}_yield          # not this side's turn
        addiu   $t0, $t0, 1
        sw      $t0, 0($s0)                  # its turn: count, and pass it on
${label}_yield:
        move    $a0, $s1
        li      $v0, ${SYS.YIELD}
        syscall
${label}_back:
        b       ${label}                     # once a lap, after the other side's turn
        nop`;
  const a = x.va.load(asm`
        .set    noreorder
${side("lap", atA, 0, x.b.id)}
`);
  const b = x.vb.load(
    asm`
        .set    noreorder
${side("b_lap", atB, 1, x.a.id)}
`,
    SECOND,
  );
  start(x, x.va, a.symbols.lap_go, x.vb, b.symbols.b_lap_go);
  return per(laps(m, a.symbols.lap_back, "shm", () => x.va.read32(atA), 2), 2);
}

/** lrpc and tlrpc: a's lrpc_call into b, whose procedure increments and returns a counter. */
function rawLrpc(trusted: boolean): Measurement {
  const m = new Lab();
  m.aegis.sliceClock(false); // nothing preempts a span
  const x = pair(m, trusted ? "tlrpc" : "lrpc");
  const b = x.vb.load(
    asm`
        .set    noreorder
proc:   lui     $t0, %hi(counter)
        lw      $v0, %lo(counter)($t0)
        nop
        addiu   $v0, $v0, 1
        jr      $ra
        sw      $v0, %lo(counter)($t0)
        .data
counter:
        .word   0
`,
    SECOND,
  );
  lrpcServe(x.vb, b.symbols.proc, { trusted });
  lrpcClient(x.va);
  const a = x.va.load(asm`
        .set    noreorder
a_go:   li      $s1, ${x.b.id}
        move    $s2, $zero
lap:    move    $a0, $s1
        move    $a1, $s2
        jal     ${x.va.routines.lrpcCall}
        nop
        b       lap
        move    $s2, $v0                     # the counter, as the server returned it
`);
  x.a.enter(x.va.entry(a.symbols.a_go));
  // The server's counter, checked against what the client got back (its s2).
  const counter = () => {
    const n = x.vb.read32(b.symbols.counter);
    return n === m.cpu.regs[18] ? n : NaN;
  };
  return laps(m, a.symbols.lap, trusted ? "tlrpc" : "lrpc", counter, 1);
}

/** The UNIX pipe ping-pong: the lap (a round trip) and one way. */
function unixPipe(): { oneWay: Measurement; lap: Measurement } {
  const m = new Lab();
  const program = asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        sw      $zero, 0($sp)
        addiu   $a0, $sp, 16
        ${call("PIPE")}
        addiu   $a0, $sp, 24
        ${call("PIPE")}
        lw      $s0, 16($sp)                 # a to b: read end
        lw      $s1, 20($sp)                 # and write end
        lw      $s2, 24($sp)                 # b to a
        lw      $s3, 28($sp)
        ${call("FORK")}
        beqz    $v0, child
        nop
lap:    move    $a0, $s1
        move    $a1, $sp
        li      $a2, 4
        ${call("WRITE")}
        move    $a0, $s2
        move    $a1, $sp
        li      $a2, 4
        ${call("READ")}
        lw      $t0, 0($sp)
        nop
        addiu   $t0, $t0, 1
        b       lap
        sw      $t0, 0($sp)
child:  move    $a0, $s0
        move    $a1, $sp
        li      $a2, 4
        ${call("READ")}
        lw      $t0, 0($sp)
        nop
        addiu   $t0, $t0, 1
        sw      $t0, 0($sp)
        move    $a0, $s3
        move    $a1, $sp
        li      $a2, 4
        ${call("WRITE")}
        b       child
        nop
`;
  const p = m.exos.exec(writeElf(program.at(USER.PROGRAM)), ["pipe"]);
  const lapPc = program.at(USER.PROGRAM).symbols.lap;
  const r = m.run({ until: lapPc, maxInstructions: 50_000_000 }); // started, forked: a lap
  if (r.reason !== "breakpoint") {
    throw new Error(`The UNIX pipe program did not start: ${r.reason}`);
  }
  m.aegis.sliceClock(false); // nothing preempts a span
  const counter = () => p.vm.read32(m.cpu.regs[29]); // at `lap`, the parent's sp: the counter
  const lap = laps(m, lapPc, "UNIX pipe", counter, 2);
  return { oneWay: per(lap, 2), lap };
}

/** The UNIX shm exchange: a segment's counter, the switch made with kill and sigsuspend. */
function unixShm(): Measurement {
  const m = new Lab();
  const usr1 = 1 << (SIGNAL.SIGUSR1 - 1);
  const program = asm`
        .set    noreorder
__start:
        addiu   $sp, $sp, -32
        li      $a0, ${SIGNAL.SIGUSR1}
        la      $a1, handler
        ${call("SIGACTION")}
        li      $a0, 3                       # SIG_SETMASK: SIGUSR1 blocked but in sigsuspend
        li      $a1, ${usr1}
        ${call("SIGPROCMASK")}
        li      $a0, ${SHM.IPC_PRIVATE}
        li      $a1, ${PAGE_SIZE}
        li      $a2, ${SHM.IPC_CREAT | 0o600}
        ${call("SHMGET")}
        move    $a0, $v0
        move    $a1, $zero
        move    $a2, $zero
        ${call("SHMAT")}
        move    $s0, $v0                     # the counter
        ${call("FORK")}
        beqz    $v0, child
        move    $s1, $v0                     # the other side: the child's pid
        b       turn
        nop
child:  ${call("GETPPID")}
        move    $s1, $v0                     # the parent's pid
        move    $a0, $zero
        ${call("SIGSUSPEND")}                # the parent goes first
lap:                                         # both sides: count, signal the other, wait
turn:   move    $a0, $s1                     # (no load or store: it never runs twice a lap)
        lw      $t0, 0($s0)
        nop
        addiu   $t0, $t0, 1
        sw      $t0, 0($s0)
        li      $a1, ${SIGNAL.SIGUSR1}
        ${call("KILL")}
        move    $a0, $zero
        ${call("SIGSUSPEND")}
        b       lap
        nop
handler:
        jr      $ra
        nop
`;
  const image = program.at(USER.PROGRAM);
  const p = m.exos.exec(writeElf(image), ["shm"]);
  // The parent's lap: it alone starts at `turn`; stop where it passes `lap` after its SIGSUSPEND.
  const r = m.run({ until: image.symbols.lap, maxInstructions: 50_000_000 });
  if (r.reason !== "breakpoint") throw new Error(`The UNIX shm program did not start: ${r.reason}`);
  m.aegis.sliceClock(false); // nothing preempts a span
  const seg = () => p.vm.read32(p.vm.entries().find((e) => (e.flags & 0x040) !== 0)!.vpn << 12);
  return laps(m, image.symbols.lap, "UNIX shm", seg, 1); // a side passes `lap` each one way
}

/** Measures every row on fresh machines; throws if a span misses its end or an interrupt lands. */
export function measureIpc(): IpcRow[] {
  const pipe = unixPipe();
  const shm = unixShm();
  const viaPipe: UnixFigure = { ...pipe.oneWay, what: "PIPE, WRITE, READ" };
  const unix: Record<IpcName, UnixFigure> = {
    pipe: viaPipe,
    "pipe'": { ...pipe.oneWay, what: "PIPE, WRITE, READ (no inlining through the personality)" },
    shm: { ...shm, what: "SHMGET, SHMAT; KILL, SIGSUSPEND and a handler to switch" },
    lrpc: { ...pipe.lap, what: "a round trip through two pipes" },
    tlrpc: { ...pipe.lap, what: "a round trip through two pipes" },
  };
  const raw: Record<IpcName, Measurement> = {
    pipe: rawPipe(false),
    "pipe'": rawPipe(true),
    shm: rawShm(),
    lrpc: rawLrpc(false),
    tlrpc: rawLrpc(true),
  };
  return IPC_NAMES.map((name) => {
    const r = raw[name], paper = IPC_PAPER[name];
    const note = r.modeledCycles === 0
      ? undefined
      : `${r.modeledCycles} cycles of TypeScript work were charged on this path`;
    return {
      name,
      per: name === "lrpc" || name === "tlrpc" ? "round trip" : "one way",
      ...r,
      paper: paper.exos,
      ultrix: paper.ultrix,
      ratio: Number((r.us / paper.exos).toFixed(2)),
      speedup: paper.ultrix === null ? null : Number((paper.ultrix / r.us).toFixed(1)),
      unix: unix[name],
      ...(note ? { note } : {}),
    };
  });
}

/** The table as text: the raw rows beside the paper's, then the UNIX personality's. */
export function formatIpc(rows: readonly IpcRow[]): string {
  const right = (header: string) => ({ header, right: true });
  const n = (v: number) => Number.isInteger(v) ? String(v) : v.toFixed(1);
  const table = formatTable(
    [
      "benchmark",
      "per",
      ...["instructions", "cycles", "modeled", "us", "paper", "ratio", "Ultrix", "Ultrix/us"].map(
        right,
      ),
      ...["UNIX instr", "UNIX modeled", "UNIX us", "UNIX/raw"].map(right),
    ],
    rows.map((r) => [
      r.name,
      r.per,
      n(r.instructions),
      n(r.cycles),
      n(r.modeledCycles),
      r.us.toFixed(2),
      r.paper,
      r.ratio ?? "-",
      r.ultrix ?? "-",
      r.speedup ?? "-",
      n(r.unix.instructions),
      n(r.unix.modeledCycles),
      r.unix.us.toFixed(2),
      (r.unix.us / r.us).toFixed(1),
    ]),
  );
  const modeled = rows.reduce((sum, r) => sum + r.modeledCycles, 0);
  const notes = rows.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`);
  return [
    "ExOS IPC (Tables 8 and 12): emulated DECstation 5000/200 (R3000A, 25 MHz) beside the paper's",
    "5000/125 (ExOS and Ultrix 4.2), and the same exchange through ExOS's UNIX personality",
    "",
    table,
    "",
    "pipe, pipe' and shm one way, lrpc and tlrpc a round trip; medians of warm spans of " +
    `${LAPS} laps.`,
    "Executed (raw rows): the guest programs, ExOS's pipe and LRPC routines and Aegis's directed",
    "yield and protected control transfer, all MIPS code run by the emulated CPU; modeled: " +
    `${modeled === 0 ? "none" : `${modeled} cycles`}.`,
    `Ultrix/us: Ultrix's figure over the measured one (the paper's own Ultrix/ExOS: ${
      rows.filter((r) => r.ultrix !== null).map((r) =>
        `${r.name} ${(r.ultrix! / r.paper).toFixed(1)}`
      )
        .join(", ")
    }).`,
    ...(["pipe", "shm", "lrpc"] as const).map((k) =>
      `UNIX ${k}: ${rows.find((r) => r.name === k)?.unix.what}.`
    ),
    "The UNIX rows trap into ExOS's TypeScript for every call; its work is charged as",
    "aegis/costs.ts declares (the UNIX modeled column), the rest is executed.",
    ...notes,
  ].join("\n");
}

if (import.meta.main) console.log(formatIpc(measureIpc()));
