/**
 * Packet capture files: the classic libpcap format that `tcpdump -r` and Wireshark read.
 *
 * One global header (nanosecond-resolution magic 0xa1b23c4d, version 2.4, link type 1 =
 * Ethernet, snapshot length 65535), then one record per frame: seconds, nanoseconds, captured
 * and original length, and the frame from its destination address to the end of its data,
 * without the FCS (link type 1 carries none). All little-endian. Timestamps are emulated time:
 * a cycle is exactly 40 ns, so nanoseconds lose nothing; time 0 is the wire's cycle 0, which
 * tcpdump shows as 1970-01-01 00:00:00 UTC.
 *
 * A `Pcap` writes through to a file as frames come (so a long run does not hold its capture in
 * memory), or keeps the bytes in memory when made without a path.
 *
 * @module
 */

import { CLOCK_HZ } from "./timing.ts";

/** The nanosecond pcap magic number. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** Link type of Ethernet frames without FCS. */
export const LINKTYPE_ETHERNET = 1;

const NS_PER_CYCLE = 1e9 / CLOCK_HZ;

/** A pcap capture being written: to a file, or to memory. */
export class Pcap {
  /** The file written, or undefined for a capture in memory. */
  readonly path: string | undefined;
  /** Frames recorded so far. */
  frames = 0;
  #file: Deno.FsFile | undefined;
  #chunks: Uint8Array[] = [];

  /**
   * Starts a capture at `path` (truncating it), or in memory when `path` is omitted. Throws the
   * file system's error, naming the path, when the file cannot be created.
   */
  constructor(path?: string) {
    this.path = path;
    if (path !== undefined) {
      try {
        this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
      } catch (e) {
        throw new Error(`Cannot write the pcap file ${path}: ${(e as Error).message}`);
      }
    }
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, PCAP_MAGIC_NS, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, 65535, true);
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    this.#put(new Uint8Array(h.buffer));
  }

  /** Records `frame` (no FCS) seen at wire cycle `cycle`; throws once the capture is closed. */
  record(frame: Uint8Array, cycle: number): void {
    if (this.path !== undefined && this.#file === undefined) {
      throw new Error(`The pcap file ${this.path} is closed: start a new capture`);
    }
    const ns = Math.round(cycle * NS_PER_CYCLE);
    const rec = new Uint8Array(16 + frame.length);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Math.floor(ns / 1e9), true);
    v.setUint32(4, ns % 1e9, true);
    v.setUint32(8, frame.length, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame, 16);
    this.#put(rec);
    this.frames++;
  }

  /** The capture's bytes so far, for a capture in memory (one written to a file returns none). */
  bytes(): Uint8Array {
    const n = this.#chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Closes the file (nothing to do in memory); safe to call twice. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #put(bytes: Uint8Array): void {
    if (this.#file === undefined) {
      this.#chunks.push(bytes);
      return;
    }
    let at = 0;
    while (at < bytes.length) at += this.#file.writeSync(bytes.subarray(at));
  }
}
