/**
 * The paper's networking results, measured: Table 7 (classifying TCP/IP headers with DPF and with
 * an MPF-style interpreter), Table 11 (a counter ping-ponged in a 60-byte UDP frame between two
 * machines, with and without ASHs) and Figure 2 (that round trip as the receiver gets busier).
 *
 * - dpf, mpf: ten TCP/IP filters (IPv4, TCP, both addresses, both ports; they differ in the
 *   source port) are installed in Aegis; each row is the mean, over the ten headers that match
 *   them (one each), of one classification run on the emulated CPU on a frame where the receive
 *   path finds it, in the LANCE's SRAM (aegis/network.ts probeClassifier): `dpf` is the compiled,
 *   merged classifier (aegis/dpf.ts), `mpf` the interpreter that walks the same filters atom by
 *   atom. Cycles include the SRAM's uncached loads (5 extra cycles each, machine/timing.ts).
 * - udp, udp+ash: two machines on a wire, each with Aegis and ExOS; the guest program pingpong
 *   (guest/bin/pingpong.c) runs on both, the server started first. Each side reads the
 *   counter, increments it and sends it back, ROUNDS round trips: in the library (ExOS's UDP,
 *   the process polling its socket at its turn), or with "ash" in the kernel (the ASH
 *   exos/net/ash.ts pingPong on both sides). A row is the time between the first and the last
 *   frame the client sent, per round trip, in emulated cycles of the wire's clock. Its
 *   `instructions` and `modeledCycles` are what both CPUs executed and were charged for
 *   TypeScript work (ExOS's, aegis/costs.ts's) in that time, per round trip: polling and idling
 *   included, so they are not parts of `cycles`.
 * - Figure 2: the same round trip with 1 to 10 busy processes (guest/bin/spin.c) on the
 *   receiver, with and without the ASHs, FIGURE_ROUNDS round trips a point.
 *
 * `paper` is the paper's figure (shared/PAPER.md) for the row, `ultrix` Ultrix's where the paper
 * has one (null otherwise), `ratio` the measured microseconds over the paper's (as in every
 * table), and `speedup` that Ultrix figure over the measured microseconds (how many times faster
 * than the paper's Ultrix the emulated ExOS is; null with no Ultrix figure).
 * Nothing is arranged: every figure is what the mechanisms did.
 *
 * Run it with `deno run -A scripts/paper_net.ts`, or `exo paper net [--json] [--svg FILE]`.
 *
 * @module
 */

import { DECstation } from "../machine/decstation.ts";
import { formatTable } from "../machine/table.ts";
import { cyclesToUs } from "../machine/timing.ts";
import { Aegis } from "../aegis/kernel.ts";
import type { Measurement } from "../shell/measure.ts";
import { NetLab, type NetMachine } from "../shell/net.ts";
import { lineChart, type Series, svgLineChart } from "../shell/plot.ts";

/** One row of the tables. */
export interface NetRow extends Measurement {
  /** dpf, mpf, udp or udp+ash. */
  name: string;
  /** The paper's figure in microseconds. */
  paper: number | null;
  /** Ultrix's figure in the paper, where it has one. */
  ultrix: number | null;
  /** `us` over `paper`, or null. */
  ratio: number | null;
  /** `ultrix` over `us`, or null. */
  speedup: number | null;
  /** What the row measures, in a few words. */
  note: string;
}

/** A point of Figure 2. */
export interface FigurePoint {
  /** Busy processes on the receiver. */
  processes: number;
  /** The round trip without ASHs and with them, in emulated microseconds. */
  library: number;
  ash: number;
}

/** How many round trips the Table 11 rows average over, and Figure 2's points. */
export const ROUNDS = 256, FIGURE_ROUNDS = 12;

/** The paper's figures (shared/PAPER.md, Tables 7 and 11). */
const PAPER = { dpf: 1.5, mpf: 35.0, pathfinder: 19.0, udp: 320, ash: 259, ultrix: 3400 } as const;

const MAC_A = [8, 0, 0x2b, 0, 0, 0xa], MAC_B = [8, 0, 0x2b, 0, 0, 0xb];

/** A TCP/IP header from 10.0.0.1:sport to 10.0.0.2:80, in a 60-byte frame. */
export function tcpHeader(sport: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set(MAC_B, 0);
  f.set(MAC_A, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 12);
  f.set([sport >> 8, sport & 0xff, 0, 80], 34);
  return f;
}

/** The filter of the TCP connection from 10.0.0.1:sport to 10.0.0.2:80. */
export function tcpFilter(sport: number): string {
  return "[12:2] == 0x0800 && [14:1] == 0x45 && [23:1] == 6 && [26:4] == 0x0a000001 && " +
    `[30:4] == 0x0a000002 && [34:2] == ${sport} && [36:2] == 80`;
}

/** Table 7: the mean classification of the ten headers by `engine`. */
function classify(engine: "dpf" | "mpf"): Measurement {
  const aegis = new Aegis(new DECstation());
  const e = aegis.createEnv("server");
  for (let i = 0; i < 10; i++) e.installFilter(tcpFilter(5000 + i));
  let instructions = 0, cycles = 0;
  for (let i = 0; i < 10; i++) {
    const r = aegis.network.classify(tcpHeader(5000 + i), engine);
    if (r.filter !== i) throw new Error(`The ${engine} classifier sent header ${i} to ${r.filter}`);
    instructions += r.instructions;
    cycles += r.cycles;
  }
  return {
    instructions: instructions / 10,
    cycles: cycles / 10,
    modeledCycles: 0,
    us: cyclesToUs(cycles / 10),
  };
}

/**
 * Runs the ping-pong of `rounds` round trips between two machines, with ASHs or not, with `busy`
 * spinning processes on the receiver; returns the per-round-trip measurement (see the module
 * comment). Throws when the exchange does not finish.
 */
export function pingPong(rounds: number, ash: boolean, busy = 0): Measurement {
  const lab = new NetLab();
  const client = lab.add({ ip: "10.0.0.1", name: "client", mac: "08:00:2b:00:00:0a" });
  const server = lab.add({ ip: "10.0.0.2", name: "server", mac: "08:00:2b:00:00:0b" });
  const extra = ash ? ["ash"] : [];
  for (let i = 0; i < busy; i++) server.exec("/bin/spin", ["spin"]);
  server.exec("/bin/pingpong", ["pingpong", "serve", "7000", String(rounds), ...extra]);
  lab.wire.run({ maxUs: 20_000 + 2_000 * busy }); // the server binds its port
  client.exec("/bin/pingpong", ["pingpong", "10.0.0.2", "7000", String(rounds), ...extra]);
  const starts: { cycle: number; counts: number[] }[] = [];
  lab.wire.trace = (e) => {
    if (e.kind !== "sent" || e.from !== "client" || e.frame[23] !== 17) return;
    starts.push({ cycle: e.start, counts: counters(lab.machines) });
  };
  const clientDone = () => client.exos.processes.every((p) => p.waitStatus !== undefined);
  lab.wire.run({ maxUs: 1_000_000 + rounds * (busy + 1) * 4_000, until: clientDone });
  lab.close();
  if (!clientDone() || starts.length < 2) {
    throw new Error(`The ping-pong (${ash ? "ASH" : "library"}, ${busy} busy) did not finish`);
  }
  const first = starts[0], last = starts[starts.length - 1], n = starts.length - 1;
  const cycles = (last.cycle - first.cycle) / n;
  return {
    instructions: (last.counts[0] - first.counts[0]) / n,
    cycles,
    modeledCycles: (last.counts[1] - first.counts[1]) / n,
    us: cyclesToUs(cycles),
  };
}

/** Instructions and modeled cycles of all the machines' CPUs now. */
function counters(machines: readonly NetMachine[]): number[] {
  return [
    machines.reduce((s, m) => s + m.machine.cpu.instructions, 0),
    machines.reduce((s, m) => s + m.machine.cpu.modeledCycles, 0),
  ];
}

/** A row from a measurement and the paper's figures. */
function row(
  name: string,
  m: Measurement,
  paper: number,
  ultrix: number | null,
  note: string,
): NetRow {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    name,
    instructions: round(m.instructions),
    cycles: round(m.cycles),
    modeledCycles: round(m.modeledCycles),
    us: round(m.us),
    paper,
    ultrix,
    ratio: paper === null ? null : round(m.us / paper),
    speedup: ultrix === null ? null : round(ultrix / m.us),
    note,
  };
}

/** Tables 7 and 11, measured (see the module comment). */
export function measureNet(rounds = ROUNDS): NetRow[] {
  return [
    row("dpf", classify("dpf"), PAPER.dpf, null, "one of ten TCP/IP filters, compiled and merged"),
    row("mpf", classify("mpf"), PAPER.mpf, null, "the same filters, interpreted atom by atom"),
    row("udp", pingPong(rounds, false), PAPER.udp, PAPER.ultrix, "60-byte UDP round trip, ExOS"),
    row(
      "udp+ash",
      pingPong(rounds, true),
      PAPER.ash,
      PAPER.ultrix,
      "the same, answered by ASHs in the kernel",
    ),
  ];
}

/** Figure 2: the round trip with 1 to `max` busy processes on the receiver. */
export function measureFigure2(max = 10, rounds = FIGURE_ROUNDS): FigurePoint[] {
  const points: FigurePoint[] = [];
  for (let k = 1; k <= max; k++) {
    points.push({
      processes: k,
      library: Math.round(pingPong(rounds, false, k).us * 10) / 10,
      ash: Math.round(pingPong(rounds, true, k).us * 10) / 10,
    });
  }
  return points;
}

/** Figure 2's two lines. */
function series(points: readonly FigurePoint[]): Series[] {
  return [
    {
      label: "ExOS (library)",
      mark: "L",
      points: points.map((p) => [p.processes, p.library] as const),
    },
    {
      label: "ExOS with ASHs",
      mark: "A",
      points: points.map((p) => [p.processes, p.ash] as const),
    },
  ];
}

/** Figure 2 as a standalone SVG document. */
export function figure2Svg(points: readonly FigurePoint[]): string {
  return svgLineChart(series(points), {
    title: "Figure 2: UDP round trip against busy processes on the receiver",
    xLabel: "busy processes on the receiver",
    yLabel: "round trip (emulated us)",
  });
}

/**
 * The tables and Figure 2 as text, the paper's figures beside; `rounds` and `figureRounds` say
 * how many round trips the rows and points averaged.
 */
export function formatNet(
  rows: readonly NetRow[],
  points: readonly FigurePoint[],
  rounds = ROUNDS,
  figureRounds = FIGURE_ROUNDS,
): string {
  const right = (header: string) => ({ header, right: true });
  const table = formatTable(
    [
      "row",
      ...["instructions", "cycles", "modeled", "us", "paper us", "ratio", "Ultrix us", "Ultrix/us"]
        .map(right),
      "measures",
    ],
    rows.map((r) => [
      r.name,
      r.instructions,
      r.cycles,
      r.modeledCycles,
      r.us.toFixed(2),
      r.paper ?? "-",
      r.ratio ?? "-",
      r.ultrix ?? "-",
      r.speedup ?? "-",
      r.note,
    ]),
  );
  const dpf = rows.find((r) => r.name === "dpf"), mpf = rows.find((r) => r.name === "mpf");
  const udp = rows.find((r) => r.name === "udp"), ash = rows.find((r) => r.name === "udp+ash");
  const lines = [
    "Networking: emulated DECstation 5000/200 (R3000A, 25 MHz) beside the paper (Tables 7, 11)",
    "",
    table,
    "",
    "Table 7 rows: one classification, mean over the ten headers, on the frame in the LANCE's " +
    "SRAM (uncached loads); the paper also has PATHFINDER at 19.0 us.",
    `Table 11 rows: per round trip over ${rounds} round trips; cycles are the wire's clock, ` +
    "instructions and modeled cycles both CPUs' (polling and idling included).",
  ];
  if (dpf && mpf) {
    lines.push(
      `MPF/DPF: ${(mpf.us / dpf.us).toFixed(1)} here, ${(35 / 1.5).toFixed(1)} in the paper.`,
    );
  }
  if (udp && ash) {
    lines.push(
      `ASHs save ${(udp.us - ash.us).toFixed(1)} us a round trip here, 61 us in the paper.`,
    );
  }
  if (points.length > 0) {
    lines.push(
      "",
      `Figure 2: round trip (emulated us) against busy processes on the receiver, ` +
        `${figureRounds} round trips a point`,
      "",
      formatTable(
        ["busy processes", right("library us"), right("ASH us")],
        points.map((p) => [p.processes, p.library.toFixed(1), p.ash.toFixed(1)]),
      ),
      "",
      lineChart(series(points), {
        xLabel: "busy processes on the receiver",
        yLabel: "round trip (emulated us)",
      }),
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const rows = measureNet(), points = measureFigure2();
  console.log(formatNet(rows, points));
  Deno.writeTextFileSync("figure2.svg", figure2Svg(points));
  console.log("\nFigure 2 written to figure2.svg");
}
