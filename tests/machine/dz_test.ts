import assert from "node:assert/strict";
import type { Interrupts } from "../../machine/bus.ts";
import { Csr, KN02_SLOT } from "../../machine/csr.ts";
import { Dz, DZ_BASE, DZ_CSR, DZ_LPR, DZ_RBUF, DZ_REG } from "../../machine/dz.ts";

class FakeInterrupts implements Interrupts {
  lines = [false, false, false, false, false, false];
  setLine(line: number, level: boolean): void {
    this.lines[line] = level;
  }
}

/** A DZ behind a real CSR with a fake CPU, and what each line transmitted. */
function rig() {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  const dz = new Dz({ csr });
  const out: number[][] = [[], [], [], []];
  dz.onTransmit = (line, b) => out[line].push(b);
  const reg = (r: number) => dz.read(r, 2);
  const set = (r: number, v: number) => dz.write(r, 2, v);
  return { irq, csr, dz, out, reg, set };
}

/** Polling output as a PROM does it: enable the line, wait for TRDY on it, write TDR. */
function putc(t: ReturnType<typeof rig>, line: number, c: number): void {
  t.set(DZ_REG.TCR, t.reg(DZ_REG.TCR) | (1 << line));
  for (let tries = 0; tries < 8; tries++) {
    const csr = t.reg(DZ_REG.CSR);
    assert.ok(csr & DZ_CSR.TRDY, "TRDY never set");
    if (((csr & DZ_CSR.TLINE) >> 8) === line) {
      t.set(DZ_REG.TDR, c);
      return;
    }
    t.set(DZ_REG.TCR, t.reg(DZ_REG.TCR) & ~(1 << ((csr & DZ_CSR.TLINE) >> 8)));
  }
  assert.fail(`line ${line} never came ready`);
}

Deno.test("Dz sits at 0x1fe00000 with registers at an 8-byte stride", () => {
  const { dz } = rig();
  assert.equal(dz.base, DZ_BASE);
  assert.equal(DZ_BASE, 0x1fe00000);
  assert.deepEqual(DZ_REG, { CSR: 0, RBUF: 8, LPR: 8, TCR: 0x10, MSR: 0x18, TDR: 0x18 });
});

Deno.test("Dz shows no TRDY until MSE is set and a line is enabled", () => {
  const t = rig();
  t.set(DZ_REG.TCR, 0x8);
  assert.equal(t.reg(DZ_REG.CSR) & DZ_CSR.TRDY, 0);
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  assert.equal(t.reg(DZ_REG.CSR), DZ_CSR.MSE | DZ_CSR.TRDY | (3 << 8));
  t.set(DZ_REG.TCR, 0);
  assert.equal(t.reg(DZ_REG.CSR), DZ_CSR.MSE);
});

Deno.test("Dz transmits each line's bytes to that line's sink", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  for (let line = 0; line < 4; line++) {
    for (const c of `L${line}`) putc(t, line, c.charCodeAt(0));
  }
  assert.deepEqual(t.out.map((o) => String.fromCharCode(...o)), ["L0", "L1", "L2", "L3"]);
});

Deno.test("Dz keeps TRDY on the same line after a write when it is the only one enabled", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.TCR, 1 << 3);
  t.set(DZ_REG.TDR, 0x41);
  t.dz.write(DZ_REG.TDR, 1, 0x42);
  assert.equal(t.reg(DZ_REG.CSR) & (DZ_CSR.TRDY | DZ_CSR.TLINE), DZ_CSR.TRDY | (3 << 8));
  assert.deepEqual(t.out[3], [0x41, 0x42]);
});

Deno.test("Dz scans enabled lines in turn after each TDR write", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.TCR, 0b1010);
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    const line = (t.reg(DZ_REG.CSR) & DZ_CSR.TLINE) >> 8;
    seen.push(line);
    t.set(DZ_REG.TDR, 0x30 + i);
  }
  assert.deepEqual(seen, [1, 3, 1, 3]);
  assert.deepEqual(t.out[1], [0x30, 0x32]);
  assert.deepEqual(t.out[3], [0x31, 0x33]);
});

Deno.test("Dz ignores a TDR write while TRDY is clear", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.TDR, 0x41);
  assert.deepEqual(t.out, [[], [], [], []]);
});

Deno.test("Dz interrupts through CSR bit 7 on TIE with TRDY, only when the CSR enables it", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE | DZ_CSR.TIE);
  t.set(DZ_REG.TCR, 1 << 3);
  assert.equal(t.csr.read(0, 4) & 0xff, 1 << KN02_SLOT.dz);
  assert.equal(t.irq.lines[0], false);
  t.csr.write(0, 4, 1 << (16 + KN02_SLOT.dz));
  assert.equal(t.irq.lines[0], true);
  // An interrupt-driven driver: send the queue, then disable the line when it is empty.
  const queue = [..."hi"].map((c) => c.charCodeAt(0));
  while (t.reg(DZ_REG.CSR) & DZ_CSR.TRDY) {
    const line = (t.reg(DZ_REG.CSR) & DZ_CSR.TLINE) >> 8;
    if (queue.length > 0) t.set(DZ_REG.TDR, queue.shift()!);
    else t.set(DZ_REG.TCR, t.reg(DZ_REG.TCR) & ~(1 << line));
  }
  assert.equal(String.fromCharCode(...t.out[3]), "hi");
  assert.equal(t.irq.lines[0], false);
  assert.equal(t.csr.read(0, 4) & 0xff, 0);
});

Deno.test("Dz raises no interrupt without TIE or RIE", () => {
  const t = rig();
  t.csr.write(0, 4, 0x00ff0000);
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.TCR, 0xf);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  t.dz.receive(3, 0x61);
  assert.ok(t.reg(DZ_REG.CSR) & DZ_CSR.RDONE);
  assert.equal(t.irq.lines[0], false);
});

Deno.test("Dz receives into the silo with DVAL and line number, in order", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 0x0e00 | 0x18 | 3);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 2);
  assert.equal(t.reg(DZ_REG.CSR) & DZ_CSR.RDONE, 0);
  assert.equal(t.reg(DZ_REG.RBUF), 0);
  t.dz.receive(3, 0x61);
  t.dz.receive(3, 0x62);
  t.dz.receive(2, 0x0d);
  assert.ok(t.reg(DZ_REG.CSR) & DZ_CSR.RDONE);
  assert.equal(t.reg(DZ_REG.RBUF), DZ_RBUF.DVAL | (3 << 8) | 0x61);
  assert.equal(t.reg(DZ_REG.RBUF), DZ_RBUF.DVAL | (3 << 8) | 0x62);
  assert.equal(t.reg(DZ_REG.RBUF), DZ_RBUF.DVAL | (2 << 8) | 0x0d);
  assert.equal(t.reg(DZ_REG.RBUF), 0);
  assert.equal(t.reg(DZ_REG.CSR) & DZ_CSR.RDONE, 0);
  assert.equal(t.dz.lpr[3], DZ_LPR.RXENAB | 0x0e00 | 0x18 | 3);
});

Deno.test("Dz holds input on the wire until the receiver is enabled", () => {
  const t = rig();
  t.dz.receive(3, 0x78);
  assert.equal(t.dz.waiting, 1);
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  assert.equal(t.reg(DZ_REG.CSR) & DZ_CSR.RDONE, 0);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  assert.equal(t.dz.waiting, 0);
  assert.equal(t.reg(DZ_REG.RBUF), DZ_RBUF.DVAL | (3 << 8) | 0x78);
});

Deno.test("Dz fills the 64-entry silo and refills it as the guest reads, losing nothing", () => {
  const t = rig();
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  for (let i = 0; i < 100; i++) t.dz.receive(3, i);
  assert.equal(t.dz.waiting, 36);
  const got: number[] = [];
  for (let v = t.reg(DZ_REG.RBUF); v & DZ_RBUF.DVAL; v = t.reg(DZ_REG.RBUF)) got.push(v & 0xff);
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("Dz interrupts on RIE with RDONE until the silo is drained", () => {
  const t = rig();
  t.csr.write(0, 4, 1 << (16 + KN02_SLOT.dz));
  t.set(DZ_REG.CSR, DZ_CSR.MSE | DZ_CSR.RIE);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  assert.equal(t.irq.lines[0], false);
  t.dz.receive(3, 0x71);
  t.dz.receive(3, 0x72);
  assert.equal(t.irq.lines[0], true);
  t.reg(DZ_REG.RBUF);
  assert.equal(t.irq.lines[0], true);
  t.reg(DZ_REG.RBUF);
  assert.equal(t.irq.lines[0], false);
});

Deno.test("Dz byte accesses reach the register's low and high bytes", () => {
  const t = rig();
  t.dz.write(DZ_REG.CSR, 1, DZ_CSR.MSE);
  t.dz.write(DZ_REG.CSR + 1, 1, DZ_CSR.TIE >> 8);
  assert.equal(t.reg(DZ_REG.CSR), DZ_CSR.MSE | DZ_CSR.TIE);
  t.dz.write(DZ_REG.TCR, 1, 1 << 3);
  assert.equal(t.dz.read(DZ_REG.CSR + 1, 1), (DZ_CSR.TRDY | DZ_CSR.TIE | (3 << 8)) >> 8);
  assert.equal(t.dz.read(DZ_REG.CSR, 4), DZ_CSR.TRDY | DZ_CSR.TIE | (3 << 8) | DZ_CSR.MSE);
  assert.equal(t.dz.read(DZ_REG.CSR + 4, 2), 0);
});

Deno.test("Dz CSR.CLR clears the registers, the silo and the interrupt", () => {
  const t = rig();
  t.csr.write(0, 4, 1 << (16 + KN02_SLOT.dz));
  t.set(DZ_REG.CSR, DZ_CSR.MSE | DZ_CSR.RIE);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  t.set(DZ_REG.TCR, 0xf);
  t.dz.receive(3, 0x41);
  assert.equal(t.irq.lines[0], true);
  t.set(DZ_REG.CSR, DZ_CSR.CLR);
  assert.equal(t.reg(DZ_REG.CSR), 0);
  assert.equal(t.reg(DZ_REG.TCR), 0);
  assert.equal(t.reg(DZ_REG.RBUF), 0);
  assert.equal(t.irq.lines[0], false);
});

Deno.test("Dz.receive rejects a line outside 0..3", () => {
  const { dz } = rig();
  assert.throws(() => dz.receive(4, 0), /DZ line 4 is not in 0\.\.3/);
  assert.throws(() => dz.receive(-1, 0), /DZ line -1/);
});

Deno.test("Dz.takeConsoleInput takes line 3's bytes from the silo, then the wire", () => {
  const t = rig();
  assert.equal(t.dz.takeConsoleInput(), undefined);
  t.set(DZ_REG.CSR, DZ_CSR.MSE);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 3);
  t.set(DZ_REG.LPR, DZ_LPR.RXENAB | 2);
  t.dz.receive(2, 0x6d);
  for (let i = 0; i < 70; i++) t.dz.receive(3, i);
  assert.equal(t.dz.waiting, 7);
  const got: number[] = [];
  for (let c = t.dz.takeConsoleInput(); c !== undefined; c = t.dz.takeConsoleInput()) got.push(c);
  assert.deepEqual(got, Array.from({ length: 70 }, (_, i) => i));
  assert.equal(t.reg(DZ_REG.RBUF), DZ_RBUF.DVAL | (2 << 8) | 0x6d);
});
