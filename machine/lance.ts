/**
 * The Am7990 LANCE Ethernet controller of the DECstation 5000/200 (the PMAD-AA on the KN02's
 * TURBOchannel slot 6, physical 0x1f800000-0x1fbfffff).
 *
 * The facts come from NetBSD's am7990/lance drivers (lancereg.h, am7990reg.h, if_le_dec.c),
 * Linux's declance.c and gxemul's dev_le.c (after DEC's PMAD-AA functional specification), read
 * for the layout and bits and written here afresh. The slot holds three things:
 *
 * - +0x000000: the 128 KB buffer SRAM. The CPU sees it as plain memory (usually through kseg1);
 *   the LANCE addresses it from 0 with its 24-bit addresses. The init block, the descriptor rings
 *   and the buffers all live there: the LANCE never touches main memory.
 * - +0x100000 RDP and +0x100004 RAP: 16-bit registers in the low half of their words. Write a CSR
 *   number (0-3) to RAP, then read or write that CSR through RDP.
 * - +0x1c0000: the station address ROM, one byte per word in byte lane 2 (the byte at
 *   +0x1c0002 + 4i, as both drivers read it): bytes 0-5 the MAC, 6-7 DEC's checksum (`esarBytes`),
 *   8-15 bytes 0-7 reversed, 16-23 bytes 0-7 again, 24-31 the test pattern ff 00 55 aa twice.
 *
 * Every other address in the slot (the TURBOchannel option ROM among them) is not modelled and
 * raises a bus error. A byte write to a register writes its lane and zeros in the other.
 *
 * CSR0: ERR 0x8000 (read: BABL | CERR | MISS | MERR), BABL 0x4000, CERR 0x2000, MISS 0x1000,
 * MERR 0x0800, RINT 0x0400, TINT 0x0200, IDON 0x0100 (these seven cleared by writing 1), INTR
 * 0x0080 (read: BABL | MISS | MERR | RINT | TINT | IDON), INEA 0x0040 (read/write), RXON 0x0020
 * and TXON 0x0010 (read only), TDMD 0x0008, STOP 0x0004, STRT 0x0002, INIT 0x0001 (set by
 * writing 1; writing 0 does nothing). STOP overrides: a write with STOP set stops the chip,
 * clears every other CSR0 bit and CSR3, and ignores the rest of the write. INIT and STRT read as
 * set until the next STOP (AMD's data sheets: INIT is not cleared when initialisation completes;
 * gxemul clears it). CSR1 and CSR2 hold the init block's address (bits 15:1 and 7:0) and
 * CSR3 BSWP/ACON/BCON (stored, no effect: the PMAD-AA needs 0); all three are written only while
 * STOP is set (other writes are ignored) and read back as written.
 *
 * INIT reads the 24-byte init block: mode, the station address (PADR), the 64-bit logical
 * address filter (LADRF, four halfwords), the receive ring address (bits 23:3) with log2 of its
 * length in bits 15:13 of the halfword above, and the same for the transmit ring; IDON follows
 * `LANCE_TIMING.init` cycles later. STRT turns the receiver and transmitter on (RXON, TXON)
 * unless mode DRX or DTX says otherwise. Mode bits as modelled: PROM (receive every frame),
 * DTCR (do not append an FCS: the buffer holds one), DTX, DRX. LOOP, INTL, DRTY and COLL are
 * stored without effect (no loopback, no collisions).
 *
 * Descriptors are four halfwords: the buffer address's low 16 bits; OWN 0x8000, ERR 0x4000, the
 * status bits, STP 0x0200, ENP 0x0100 and the address's bits 23:16; the buffer length as a
 * negative count (low 12 bits; 0 means 4096; the top four bits, which must be ones, are not
 * checked); and, on receive, the message byte count (FCS included) or, on transmit, TMD3's
 * error bits.
 *
 * Transmit: TDMD (or the 1.6 ms poll while TXON) makes the LANCE look at its next transmit
 * descriptor. A frame is the buffers from an owned descriptor through the one with ENP (STP is
 * taken as given); the FCS is appended unless DTCR. The frame starts on the wire at once, or
 * 9.6 us (the interframe gap) after this station's previous frame ended, and ends its wire time
 * later: 8 bytes of preamble plus the frame, 800 ns a byte (machine/ethernet.ts). Then OWN is
 * cleared (STP and ENP stay), TMD3 is written 0 and TINT set. A chain that reaches a descriptor
 * the LANCE does not own before ENP is a buffer error: ERR in TMD1, BUFF and UFLO in TMD3, TXON
 * off, TINT, and nothing is sent. A frame over 1518 bytes sets BABL and is sent whole. No
 * collisions, deferrals or retries happen (ONE, MORE, DEF, LCOL, LCAR, RTRY stay 0, CERR never
 * sets): the wire never carries two frames at once into one station.
 *
 * Receive: a frame reaches `receive` with the cycle its last bit arrives, and the LANCE acts at
 * that cycle (the real chip fills the buffers as the bits come; only the end is modelled).
 * Frames are dropped while RXON is off, when shorter than 64 bytes (runts), or when the address
 * filter refuses them: the LANCE keeps frames to its PADR, broadcasts, multicasts whose LADRF bit
 * is set, and everything in PROM mode. A kept frame is written, FCS included, into the buffers
 * of consecutive owned descriptors from the current one: STP on the first, ENP and the message
 * count on the last, CRC (and ERR) there if the FCS is wrong, OWN cleared on all, then RINT. If
 * the current descriptor is not owned the frame is missed: MISS, nothing written. If the frame
 * outruns the owned buffers, the last one gets ERR and BUFF without ENP and the rest is lost.
 *
 * A descriptor, buffer or init block that the LANCE would reach outside the 128 KB SRAM is a
 * memory error: MERR, and the receiver and transmitter turn off (the board's behaviour there is
 * not known; this makes a wild pointer visible).
 *
 * The interrupt: INTR with INEA raises the system CSR's LANCE source (bit 6, enabled by CSR
 * bit 22), which the CSR cascades onto IP2.
 *
 * Time: register writes that start work (INIT, STRT, TDMD) take effect at an event at the cycle
 * of the write, which the machine's run loop fires as soon as the instruction that wrote is done;
 * so the work starts at the exact cycle even though the CPU's inner loop commits its cycle count
 * only when it returns.
 *
 * @module
 */

import { BusError, type Device, type EventQueue } from "./bus.ts";
import { type IoInterrupts, KN02_SLOT } from "./csr.ts";
import {
  fcs,
  FCS_BYTES,
  fcsOk,
  formatMac,
  IFG_CYCLES,
  ladrfBit,
  MAX_FRAME,
  MIN_FRAME,
  sameMac,
  wireCycles,
} from "./ethernet.ts";

/** Physical address of TURBOchannel slot 6, the baseboard LANCE. */
export const LANCE_BASE = 0x1f800000;

/** Bytes of physical address space the slot decodes (4 MB). */
export const LANCE_SLOT_SIZE = 0x400000;

/** Bytes of buffer SRAM at the start of the slot. */
export const LANCE_SRAM_SIZE = 0x20000;

/** Offsets of the registers and the station address ROM from LANCE_BASE. */
export const LANCE_REG = { RDP: 0x100000, RAP: 0x100004, ESAR: 0x1c0000 } as const;

/** Bytes in the station address ROM. */
export const LANCE_ESAR_BYTES = 32;

/** CSR0 bits. */
export const LANCE_CSR0 = {
  ERR: 0x8000,
  BABL: 0x4000,
  CERR: 0x2000,
  MISS: 0x1000,
  MERR: 0x0800,
  RINT: 0x0400,
  TINT: 0x0200,
  IDON: 0x0100,
  INTR: 0x0080,
  INEA: 0x0040,
  RXON: 0x0020,
  TXON: 0x0010,
  TDMD: 0x0008,
  STOP: 0x0004,
  STRT: 0x0002,
  INIT: 0x0001,
} as const;

/** CSR3 bits (stored only). */
export const LANCE_CSR3 = { BSWP: 0x4, ACON: 0x2, BCON: 0x1 } as const;

/** Init block mode bits of the Am7990. */
export const LANCE_MODE = {
  PROM: 0x8000,
  INTL: 0x0040,
  DRTY: 0x0020,
  COLL: 0x0010,
  DTCR: 0x0008,
  LOOP: 0x0004,
  DTX: 0x0002,
  DRX: 0x0001,
} as const;

/** Receive descriptor word 1 bits (bits 7:0 are the buffer address's bits 23:16). */
export const LANCE_RMD1 = {
  OWN: 0x8000,
  ERR: 0x4000,
  FRAM: 0x2000,
  OFLO: 0x1000,
  CRC: 0x0800,
  BUFF: 0x0400,
  STP: 0x0200,
  ENP: 0x0100,
} as const;

/** Transmit descriptor word 1 bits (bits 7:0 are the buffer address's bits 23:16). */
export const LANCE_TMD1 = {
  OWN: 0x8000,
  ERR: 0x4000,
  MORE: 0x1000,
  ONE: 0x0800,
  DEF: 0x0400,
  STP: 0x0200,
  ENP: 0x0100,
} as const;

/** Transmit descriptor word 3 error bits. */
export const LANCE_TMD3 = {
  BUFF: 0x8000,
  UFLO: 0x4000,
  LCOL: 0x1000,
  LCAR: 0x0800,
  RTRY: 0x0400,
} as const;

/** The LANCE's own delays, in CPU cycles (25 MHz). */
export const LANCE_TIMING = {
  /**
   * INIT to IDON: twelve halfword DMA reads of the init block at 600 ns each (the Am7990's
   * minimum bus cycle, as recalled from its data sheet): 7.2 us. An estimate.
   */
  init: 180,
  /** The transmit poll while TXON and nothing to send: every 1.6 ms (Am7990 data sheet). */
  poll: 40_000,
} as const;

/** Counters of what the LANCE did with frames since power-on. */
export interface LanceStats {
  /** Frames put on the wire. */
  transmitted: number;
  /** Frames written into receive buffers (errors included). */
  received: number;
  /** Frames missed: no receive buffer owned (MISS). */
  missed: number;
  /** Frames the address filter refused. */
  filtered: number;
  /** Runts dropped (under 64 bytes). */
  runts: number;
  /** Frames that arrived while the receiver was off. */
  offline: number;
}

/** What the LANCE is wired to. */
export interface LanceOptions {
  /** The system CSR: the LANCE raises its source bit 6. */
  csr: IoInterrupts;
  /** The machine's event queue. */
  events: EventQueue;
  /** The CPU cycle count now. */
  clock: () => number;
  /** The station address in the ROM (6 bytes). */
  mac: Uint8Array;
}

const C = LANCE_CSR0;
const W1C = C.BABL | C.CERR | C.MISS | C.MERR | C.RINT | C.TINT | C.IDON;
const INTR_SOURCES = C.BABL | C.MISS | C.MERR | C.RINT | C.TINT | C.IDON;
const ERR_SOURCES = C.BABL | C.CERR | C.MISS | C.MERR;
const TMD1_STATUS = LANCE_TMD1.OWN | LANCE_TMD1.ERR | LANCE_TMD1.MORE | LANCE_TMD1.ONE |
  LANCE_TMD1.DEF;

/**
 * The 32 bytes of a DEC station address ROM for `mac`: the address, DEC's checksum (each of the
 * three little-endian halfwords added into a 16-bit register that is doubled before each add,
 * both with end-around carry, and 0xffff read as 0; the algorithm of DEC's Ethernet ROMs as
 * Linux's depca.c checks it), the eight reversed, the eight again, and ff 00 55 aa twice.
 */
export function esarBytes(mac: Uint8Array): Uint8Array {
  let k = 0;
  for (let i = 0; i < 6; i += 2) {
    k <<= 1;
    if (k > 0xffff) k -= 0xffff;
    k += mac[i] | (mac[i + 1] << 8);
    if (k > 0xffff) k -= 0xffff;
  }
  if (k === 0xffff) k = 0;
  const head = [...mac.subarray(0, 6), k & 0xff, k >>> 8];
  return Uint8Array.from([
    ...head,
    ...head.slice().reverse(),
    ...head,
    0xff,
    0x00,
    0x55,
    0xaa,
    0xff,
    0x00,
    0x55,
    0xaa,
  ]);
}

/** The LANCE's registers and the state of its engines, all numbers and flags (one snapshot). */
interface Registers {
  csr0: number;
  csr1: number;
  csr2: number;
  csr3: number;
  rap: number;
  /** From the init block: mode, rings (LANCE addresses) and their lengths. */
  mode: number;
  rdra: number;
  rlen: number;
  tdra: number;
  tlen: number;
  /** The next receive and transmit descriptors. */
  rx: number;
  tx: number;
  /** CSR0 requests (INIT, STRT, TDMD) waiting for the kick event. */
  want: number;
  /** When IDON is due, or -1. */
  initAt: number;
  startAfterInit: boolean;
  /** When the transmitter may start its next frame (the interframe gap after its last). */
  txReadyAt: number;
  /** When the transmitter next looks at its ring, or -1. */
  txCheckAt: number;
  /** The interrupt request as last reported to the CSR. */
  level: boolean;
}

/** The registers at power-on: stopped, rings of one descriptor at 0. */
function powerOn(): Registers {
  return {
    csr0: C.STOP,
    csr1: 0,
    csr2: 0,
    csr3: 0,
    rap: 0,
    mode: 0,
    rdra: 0,
    rlen: 1,
    tdra: 0,
    tlen: 1,
    rx: 0,
    tx: 0,
    want: 0,
    initAt: -1,
    startAfterInit: false,
    txReadyAt: 0,
    txCheckAt: -1,
    level: false,
  };
}

/** A frame on its way in, with the cycle its last bit arrives. */
interface Arrival {
  frame: Uint8Array;
  cycle: number;
}

/** The frame on the wire: its descriptors, the ring index after it, and when it ends. */
interface Sending {
  descs: number[];
  next: number;
  end: number;
}

/** The PMAD-AA's Am7990 LANCE with its buffer SRAM and station address ROM. */
export class Lance implements Device {
  /** Device name. */
  readonly name = "lance";
  /** Physical base address (TURBOchannel slot 6). */
  readonly base: number = LANCE_BASE;
  /** The whole slot. */
  readonly size: number = LANCE_SLOT_SIZE;
  /** The 128 KB buffer SRAM, as the CPU and the LANCE see it. */
  readonly sram: Uint8Array = new Uint8Array(LANCE_SRAM_SIZE);
  /** The station address in the ROM. */
  readonly mac: Uint8Array;
  /** The station address ROM's 32 bytes. */
  readonly esar: Uint8Array;
  /**
   * Receives each frame the LANCE puts on the wire (FCS included, a fresh array) with the cycles
   * its first bit leaves and its last bit ends; unset, frames go nowhere.
   */
  onTransmit: ((frame: Uint8Array, start: number, end: number) => void) | undefined;
  /** Counters since power-on. */
  stats: LanceStats = newStats();

  readonly #irq: IoInterrupts;
  readonly #events: EventQueue;
  readonly #clock: () => number;
  #r: Registers = powerOn();
  #padr = new Uint8Array(6);
  #ladrf = new Uint16Array(4);
  #sending: Sending | null = null;
  #arrivals: Arrival[] = [];
  readonly #kick = () => this.#onKick();
  readonly #initDone = () => this.#onInitDone();
  readonly #txCheck = () => this.#onTxCheck();
  readonly #txDone = () => this.#onTxDone();
  readonly #arrive = () => this.#onArrive();

  /** Makes the LANCE stopped, as at power-on; throws RangeError for a MAC that is not 6 bytes. */
  constructor(options: LanceOptions) {
    if (options.mac.length !== 6) {
      throw new RangeError(`LANCE MAC has ${options.mac.length} bytes, not 6`);
    }
    this.#irq = options.csr;
    this.#events = options.events;
    this.#clock = options.clock;
    this.mac = options.mac.slice();
    this.esar = esarBytes(this.mac);
  }

  /** CSR0 as a read returns it (ERR and INTR computed). */
  get csr0(): number {
    const v = this.#r.csr0;
    return v | (v & ERR_SOURCES ? C.ERR : 0) | (v & INTR_SOURCES ? C.INTR : 0);
  }

  /** CSR0 to CSR3 and RAP, for inspection. */
  get registers(): { csr0: number; csr1: number; csr2: number; csr3: number; rap: number } {
    return {
      csr0: this.csr0,
      csr1: this.#r.csr1,
      csr2: this.#r.csr2,
      csr3: this.#r.csr3,
      rap: this.#r.rap,
    };
  }

  /** What the last INIT read: mode, station address, filter and rings (LANCE addresses). */
  get init(): {
    mode: number;
    padr: string;
    ladrf: number[];
    rxRing: number;
    rxLength: number;
    txRing: number;
    txLength: number;
  } {
    return {
      mode: this.#r.mode,
      padr: formatMac(this.#padr),
      ladrf: [...this.#ladrf],
      rxRing: this.#r.rdra,
      rxLength: this.#r.rlen,
      txRing: this.#r.tdra,
      txLength: this.#r.tlen,
    };
  }

  /** The ring positions the LANCE will use next. */
  get rings(): { rx: number; tx: number } {
    return { rx: this.#r.rx, tx: this.#r.tx };
  }

  /**
   * The LANCE's event actions, by which a snapshot restored into another machine (which binds
   * events by name) finds this LANCE's own, whichever of them are pending here.
   */
  get eventActions(): readonly (() => void)[] {
    return [this.#kick, this.#initDone, this.#txCheck, this.#txDone, this.#arrive];
  }

  /** True while the interrupt request (INTR with INEA) is raised. */
  get interrupting(): boolean {
    return this.#r.level;
  }

  /**
   * Takes in a frame (FCS included) whose last bit reaches this station at `cycle` (this
   * machine's cycles); the LANCE acts on it at that cycle, or at once if it is already past.
   */
  receive(frame: Uint8Array, cycle: number): void {
    const a = { frame: frame.slice(), cycle };
    let i = this.#arrivals.length;
    while (i > 0 && this.#arrivals[i - 1].cycle > cycle) i--;
    this.#arrivals.splice(i, 0, a);
    this.#events.at(cycle, this.#arrive);
  }

  /** Reads SRAM, RDP, RAP or the address ROM; throws BusError for the slot's unmodelled holes. */
  read(offset: number, bytes: 1 | 2 | 4): number {
    if (offset < LANCE_SRAM_SIZE) {
      const s = this.sram;
      if (bytes === 1) return s[offset];
      if (bytes === 2) return s[offset] | (s[offset + 1] << 8);
      return (s[offset] | (s[offset + 1] << 8) | (s[offset + 2] << 16) | (s[offset + 3] << 24)) >>>
        0;
    }
    const lane = offset & 3;
    const word = offset - lane;
    let v: number;
    if (word === LANCE_REG.RDP) v = this.#readCsr();
    else if (word === LANCE_REG.RAP) v = this.#r.rap;
    else if (word >= LANCE_REG.ESAR && word < LANCE_REG.ESAR + 4 * LANCE_ESAR_BYTES) {
      v = this.esar[(word - LANCE_REG.ESAR) >>> 2] << 16;
    } else throw new BusError(this.base + offset);
    v >>>= 8 * lane;
    return bytes === 4 ? v >>> 0 : v & (bytes === 2 ? 0xffff : 0xff);
  }

  /** Writes SRAM, RDP or RAP (the ROM ignores writes); throws BusError for the unmodelled holes. */
  write(offset: number, bytes: 1 | 2 | 4, value: number): void {
    if (offset < LANCE_SRAM_SIZE) {
      const s = this.sram;
      s[offset] = value;
      if (bytes >= 2) s[offset + 1] = value >>> 8;
      if (bytes === 4) {
        s[offset + 2] = value >>> 16;
        s[offset + 3] = value >>> 24;
      }
      return;
    }
    const lane = offset & 3;
    const word = offset - lane;
    const v = ((bytes === 1 ? value & 0xff : value) << (8 * lane)) & 0xffff;
    if (word === LANCE_REG.RDP) this.#writeCsr(v);
    else if (word === LANCE_REG.RAP) {
      if (lane < 2) this.#r.rap = v & 3;
    } else if (word < LANCE_REG.ESAR || word >= LANCE_REG.ESAR + 4 * LANCE_ESAR_BYTES) {
      throw new BusError(this.base + offset);
    }
  }

  /** Power-on: stopped, registers and counters cleared, frames in flight dropped; SRAM kept. */
  reset(): void {
    this.#stop();
    const level = this.#r.level;
    this.#r = { ...powerOn(), level };
    this.#padr.fill(0);
    this.#ladrf.fill(0);
    this.stats = newStats();
    this.#update();
  }

  /** A copy of the LANCE's state: registers, init block, rings, SRAM, frames in flight. */
  snapshot(): unknown {
    return {
      r: { ...this.#r },
      padr: this.#padr.slice(),
      ladrf: this.#ladrf.slice(),
      sram: this.sram.slice(),
      sending: this.#sending === null
        ? null
        : { ...this.#sending, descs: [...this.#sending.descs] },
      arrivals: this.#arrivals.map((a) => ({ frame: a.frame.slice(), cycle: a.cycle })),
      stats: { ...this.stats },
    };
  }

  /** Puts back a state taken by `snapshot` (the machine restores the events that go with it). */
  restore(state: unknown): void {
    const s = state as {
      r: Registers;
      padr: Uint8Array;
      ladrf: Uint16Array;
      sram: Uint8Array;
      sending: Sending | null;
      arrivals: Arrival[];
      stats: LanceStats;
    };
    this.#r = { ...s.r };
    this.#padr.set(s.padr);
    this.#ladrf.set(s.ladrf);
    this.sram.set(s.sram);
    this.#sending = s.sending === null ? null : { ...s.sending, descs: [...s.sending.descs] };
    this.#arrivals = s.arrivals.map((a) => ({ frame: a.frame.slice(), cycle: a.cycle }));
    this.stats = { ...s.stats };
  }

  /** A one-line description: address, CSR0's set bits, ring positions. */
  toString(): string {
    const v = this.csr0;
    const bits = Object.entries(LANCE_CSR0).filter(([, b]) => v & b).map(([n]) => n).join(" ");
    return `LANCE ${formatMac(this.mac)} · CSR0 0x${v.toString(16).padStart(4, "0")} ${bits} · ` +
      `rx ${this.#r.rx}/${this.#r.rlen} tx ${this.#r.tx}/${this.#r.tlen}`;
  }

  /** The LANCE at a glance, for console.log and the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // ---- registers -------------------------------------------------------------------------------

  #readCsr(): number {
    switch (this.#r.rap) {
      case 0:
        return this.csr0;
      case 1:
        return this.#r.csr1;
      case 2:
        return this.#r.csr2;
      default:
        return this.#r.csr3;
    }
  }

  #writeCsr(v: number): void {
    if (this.#r.rap === 0) return this.#writeCsr0(v);
    if ((this.#r.csr0 & C.STOP) === 0) return; // CSR1-3 are written only while stopped
    if (this.#r.rap === 1) this.#r.csr1 = v & 0xfffe;
    else if (this.#r.rap === 2) this.#r.csr2 = v & 0xff;
    else this.#r.csr3 = v & 7;
  }

  #writeCsr0(v: number): void {
    if (v & C.STOP) {
      this.#stop();
      this.#update();
      return;
    }
    let csr0 = this.#r.csr0 & ~(v & W1C);
    csr0 = (csr0 & ~C.INEA) | (v & C.INEA);
    const want = v & (C.INIT | C.STRT | C.TDMD);
    if (want & (C.INIT | C.STRT)) csr0 &= ~C.STOP;
    csr0 |= want;
    this.#r.csr0 = csr0;
    if (want !== 0) {
      if (this.#r.want === 0) this.#events.at(this.#clock(), this.#kick);
      this.#r.want |= want;
    }
    this.#update();
  }

  // ---- events ----------------------------------------------------------------------------------

  /** Acts on the INIT, STRT and TDMD just written, at the cycle they were written. */
  #onKick(): void {
    const want = this.#r.want;
    this.#r.want = 0;
    const now = this.#clock();
    if (want & C.INIT) {
      this.#events.cancel(this.#initDone);
      this.#r.initAt = now + LANCE_TIMING.init;
      this.#events.at(this.#r.initAt, this.#initDone);
    }
    if (want & C.STRT) {
      if (this.#r.initAt >= 0) this.#r.startAfterInit = true;
      else this.#start(now);
    }
    if (want & C.TDMD && this.#r.csr0 & C.TXON) this.#scheduleTx(Math.max(now, this.#r.txReadyAt));
    this.#update();
  }

  /** Reads the init block: mode, PADR, LADRF, rings; sets IDON. */
  #onInitDone(): void {
    this.#r.initAt = -1;
    const at = (this.#r.csr2 << 16) | this.#r.csr1;
    if (!this.#inSram(at, 24)) return;
    const h = (o: number) => this.#half(at + o);
    this.#r.mode = h(0);
    for (let i = 0; i < 6; i++) this.#padr[i] = this.sram[at + 2 + i];
    for (let i = 0; i < 4; i++) this.#ladrf[i] = h(8 + 2 * i);
    this.#r.rdra = (h(16) | ((h(18) & 0xff) << 16)) & ~7;
    this.#r.rlen = 1 << (h(18) >>> 13);
    this.#r.tdra = (h(20) | ((h(22) & 0xff) << 16)) & ~7;
    this.#r.tlen = 1 << (h(22) >>> 13);
    this.#r.rx = this.#r.tx = 0;
    this.#r.csr0 |= C.IDON;
    if (this.#r.startAfterInit) {
      this.#r.startAfterInit = false;
      this.#start(this.#clock());
    }
    this.#update();
  }

  /** Looks at the next transmit descriptor and starts a frame, or polls again later. */
  #onTxCheck(): void {
    this.#r.txCheckAt = -1;
    if ((this.#r.csr0 & C.TXON) === 0 || this.#sending !== null) return;
    const now = this.#clock();
    this.#r.csr0 &= ~C.TDMD;
    const descs: number[] = [];
    let i = this.#r.tx, length = 0, ended = false;
    for (let n = 0; n < this.#r.tlen; n++) {
      const d = this.#r.tdra + 8 * i;
      if (!this.#inSram(d, 8)) return this.#update();
      const tmd1 = this.#half(d + 2);
      if ((tmd1 & LANCE_TMD1.OWN) === 0) break;
      descs.push(d);
      length += bufferLength(this.#half(d + 4));
      i = (i + 1) % this.#r.tlen;
      if (tmd1 & LANCE_TMD1.ENP) {
        ended = true;
        break;
      }
    }
    if (descs.length === 0) {
      this.#scheduleTx(now + LANCE_TIMING.poll);
      return this.#update();
    }
    if (!ended) return this.#underflow(descs, i);
    const crc = (this.#r.mode & LANCE_MODE.DTCR) === 0;
    const frame = new Uint8Array(length + (crc ? FCS_BYTES : 0));
    let at = 0;
    for (const d of descs) {
      const addr = this.#half(d) | ((this.#half(d + 2) & 0xff) << 16);
      const n = bufferLength(this.#half(d + 4));
      if (!this.#inSram(addr, n)) return this.#update();
      frame.set(this.sram.subarray(addr, addr + n), at);
      at += n;
    }
    if (crc) {
      const f = fcs(frame, 0, length);
      for (let b = 0; b < 4; b++) frame[length + b] = (f >>> (8 * b)) & 0xff;
    }
    if (frame.length > MAX_FRAME) this.#r.csr0 |= C.BABL;
    const end = now + wireCycles(frame.length);
    this.#sending = { descs, next: i, end };
    this.#events.at(end, this.#txDone);
    this.onTransmit?.(frame, now, end);
    this.#update();
  }

  /** The last bit is out: hands the descriptors back, TINT, and looks for the next frame. */
  #onTxDone(): void {
    const s = this.#sending;
    if (s === null) return;
    this.#sending = null;
    for (const d of s.descs) {
      this.#setHalf(d + 2, this.#half(d + 2) & ~TMD1_STATUS);
      this.#setHalf(d + 6, 0);
    }
    this.#r.tx = s.next;
    this.#r.csr0 |= C.TINT;
    this.stats.transmitted++;
    this.#r.txReadyAt = s.end + IFG_CYCLES;
    this.#scheduleTx(this.#r.txReadyAt);
    this.#update();
  }

  /** Takes in every frame whose last bit has arrived. */
  #onArrive(): void {
    const now = this.#clock();
    while (this.#arrivals.length > 0 && this.#arrivals[0].cycle <= now) {
      this.#accept(this.#arrivals.shift()!.frame);
    }
    this.#update();
  }

  // ---- the engines -----------------------------------------------------------------------------

  #start(now: number): void {
    if ((this.#r.mode & LANCE_MODE.DTX) === 0) this.#r.csr0 |= C.TXON;
    if ((this.#r.mode & LANCE_MODE.DRX) === 0) this.#r.csr0 |= C.RXON;
    if (this.#r.csr0 & C.TXON) this.#scheduleTx(Math.max(now, this.#r.txReadyAt));
  }

  /** Makes sure the transmitter looks at its ring by cycle `at`. */
  #scheduleTx(at: number): void {
    if (this.#sending !== null || (this.#r.txCheckAt >= 0 && this.#r.txCheckAt <= at)) return;
    this.#events.cancel(this.#txCheck);
    this.#r.txCheckAt = at;
    this.#events.at(at, this.#txCheck);
  }

  /** A transmit chain without ENP: buffer error on its last descriptor, transmitter off. */
  #underflow(descs: number[], next: number): void {
    for (const d of descs) this.#setHalf(d + 2, this.#half(d + 2) & ~TMD1_STATUS);
    const last = descs[descs.length - 1];
    this.#setHalf(last + 2, this.#half(last + 2) | LANCE_TMD1.ERR);
    this.#setHalf(last + 6, LANCE_TMD3.BUFF | LANCE_TMD3.UFLO);
    this.#r.tx = next;
    this.#r.csr0 = (this.#r.csr0 & ~C.TXON) | C.TINT;
    this.#update();
  }

  /** Filters a frame that has arrived and writes it into the receive ring. */
  #accept(frame: Uint8Array): void {
    if ((this.#r.csr0 & C.RXON) === 0) return void this.stats.offline++;
    if (frame.length < MIN_FRAME) return void this.stats.runts++;
    if (!this.#wanted(frame)) return void this.stats.filtered++;
    let i = this.#r.rx, off = 0, last = -1;
    for (let n = 0; n < this.#r.rlen && off < frame.length; n++) {
      const d = this.#r.rdra + 8 * i;
      if (!this.#inSram(d, 8)) return;
      const rmd1 = this.#half(d + 2);
      if ((rmd1 & LANCE_RMD1.OWN) === 0) break;
      const addr = this.#half(d) | ((rmd1 & 0xff) << 16);
      const size = Math.min(bufferLength(this.#half(d + 4)), frame.length - off);
      if (!this.#inSram(addr, size)) return;
      this.sram.set(frame.subarray(off, off + size), addr);
      let bits = rmd1 & 0xff;
      if (off === 0) bits |= LANCE_RMD1.STP;
      off += size;
      if (off === frame.length) {
        bits |= LANCE_RMD1.ENP;
        if (!fcsOk(frame)) bits |= LANCE_RMD1.CRC | LANCE_RMD1.ERR;
        this.#setHalf(d + 6, frame.length & 0xfff);
      }
      this.#setHalf(d + 2, bits);
      last = d;
      i = (i + 1) % this.#r.rlen;
    }
    if (last < 0) {
      this.#r.csr0 |= C.MISS;
      this.stats.missed++;
      return;
    }
    if (off < frame.length) {
      this.#setHalf(last + 2, this.#half(last + 2) | LANCE_RMD1.BUFF | LANCE_RMD1.ERR);
    }
    this.#r.rx = i;
    this.#r.csr0 |= C.RINT;
    this.stats.received++;
  }

  /** The address filter: PROM, our PADR, broadcast, or a multicast whose LADRF bit is set. */
  #wanted(frame: Uint8Array): boolean {
    if (this.#r.mode & LANCE_MODE.PROM) return true;
    if ((frame[0] & 1) === 0) return sameMac(frame, 0, this.#padr);
    let all = true;
    for (let i = 0; i < 6; i++) all &&= frame[i] === 0xff;
    if (all) return true;
    const bit = ladrfBit(frame);
    return (this.#ladrf[bit >>> 4] & (1 << (bit & 15))) !== 0;
  }

  /** Stops everything: CSR0 = STOP, CSR3 = 0, the LANCE's events cancelled, frames in flight dropped. */
  #stop(): void {
    for (const e of [this.#kick, this.#initDone, this.#txCheck, this.#txDone, this.#arrive]) {
      this.#events.cancel(e);
    }
    this.#r.csr0 = C.STOP;
    this.#r.csr3 = 0;
    this.#r.want = 0;
    this.#r.initAt = this.#r.txCheckAt = -1;
    this.#r.startAfterInit = false;
    this.#sending = null;
    this.#arrivals = [];
  }

  /** True when [addr, addr + n) is in the SRAM; otherwise a memory error (MERR, both engines off). */
  #inSram(addr: number, n: number): boolean {
    if (addr + n <= LANCE_SRAM_SIZE) return true;
    this.#r.csr0 = (this.#r.csr0 | C.MERR) & ~(C.RXON | C.TXON);
    this.#events.cancel(this.#txDone);
    this.#events.cancel(this.#txCheck);
    this.#r.txCheckAt = -1;
    this.#sending = null;
    return false;
  }

  #half(addr: number): number {
    return this.sram[addr] | (this.sram[addr + 1] << 8);
  }

  #setHalf(addr: number, v: number): void {
    this.sram[addr] = v;
    this.sram[addr + 1] = v >>> 8;
  }

  #update(): void {
    const level = (this.#r.csr0 & C.INEA) !== 0 && (this.#r.csr0 & INTR_SOURCES) !== 0;
    if (level !== this.#r.level) {
      this.#r.level = level;
      this.#irq.setSource(KN02_SLOT.lance, level);
    }
  }
}

/** The byte count of a descriptor's negative length word: low 12 bits negated, 0 meaning 4096. */
function bufferLength(word: number): number {
  return ((-word) & 0xfff) || 4096;
}

function newStats(): LanceStats {
  return { transmitted: 0, received: 0, missed: 0, filtered: 0, runts: 0, offline: 0 };
}
