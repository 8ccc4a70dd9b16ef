/**
 * The boot PROM: DEC's REX callback interface, as the DECstation 5000/200's firmware offers it.
 *
 * A bare program is entered in kernel mode with a0 = argc, a1 = argv, a2 = the REX magic
 * 0x30464354 ("TCF0") and a3 = the address of the callback vector, a table of function pointers
 * in the ROM. Each pointer leads to a three-instruction stub, `hcall N; jr ra; nop`, so the guest
 * calls the PROM with the ordinary o32 convention and the work happens here in TypeScript. What
 * the PROM does is not guest code and its cost is modeled: `PROM_COST` cycles per call plus one
 * per character moved.
 *
 * ROM layout (offsets from 0xbfc00000):
 *   0x0000  reset vector: `hcall RESET` (enter the loaded program, or halt)
 *   0x0100  bootstrap UTLB-miss vector, 0x0180 bootstrap general vector: `hcall EXCEPTION`,
 *           which reports the unexpected exception on the console and halts
 *   0x1000  the callback vector, 64 pointers (a3 at entry)
 *   0x1100  the stubs, 16 bytes per callback slot
 *   0x2000  environment strings, `name=value\0`
 *
 * Callbacks implemented (offsets into the vector): strcmp 0x0c, strlen 0x14, getchar 0x24,
 * gets 0x28, puts 0x2c, printf 0x30, getenv 0x64, slot_address 0x6c, wbflush 0x70,
 * clear_cache 0x7c, getsysid 0x80, getbitmap 0x84, disableintr 0x88, enableintr 0x8c, halt 0x9c,
 * rex 0xac. Any other slot reports the call on the console and halts, so an unsupported call is
 * never silent.
 *
 * printf formats %d %i %u %x %X %o %c %s %p and %%, with the `-` and `0` flags, a width (also `*`)
 * and an ignored `l` length; arguments come from a1..a3 and then the caller's stack at sp+16,
 * as o32 places them.
 *
 * @module
 */

import { type Cpu, TranslationError } from "./cpu.ts";
import { CP0, EXC_NAMES, SR } from "./cp0.ts";

/** kseg1 address of the ROM, where the CPU sees it. */
export const ROM_KSEG1 = 0xbfc00000;
/** The REX magic passed in a2. */
export const REX_MAGIC = 0x30464354;
/** Offset of the callback vector in the ROM. */
export const CALLBACK_VECTOR_OFFSET = 0x1000;
/** Offset of the callback stubs in the ROM. */
const STUB_OFFSET = 0x1100;
/** Offset of the environment strings in the ROM. */
const ENV_OFFSET = 0x2000;
/** Hypercall codes the PROM answers: 0x000..0x0ff; callbacks use 0x40 + slot. */
export const PROM_HCALL = { RESET: 0x01, EXCEPTION: 0x02, CALLBACK: 0x40 } as const;
/** Modeled cycles per PROM call (the firmware's own instructions are not executed). */
export const PROM_COST = 50;
/** Size of the REX memory bitmap (struct memmap's bitmap[]): 15360 bytes cover 480 MB. */
const BITMAP_BYTES = 15360;
/** What getsysid returns on a DECstation 5000/200: CPU type 0x82, system type 2 (3MAX). */
export const SYSID_KN02 = 0x82020300;

/** Slot offsets of the REX callbacks this PROM implements. */
export const CALLBACK = {
  strcmp: 0x0c,
  strlen: 0x14,
  getchar: 0x24,
  gets: 0x28,
  puts: 0x2c,
  printf: 0x30,
  getenv: 0x64,
  slot_address: 0x6c,
  wbflush: 0x70,
  clear_cache: 0x7c,
  getsysid: 0x80,
  getbitmap: 0x84,
  disableintr: 0x88,
  enableintr: 0x8c,
  halt: 0x9c,
  rex: 0xac,
} as const;

/** What the PROM needs from the machine around it. */
export interface PromHost {
  /** The CPU whose registers carry the calls. */
  readonly cpu: Cpu;
  /** RAM size in bytes (for getbitmap). */
  readonly ramBytes: number;
  /** Writes console output. */
  output(bytes: Uint8Array): void;
  /** Takes one input character, or undefined when none is waiting. */
  input(): number | undefined;
  /** Stops the machine: `status` 0 for a clean halt. */
  halt(status: number, message?: string): void;
  /** Called at the reset vector; returns true when it entered a program. */
  boot(): boolean;
}

const encoder = new TextEncoder();

/** The PROM: builds the ROM image and answers the callbacks. */
export class Prom {
  /** The environment getenv answers from; change it before a program runs. */
  readonly env: Map<string, string> = new Map([
    ["console", "3"],
    ["systype", "0x82020300"],
    ["haltaction", "h"],
  ]);
  /** Whether a getchar found no input and the program is waiting for some. */
  waitingForInput = false;
  readonly #host: PromHost;
  #envAddrs = new Map<string, number>();

  /** Makes the PROM for `host`. */
  constructor(host: PromHost) {
    this.#host = host;
  }

  /** The kseg1 address of the callback vector, passed to programs in a3. */
  get callbackVector(): number {
    return ROM_KSEG1 + CALLBACK_VECTOR_OFFSET;
  }

  /** Builds the ROM image: vectors, callback table, stubs and environment strings. */
  image(): Uint8Array {
    const rom = new Uint8Array(ENV_OFFSET + 0x1000);
    const words = new DataView(rom.buffer);
    const put = (offset: number, ...ws: number[]) =>
      ws.forEach((w, i) => words.setUint32(offset + 4 * i, w >>> 0, true));
    const hcall = (code: number) => (code << 6) | 0x28;
    const JR_RA = 0x03e00008;
    put(0x0000, hcall(PROM_HCALL.RESET), 0);
    put(0x0100, hcall(PROM_HCALL.EXCEPTION), 0);
    put(0x0180, hcall(PROM_HCALL.EXCEPTION), 0);
    for (let slot = 0; slot < 64; slot++) {
      const stub = STUB_OFFSET + slot * 16;
      put(CALLBACK_VECTOR_OFFSET + slot * 4, ROM_KSEG1 + stub);
      put(stub, hcall(PROM_HCALL.CALLBACK + slot), JR_RA, 0, 0);
    }
    let at = ENV_OFFSET;
    this.#envAddrs = new Map();
    for (const [name, value] of this.env) {
      const bytes = encoder.encode(`${name}=${value}\0`);
      if (at + bytes.length > rom.length) {
        throw new RangeError(`PROM environment does not fit in ${rom.length - ENV_OFFSET} bytes`);
      }
      rom.set(bytes, at);
      this.#envAddrs.set(name, ROM_KSEG1 + at + name.length + 1);
      at += bytes.length;
    }
    return rom;
  }

  /** Answers hypercall `code` if it is the PROM's; returns false otherwise. */
  hypercall(code: number): boolean {
    if (code === PROM_HCALL.RESET) {
      if (!this.#host.boot()) this.#host.halt(0, "exolab PROM: no program loaded; halted");
      return true;
    }
    if (code === PROM_HCALL.EXCEPTION) {
      this.#unexpectedException();
      return true;
    }
    if (code >= PROM_HCALL.CALLBACK && code < PROM_HCALL.CALLBACK + 64) {
      this.#host.cpu.charge(PROM_COST);
      const slot = (code - PROM_HCALL.CALLBACK) * 4;
      try {
        this.#callback(slot);
      } catch (e) {
        // A pointer argument the PROM cannot follow ends the program, not the emulator.
        if (!(e instanceof TranslationError)) throw e;
        const name = Object.entries(CALLBACK).find(([, v]) => v === slot)?.[0] ??
          `0x${slot.toString(16)}`;
        this.#host.halt(3, `exolab PROM: ${name} was given a bad address: ${e.message}`);
      }
      return true;
    }
    return false;
  }

  /** Runs the callback at vector offset `slot`, with arguments in a0..a3. */
  #callback(slot: number): void {
    const cpu = this.#host.cpu;
    const r = cpu.regs;
    const a0 = r[4], a1 = r[5];
    let v0 = 0;
    switch (slot) {
      case CALLBACK.strcmp: {
        const x = this.readString(a0), y = this.readString(a1);
        v0 = x === y ? 0 : x < y ? -1 : 1;
        break;
      }
      case CALLBACK.strlen:
        v0 = this.readString(a0).length;
        break;
      case CALLBACK.getchar:
        v0 = this.#takeInput();
        break;
      case CALLBACK.gets:
        v0 = this.#gets(a0);
        break;
      case CALLBACK.puts:
        this.#write(this.readString(a0) + "\n");
        break;
      case CALLBACK.printf:
        this.#write(this.format(a0, 1));
        break;
      case CALLBACK.getenv:
        v0 = this.#envAddrs.get(this.readString(a0)) ?? 0;
        break;
      case CALLBACK.slot_address:
        v0 = (0x80000000 + 0x1e000000 + 0x400000 * a0) | 0;
        break;
      case CALLBACK.wbflush:
      case CALLBACK.clear_cache:
      case CALLBACK.disableintr:
      case CALLBACK.enableintr:
        break;
      case CALLBACK.getsysid:
        v0 = SYSID_KN02 | 0;
        break;
      case CALLBACK.getbitmap:
        v0 = this.#getbitmap(a0);
        break;
      case CALLBACK.halt:
        this.#host.halt(0);
        break;
      case CALLBACK.rex:
        if (a0 === 0x68 /* 'h' */ || a0 === 0x62 /* 'b' */ || a0 === 0x72 /* 'r' */) {
          this.#host.halt(0);
        } else {
          this.#host.halt(
            1,
            `exolab PROM: rex('${String.fromCharCode(a0 & 0xff)}') is not supported`,
          );
        }
        break;
      default:
        this.#host.halt(
          1,
          `exolab PROM: callback 0x${slot.toString(16)} is not implemented; called from ` +
            `0x${(r[31] >>> 0).toString(16)}`,
        );
    }
    r[2] = v0;
  }

  /** Takes one input character; when none is waiting, rewinds to re-run the call and waits. */
  #takeInput(): number {
    const c = this.#host.input();
    if (c !== undefined) {
      this.waitingForInput = false;
      return c;
    }
    this.#wait();
    return 0;
  }

  /** gets(buf): reads a line into guest memory at `buf`, echoing it; returns buf. */
  #gets(buf: number): number {
    const cpu = this.#host.cpu;
    for (;;) {
      const c = this.#host.input();
      if (c === undefined) {
        // Keep what was typed so far; the call runs again when input arrives.
        this.#wait();
        return buf;
      }
      if (c === 0x0d || c === 0x0a) break;
      cpu.writeVirtual(buf + this.#getsLength++, 1, c);
      this.#write(String.fromCharCode(c));
    }
    cpu.writeVirtual(buf + this.#getsLength, 1, 0);
    this.#getsLength = 0;
    this.waitingForInput = false;
    this.#write("\n");
    return buf;
  }

  #getsLength = 0;

  /** Rewinds the current call and stops the machine until input arrives. */
  #wait(): void {
    const cpu = this.#host.cpu;
    this.waitingForInput = true;
    cpu.pc = cpu.pc - 4; // the hcall runs again when the machine resumes
    cpu.stop();
  }

  /**
   * getbitmap(map): writes the page size and the REX memory bitmap (one bit per 4 KB page, set
   * where RAM is), always the struct's full 15360 bytes (enough for 480 MB); returns 15360.
   */
  #getbitmap(map: number): number {
    const cpu = this.#host.cpu;
    const pages = Math.floor(this.#host.ramBytes / 4096);
    cpu.writeVirtual(map, 4, 4096);
    for (let i = 0; i < BITMAP_BYTES; i++) {
      const left = pages - i * 8;
      cpu.writeVirtual(map + 4 + i, 1, left >= 8 ? 0xff : left > 0 ? (1 << left) - 1 : 0);
    }
    return BITMAP_BYTES;
  }

  /** Reads the NUL-terminated string at guest address `addr` (at most 64 KB). */
  readString(addr: number): string {
    const cpu = this.#host.cpu;
    let s = "";
    for (let i = 0; i < 65536; i++) {
      const c = cpu.readVirtual(addr + i, 1);
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
    return s;
  }

  /**
   * Formats the printf string at `fmt` with arguments starting at o32 argument slot `first`
   * (a0 is slot 0; slots 4 and on live at sp+16). Returns the text.
   */
  format(fmt: number, first: number): string {
    const cpu = this.#host.cpu;
    const f = this.readString(fmt);
    let slot = first;
    const arg = (): number => {
      const n = slot++;
      return n < 4 ? cpu.regs[4 + n] : cpu.readVirtual(cpu.regs[29] + 4 * n, 4) | 0;
    };
    let out = "";
    for (let i = 0; i < f.length; i++) {
      const ch = f[i];
      if (ch !== "%") {
        out += ch;
        continue;
      }
      let left = false, zero = false, width = 0;
      let c = f[++i];
      while (c === "-" || c === "0") {
        if (c === "-") left = true;
        else zero = true;
        c = f[++i];
      }
      if (c === "*") {
        width = arg();
        c = f[++i];
      } else {
        while (c >= "0" && c <= "9") {
          width = width * 10 + Number(c);
          c = f[++i];
        }
      }
      while (c === "l" || c === "h") c = f[++i];
      let body: string;
      switch (c) {
        case "d":
        case "i":
          body = String(arg() | 0);
          break;
        case "u":
          body = String(arg() >>> 0);
          break;
        case "x":
          body = (arg() >>> 0).toString(16);
          break;
        case "X":
          body = (arg() >>> 0).toString(16).toUpperCase();
          break;
        case "o":
          body = (arg() >>> 0).toString(8);
          break;
        case "p":
          body = "0x" + (arg() >>> 0).toString(16).padStart(8, "0");
          break;
        case "c":
          body = String.fromCharCode(arg() & 0xff);
          break;
        case "s":
          body = this.readString(arg());
          break;
        case "%":
          out += "%";
          continue;
        case undefined:
          out += "%";
          continue;
        default:
          out += "%" + c;
          continue;
      }
      if (body.length < width) {
        if (left) body = body.padEnd(width, " ");
        else if (zero && c !== "s" && c !== "c") {
          const neg = body[0] === "-";
          body = (neg ? "-" : "") + body.slice(neg ? 1 : 0).padStart(width - (neg ? 1 : 0), "0");
        } else body = body.padStart(width, " ");
      }
      out += body;
    }
    return out;
  }

  /** Writes `text` to the console, one byte per character, charging one cycle per byte. */
  #write(text: string): void {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    this.#host.cpu.charge(bytes.length);
    this.#host.output(bytes);
  }

  /** Reports an exception taken through the bootstrap vectors, then halts. */
  #unexpectedException(): void {
    const cpu = this.#host.cpu;
    const cause = cpu.cp0[CP0.Cause];
    const code = (cause >>> 2) & 31;
    const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
    const bev = (cpu.cp0[CP0.Status] & SR.BEV) !== 0 ? "" : " (BEV clear)";
    this.#host.halt(
      3,
      `exolab PROM: unexpected exception ${EXC_NAMES[code] ?? code} at EPC ${
        hex(cpu.cp0[CP0.EPC])
      }, BadVAddr ${hex(cpu.cp0[CP0.BadVAddr])}, Cause ${hex(cause)}${bev}`,
    );
  }
}
