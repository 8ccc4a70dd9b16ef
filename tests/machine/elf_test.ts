import assert from "node:assert/strict";
import {
  checkSegmentsFit,
  ElfError,
  type ElfImage,
  parseElf,
  symbolAt,
} from "../../machine/elf.ts";

const out = new URL("../guest/out/", import.meta.url);
const load = (name: string) => Deno.readFileSync(new URL(`${name}.elf`, out));
const PROGRAMS = [
  "hello",
  "promcalls",
  "arith",
  "memory",
  "calls",
  "loop",
  "exceptions",
  "default_layout",
];
const MB32 = 32 << 20;

/** A copy of hello.elf with edit applied to its bytes. */
function corrupt(edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = load("hello");
  edit(b, new DataView(b.buffer));
  return b;
}

/** Assert that parsing bytes fails with a one-line ElfError matching re. */
function rejects(bytes: Uint8Array, re: RegExp) {
  assert.throws(() => parseElf(bytes), (e: unknown) => {
    assert.ok(e instanceof ElfError, `expected ElfError, got ${e}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"), "message is one line");
    return true;
  });
}

/** The first PT_LOAD's file offset and size in hello.elf, read by hand. */
function firstLoad(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset);
  const phoff = v.getUint32(28, true);
  for (let p = phoff;; p += 32) {
    if (v.getUint32(p, true) === 1) {
      return { at: p, offset: v.getUint32(p + 4, true), size: v.getUint32(p + 16, true) };
    }
  }
}

Deno.test("parseElf reads entry, segments and symbols of hello.elf", () => {
  const bytes = load("hello");
  const img = parseElf(bytes);
  assert.equal(img.entry, 0x80030000);
  const start = img.symbols.find((s) => s.name === "__start");
  assert.equal(start?.value, img.entry);
  const text = img.segments[0];
  assert.equal(text.vaddr, 0x80030000);
  assert.equal(text.paddr, 0x80030000);
  assert.equal(text.flags, 5, "text is R+X");
  const { offset, size } = firstLoad(bytes);
  assert.deepEqual(text.data, bytes.subarray(offset, offset + size));
  // crt0.S begins with `lui $t0, %hi(__bss_start)`: opcode 0x0f, rt 8.
  assert.equal(new DataView(text.data.buffer).getUint32(0, true) >>> 16, 0x3c08);
  assert.ok(img.segments.slice(1).every((s) => s.flags === 6), "data segments are R+W");
  const main = img.symbols.find((s) => s.name === "main");
  assert.equal(main?.type, "func");
  assert.ok(main.size > 0 && main.value > img.entry);
  assert.equal(img.symbols.find((s) => s.name === "__rex")?.type, "other");
  assert.ok(!img.symbols.some((s) => s.name === "" || s.name.endsWith(".c")), "no file symbols");
});

Deno.test("parseElf keeps .bss as memory beyond the file bytes", () => {
  const img = parseElf(load("loop"));
  const composite = img.symbols.find((s) => s.name === "composite");
  assert.equal(composite?.type, "object");
  assert.equal(composite.size, 600001);
  const seg = img.segments.find((s) =>
    composite.value >= s.vaddr && composite.value + composite.size <= s.vaddr + s.memSize
  );
  assert.ok(seg && seg.memSize > seg.data.length + 600000);
});

Deno.test("parseElf and checkSegmentsFit accept every guest program", () => {
  for (const name of PROGRAMS) {
    const img = parseElf(load(name));
    assert.ok(img.segments.length > 0, name);
    const phys = checkSegmentsFit(img, MB32);
    assert.deepEqual(phys, img.segments.map((s) => s.vaddr - 0x80000000), name);
  }
});

/** The PT_LOAD program headers of `b`, read by hand: vaddr and memory size. */
function loads(b: Uint8Array): { vaddr: number; memSize: number }[] {
  const v = new DataView(b.buffer, b.byteOffset);
  const phoff = v.getUint32(28, true), phnum = v.getUint16(44, true);
  return Array.from({ length: phnum }, (_, i) => phoff + 32 * i)
    .filter((p) => v.getUint32(p, true) === 1)
    .map((p) => ({ vaddr: v.getUint32(p + 8, true), memSize: v.getUint32(p + 20, true) }));
}

Deno.test("parseElf leaves out the default layout's segment of .MIPS.abiflags and .reginfo", () => {
  const bytes = load("default_layout");
  assert.deepEqual(loads(bytes)[0], { vaddr: 0x00400000, memSize: 0x128 }, "it is in the file");
  const img = parseElf(bytes);
  assert.equal(img.segments.length, loads(bytes).length - 1);
  assert.ok(img.segments.every((s) => s.vaddr >= 0x80000000), "only the kseg0 segments remain");
  assert.deepEqual(checkSegmentsFit(img, MB32), img.segments.map((s) => s.vaddr - 0x80000000));
  // Without the section table nothing says what the segment holds: it stays, and cannot load.
  const stripped = bytes.slice();
  new DataView(stripped.buffer).setUint16(48, 0, true); // e_shnum
  const kept = parseElf(stripped);
  assert.equal(kept.segments[0].vaddr, 0x00400000);
  assert.throws(
    () => checkSegmentsFit(kept, MB32),
    /Segment 0 at 0x400000-0x400128 is outside RAM/,
  );
});

Deno.test("parseElf rejects a file that is not an ELF", () => {
  rejects(corrupt((b) => b[0] = 0), /^Not an ELF file: it starts with 00 45 4c 46/);
  rejects(new TextEncoder().encode("#!/bin/sh\n"), /starts with 23 21 2f 62/);
  rejects(new Uint8Array(0), /starts with nothing/);
});

Deno.test("parseElf rejects ELF64, big-endian, other machines and non-executables", () => {
  rejects(corrupt((b) => b[4] = 2), /^Wrong ELF class 2 \(ELF64\): need ELF32/);
  rejects(corrupt((b) => b[5] = 2), /^Wrong ELF data encoding 2 \(big-endian\)/);
  rejects(corrupt((_, v) => v.setUint16(18, 62, true)), /^Wrong machine 62: need EM_MIPS \(8\)/);
  rejects(
    corrupt((_, v) => v.setUint16(16, 1, true)),
    /^Not an executable: e_type is 1 \(relocatable\), need ET_EXEC \(2\)/,
  );
  rejects(corrupt((_, v) => v.setUint16(16, 3, true)), /e_type is 3 \(shared object\)/);
});

Deno.test("parseElf names the truncated part and its offsets", () => {
  const b = load("hello");
  rejects(
    b.slice(0, 40),
    /^Truncated ELF: the ELF header spans 0x0-0x34 but the file ends at 0x28/,
  );
  const { offset, size } = firstLoad(b);
  const end = (offset + size).toString(16);
  rejects(
    b.slice(0, offset + 16),
    new RegExp(
      `segment \\d+'s file range spans 0x${offset.toString(16)}-0x${end} but the file ` +
        `ends at 0x${(offset + 16).toString(16)}`,
    ),
  );
  rejects(
    corrupt((x, v) => v.setUint32(28, x.length - 8, true)),
    /the program header table spans .* but the file ends at/,
  );
  rejects(
    corrupt((x, v) => v.setUint32(32, x.length - 40, true)),
    /the section header table spans/,
  );
});

Deno.test("parseElf rejects a segment larger in the file than in memory", () => {
  rejects(
    corrupt((x, v) => v.setUint32(firstLoad(x).at + 20, 4, true)),
    /^Bad segment \d+: file size 0x[0-9a-f]+ exceeds memory size 0x4$/,
  );
});

Deno.test("parseElf reads a stripped file with no symbols", () => {
  const img = parseElf(corrupt((_, v) => v.setUint16(48, 0, true)));
  assert.deepEqual(img.symbols, []);
  assert.equal(img.entry, 0x80030000);
});

/** hello.elf's image with its first segment moved to vaddr. */
function moved(vaddr: number): ElfImage {
  const img = parseElf(load("hello"));
  img.segments[0] = { ...img.segments[0], vaddr };
  img.entry = vaddr;
  return img;
}

Deno.test("checkSegmentsFit maps kseg1 and rejects kuseg, kseg2 and too little RAM", () => {
  assert.equal(checkSegmentsFit(moved(0xa0030000), MB32)[0], 0x30000);
  const fails = (img: ElfImage, ram: number, re: RegExp) =>
    assert.throws(() => checkSegmentsFit(img, ram), (e: unknown) => {
      assert.ok(e instanceof ElfError);
      assert.match(e.message, re);
      return true;
    });
  fails(moved(0x00400000), MB32, /^Segment 0 at 0x400000-0x[0-9a-f]+ is outside RAM/);
  fails(moved(0xc0000000), MB32, /^Segment 0 at 0xc0000000-.* is outside RAM/);
  fails(moved(0x9ffffff0), 0x20000000, /runs past the end of its kseg0\/kseg1 window/);
  fails(moved(0x80030000), 0x30010, /ends at physical 0x[0-9a-f]+, beyond RAM \(0x30010 bytes\)/);
  const img = parseElf(load("hello"));
  img.entry = 0x80000000;
  fails(img, MB32, /^Entry point 0x80000000 is outside every loaded segment$/);
});

Deno.test("symbolAt names the enclosing symbol with an offset", () => {
  const img = parseElf(load("calls"));
  const main = img.symbols.find((s) => s.name === "main")!;
  assert.equal(symbolAt(img, main.value), "main");
  assert.equal(symbolAt(img, main.value + 0x1c), "main+0x1c");
  assert.equal(symbolAt(img, 0x80030004), "__start+0x4");
  assert.equal(symbolAt(img, 0x1000), undefined);
  const sized: ElfImage = {
    entry: 0,
    segments: [],
    symbols: [
      { name: "label", value: 0x100, size: 0, type: "other" },
      { name: "fn", value: 0x200, size: 0x10, type: "func" },
      { name: "alias", value: 0x200, size: 0, type: "other" },
    ],
  };
  assert.equal(symbolAt(sized, 0x204), "fn+0x4");
  assert.equal(symbolAt(sized, 0x210), "alias+0x10", "a size-0 symbol reaches past fn");
  assert.equal(symbolAt(sized, 0x1ff), "label+0xff");
});
