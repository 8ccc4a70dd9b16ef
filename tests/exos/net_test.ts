/**
 * ExOS's network: ARP and its cache, IPv4 (fragments refused), ICMP echo (the guest ping, the
 * kernel's ASH answering), UDP (the guest echo server and client, timeouts, bind conflicts,
 * EMSGSIZE), sockets left out of fork, and a guest UDP program on the host gateway talking to a
 * UDP server of this test's own on 127.0.0.1.
 *
 * @module
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { NetLab } from "../../shell/net.ts";
import { checkInvariants } from "../../aegis/invariants.ts";
import { inspectAsh } from "../../aegis/ash.ts";
import { loadHazards } from "../aegis/_hazards.ts";
import { unixElf } from "./_unix.ts";
import {
  ArpCache,
  arpRequest,
  arpResponder,
  checksum,
  echoResponder,
  icmpMessage,
  ipFrame,
  isNetPage,
  parseArp,
  parseIp,
  parseUdp,
  pingPong,
  PROTO,
  udpDatagram,
} from "../../exos/net/mod.ts";

const A = "10.0.0.1", B = "10.0.0.2";

/** Two machines on a wire, a at 10.0.0.1 and b at 10.0.0.2. */
function two() {
  const lab = new NetLab();
  const a = lab.add({ ip: A, name: "a", mac: "08:00:2b:00:00:0a" });
  const b = lab.add({ ip: B, name: "b", mac: "08:00:2b:00:00:0b" });
  return { lab, a, b };
}

const ip = (s: string) => s.split(".").reduce((v, p) => (v * 256 + Number(p)) >>> 0, 0);

Deno.test("ArpCache resolves, asks, waits, gives up after three tries, and expires", () => {
  const c = new ArpCache();
  const mac = Uint8Array.of(8, 0, 0x2b, 0, 0, 1);
  assert.equal(c.resolve(ip(B), 0, 1000), "ask");
  assert.equal(c.resolve(ip(B), 100, 1000), "wait");
  assert.equal(c.resolve(ip(B), 250, 1000), "ask");
  assert.equal(c.resolve(ip(B), 500, 1000), "ask");
  assert.equal(c.resolve(ip(B), 750, 1000), "unreachable");
  assert.equal(c.resolve(ip(B), 751, 1000), "ask", "a later call starts over");
  c.learn(ip(B), mac, 1000, 1000);
  assert.deepEqual(c.resolve(ip(B), 1001, 1000), mac);
  assert.equal(c.resolve(ip(B), 1000 + 60_000, 1000), "ask", "an entry lives a minute");
  const req = arpRequest(mac, ip(A), ip(B));
  assert.equal(req.length, 60);
  assert.deepEqual(parseArp(req), {
    op: 1,
    senderMac: mac,
    senderIp: ip(A),
    targetMac: new Uint8Array(6),
    targetIp: ip(B),
  });
});

Deno.test("parseIp refuses fragments, options, bad checksums and lengths, each by name", () => {
  const mac = new Uint8Array(6);
  const good = ipFrame(
    mac,
    mac,
    ip(A),
    ip(B),
    PROTO.UDP,
    7,
    udpDatagram(ip(A), 5, ip(B), 6, Uint8Array.of(1, 2, 3)),
  );
  const d = parseIp(good);
  assert.ok(typeof d !== "string");
  assert.deepEqual(parseUdp(good, d), { sport: 5, dport: 6, start: 42, end: 45 });
  const mutate = (f: (b: Uint8Array) => void, fixSum = true) => {
    const b = good.slice();
    f(b);
    if (fixSum) {
      b[24] = b[25] = 0;
      const s = checksum(b, 14, 34);
      b[24] = s >> 8;
      b[25] = s & 0xff;
    }
    return parseIp(b);
  };
  assert.equal(mutate((b) => (b[20] = 0x20)), "fragment", "more fragments");
  assert.equal(mutate((b) => (b[21] = 0x08)), "fragment", "an offset");
  assert.equal(mutate((b) => (b[14] = 0x46)), "options");
  assert.equal(mutate((b) => (b[14] = 0x65)), "version");
  assert.equal(mutate((b) => (b[17] = 200)), "length");
  assert.equal(mutate((b) => (b[22] = 1), false), "checksum");
  const bad = good.slice();
  bad[44] ^= 1;
  assert.equal(parseUdp(bad, d), "checksum");
  assert.equal(checksum(icmpMessage(Uint8Array.of(8, 0, 0xff, 0xff, 0, 1, 0, 1)), 0, 8), 0);
});

Deno.test("ping gets an answer from the other machine's kernel, ARP first, and tcpdump agrees", async () => {
  const pcap = await Deno.makeTempFile({ suffix: ".pcap" });
  const lab = new NetLab({ pcap });
  const a = lab.add({ ip: A, name: "a" }), b = lab.add({ ip: B, name: "b" });
  b.exos.net!.up();
  const p = a.exec("/bin/ping", ["ping", B, "3"]);
  assert.equal(lab.run().reason, "until");
  lab.close();
  assert.equal(p.exitStatus, 0);
  assert.equal(
    a.output,
    `PING ${B}: 56 data bytes\n` +
      [1, 2, 3].map((s) => `64 bytes from ${B}: icmp_seq=${s}\n`).join("") +
      "3 packets transmitted, 3 received\n",
  );
  // b's ASHs answered the ARP request and the three echo requests; its library did nothing.
  const [arpReply, arpRequests, echoes] = b.aegis.network.filters;
  assert.equal(arpRequests.ash?.runs, 1);
  assert.equal(echoes.ash?.runs, 3);
  assert.equal(echoes.delivered + arpReply.delivered, 0);
  assert.deepEqual(b.exos.net!.stats, { refused: {}, arpAnswered: 0, echoAnswered: 0 });
  const out = await new Deno.Command("tcpdump", {
    args: ["-nn", "-r", pcap],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  Deno.removeSync(pcap);
  assert.match(text, /ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
  assert.match(text, /ARP, Reply 10\.0\.0\.2 is-at 08:00:2b/);
  assert.equal(text.match(/ICMP echo request, id \d+, seq \d, length 64/g)?.length, 3);
  assert.equal(text.match(/ICMP echo reply, id \d+, seq \d, length 64/g)?.length, 3);
  assert.deepEqual(checkInvariants(a.aegis), []);
  assert.deepEqual(checkInvariants(b.aegis), []);
});

Deno.test("udpecho and udpclient exchange datagrams between two machines", () => {
  const { lab, a, b } = two();
  const server = b.exec("/bin/udpecho", ["udpecho", "7", "2"]);
  lab.wire.run({ maxUs: 20_000 });
  const client = a.exec("/bin/udpclient", ["udpclient", B, "7", "hello", "exokernel"]);
  assert.equal(lab.run().reason, "until");
  lab.close();
  assert.equal(client.exitStatus, 0);
  assert.equal(server.exitStatus, 0);
  assert.match(a.output, /^from 10\.0\.0\.2:7: hello\nfrom 10\.0\.0\.2:7: exokernel\n$/);
  assert.equal(b.output, "udpecho: listening on port 7\nudpecho: echoed 2 datagrams\n");
  // The server learned nothing by ARP from the client's requests (the ASH answered them), so it
  // asked itself before its first answer: one request each way.
  assert.equal(b.aegis.network.filters.length, 3, "the server's socket is closed");
  assert.deepEqual(checkInvariants(b.aegis), []);
});

Deno.test("A UDP fragment is refused and counted; the datagram after it is echoed", () => {
  const { lab, a, b } = two();
  const server = b.exec("/bin/udpecho", ["udpecho", "9", "1"]);
  lab.wire.run({ maxUs: 20_000 });
  const macA = a.machine.lance.mac, macB = b.machine.lance.mac;
  const datagram = udpDatagram(ip(A), 4000, ip(B), 9, new TextEncoder().encode("piece"));
  const frag = ipFrame(macB, macA, ip(A), ip(B), PROTO.UDP, 1, datagram);
  frag[20] = 0x20; // more fragments
  frag[24] = frag[25] = 0;
  const s = checksum(frag, 14, 34);
  frag[24] = s >> 8;
  frag[25] = s & 0xff;
  lab.wire.inject(frag);
  lab.wire.run({ maxUs: 5_000 });
  assert.equal(server.exitStatus, undefined, "still waiting: the fragment was not delivered");
  const client = a.exec("/bin/udpclient", ["udpclient", B, "9", "whole"]);
  lab.run();
  lab.close();
  assert.equal(b.exos.net!.stats.refused.fragment, 1);
  assert.equal(client.exitStatus, 0);
  assert.match(a.output, /: whole\n$/);
});

Deno.test("A fragmented or corrupted echo request goes past the ASH to the library, which refuses it", () => {
  const { lab, a, b } = two();
  b.exos.net!.up();
  const macA = a.machine.lance.mac, macB = b.machine.lance.mac;
  const echo = (fix: (f: Uint8Array) => void) => {
    const f = ipFrame(
      macB,
      macA,
      ip(A),
      ip(B),
      PROTO.ICMP,
      3,
      icmpMessage(Uint8Array.of(8, 0, 0, 0, 0, 9, 0, 1)),
    );
    fix(f);
    f[24] = f[25] = 0;
    const s = checksum(f, 14, 34);
    f[24] = s >> 8;
    f[25] = s & 0xff;
    return f;
  };
  lab.wire.inject(echo((f) => (f[20] = 0x20)));
  lab.wire.inject(echo((f) => (f[40] ^= 0xff)), lab.wire.now + 2000);
  lab.wire.run({ maxUs: 2_000 });
  // The library reads its rings when a process makes a network call.
  b.exec("/bin/udpecho", ["udpecho", "9", "1"]);
  lab.wire.run({ maxUs: 20_000 });
  const echoes = b.aegis.network.filters[2];
  assert.deepEqual(echoes.ash, { runs: 2, aborts: 0 });
  assert.equal(echoes.delivered, 2, "both handed to the library");
  assert.deepEqual(b.exos.net!.stats.refused, { fragment: 1, icmp: 1 });
  assert.equal(b.aegis.network.stats.sent, 0, "and nobody answered them");
  lab.close();
});

Deno.test("Sockets: EADDRINUSE for a taken port, EMSGSIZE past 1472 bytes, EAGAIN after a timeout", () => {
  const { lab, a, b } = two();
  b.exos.net!.up();
  const first = a.exec("/bin/udpecho", ["udpecho", "5", "1"]);
  lab.wire.run({ maxUs: 20_000 });
  const second = a.exec("/bin/udpecho", ["udpecho", "5", "1"]);
  lab.wire.run({ maxUs: 20_000 });
  assert.equal(second.exitStatus, 1);
  assert.match(a.output, /udpecho: bind: error 98\n/);
  // Nobody on b listens at port 6: the client's datagram is dropped by b's kernel, and its
  // receive gives up after its second.
  const client = a.exec("/bin/udpclient", ["udpclient", B, "6", "anyone"]);
  const started = lab.wire.now;
  lab.wire.run({ maxUs: 3_000_000, until: () => client.waitStatus !== undefined });
  assert.equal(client.exitStatus, 1);
  assert.match(a.output, /udpclient: no answer to "anyone" \(error 11\)\n/);
  const waited = (lab.wire.now - started) / 25;
  assert.ok(waited >= 1_000_000 && waited < 1_100_000, `waited ${waited} us`);
  assert.ok(b.aegis.network.stats.dropped >= 1);
  assert.equal(first.exitStatus, undefined);
  const big = new Uint8Array(1473);
  const stack = a.exos.net!;
  const fd = stack.socket(first, 2, 2, 0);
  assert.equal(stack.sendto(first, fd, big, ip(B), 7), -90);
  assert.equal(stack.sendto(first, fd, big.subarray(1), ip("192.168.1.1"), 7), -101, "no gateway");
  assert.equal(stack.close(first, fd), 0);
  assert.equal(stack.close(first, fd), -9);
  lab.close();
});

Deno.test("sendto to an address nobody answers ARP for fails with EHOSTUNREACH", () => {
  const { lab, a } = two();
  const client = a.exec("/bin/udpclient", ["udpclient", "10.0.0.99", "7", "hello"]);
  lab.wire.run({ maxUs: 2_000_000, until: () => client.waitStatus !== undefined });
  lab.close();
  assert.equal(client.exitStatus, 1);
  assert.match(a.output, /udpclient: sendto: error 113\n/);
});

Deno.test("A guest UDP program on the gateway talks to this test's UDP server on 127.0.0.1", async () => {
  const server = dgram.createSocket("udp4");
  await new Promise<void>((r) => server.bind(0, "127.0.0.1", () => r()));
  server.on("message", (msg, from) => {
    server.send(
      new TextEncoder().encode(`echo ${new TextDecoder().decode(msg).toUpperCase()}`),
      from.port,
      from.address,
    );
  });
  const port = server.address().port;
  const lab = new NetLab({ gateway: true });
  const guest = lab.add({ ip: "10.0.2.15", gateway: "10.0.2.2", name: "guest" });
  try {
    const p = guest.exec("/bin/udpclient", [
      "udpclient",
      "10.0.2.2",
      String(port),
      "hello",
      "host",
    ]);
    const r = await lab.runAsync(3_000_000);
    assert.equal(r.reason, "until");
    assert.equal(p.exitStatus, 0, guest.output);
    assert.equal(
      guest.output,
      `from 10.0.2.2:${port}: echo HELLO\nfrom 10.0.2.2:${port}: echo HOST\n`,
    );
    assert.equal(lab.gateway!.stats.udpOut, 2);
    assert.equal(lab.gateway!.stats.arp, 1);
  } finally {
    lab.close();
    server.close();
  }
});

Deno.test("ping through the gateway reaches 10.0.2.2", () => {
  const lab = new NetLab({ gateway: true });
  const guest = lab.add({ ip: "10.0.2.15", gateway: "10.0.2.2", name: "guest" });
  const p = guest.exec("/bin/ping", ["ping", "10.0.2.2", "2"]);
  lab.run();
  lab.close();
  assert.equal(p.exitStatus, 0, guest.output);
  assert.equal(lab.gateway!.stats.icmp, 2);
});

Deno.test("fork leaves a process's network pages to it alone: no copy-on-write, no sharing", () => {
  const { lab, b } = two();
  const server = b.exos.exec(unixElf("netfork"), ["netfork"]); // binds, forks, the child sleeps
  lab.wire.run({ maxUs: 50_000 });
  const net = server.vm.entries().filter((m) => isNetPage(m.flags));
  assert.ok(net.length >= 5, `${net.length} network pages: the ring's four and the transmit page`);
  const child = b.exos.processes.find((p) => p.parent === server);
  assert.ok(child !== undefined && child.alive, "the child sleeps");
  for (const m of net) {
    assert.equal(child.vm.lookup(m.vpn << 12), undefined, "not in the child");
    assert.equal(server.vm.lookup(m.vpn << 12)!.flags, m.flags, "not made copy-on-write");
  }
  assert.deepEqual(checkInvariants(b.aegis), []);
  lab.run();
  assert.equal(server.exitStatus, 0);
  lab.close();
});

Deno.test("ExOS's ASHs pass the kernel's inspection and have no load-delay hazard", () => {
  for (
    const [name, source] of [["arp", arpResponder], ["echo", echoResponder], [
      "pingpong",
      pingPong,
    ]] as const
  ) {
    const words = source.at(0).text;
    assert.ok("ok" in inspectAsh(words), name);
    assert.deepEqual(loadHazards(words, 0), [], name);
  }
});
