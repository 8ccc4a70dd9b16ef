/**
 * The host gateway: ARP and ICMP echo answered for 10.0.2.2, UDP to 10.0.2.2:PORT carried to a
 * UDP server this test starts on 127.0.0.1 and back, in a deterministic emulated timeline; and
 * everything addressed beyond the gateway dropped.
 *
 * @module
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { DECstation } from "../../machine/decstation.ts";
import { Gateway, GATEWAY_MAC } from "../../machine/gateway.ts";
import { Wire, type WireEvent, type WireNode } from "../../machine/wire.ts";
import { BROADCAST, fcsOk, IFG_CYCLES, parseMac, wireCycles } from "../../machine/ethernet.ts";
import { internetChecksum } from "../../machine/gateway.ts";
import { CYCLES_PER_US } from "../../machine/timing.ts";

const NET = Deno.readFileSync(new URL("../guest/out/net.elf", import.meta.url));
const GUEST = "08:00:2b:00:00:0f";

/** A DECstation running net.elf with `args`, on a wire with a gateway. */
function onGateway(args: string[], gateway = new Gateway(), pcap?: string) {
  const m = new DECstation({ mac: GUEST });
  m.loadElf(NET, ["net", ...args]);
  const wire = new Wire({ pcap });
  wire.attach(m, "guest");
  wire.attach(gateway);
  const events: WireEvent[] = [];
  wire.trace = (e) => events.push(e);
  return { m, wire, gateway, events };
}

/** A station that keeps what the gateway sends it. */
function probe(): WireNode & { got: { frame: Uint8Array; cycle: number }[] } {
  const got: { frame: Uint8Array; cycle: number }[] = [];
  const gw = parseMac(GATEWAY_MAC);
  const receive = (frame: Uint8Array, cycle: number) => {
    if (gw.every((b, i) => frame[6 + i] === b)) got.push({ frame, cycle });
  };
  return { name: "probe", got, receive, step() {} };
}

const ip = (s: string) => s.split(".").map(Number);

/** An ARP request for `target` from GUEST/10.0.2.15. */
function arpRequest(target = "10.0.2.2"): Uint8Array {
  return Uint8Array.from([
    ...BROADCAST,
    ...parseMac(GUEST),
    0x08,
    0x06,
    ...[0, 1, 8, 0, 6, 4, 0, 1],
    ...parseMac(GUEST),
    ...ip("10.0.2.15"),
    ...[0, 0, 0, 0, 0, 0],
    ...ip(target),
    ...Array(18).fill(0),
  ]);
}

/** A UDP datagram from 10.0.2.15:4000 to `dst`:port carrying `data`, as an Ethernet frame. */
function udpFrame(dst: string, port: number, data: number[]): Uint8Array {
  const f = new Uint8Array(Math.max(60, 14 + 28 + data.length));
  f.set(parseMac(GATEWAY_MAC), 0);
  f.set(parseMac(GUEST), 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 28 + data.length, 0, 1, 0, 0, 64, 17, 0, 0], 12);
  f.set([...ip("10.0.2.15"), ...ip(dst)], 26);
  const sum = internetChecksum(f, 14, 34);
  f.set([sum >> 8, sum & 0xff], 24);
  f.set([4000 >> 8, 4000 & 0xff, port >> 8, port & 0xff, 0, 8 + data.length, 0, 0, ...data], 34);
  return f;
}

Deno.test("Gateway answers an ARP request for 10.0.2.2 at the cycle the request arrives", () => {
  const wire = new Wire(), gateway = new Gateway(), p = probe();
  wire.attach(gateway);
  wire.attach(p);
  wire.inject(arpRequest());
  wire.inject(arpRequest("10.0.2.3"), wire.now + 3000); // not the gateway's address: no answer
  wire.run({ maxUs: 1000 });
  assert.equal(p.got.length, 1);
  const r = p.got[0].frame;
  assert.ok(fcsOk(r));
  assert.equal(r.length, 64);
  assert.deepEqual([...r.subarray(0, 14)], [...parseMac(GUEST), ...parseMac(GATEWAY_MAC), 8, 6]);
  assert.deepEqual([...r.subarray(14, 42)], [
    ...[0, 1, 8, 0, 6, 4, 0, 2],
    ...parseMac(GATEWAY_MAC),
    ...ip("10.0.2.2"),
    ...parseMac(GUEST),
    ...ip("10.0.2.15"),
  ]);
  // The request (64 bytes) arrived at 1440; the answer (64 bytes) starts one gap later.
  assert.equal(p.got[0].cycle, 2 * wireCycles(64) + IFG_CYCLES);
  assert.deepEqual([gateway.stats.arp, gateway.stats.dropped], [1, 1]);
  wire.close();
});

Deno.test("Gateway answers a guest's ARP and ICMP echo requests, and tcpdump reads the capture", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  const t = onGateway(["ping", "3"], new Gateway(), path);
  const r = t.wire.run({ maxUs: 2_000_000 });
  t.wire.close();
  assert.equal(r.reason, "halt");
  assert.equal(
    t.m.console.text,
    "arp 10.0.2.2 is at 52:55:0a:00:02:02\n" +
      [1, 2, 3].map((s) => `icmp echo reply seq ${s} from 10.0.2.2, 40 bytes, ttl 64\n`).join(""),
  );
  assert.deepEqual([t.gateway.stats.arp, t.gateway.stats.icmp, t.gateway.stats.dropped], [1, 3, 0]);
  // Each answer starts one interframe gap after its request's last bit reached the gateway.
  const sent = t.events.filter((e) => e.kind === "sent");
  const delivered = t.events.filter((e) => e.kind === "delivered");
  for (let i = 0; i < sent.length; i += 2) {
    assert.equal(sent[i + 1].from, "gateway");
    assert.equal(sent[i + 1].start, delivered[i].cycle + IFG_CYCLES);
  }
  const out = await new Deno.Command("tcpdump", {
    args: ["-nn", "-r", path],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  await Deno.remove(path);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.equal(lines.length, 8);
  assert.match(lines[0], /ARP, Request who-has 10\.0\.2\.2 tell 10\.0\.2\.15, length 46/);
  assert.match(lines[1], /ARP, Reply 10\.0\.2\.2 is-at 52:55:0a:00:02:02, length 46/);
  assert.match(
    lines[2],
    /IP 10\.0\.2\.15 > 10\.0\.2\.2: ICMP echo request, id 16962, seq 1, length 40/,
  );
  assert.match(
    lines[3],
    /IP 10\.0\.2\.2 > 10\.0\.2\.15: ICMP echo reply, id 16962, seq 1, length 40/,
  );
  assert.match(lines[7], /ICMP echo reply, id 16962, seq 3, length 40/);
});

/** A UDP server on 127.0.0.1 that answers each datagram with "echo:" and the datagram. */
async function echoServer() {
  const server = dgram.createSocket("udp4");
  const seen: string[] = [];
  server.on("message", (msg: Uint8Array, from: { port: number; address: string }) => {
    seen.push(new TextDecoder().decode(msg));
    server.send(
      new TextEncoder().encode(`echo:${new TextDecoder().decode(msg)}`),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, seen, close };
}

Deno.test("Gateway carries a guest's UDP datagram to a server on 127.0.0.1 and its answer back", async () => {
  const server = await echoServer();
  const runs = [];
  try {
    for (let i = 0; i < 2; i++) {
      const t = onGateway(
        ["udp", String(server.port), "hello"],
        new Gateway({ hostWaitMs: 20_000 }),
      );
      const r = await t.wire.runAsync({ maxUs: 2_000_000 });
      t.wire.close();
      assert.equal(r.reason, "halt");
      assert.equal(
        t.m.console.text,
        `arp 10.0.2.2 is at 52:55:0a:00:02:02\nudp from 10.0.2.2:${server.port}: echo:hello\n`,
      );
      assert.deepEqual(
        [t.gateway.stats.udpOut, t.gateway.stats.udpIn, t.gateway.stats.unanswered],
        [1, 1, 0],
      );
      const starts = t.events.flatMap((e) => e.kind === "sent" ? [e.start] : []);
      runs.push({ cycles: t.m.cpu.cycles, starts });
    }
  } finally {
    await server.close();
  }
  assert.deepEqual(server.seen, ["hello", "hello"]);
  // Emulated time stood still while the host answered: both runs have the same timeline.
  assert.equal(runs[1].cycles, runs[0].cycles);
  assert.deepEqual(runs[1].starts, runs[0].starts);
});

Deno.test("Gateway hostLatencyUs puts exactly that much emulated time before a UDP answer", async () => {
  const server = await echoServer();
  try {
    const t = onGateway(
      ["udp", String(server.port), "x"],
      new Gateway({ hostLatencyUs: 500, hostWaitMs: 20_000 }),
    );
    await t.wire.runAsync({ maxUs: 2_000_000 });
    t.wire.close();
    assert.match(t.m.console.text, /udp from 10\.0\.2\.2:\d+: echo:x\n$/);
    const toGateway = t.events.flatMap((e) =>
      e.kind === "delivered" && e.to === "gateway" ? [e] : []
    );
    const answers = t.events.flatMap((e) => e.kind === "sent" && e.from === "gateway" ? [e] : []);
    const arrived = toGateway.at(-1)!.cycle;
    assert.equal(answers.at(-1)!.start, arrived + IFG_CYCLES + 500 * CYCLES_PER_US);
  } finally {
    await server.close();
  }
});

Deno.test("Gateway drops what is addressed beyond itself and opens no host socket for it", async () => {
  const wire = new Wire(), gateway = new Gateway({ hostWaitMs: 100 }), p = probe();
  wire.attach(gateway);
  wire.attach(p);
  wire.inject(udpFrame("8.8.8.8", 53, [1, 2, 3]));
  wire.inject(udpFrame("127.0.0.1", 53, [1, 2, 3]), 3000);
  const bad = udpFrame("10.0.2.2", 53, [1, 2, 3]);
  bad[24] ^= 0xff; // a wrong IP header checksum
  wire.inject(bad, 6000);
  const fragment = udpFrame("10.0.2.2", 53, [1, 2, 3]);
  fragment[20] = 0x20; // more fragments
  wire.inject(fragment, 9000);
  await wire.runAsync({ maxUs: 1000 });
  wire.close();
  assert.deepEqual(gateway.stats, {
    arp: 0,
    icmp: 0,
    udpOut: 0,
    udpIn: 0,
    unanswered: 0,
    dropped: 4,
  });
  assert.equal(p.got.length, 0);
});

Deno.test("Gateway stops waiting for a host that does not answer after hostWaitMs", async () => {
  const silent = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
  const port = (silent.address() as { port: number }).port;
  let got = 0;
  silent.on("message", () => got++);
  try {
    const t = onGateway(["udp", String(port), "anyone"], new Gateway({ hostWaitMs: 50 }));
    const r = await t.wire.runAsync({ maxUs: 2_000_000 });
    t.wire.close();
    assert.equal(r.reason, "halt");
    assert.match(t.m.console.text, /udp: no answer\n$/);
    assert.equal(t.gateway.stats.unanswered, 1);
    assert.equal(got, 1);
  } finally {
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
