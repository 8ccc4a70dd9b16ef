/**
 * What the bench shows (machine/cpu_view.ts, shell/views.ts, shell/symbols.ts): the register
 * view, disassembly with symbols and an arrow at the pc, hex dumps of each address space, and
 * objects that print names and hex, never raw typed arrays.
 *
 * @module
 */

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { asm } from "../../machine/asm/mod.ts";
import { SR } from "../../machine/cp0.ts";
import { Lab } from "../../shell/lab.ts";
import { decodeCause, decodeStatus } from "../../machine/cpu_view.ts";

Deno.test("Cpu prints the registers by name in hex, pc, hi, lo and decoded CP0", () => {
  const m = new Lab();
  m.cpu.regs[2] = 0x2a;
  m.cpu.regs[31] = -1;
  m.cpu.hi = 0x1234;
  const text = inspect(m.cpu);
  assert.match(text, /^pc 8000ff00 {2}hi 00001234 {2}lo 00000000 {2}kernel mode$/m);
  assert.match(text, /\$v0 0000002a/);
  assert.match(text, /\$ra ffffffff/);
  assert.match(text, /\$zero 00000000/);
  assert.match(text, /^Status +[0-9a-f]{8} {2}KU\/IE current kernel\/on, previous kernel\/off/m);
  assert.match(text, /^Cause +[0-9a-f]{8} {2}ExcCode Int \(0\)/m);
  assert.match(text, /^EntryHi +[0-9a-f]{8} {2}\(VPN [0-9a-f]{8}, ASID \d+\)/m);
  assert.doesNotMatch(text, /Int32Array|\[ 0, 0/, "no raw arrays");
  assert.equal(m.cpu.regs[2], 0x2a, "the raw state is still there");
});

Deno.test("Bus prints RAM's size and the devices' addresses, not RAM's bytes", () => {
  const m = new Lab();
  const text = inspect(m.bus);
  assert.match(
    text,
    /^Bus · RAM 32 MB at 0x00000000 \(\.ram8 \.ram16 \.ram32\) · .*dz 0x1fe00000-0x1fe0001f/,
  );
  assert.doesNotMatch(text, /Uint8Array/);
});

Deno.test("decodeStatus and decodeCause name the fields", () => {
  assert.equal(
    decodeStatus(SR.BEV | SR.KUp | SR.IEp | SR.IEc | (1 << 11)),
    "KU/IE current kernel/on, previous user/on, old kernel/off · IM 3 · BEV",
  );
  assert.equal(decodeCause((1 << 31) | (3 << 2) | (1 << 10)), "ExcCode TLBS (3) · IP 2 · BD");
  assert.equal(decodeCause((1 << 28) | (11 << 2)), "ExcCode CpU (11) · IP - · CE 1");
});

Deno.test("Lab disasm names jump targets and labels by symbol, with an arrow at the pc", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("code");
  const prog = e.load(asm`
        .set noreorder
main:   jal     helper
        nop
1:      b       1b
        nop
helper: jr      $ra
        nop`);
  m.symbols.add(prog, e);
  e.enter(prog.origin);
  const text = String(m.disasm(prog.origin, 6, e));
  assert.match(text, /^0x00400000 <main> · user addresses of environment 0x0081 code$/m);
  assert.match(text, /^ {10}main:$/m);
  assert.match(text, /^→ 0x00400000 {2}0c100004 {2}jal helper$/m);
  assert.match(text, /^ {10}helper:$/m);
  assert.match(String(m.disasm()), /^→ 0x00400000 /m, "around the pc by default");
  assert.match(String(m.disasm("helper", 1, e)), /^ {2}0x00400010 {2}03e00008 {2}jr \$ra$/m);
  // The kernel's own code, by its labels.
  const utlb = String(m.disasm("utlb", 4));
  assert.match(utlb, /^0x80000000 <utlb> · /);
  assert.match(utlb, /mfc0 \$k0, \$context/);
  assert.match(String(m.disasm("utlb+0x44", 1)), /rfe/);
});

Deno.test("Lab dump shows hex and ASCII of physical memory, kseg0 and an environment's pages", () => {
  const m = new Lab();
  const e = m.aegis.createEnv("data");
  const page = e.map(0x10000000);
  const text = new TextEncoder().encode("Hello, bench!");
  m.bus.ram8.set(text, page.paddr);
  const user = String(m.dump(0x10000000, 16, e));
  assert.match(user, /^0x10000000 · 16 bytes · user addresses of environment 0x0081 data$/m);
  assert.match(
    user,
    /^0x10000000 {2}48 65 6c 6c 6f 2c 20 62 {2}65 6e 63 68 21 00 00 00 {2}\|Hello, bench!\.\.\.\|$/m,
  );
  const phys = String(m.dump(page.paddr, 5));
  assert.match(phys, /48 65 6c 6c 6f/);
  assert.match(phys, /physical addresses below 0x80000000/);
  assert.match(String(m.dump(0x80000000 + page.paddr, 5)), /48 65 6c 6c 6f/, "kseg0");
  assert.match(String(m.dump(0x20000000, 4, e)), /-- -- -- --/, "nothing bound there");
});

Deno.test("Lab breakpoints, run outcomes and stats print names and hex, not raw arrays", () => {
  const m = new Lab();
  m.break({ exception: "Int" });
  m.watch(0x1000, { physical: true, access: "both", bytes: 8 });
  const table = inspect(m.breakpoints);
  assert.match(table, /^ +1 {2}exception Int +0$/m);
  assert.match(table, /^ +2 {2}read or write of 8 bytes at physical 0x00001000 +0$/m);
  const r = m.run();
  assert.equal(r.reason, "exception");
  assert.match(
    inspect(r),
    /^Breakpoint 1 \(exception Int\): EPC 0x8000ff0[0-9a-f] · pc 0x80000080 <general> \(kernel mode\)/,
  );
  assert.doesNotMatch(inspect(m.stats), /Array|\{/);
});
