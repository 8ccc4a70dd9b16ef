import assert from "node:assert/strict";
import { Bus } from "../../machine/bus.ts";
import { Rom, ROM_BASE, ROM_SIZE } from "../../machine/rom.ts";

Deno.test("Rom covers 512 KB at physical 0x1fc00000 and starts zeroed", () => {
  const rom = new Rom();
  assert.equal(rom.base, ROM_BASE);
  assert.equal(ROM_BASE, 0x1fc00000);
  assert.equal(rom.size, ROM_SIZE);
  assert.equal(ROM_SIZE, 0x80000);
  assert.equal(rom.read(ROM_SIZE - 4, 4), 0);
});

Deno.test("Rom reads loaded bytes little-endian in 1, 2 and 4 byte widths", () => {
  const rom = new Rom();
  rom.load(0x100, new Uint8Array([0x78, 0x56, 0x34, 0x12, 0xff]));
  assert.equal(rom.read(0x100, 4), 0x12345678);
  assert.equal(rom.read(0x102, 2), 0x1234);
  assert.equal(rom.read(0x101, 1), 0x56);
  assert.equal(rom.read(0x104, 1), 0xff);
  rom.load(0x200, new Uint8Array([0, 0, 0, 0x80]));
  assert.equal(rom.read(0x200, 4), 0x80000000);
});

Deno.test("Rom.load takes words, and their views at an offset", () => {
  const rom = new Rom();
  const words = new Uint32Array([0xdeadbeef, 0x3c1abfc0, 0x0000000d]);
  rom.load(0, words.subarray(1));
  assert.equal(rom.read(0, 4), 0x3c1abfc0);
  assert.equal(rom.read(4, 4), 0x0000000d);
});

Deno.test("Rom.load rejects an image that does not fit", () => {
  const rom = new Rom();
  assert.throws(() => rom.load(ROM_SIZE - 2, new Uint8Array(4)), /does not fit in 524288 bytes/);
  assert.throws(() => rom.load(-1, new Uint8Array(1)), /does not fit/);
  rom.load(ROM_SIZE - 4, new Uint8Array([1, 2, 3, 4]));
  assert.equal(rom.read(ROM_SIZE - 4, 4), 0x04030201);
});

Deno.test("Rom ignores guest writes through the bus", () => {
  const bus = new Bus(4096);
  const rom = new Rom();
  bus.attach(rom);
  rom.load(0, new Uint8Array([0x11, 0x22, 0x33, 0x44]));
  bus.write(ROM_BASE, 4, 0);
  bus.write(ROM_BASE + 1, 1, 0xee);
  assert.equal(bus.read(ROM_BASE, 4), 0x44332211);
  assert.equal(bus.read(ROM_BASE + 2, 2), 0x4433);
});
