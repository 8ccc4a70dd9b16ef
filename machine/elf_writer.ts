/**
 * An ELF writer for assembled programs: what the assembler produced, as an executable the ELF
 * reader (elf.ts) and ExOS's exec take, so a program written in the REPL or a script with
 * asm`...` runs as a UNIX process (`m.exos.exec(writeElf(asm\`...\`.at(0x00400000)))`).
 *
 * The file is the smallest that is still a proper ELF32 little-endian MIPS executable: the ELF
 * header, one program header, and one PT_LOAD segment (readable, writable, executable) holding
 * the text and, after it at its own origin, the data. No sections, no symbols.
 *
 * @module
 */

import type { Program } from "./asm/mod.ts";

/** The ELF executable of `program`: one PT_LOAD segment at its origin, entry at its entry. */
export function writeElf(program: Program): Uint8Array {
  const p = program;
  const text = new Uint8Array(p.text.buffer, p.text.byteOffset, p.text.byteLength);
  const end = p.data.length > 0 ? p.dataOrigin + p.data.length : p.origin + text.length;
  const image = new Uint8Array(end - p.origin);
  image.set(text);
  if (p.data.length > 0) image.set(p.data, p.dataOrigin - p.origin);
  const out = new Uint8Array(52 + 32 + image.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF32, little-endian, version 1
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 8, true); // EM_MIPS
  v.setUint32(20, 1, true);
  v.setUint32(24, p.entry, true);
  v.setUint32(28, 52, true); // program headers right after the header
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint32(52, 1, true); // PT_LOAD
  v.setUint32(56, 84, true); // its bytes follow the program header
  v.setUint32(60, p.origin, true);
  v.setUint32(64, p.origin, true);
  v.setUint32(68, image.length, true);
  v.setUint32(72, image.length, true);
  v.setUint32(76, 7, true); // R W X
  out.set(image, 84);
  return out;
}
