import assert from "node:assert/strict";
import type { Interrupts } from "../../machine/bus.ts";
import { Csr, CSR_BASE, KN02_SLOT } from "../../machine/csr.ts";

class FakeInterrupts implements Interrupts {
  lines = [false, false, false, false, false, false];
  changes = 0;
  setLine(line: number, level: boolean): void {
    this.lines[line] = level;
    this.changes++;
  }
}

Deno.test("Csr sits at 0x1ff00000 and starts with everything masked", () => {
  const csr = new Csr(new FakeInterrupts());
  assert.equal(csr.base, CSR_BASE);
  assert.equal(CSR_BASE, 0x1ff00000);
  assert.equal(csr.read(0, 4), 0);
});

Deno.test("Csr.setSource shows the request in the status byte whether enabled or not", () => {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  csr.setSource(KN02_SLOT.dz, true);
  assert.equal(csr.read(0, 4), 0x80);
  assert.equal(irq.lines[0], false);
  csr.setSource(KN02_SLOT.dz, false);
  assert.equal(csr.read(0, 4), 0);
});

Deno.test("Csr raises IP2 only for enabled sources", () => {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  csr.write(0, 4, 1 << (16 + KN02_SLOT.lance));
  csr.setSource(KN02_SLOT.dz, true);
  assert.equal(irq.lines[0], false);
  assert.equal(csr.pending, 0);
  csr.setSource(KN02_SLOT.lance, true);
  assert.equal(irq.lines[0], true);
  assert.equal(csr.pending, 0x40);
  csr.write(0, 4, 0x00ff0000);
  assert.equal(csr.pending, 0xc0);
  csr.write(0, 4, 1 << (16 + KN02_SLOT.dz));
  assert.equal(irq.lines[0], true);
  csr.write(0, 4, 0);
  assert.equal(irq.lines[0], false);
  assert.equal(irq.lines.slice(1).some((l) => l), false);
});

Deno.test("Csr drops the line when the last enabled source drops", () => {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  csr.write(0, 4, 0x00c00000);
  csr.setSource(6, true);
  csr.setSource(7, true);
  csr.setSource(6, false);
  assert.equal(irq.lines[0], true);
  csr.setSource(7, false);
  assert.equal(irq.lines[0], false);
});

Deno.test("Csr writes the LEDs with bits 7:0 and reads status there instead", () => {
  const csr = new Csr(new FakeInterrupts());
  csr.write(0, 4, 0x00800055);
  assert.equal(csr.leds, 0x55);
  assert.equal(csr.read(0, 4), 0x00800000);
  csr.write(0, 1, 0xaa);
  assert.equal(csr.leds, 0xaa);
  assert.equal(csr.read(0, 4), 0x00800000);
});

Deno.test("Csr stores control bits, keeps read-only bits 15:12 clear, allows byte access", () => {
  const csr = new Csr(new FakeInterrupts());
  csr.write(0, 4, 0xffffffff);
  assert.equal(csr.read(0, 4), 0xffff0f00);
  csr.write(2, 1, 0x01);
  assert.equal(csr.read(0, 4), 0xff010f00);
  assert.equal(csr.read(2, 2), 0xff01);
  assert.equal(csr.read(3, 1), 0xff);
});

Deno.test("Csr.reset clears enables and lowers IP2", () => {
  const irq = new FakeInterrupts();
  const csr = new Csr(irq);
  csr.write(0, 4, 0x00800000);
  csr.setSource(7, true);
  assert.equal(irq.lines[0], true);
  csr.reset();
  assert.equal(irq.lines[0], false);
  assert.equal(csr.read(0, 4), 0x80);
});

Deno.test("Csr.setSource rejects a bit outside 0..7", () => {
  const csr = new Csr(new FakeInterrupts());
  assert.throws(() => csr.setSource(8, true), /source 8 is not in 0\.\.7/);
});
