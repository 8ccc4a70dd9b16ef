/**
 * The paper's networking results (scripts/paper_net.ts) and the commands that print them: every
 * row's keys and the paper's figures; the shapes that must come from the mechanisms (compiled
 * filters cheaper than interpreted ones, ASHs cheaper than the library, the library's round trip
 * growing with the receiver's load and the ASHs' not); `exo paper net --json` and `--svg`; and
 * `exo net ping` with its pcap.
 *
 * @module
 */

import assert from "node:assert/strict";
import { measureFigure2, measureNet, pingPong } from "../../scripts/paper_net.ts";

const mainTs = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `exo ARGS`: its exit status, stdout and stderr. */
async function exo(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainTs, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("measureNet gives dpf, mpf, udp and udp+ash with their keys and the paper's figures", () => {
  const rows = measureNet(8);
  assert.deepEqual(rows.map((r) => r.name), ["dpf", "mpf", "udp", "udp+ash"]);
  for (const r of rows) {
    assert.deepEqual(Object.keys(r), [
      "name",
      "instructions",
      "cycles",
      "modeledCycles",
      "us",
      "paper",
      "ultrix",
      "ratio",
      "speedup",
      "note",
    ]);
    assert.ok(r.us > 0 && r.cycles > 0 && r.instructions > 0, r.name);
  }
  const [dpf, mpf, udp, ash] = rows;
  assert.deepEqual([dpf.paper, mpf.paper, udp.paper, ash.paper], [1.5, 35, 320, 259]);
  assert.deepEqual([dpf.ultrix, mpf.ultrix, dpf.speedup, mpf.speedup], [null, null, null, null]);
  assert.deepEqual([udp.ultrix, ash.ultrix], [3400, 3400]);
  assert.ok(Math.abs(udp.speedup! - 3400 / udp.us) < 0.01);
  for (const r of rows) assert.ok(Math.abs(r.ratio! - r.us / r.paper!) < 0.01, r.name);
  assert.equal(dpf.modeledCycles, 0, "the classifiers are executed MIPS code");
  assert.equal(mpf.modeledCycles, 0);
  assert.ok(mpf.us > 5 * dpf.us, `MPF ${mpf.us} us against DPF ${dpf.us} us`);
  assert.ok(ash.us < udp.us, `ASH ${ash.us} us against the library's ${udp.us} us`);
  // Two wire times of a 64-byte frame are the floor of any round trip.
  assert.ok(ash.us > 2 * 57.6, `${ash.us} us`);
});

Deno.test("Figure 2: the library's round trip grows with busy processes on the receiver, the ASHs' does not", () => {
  const points = measureFigure2(4, 3);
  assert.deepEqual(points.map((p) => p.processes), [1, 2, 3, 4]);
  for (let i = 1; i < points.length; i++) {
    assert.ok(
      points[i].library > points[i - 1].library + 400,
      `${points[i - 1].library} then ${points[i].library} us`,
    );
  }
  const ash = points.map((p) => p.ash);
  assert.ok(Math.max(...ash) - Math.min(...ash) < 0.05 * Math.min(...ash), `ASH: ${ash}`);
  assert.ok(points[0].library > 2 * points[0].ash);
});

Deno.test("pingPong repeats exactly: the same round trip twice", () => {
  assert.deepEqual(pingPong(6, true), pingPong(6, true));
});

Deno.test("exo paper net --json prints the rows and Figure 2's points; --svg writes the figure", async () => {
  const svg = await Deno.makeTempFile({ suffix: ".svg" });
  const r = await exo([
    "paper",
    "net",
    "--json",
    "--rounds",
    "4",
    "--figure-rounds",
    "2",
    "--svg",
    svg,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { name: string; variant?: string; processes?: number }[];
  assert.deepEqual(rows.slice(0, 4).map((x) => x.name), ["dpf", "mpf", "udp", "udp+ash"]);
  const fig = rows.filter((x) => x.name === "fig2");
  assert.equal(fig.length, 20);
  assert.deepEqual(fig.slice(0, 2).map((x) => [x.variant, x.processes]), [["udp", 1], [
    "udp+ash",
    1,
  ]]);
  const text = Deno.readTextFileSync(svg);
  Deno.removeSync(svg);
  assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(text.match(/<polyline /g)?.length, 2);
  assert.match(text, /Figure 2/);
  const bad = await exo(["paper", "aegis", "--svg", svg]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--svg writes one figure/);
});

Deno.test("exo net ping prints ping's lines and its round trips, and writes a pcap tcpdump reads", async () => {
  const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
  const r = await exo(["net", "ping", "--count", "2", "--pcap", pcap]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^PING 10\.0\.0\.2: 56 data bytes\n64 bytes from 10\.0\.0\.2: icmp_seq=1\n/,
  );
  assert.match(r.stdout, /2 packets transmitted, 2 received\n/);
  const trips = [...r.stdout.matchAll(/^icmp_seq=(\d) {2}(\d+\.\d\d) us/gm)];
  assert.equal(trips.length, 2);
  assert.ok(Number(trips[0][2]) > Number(trips[1][2]), "the first waits for ARP too");
  assert.match(r.stdout, /^min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ us$/m);
  assert.match(r.stdout, /6 frames written to /);
  const dump = await new Deno.Command("tcpdump", {
    args: ["-nn", "-r", pcap],
    stdout: "piped",
    stderr: "null",
  }).output();
  Deno.removeSync(pcap);
  const lines = new TextDecoder().decode(dump.stdout).trim().split("\n");
  assert.equal(lines.length, 6);
  assert.match(lines[0], /ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
  assert.match(lines[5], /IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply, id \d+, seq 2, length 64/);
  const bad = await exo(["net", "ping", "--count", "0"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "exo net: --count 0 is not a whole number from 1 to 1000\n");
  const what = await exo(["net", "pong"]);
  assert.equal(what.code, 1);
  assert.match(what.stderr, /Give what to run: exo net ping, not pong/);
});
