/**
 * The paper's Figure 3, measured: an application-level stride scheduler (exos/stride.ts) gives
 * three processes incrementing shared counters a 3:2:1 share of its slices, and their cumulative
 * counts follow the ideal lines.
 *
 * On a fresh machine, one environment is the scheduler: it holds one slice position and, at the
 * start of each slice, picks a client by stride and yields the rest of the slice to it. Its three
 * clients (children it made with ENV_ALLOC, each with its own ExOS address space) hold no slice;
 * each runs a loop of its own incrementing its word of a page the scheduler shares with all three.
 * The harness stops the machine each time the scheduler comes round to choose (once a slice) and
 * reads the counters: a series of cumulative counts per client over SLICES slices, beside the
 * ideal line of each (its tickets' share of all the increments so far). Everything that runs is
 * guest code: the scheduler's choice, Aegis's directed yield and clock, the clients' loops.
 *
 * Run it with `deno run -A scripts/paper_sched.ts [--svg PATH]`, or `exo paper sched [--json]
 * [--svg PATH]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { asm } from "../machine/asm/mod.ts";
import { formatTable } from "../machine/table.ts";
import { PAGE_SIZE, USER } from "../exos/layout.ts";
import { StrideScheduler } from "../exos/stride.ts";
import { Lab } from "../shell/lab.ts";
import { lineChart, type Series, svgLineChart } from "../shell/plot.ts";

/** Slices the experiment runs. */
export const SLICES = 100;

/** The clients and their tickets, as the paper's figure has them. */
export const CLIENTS = [
  { name: "A", tickets: 3 },
  { name: "B", tickets: 2 },
  { name: "C", tickets: 1 },
] as const;

/** What the experiment found. */
export interface SchedResult {
  /** Slices run. */
  slices: number;
  /** Cycles in a slice. */
  sliceCycles: number;
  /** Per client: its name, tickets, slices given, increments, and the two shares. */
  clients: {
    name: string;
    tickets: number;
    slices: number;
    count: number;
    sliceShare: number;
    countShare: number;
    ideal: number;
  }[];
  /** The cumulative counts after each slice: counts[slice][client]. */
  counts: number[][];
}

/** Instructions a slice may take before the run counts as lost. */
const SLICE_LIMIT = 2_000_000;

/** Runs the experiment on a fresh machine; throws if the scheduler stops coming round. */
export function measureSched(slices = SLICES): SchedResult {
  const m = new Lab();
  const s = new StrideScheduler(m.aegis.createEnv("stride"));
  const counters = s.vm.mmap(PAGE_SIZE);
  for (let i = 0; i < CLIENTS.length; i++) s.vm.write32(counters + 4 * i, 0);
  const grant = s.vm.share(counters);
  CLIENTS.forEach(({ tickets }, i) => {
    const c = s.spawn(
      asm`
        .set    noreorder
start:  li      $s0, ${USER.MMAP}            # the counters, where each client maps them
1:      lw      $t0, ${4 * i}($s0)
        nop
        addiu   $t0, $t0, 1
        b       1b
        sw      $t0, ${4 * i}($s0)
`,
      tickets,
    );
    c.vm.mapShared(grant, { at: USER.MMAP });
  });
  s.start();
  const give = s.program.symbols.give;
  const run = () => {
    const r = m.run({ until: give, maxInstructions: SLICE_LIMIT });
    if (r.reason !== "breakpoint") {
      throw new Error(`The stride scheduler did not come round: ${r.reason}`);
    }
  };
  // At each stop the scheduler has just chosen who runs the slice that starts; the counters show
  // what ran in the slices before. A slice ran a client if that client's counter moved in it.
  run();
  const read = () => CLIENTS.map((_, i) => s.vm.read32(counters + 4 * i) >>> 0);
  const counts = [read()];
  for (let k = 0; k < slices; k++) {
    run();
    counts.push(read());
  }
  const last = counts[counts.length - 1], given = CLIENTS.map(() => 0);
  for (let k = 1; k < counts.length; k++) {
    counts[k].forEach((c, i) => c !== counts[k - 1][i] && given[i]++);
  }
  const total = last.reduce((a, b) => a + b, 0);
  const tickets = CLIENTS.reduce((n, c) => n + c.tickets, 0);
  return {
    slices,
    sliceCycles: m.aegis.sliceCycles,
    clients: CLIENTS.map((c, i) => ({
      name: c.name,
      tickets: c.tickets,
      slices: given[i],
      count: last[i],
      sliceShare: given[i] / slices,
      countShare: total === 0 ? 0 : last[i] / total,
      ideal: c.tickets / tickets,
    })),
    counts,
  };
}

/** Each client's color in the SVG, its ideal line's too. */
const COLORS = ["#4a6fa5", "#c0504d", "#6a9a3a"];

/** The figure's series: each client's cumulative count, and its ideal line (dashed). */
export function schedSeries(r: SchedResult): Series[] {
  const totals = r.counts.map((row) => row.reduce((a, b) => a + b, 0));
  return [
    ...r.clients.map((c, i): Series => ({
      label: `${c.name} (${c.tickets} ${c.tickets === 1 ? "ticket" : "tickets"})`,
      points: r.counts.map((row, k) => [k, row[i]] as const),
      color: COLORS[i % COLORS.length],
    })),
    ...r.clients.map((c, i): Series => ({
      label: `${c.name} ideal`,
      points: totals.map((t, k) => [k, t * c.ideal] as const),
      dashed: true,
      color: COLORS[i % COLORS.length],
    })),
  ];
}

const TITLE = "Stride scheduling at application level: 3:2:1 tickets (Figure 3)";

/** The result as text: the shares, then the figure drawn in the terminal. */
export function formatSched(r: SchedResult): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const table = formatTable(
    [
      "client",
      ...["tickets", "ideal", "slices", "share", "increments", "share"].map((header) => ({
        header,
        right: true,
      })),
    ],
    r.clients.map((c) => [
      c.name,
      c.tickets,
      pct(c.ideal),
      c.slices,
      pct(c.sliceShare),
      c.count,
      pct(c.countShare),
    ]),
  );
  const worst = Math.max(...r.clients.map((c) => Math.abs(c.countShare - c.ideal)));
  return [
    `${TITLE}: ${r.slices} slices of ${(r.sliceCycles / 25).toFixed(0)} us`,
    "",
    table,
    "",
    `The counts' shares are within ${(100 * worst).toFixed(2)} points of the tickets' shares.`,
    "",
    lineChart(schedSeries(r), { xLabel: "slices", yLabel: "cumulative increments" }),
  ].join("\n");
}

/** Writes the figure as an SVG file at `path`; returns the path. */
export function writeSchedSvg(r: SchedResult, path: string): string {
  Deno.writeTextFileSync(
    path,
    svgLineChart(schedSeries(r), {
      title: TITLE,
      xLabel: `slices (${(r.sliceCycles / 25).toFixed(0)} us each)`,
      yLabel: "cumulative increments",
    }),
  );
  return path;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { svg: { type: "string" } } });
  const r = measureSched();
  console.log(formatSched(r));
  if (values.svg) console.log(`\nFigure 3 as SVG: ${writeSchedSvg(r, values.svg)}`);
}
