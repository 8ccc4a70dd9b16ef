import { DECstation } from "./machine/decstation.ts";
import { Aegis } from "./aegis/kernel.ts";
const MAC_A = [8, 0, 0x2b, 0, 0, 0xa], MAC_B = [8, 0, 0x2b, 0, 0, 0xb];
function tcp(sport: number, dport: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set(MAC_B, 0); f.set(MAC_A, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 12);
  f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 34);
  return f;
}
const tcpFilter = (s: number, d: number) => "[12:2] == 0x0800 && [14:1] == 0x45 && [23:1] == 6 && [26:4] == 0x0a000001 && " + `[30:4] == 0x0a000002 && [34:2] == ${s} && [36:2] == ${d}`;
for (const n of [1, 2, 5, 10, 20, 30]) {
  const b = new Aegis(new DECstation());
  const envs = [b.createEnv("a"), b.createEnv("b")];
  for (let i = 0; i < n; i++) envs[i%2].installFilter(tcpFilter(5000 + i, 80));
  let d = 0, dc = 0, m = 0, mc = 0;
  for (let i = 0; i < n; i++) { const r = b.network.classify(tcp(5000+i, 80), "dpf"); d += r.instructions; dc += r.cycles; const q = b.network.classify(tcp(5000+i, 80), "mpf"); m += q.instructions; mc += q.cycles; }
  console.log(n, "dpf", (d/n).toFixed(1), (dc/n).toFixed(1), "cyc", (dc/n/25).toFixed(2), "us | mpf", (m/n).toFixed(1), (mc/n).toFixed(1), (mc/n/25).toFixed(2), "us", "code", b.network.codeWords);
}
