/**
 * Wires: two DECstations running tests/guest/net.c exchange frames in emulated time; the runs
 * are deterministic however they are split; delay, loss and duplication are injected by seed;
 * and the capture is a pcap file that tcpdump reads.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DECstation } from "../../machine/decstation.ts";
import { Wire, type WireEvent, type WireOptions } from "../../machine/wire.ts";
import { BROADCAST, wireCycles } from "../../machine/ethernet.ts";
import { CYCLES_PER_US } from "../../machine/timing.ts";

const NET = Deno.readFileSync(new URL("../guest/out/net.elf", import.meta.url));
const A = "08:00:2b:00:00:0a", B = "08:00:2b:00:00:0b";

/** Machine A runs `a` (net.elf's argv), machine B runs `b`, on one wire with `options`. */
function pair(a: string[], b: string[], options: WireOptions = {}) {
  const ma = new DECstation({ mac: A }), mb = new DECstation({ mac: B });
  ma.loadElf(NET, ["net", ...a]);
  mb.loadElf(NET, ["net", ...b]);
  const wire = new Wire(options);
  wire.attach(ma, "a");
  wire.attach(mb, "b");
  const events: WireEvent[] = [];
  wire.trace = (e) => events.push(e);
  return { a: ma, b: mb, wire, events };
}

/** Runs until both halt (at most 2 s of emulated time). */
function runToHalt(t: ReturnType<typeof pair>) {
  const r = t.wire.run({ maxUs: 2_000_000 });
  assert.equal(
    r.reason,
    "halt",
    `still running after 2 s: ${t.a.console.text} ${t.b.console.text}`,
  );
  return r;
}

async function tempFile(): Promise<string> {
  return await Deno.makeTempFile({ prefix: "exolab_wire_", suffix: ".pcap" });
}

Deno.test("Wire carries frames between two DECstations in emulated time, both ways", () => {
  const t = pair(["send", "8", B], ["echo", "8"]);
  runToHalt(t);
  assert.equal(t.a.console.text, "sent 8, 8 came back\n");
  assert.equal(t.b.console.text, "echoed 8\n");
  assert.equal(t.wire.stats.sent, 16);
  assert.equal(t.wire.stats.late, 0);
  const sent = t.events.filter((e) => e.kind === "sent");
  const delivered = t.events.filter((e) => e.kind === "delivered");
  assert.deepEqual(sent.map((e) => e.from), Array(8).fill(["a", "b"]).flat());
  sent.forEach((s, i) => {
    // A frame of 60 bytes plus FCS takes (8 + 64) * 800 ns and arrives when its last bit does.
    assert.equal(s.end - s.start, wireCycles(64));
    assert.equal(delivered[i].cycle, s.end);
    assert.equal(delivered[i].to, s.from === "a" ? "b" : "a");
  });
  // Each echo leaves after the request arrived; each next request after the echo arrived.
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i].start > delivered[i - 1].cycle);
  t.wire.close();
});

Deno.test("Wire runs repeat exactly, however the run is split into calls", async () => {
  const once = pair(["send", "6", B], ["echo", "6"], { pcap: await tempFile() });
  runToHalt(once);
  const split = pair(["send", "6", B], ["echo", "6"], { pcap: await tempFile() });
  for (let i = 0; i < 100_000 && split.wire.run({ maxUs: 37 }).reason === "cycles"; i++) {
    // 37 us at a time: barriers fall elsewhere than in one long run
  }
  once.wire.close();
  split.wire.close();
  assert.equal(split.a.halted !== null && split.b.halted !== null, true);
  assert.deepEqual(
    [split.a.cpu.cycles, split.b.cpu.cycles, split.a.cpu.instructions],
    [once.a.cpu.cycles, once.b.cpu.cycles, once.a.cpu.instructions],
  );
  assert.deepEqual(
    await Deno.readFile(split.wire.pcap!.path!),
    await Deno.readFile(once.wire.pcap!.path!),
  );
  await Deno.remove(split.wire.pcap!.path!);
  await Deno.remove(once.wire.pcap!.path!);
});

Deno.test("Wire delayUs adds exactly that much to every delivery and to each round trip", () => {
  const fast = pair(["send", "4", B], ["echo", "4"]);
  runToHalt(fast);
  const slow = pair(["send", "4", B], ["echo", "4"], { delayUs: 100 });
  runToHalt(slow);
  assert.equal(slow.wire.lookahead, wireCycles(64) + 100 * CYCLES_PER_US);
  const sent = slow.events.filter((e) => e.kind === "sent");
  const delivered = slow.events.filter((e) => e.kind === "delivered");
  sent.forEach((s, i) => assert.equal(delivered[i].cycle - s.end, 100 * CYCLES_PER_US));
  assert.equal(slow.a.console.text, "sent 4, 4 came back\n");
  // The guest's polling makes each round trip start a few cycles differently, so compare the
  // wire's view: request start to echo start grows by one delay, echo start to next request by one.
  const gaps = (ev: WireEvent[]) => {
    const s = ev.filter((e) => e.kind === "sent");
    return s.slice(1).map((e, i) => e.start - s[i].start);
  };
  const extra = gaps(slow.events).map((g, i) => g - gaps(fast.events)[i]);
  for (const x of extra) {
    assert.ok(Math.abs(x - 100 * CYCLES_PER_US) <= 60, `a hop grew by ${x} cycles, not 2500`);
  }
  fast.wire.close();
  slow.wire.close();
});

/** A blasts 40 frames at B, which counts them; returns B's count and the wire's stats. */
function blast(options: WireOptions) {
  const t = pair(["blast", "40", B], ["count"], options);
  runToHalt(t);
  assert.equal(t.a.console.text, "blasted 40\n");
  const count = Number(/counted (\d+)/.exec(t.b.console.text)?.[1]);
  const lost = t.events.flatMap((e, i) => e.kind === "lost" ? [i] : []);
  t.wire.close();
  return { count, stats: t.wire.stats, lost, missed: t.b.lance.stats.missed };
}

Deno.test("Wire loss drops deliveries by its seed, the same ones each time", () => {
  const clean = blast({});
  assert.equal(clean.count, 40);
  const one = blast({ loss: 0.25, seed: 7 });
  const again = blast({ loss: 0.25, seed: 7 });
  const other = blast({ loss: 0.25, seed: 8 });
  assert.ok(one.stats.lost > 0 && one.stats.lost < 40, `lost ${one.stats.lost} of 40`);
  assert.equal(one.count, 40 - one.stats.lost);
  assert.equal(one.missed, 0);
  assert.deepEqual(again, one);
  assert.notDeepEqual(other.lost, one.lost);
});

Deno.test("Wire duplicate delivers second copies right behind the first", () => {
  const d = blast({ duplicate: 0.5, seed: 3 });
  assert.ok(d.stats.duplicated > 0, "no duplicates drawn");
  assert.equal(d.stats.delivered, 40 + d.stats.duplicated);
  assert.equal(d.count + d.missed, 40 + d.stats.duplicated);
});

Deno.test("Wire jitter delays deliveries by up to jitterUs and never reorders them", () => {
  const t = pair(["blast", "20", B], ["count"], { jitterUs: 200, seed: 5 });
  runToHalt(t);
  const sent = t.events.filter((e) => e.kind === "sent");
  const delivered = t.events.filter((e) => e.kind === "delivered");
  let delayed = 0;
  delivered.forEach((d, i) => {
    const late = d.cycle - sent[i].end;
    assert.ok(late >= 0, `delivery ${i} before its frame ended`);
    if (late > 0) delayed++;
    if (i > 0) assert.ok(d.cycle >= delivered[i - 1].cycle + wireCycles(64));
  });
  assert.ok(delayed > 0);
  assert.equal(t.b.console.text, "counted 20\n");
  t.wire.close();
});

Deno.test("Wire writes a pcap file that tcpdump reads frame by frame", async () => {
  const path = await tempFile();
  const t = pair(["send", "3", B], ["echo", "3"], { pcap: path });
  runToHalt(t);
  t.wire.inject(Uint8Array.from([...BROADCAST, 8, 0, 0x2b, 0, 0, 0x0c, 0x88, 0xb5, ...Array(46)]));
  t.wire.run({ maxUs: 100 });
  t.wire.close();
  const out = await new Deno.Command("tcpdump", {
    args: ["-nn", "-e", "-tt", "--time-stamp-precision=nano", "-r", path],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`tcpdump could not run (${e.message}): install it (apt-get install tcpdump)`);
  });
  await Deno.remove(path);
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = text.trim().split("\n").filter((l) => !/^\s/.test(l)); // not the hex dumps
  assert.equal(lines.length, 7, text);
  lines.slice(0, 6).forEach((line, i) => {
    const [from, to] = i % 2 === 0 ? [A, B] : [B, A];
    assert.match(
      line,
      new RegExp(`^0\\.\\d{9} ${from} > ${to}, ethertype Unknown \\(0x88b5\\), length 60`),
    );
  });
  assert.match(
    lines[6],
    /08:00:2b:00:00:0c > ff:ff:ff:ff:ff:ff, ethertype Unknown \(0x88b5\), length 60/,
  );
  const stamps = lines.map((l) => Number(l.split(" ")[0]));
  const sent = t.events.filter((e) => e.kind === "sent");
  stamps.slice(0, 6).forEach((s, i) => assert.equal(Math.round(s * 1e9), sent[i].start * 40));
});

Deno.test("Wire refuses a second machine with the same MAC, a machine twice and bad options", () => {
  const wire = new Wire();
  const m = new DECstation({ mac: A });
  wire.attach(m);
  assert.throws(() => wire.attach(m), /already on this wire/);
  assert.throws(() => wire.attach(new DECstation({ mac: A })), /already has MAC 08:00:2b:00:00:0a/);
  assert.throws(() => new Wire().attach(m), /already on a wire/);
  assert.throws(() => new Wire({ loss: 2 }), /loss = 2 is not a number in 0\.\.1/);
  assert.throws(() => new Wire({ delayUs: -1 }), /delayUs/);
  assert.throws(() => new DECstation({ mac: "08:00:2b" }), /not six hex bytes/);
  assert.throws(() => wire.run({ maxCycles: -5 }), /not a number of cycles/);
  wire.close();
  new Wire().attach(m); // unplugged by close: free to join another wire
});

Deno.test("Wire ends a run when every machine has halted, and after its time otherwise", () => {
  const t = pair(["blast", "1", B], ["count"]);
  const r1 = t.wire.run({ maxUs: 50 });
  assert.deepEqual(r1, { reason: "cycles", cycles: 50 * CYCLES_PER_US });
  assert.equal(t.wire.now, 50 * CYCLES_PER_US);
  let barriers = 0;
  const r2 = t.wire.run({ until: () => ++barriers === 3 });
  assert.equal(r2.reason, "until");
  runToHalt(t);
  assert.deepEqual(t.wire.run(), { reason: "halt", cycles: 0 });
  t.wire.close();
});
