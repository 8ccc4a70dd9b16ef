import { DECstation } from "./machine/decstation.ts";
import { Aegis } from "./aegis/kernel.ts";
import { loadHazards } from "./tests/aegis/_hazards.ts";
import { K } from "./aegis/layout.ts";
const m = new DECstation();
const a = new Aegis(m);
const s = a.symbols;
const at = (K.UTLB_VECTOR & 0x1fffffff) >>> 2;
const words = m.bus.ram32.subarray(at, at + (s.kernel_end - K.UTLB_VECTOR) / 4);
const h = loadHazards(words, K.UTLB_VECTOR);
const names = Object.entries(s).sort((x, y) => x[1] - y[1]);
for (const line of h) {
  const addr = parseInt(line.slice(2), 16);
  const sym = names.filter(([, v]) => v <= addr).pop();
  console.log(line, "in", sym?.[0], "+", addr - (sym?.[1] ?? 0));
}
