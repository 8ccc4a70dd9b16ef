/**
 * Host speed of a networked run, for `deno task bench`: two DECstations on a wire ping-pong 20
 * frames (tests/guest/net.c "send"/"echo"), about 2.4 ms of emulated time per iteration; and a
 * guest pinging the gateway 10 times.
 *
 * @module
 */

import { DECstation } from "../../machine/decstation.ts";
import { Gateway } from "../../machine/gateway.ts";
import { Wire } from "../../machine/wire.ts";

const NET = Deno.readFileSync(new URL("../guest/out/net.elf", import.meta.url));

Deno.bench("wire: two DECstations ping-pong 20 frames", () => {
  const a = new DECstation({ memoryMB: 4, mac: "08:00:2b:00:01:01" });
  const b = new DECstation({ memoryMB: 4, mac: "08:00:2b:00:01:02" });
  a.loadElf(NET, ["net", "send", "20", "08:00:2b:00:01:02"]);
  b.loadElf(NET, ["net", "echo", "20"]);
  const wire = new Wire();
  wire.attach(a);
  wire.attach(b);
  wire.run({ maxUs: 2_000_000 });
  wire.close();
});

Deno.bench("wire: a DECstation pings the gateway 10 times", () => {
  const m = new DECstation({ memoryMB: 4, mac: "08:00:2b:00:01:03" });
  m.loadElf(NET, ["net", "ping", "10"]);
  const wire = new Wire();
  wire.attach(m);
  wire.attach(new Gateway());
  wire.run({ maxUs: 2_000_000 });
  wire.close();
});
