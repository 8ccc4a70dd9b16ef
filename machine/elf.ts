/**
 * ELF32 little-endian MIPS executables: the format of every guest program.
 *
 * parseElf reads what a loader needs and nothing more: the entry point, the PT_LOAD segments
 * (their bytes, memory size and flags) and, when the file has them, the symbols of .symtab
 * named through its string table, for traces and disassembly. It checks the format only: a file
 * that is not an ELF, is ELF64, big-endian, not MIPS, not an executable, or shorter than its own
 * headers and segments say, fails with an ElfError naming the problem and the value.
 *
 * One kind of PT_LOAD segment is left out of `segments`: one that holds, besides the ELF headers,
 * nothing but .MIPS.abiflags and .reginfo (the section table says so, and the entry point is not
 * in it). Debian's linker, with its default layout, puts those two sections in a segment of
 * their own at 0x00400000 even when the program is linked in kseg0 (`-Ttext=0x80030000`). They
 * describe the ABI and the register use for a dynamic loader; a bare program never reads them,
 * and gxemul runs such an ELF without them being anywhere the program looks. So the segment is
 * not loaded, and a program built that way runs as it does there.
 *
 * Where the segments go is a separate question. The machine's loader puts a bare program into
 * physical memory through kseg0 or kseg1 (physical = vaddr & 0x1fffffff); checkSegmentsFit says
 * where each segment lands and rejects those outside RAM. ExOS maps user programs itself and
 * uses only parseElf. symbolAt turns an address into "name+0xoff".
 *
 * @module
 */

/** A malformed or unloadable ELF file; the message names the problem and the value. */
export class ElfError extends Error {
  /** "ElfError", so a printed error says what kind it is. */
  override name = "ElfError";
}

/** One PT_LOAD segment: data is its file bytes, memSize >= data.length (the rest is zero). */
export interface ElfSegment {
  /** Where the program expects the segment (p_vaddr). */
  vaddr: number;
  /** p_paddr, as the file gives it. */
  paddr: number;
  /** The segment's bytes in the file. */
  data: Uint8Array;
  /** Its size in memory (the part beyond `data` is zero). */
  memSize: number;
  /** p_flags: PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
}

/** A symbol of .symtab: functions, data objects, and other named addresses. */
export interface ElfSymbol {
  /** The symbol's name. */
  name: string;
  /** Its address. */
  value: number;
  /** Its size in bytes (0 when the file does not say). */
  size: number;
  /** A function, a data object, or another named address. */
  type: "func" | "object" | "other";
}

/** What a loader needs from an executable. */
export interface ElfImage {
  /** The entry point. */
  entry: number;
  /** The PT_LOAD segments, in file order. */
  segments: ElfSegment[];
  /** The symbols of .symtab (none for a stripped file). */
  symbols: ElfSymbol[];
}

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
const SYM_SIZE = 16;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_MIPS_REGINFO = 0x70000006;
const SHT_MIPS_ABIFLAGS = 0x7000002a;
const SHF_ALLOC = 2;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const EM_MIPS = 8;
const ET_EXEC = 2;
const E_TYPES = ["none", "relocatable", "executable", "shared object", "core"];
const hex = (n: number) => `0x${n.toString(16)}`;

/** Throw a truncation error unless [start, start + length) lies within a file of size bytes. */
function within(what: string, start: number, length: number, size: number) {
  if (start + length > size) {
    throw new ElfError(
      `Truncated ELF: ${what} spans ${hex(start)}-${hex(start + length)} but the file ends at ` +
        `${hex(size)}; rebuild or recopy the file`,
    );
  }
}

/** Parse an ELF32 little-endian MIPS executable; throws ElfError on any malformed input. */
export function parseElf(bytes: Uint8Array): ElfImage {
  const size = bytes.length;
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0"));
  if (magic.join(" ") !== "7f 45 4c 46") {
    throw new ElfError(
      `Not an ELF file: it starts with ${magic.join(" ") || "nothing"} instead of 7f 45 4c 46 ` +
        `(\\x7fELF); pass an ELF executable`,
    );
  }
  within("the ELF header", 0, EHDR_SIZE, size);
  if (bytes[4] !== 1) {
    const cls = bytes[4] === 2 ? " (ELF64)" : "";
    throw new ElfError(`Wrong ELF class ${bytes[4]}${cls}: need ELF32 (1); build with -mabi=32`);
  }
  if (bytes[5] !== 1) {
    const end = bytes[5] === 2 ? " (big-endian)" : "";
    throw new ElfError(
      `Wrong ELF data encoding ${
        bytes[5]
      }${end}: need little-endian (1); build with mipsel-linux-gnu-gcc`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const type = u16(16), machine = u16(18);
  if (machine !== EM_MIPS) {
    throw new ElfError(`Wrong machine ${machine}: need EM_MIPS (8); build for mipsel`);
  }
  if (type !== ET_EXEC) {
    throw new ElfError(
      `Not an executable: e_type is ${type} (${E_TYPES[type] ?? "unknown"}), need ET_EXEC (2); ` +
        `link the program`,
    );
  }
  const entry = u32(24), phoff = u32(28), shoff = u32(32);
  const phentsize = u16(42), phnum = u16(44), shentsize = u16(46), shnum = u16(48);
  if (phnum > 0 && phentsize !== PHDR_SIZE) {
    throw new ElfError(`Bad program header size ${phentsize}: ELF32 needs ${PHDR_SIZE}`);
  }
  within("the program header table", phoff, phnum * PHDR_SIZE, size);

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * PHDR_SIZE;
    if (u32(p) !== PT_LOAD) continue;
    const offset = u32(p + 4), fileSize = u32(p + 16), memSize = u32(p + 20);
    within(`segment ${i}'s file range`, offset, fileSize, size);
    if (fileSize > memSize) {
      throw new ElfError(
        `Bad segment ${i}: file size ${hex(fileSize)} exceeds memory size ${hex(memSize)}`,
      );
    }
    segments.push({
      vaddr: u32(p + 8),
      paddr: u32(p + 12),
      data: bytes.slice(offset, offset + fileSize),
      memSize,
      flags: u32(p + 24),
    });
  }
  const sections = readSections();
  return {
    entry,
    segments: segments.filter((s) => !abiMetadataOnly(s.vaddr, s.memSize)),
    symbols: readSymbols(),
  };

  /** The section headers, or none when the file has no section table. */
  function readSections() {
    if (shoff === 0 || shnum === 0) return [];
    if (shentsize !== SHDR_SIZE) {
      throw new ElfError(`Bad section header size ${shentsize}: ELF32 needs ${SHDR_SIZE}`);
    }
    within("the section header table", shoff, shnum * SHDR_SIZE, size);
    return Array.from({ length: shnum }, (_, i) => {
      const s = shoff + i * SHDR_SIZE;
      return {
        type: u32(s + 4),
        flags: u32(s + 8),
        addr: u32(s + 12),
        offset: u32(s + 16),
        size: u32(s + 20),
        link: u32(s + 24),
      };
    });
  }

  /**
   * True for a segment at [vaddr, vaddr + memSize) that the section table shows holding only
   * .MIPS.abiflags and .reginfo (see the module comment), without the entry point.
   */
  function abiMetadataOnly(vaddr: number, memSize: number): boolean {
    if (entry >= vaddr && entry < vaddr + memSize) return false;
    const inside = sections.filter((s) =>
      (s.flags & SHF_ALLOC) !== 0 && s.size > 0 && s.addr < vaddr + memSize &&
      s.addr + s.size > vaddr
    );
    return inside.length > 0 &&
      inside.every((s) => s.type === SHT_MIPS_ABIFLAGS || s.type === SHT_MIPS_REGINFO);
  }

  /** The named symbols of the first SHT_SYMTAB section, or none. */
  function readSymbols(): ElfSymbol[] {
    const symtab = sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const shnum = sections.length;
    if (symtab.link >= shnum) {
      throw new ElfError(`Bad .symtab: its string table is section ${symtab.link} of ${shnum}`);
    }
    const strtab = sections[symtab.link];
    within(".symtab", symtab.offset, symtab.size, size);
    within(".strtab", strtab.offset, strtab.size, size);
    const strings = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
    const decoder = new TextDecoder();
    const symbols: ElfSymbol[] = [];
    for (let o = symtab.offset; o + SYM_SIZE <= symtab.offset + symtab.size; o += SYM_SIZE) {
      const nameOff = u32(o), info = bytes[o + 12], shndx = u16(o + 14), kind = info & 15;
      if (shndx === 0 || kind === STT_SECTION || kind === STT_FILE) continue;
      const end = strings.indexOf(0, nameOff);
      if (nameOff >= strings.length || end < 0) {
        throw new ElfError(
          `Bad symbol name offset ${hex(nameOff)} in a ${hex(strings.length)}-byte .strtab`,
        );
      }
      if (end === nameOff) continue;
      symbols.push({
        name: decoder.decode(strings.subarray(nameOff, end)),
        value: u32(o + 4),
        size: u32(o + 8),
        type: kind === STT_FUNC ? "func" : kind === STT_OBJECT ? "object" : "other",
      });
    }
    return symbols;
  }
}

/**
 * Physical address of each segment (same order) for loading through kseg0 or kseg1 into RAM
 * of ramBytes; throws ElfError for a segment in kuseg or kseg2, one crossing out of its
 * segment, one ending beyond RAM, or an entry point outside every segment.
 */
export function checkSegmentsFit(image: ElfImage, ramBytes: number): number[] {
  const where = image.segments.map((s, i) => {
    const end = s.vaddr + s.memSize;
    const what = `Segment ${i} at ${hex(s.vaddr)}-${hex(end)}`;
    if (s.vaddr < 0x80000000 || s.vaddr >= 0xc0000000) {
      throw new ElfError(
        `${what} is outside RAM: a bare program must be linked in kseg0 (0x80000000-0x9fffffff) ` +
          `or kseg1 (0xa0000000-0xbfffffff)`,
      );
    }
    const phys = s.vaddr & 0x1fffffff;
    if (phys + s.memSize > 0x20000000) {
      throw new ElfError(`${what} runs past the end of its kseg0/kseg1 window; link it lower`);
    }
    if (phys + s.memSize > ramBytes) {
      throw new ElfError(
        `${what} ends at physical ${hex(phys + s.memSize)}, beyond RAM (${hex(ramBytes)} bytes); ` +
          `give the machine more memory or link the program lower`,
      );
    }
    return phys;
  });
  const inside = image.segments.some((s) =>
    image.entry >= s.vaddr && image.entry < s.vaddr + s.memSize
  );
  if (!inside) {
    throw new ElfError(`Entry point ${hex(image.entry)} is outside every loaded segment`);
  }
  return where;
}

/**
 * "name" or "name+0xoff" for the symbol containing addr (the nearest one at or below it when
 * sizes are unknown), or undefined when no symbol lies at or below addr.
 */
export function symbolAt(image: ElfImage, addr: number): string | undefined {
  let best: ElfSymbol | undefined;
  for (const s of image.symbols) {
    if (s.value > addr || (s.size > 0 && addr >= s.value + s.size)) continue;
    const better = !best || s.value > best.value ||
      (s.value === best.value && best.type === "other" && s.type !== "other");
    if (better) best = s;
  }
  if (!best) return undefined;
  return addr === best.value ? best.name : `${best.name}+${hex(addr - best.value)}`;
}
