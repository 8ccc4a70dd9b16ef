/**
 * Snapshots of a lab: the machine (CPU, RAM, devices, pending events, console), Aegis's
 * TypeScript-side state and ExOS's processes, to restore later in the same session or, written
 * to a file, in another.
 *
 * `m.snapshot()` returns a Snapshot, which prints as one line and restores with `m.restore(s)`
 * into the lab it was taken of. `s.save(path)` writes it to a file; `m.restore(path)` reads the
 * file back into any lab with the same memory size. The file holds a JSON header (every register,
 * device and kernel table, ExOS's record) and the RAM pages that are not all zero.
 *
 * Aegis keeps its whole state in the machine's memory, so RAM carries the kernel; the snapshot
 * adds the host's log of exits and the host's objects for environments. ExOS keeps its page
 * tables, code and pipes' rings in guest memory too; what it keeps in TypeScript (the process
 * table, open files, pipes' ends, segments, signals, the scheduler's queue, console input) is a
 * plain-data record (exos/snapshot.ts), the same in a live snapshot and in a file, from which
 * the lab rebuilds `m.exos` over the restored environments, with the library's TypeScript
 * handlers made anew. The programs exec may name go with it: by name for those that ship
 * (guest/out/bin, read again where the file is restored), by their bytes for any other. So does
 * what the console had shown: a lab whose console shows something else is given those bytes.
 *
 * What a file cannot hold is code: a TypeScript exception handler or entry function installed
 * by hand is a closure. `save` refuses a snapshot that has one and names it, rather than write a
 * file that would come back without it (ExOS's own handlers are not such: the record makes them
 * again). The device events of the machine (the clock's ticks) and the kernel's revocation
 * deadline are saved by name and bound again to the restoring machine's and kernel's own. ExOS's
 * network stack is not covered (Lab does not make one; `m.snapshot()` says so if it meets one).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { MachineSnapshot } from "../machine/decstation.ts";
import { hex } from "../machine/table.ts";
import type { AegisState } from "../aegis/kernel.ts";
import { Environment, Page } from "../aegis/env.ts";
import type { Aegis } from "../aegis/kernel.ts";
import type { TsHandler } from "../aegis/abi.ts";
import { checkRecord, type ExosRecord } from "../exos/mod.ts";

/** The first line of a snapshot file. */
const MAGIC = "exolab snapshot 1";

/** Bytes of a page, for the RAM's sparse encoding. */
const PAGE = 4096;

/** What a snapshot's one line says. */
export interface SnapshotSummary {
  /** RAM in MB. */
  memoryMB: number;
  /** Live environments (Aegis), or -1 when the lab ran a bare program. */
  environments: number;
  /** Aegis's slice positions, or 0 when the lab ran a bare program. */
  slices: number;
  /** The cycles of one slice (Aegis's clock), or 0 for a bare program. */
  sliceCycles: number;
  /** ExOS's processes so far, or -1 when ExOS had not started. */
  processes: number;
  /** Of those, the ones that have not ended. */
  live: number;
  /** Emulated microseconds at the snapshot. */
  us: number;
  /** Instructions executed at the snapshot. */
  instructions: number;
  /** The pc. */
  pc: number;
}

/** A saved page of a faced environment: its number and capability (hex), and its owner's id. */
interface PageRecord {
  number: number;
  capability: string;
  owner: number;
}

/** A face's bookkeeping, as a file holds it. */
type FaceRecord = { nextCode: number; mappings: [number, PageRecord][] };

/** Aegis's host-side state as a file holds it: no closures, environments by id and name. */
interface AegisRecord {
  exits: AegisState["exits"];
  environments: [number, string][];
  faces: [number, FaceRecord][];
}

/** A face's own bookkeeping (aegis/env.ts `faceState`). */
type Face = ReturnType<Environment["faceState"]>;

/** The name the kernel's deadline event is saved under. */
const DEADLINE = "aegis deadline";

/** ExOS's part of a file: the record and the programs (null: the shipped one of that name). */
type ExosFile = Pick<ExosState, "record" | "files">;

/** The parts of a snapshot read from a file, before they are bound to a lab. */
interface Detached {
  machine: Omit<MachineSnapshot, "events"> & { events: { cycles: number[]; actions: string[] } };
  aegis: AegisRecord | null;
  exos: ExosFile | null;
  console: Uint8Array | null;
}

/** ExOS's part of a lab's state. */
export interface ExosState {
  /** What ExOS keeps outside guest memory (exos/snapshot.ts). */
  record: ExosRecord;
  /**
   * The programs exec may name, in order: their bytes, or null for the program of that name
   * that ships (guest/out/bin), unchanged.
   */
  files: [string, Uint8Array | null][];
  /** The Aegis TypeScript handlers that are ExOS's own, which the record makes again. */
  handlers: ReadonlySet<TsHandler>;
}

/** The state a lab restores: the machine's, Aegis's (null for a bare program), ExOS's. */
export interface LabState {
  /** The machine. */
  machine: MachineSnapshot;
  /** Aegis's TypeScript-side state, or null when the lab ran a bare program. */
  aegis: AegisState | null;
  /** ExOS's processes, or null when ExOS had not started. */
  exos: ExosState | null;
  /** Every byte the console had shown (null: not known, for a file written before it was kept). */
  console: Uint8Array | null;
}

/** A lab's whole state at one moment; prints as one line. */
export class Snapshot {
  readonly #live: LabState | null;
  readonly #detached: Detached | null;
  readonly #owner: object | null;

  /** A snapshot of `state`, taken of `owner` (or read from `file`), described by `summary`. */
  private constructor(
    readonly summary: SnapshotSummary,
    live: LabState | null,
    detached: Detached | null,
    owner: object | null,
    readonly file?: string,
  ) {
    this.#live = live;
    this.#detached = detached;
    this.#owner = owner;
  }

  /** Wraps the state just taken of `owner`. */
  static of(owner: object, state: LabState, summary: SnapshotSummary): Snapshot {
    return new Snapshot(summary, state, null, owner);
  }

  /** One line: memory, environments, ExOS's processes, emulated time, instructions, pc. */
  toString(): string {
    const s = this.summary;
    const envs = s.environments < 0
      ? "a bare program"
      : `Aegis: ${s.environments} environment${s.environments === 1 ? "" : "s"}` +
        (s.processes > 0
          ? ` · ExOS: ${s.processes} process${s.processes === 1 ? "" : "es"}, ${s.live} live`
          : "");
    const time = s.us >= 1000 ? `${(s.us / 1000).toFixed(2)} ms` : `${s.us.toFixed(2)} us`;
    return `Snapshot · ${s.memoryMB} MB · ${envs} · ${time} emulated · ` +
      `${s.instructions} instructions · pc 0x${(s.pc >>> 0).toString(16).padStart(8, "0")}` +
      (this.file ? ` · from ${this.file}` : "");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /**
   * The state to restore into `owner` (`aegis`: its kernel now, which the environments' faces
   * are bound to). Throws for a snapshot of another lab (a file snapshot fits any lab whose
   * memory size matches) or one whose device events the machine does not have.
   */
  bind(owner: object, aegis: Aegis | null, events: { actions: (() => void)[] }): LabState {
    if (this.#live !== null) {
      if (this.#owner !== owner) {
        throw new Error(
          "This snapshot was taken of another lab: save it to a file (s.save(path)) and " +
            "restore the file (m.restore(path))",
        );
      }
      return this.#live;
    }
    const d = this.#detached!;
    const byName = new Map(events.actions.map((a) => [a.name, a]));
    if (aegis !== null) byName.set(DEADLINE, aegis.mem.deadlineEvent);
    const actions = d.machine.events.actions.map((name) => {
      const a = byName.get(name);
      if (a === undefined) {
        throw new Error(`The snapshot's device event ${name} has no counterpart in this machine`);
      }
      return a;
    });
    const machine: MachineSnapshot = {
      ...d.machine,
      events: { cycles: d.machine.events.cycles, actions },
    };
    if (d.aegis === null) return { machine, aegis: null, exos: null, console: d.console };
    if (aegis === null) throw new Error("This snapshot has Aegis: m.reset() boots it first");
    const a = d.aegis;
    const environments = new Map<number, Environment>();
    for (const [id, name] of a.environments) {
      const known = aegis.environments.get(id);
      environments.set(id, known?.name === name ? known : new Environment(aegis, id, name));
    }
    const faces = new Map<number, Face>(a.faces.map(([id, f]) => [id, {
      nextCode: f.nextCode,
      mappings: new Map(f.mappings.map(([va, p]) => {
        const owner = environments.get(p.owner);
        if (owner === undefined) throw new Error(`Page ${p.number}'s owner ${p.owner} is missing`);
        return [va, new Page(p.number, BigInt(p.capability), owner)];
      })),
    }]));
    return {
      machine,
      aegis: {
        handlers: new Map(),
        entries: new Map(),
        exits: a.exits,
        faces,
        names: new Map(a.environments),
      },
      exos: d.exos === null ? null : { ...d.exos, handlers: new Set() },
      console: d.console,
    };
  }

  /**
   * Writes the snapshot to `path` and returns the path. Throws, writing nothing, when the state
   * holds code a file cannot (TypeScript handlers or entries, a deadline set from TypeScript).
   */
  save(path: string): string {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(`save takes a file path, not ${typeof path}`);
    }
    const d = this.#detach();
    const ram = d.machine.ram;
    const pages: number[] = [];
    const words = new Int32Array(ram.buffer, ram.byteOffset, ram.byteLength >>> 2);
    for (let p = 0; p < ram.length / PAGE; p++) {
      const w = words.subarray(p * (PAGE / 4), (p + 1) * (PAGE / 4));
      if (w.some((x) => x !== 0)) pages.push(p);
    }
    const header = encode({
      summary: this.summary,
      ramBytes: ram.length,
      pages,
      machine: { ...d.machine, ram: null },
      aegis: d.aegis,
      exos: d.exos,
      console: d.console,
    }, "snapshot");
    const head = new TextEncoder().encode(`${MAGIC}\n${JSON.stringify(header)}\n`);
    const out = new Uint8Array(head.length + pages.length * PAGE);
    out.set(head);
    pages.forEach((p, i) =>
      out.set(ram.subarray(p * PAGE, (p + 1) * PAGE), head.length + i * PAGE)
    );
    Deno.writeFileSync(path, out);
    return path;
  }

  /** Reads a snapshot file written by `save`; throws an Error naming the file when it is not one. */
  static read(path: string): Snapshot {
    const bytes = Deno.readFileSync(path);
    const firstNl = bytes.indexOf(10);
    const secondNl = firstNl < 0 ? -1 : bytes.indexOf(10, firstNl + 1);
    const dec = new TextDecoder();
    if (firstNl < 0 || secondNl < 0 || dec.decode(bytes.subarray(0, firstNl)) !== MAGIC) {
      throw new Error(`${path} is not an exolab snapshot (it does not start with "${MAGIC}")`);
    }
    // deno-lint-ignore no-explicit-any
    const h = decode(JSON.parse(dec.decode(bytes.subarray(firstNl + 1, secondNl)))) as any;
    const ram = new Uint8Array(h.ramBytes);
    const body = bytes.subarray(secondNl + 1);
    if (body.length !== h.pages.length * PAGE) {
      throw new Error(
        `${path} is truncated: it holds ${body.length} bytes of RAM pages, ` +
          `not ${h.pages.length * PAGE}`,
      );
    }
    (h.pages as number[]).forEach((p, i) =>
      ram.set(body.subarray(i * PAGE, (i + 1) * PAGE), p * PAGE)
    );
    const exos = h.exos ?? null;
    if (
      exos !== null && (!Array.isArray(exos.files) ||
        !exos.files.every((f: unknown) =>
          Array.isArray(f) && typeof f[0] === "string" &&
          (f[1] === null || f[1] instanceof Uint8Array)
        ))
    ) {
      throw new Error(`${path} is damaged: its ExOS programs are not a list of names and bytes`);
    }
    if (exos !== null) checkRecord(exos.record); // before anything is restored
    const console = h.console instanceof Uint8Array ? h.console : null;
    const detached: Detached = { machine: { ...h.machine, ram }, aegis: h.aegis, exos, console };
    return new Snapshot(h.summary, null, detached, null, path);
  }

  /** The state without closures, as a file holds it; throws naming what cannot be written. */
  #detach(): Detached {
    if (this.#detached !== null) return this.#detached;
    const { machine, aegis, exos, console } = this.#live!;
    const actions = machine.events.actions.map((a) => {
      if (a.name === "deadlineEvent") return DEADLINE; // the kernel's own: bound again on restore
      if (!a.name.startsWith("#")) {
        throw new Error(
          "A deadline set from TypeScript is pending: its action cannot be written to a file; " +
            "let it pass (run the machine on) and save again",
        );
      }
      return a.name;
    });
    return {
      machine: { ...machine, events: { cycles: machine.events.cycles, actions } },
      aegis: aegis === null ? null : aegisRecord(aegis, exos?.handlers ?? new Set()),
      exos: exos === null ? null : { record: exos.record, files: exos.files },
      console,
    };
  }
}

/**
 * Aegis's host-side state without closures; throws naming the TypeScript code it holds, but for
 * the handlers in `remade` (ExOS's, which its record makes again).
 */
function aegisRecord(a: AegisState, remade: ReadonlySet<TsHandler>): AegisRecord {
  const faces = [...a.faces] as [number, Face][];
  const name = (id: number) => hex(id, 4);
  for (const [id, table] of a.handlers) {
    if ([...table.values()].some((h) => !remade.has(h))) {
      throw new Error(
        `Environment ${name(id)} has TypeScript exception handlers: functions cannot be ` +
          `written to a file; save before installing them, or use guest-code handlers`,
      );
    }
  }
  if (a.entries.size > 0) {
    const id = [...a.entries.keys()][0];
    throw new Error(
      `Environment ${name(id)} has a TypeScript entry function: functions cannot be written ` +
        `to a file; save before installing it`,
    );
  }
  return {
    exits: a.exits,
    environments: faces.map(([id]) => [id, a.names.get(id) ?? name(id)]),
    faces: faces.map(([id, f]) => [id, {
      nextCode: f.nextCode,
      mappings: [...f.mappings].map(([va, p]) => [va, {
        number: p.number,
        capability: p.capability.toString(),
        owner: p.owner.id,
      }]),
    }]),
  };
}

/** The typed-array kinds a snapshot holds, by name. */
const TYPED = {
  Int32Array,
  Uint8Array,
  Float64Array,
  Uint16Array,
  Uint32Array,
  Int16Array,
} as const;

/** `v` as JSON-safe data: typed arrays, Maps, Sets and odd numbers tagged; throws for code. */
function encode(v: unknown, path: string): unknown {
  if (v === undefined) return { $: "undefined" };
  if (typeof v === "number") return Number.isFinite(v) ? v : { $: "number", v: String(v) };
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "function") throw new Error(`${path} is a function: it cannot be written`);
  if (v instanceof Uint8Array) {
    return {
      $: "Uint8Array",
      base64: Buffer.from(v.buffer, v.byteOffset, v.length).toString("base64"),
    };
  }
  if (ArrayBuffer.isView(v)) {
    return { $: v.constructor.name, v: Array.from(v as unknown as ArrayLike<number>) };
  }
  if (v instanceof Map) {
    return {
      $: "Map",
      v: [...v].map(([k, x], i) => [encode(k, `${path}[${i}]`), encode(x, `${path}[${i}]`)]),
    };
  }
  if (v instanceof Set) return { $: "Set", v: [...v].map((x, i) => encode(x, `${path}[${i}]`)) };
  if (Array.isArray(v)) return v.map((x, i) => encode(x, `${path}[${i}]`));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = encode(x, `${path}.${k}`);
  }
  return out;
}

/** The inverse of `encode`. */
function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$ === "string") {
    const tag = o.$;
    if (tag === "undefined") return undefined;
    if (tag === "number") return Number(o.v);
    if (tag === "Map") return new Map((o.v as unknown[][]).map(([k, x]) => [decode(k), decode(x)]));
    if (tag === "Set") return new Set((o.v as unknown[]).map(decode));
    if (tag === "Uint8Array" && typeof o.base64 === "string") {
      return new Uint8Array(Buffer.from(o.base64, "base64"));
    }
    if (tag in TYPED) return TYPED[tag as keyof typeof TYPED].from(o.v as number[]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decode(x);
  return out;
}
