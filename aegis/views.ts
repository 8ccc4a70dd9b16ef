/**
 * How Aegis's state prints: the environments, the hardware TLB, the STLB and page ownership, as
 * tables for the REPL and for scripts. Read-only; nothing here changes the kernel.
 *
 * @module
 */

import { TLB } from "../machine/cp0.ts";
import { formatTable, hex } from "../machine/table.ts";
import { HANDLER, handlerName } from "./abi.ts";
import type { Aegis } from "./kernel.ts";
import { E, K, PAGE_SHIFT, STLB, TRAMP, U } from "./layout.ts";

/** A printable value: its text is computed when it is shown. */
export class View {
  /** Wraps the function that renders the text. */
  constructor(readonly render: () => string) {}

  /** The rendered text. */
  toString(): string {
    return this.render();
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.render();
  }
}

/** The handler codes an environment has set, by name ("Ov", "TLBL", ...). */
function handlerNames(aegis: Aegis, id: number): string {
  const names: string[] = [];
  for (let c = 0; c < HANDLER.COUNT; c++) {
    const h = aegis.field(id, E.HANDLERS + 4 * c) >>> 0;
    if (h === U.TRAMPOLINE + TRAMP.UNHANDLED) continue;
    names.push(handlerName(c));
  }
  return names.join(" ") || "-";
}

/** The environments: id, name, ASID, pages held, slices, handlers set, excess time. */
export function envTable(aegis: Aegis): string {
  const rows = aegis.envIds.map((id) => {
    let pages = 0;
    for (let p = aegis.firstPage; p < aegis.pages; p++) if (aegis.ownerOf(p) === id) pages++;
    const slices = [...aegis.slices].flatMap((o, i) => o === id ? [i] : []);
    return [
      hex(id, 4),
      aegis.nameOf(id) || "-",
      aegis.field(id, E.ASID),
      pages,
      slices.join(",") || "-",
      handlerNames(aegis, id),
      aegis.field(id, E.EXCESS),
      id === aegis.current ? "running" : "",
    ];
  });
  return formatTable(
    [
      "id",
      "name",
      { header: "ASID", right: true },
      { header: "pages", right: true },
      "slices",
      "handlers",
      {
        header: "excess",
        right: true,
      },
      "state",
    ],
    rows,
  );
}

/** The hardware TLB's valid entries: index, VPN, ASID, PFN and the N/D/V/G bits. */
export function tlbTable(aegis: Aegis): string {
  const cpu = aegis.machine.cpu;
  return bindings("TLB", "index", TLB.ENTRIES, (i) => [cpu.tlbHi[i], cpu.tlbLo[i]]);
}

/** The STLB's valid entries, likewise. */
export function stlbTable(aegis: Aegis): string {
  return bindings("STLB", "slot", STLB.ENTRIES, (i) => [
    aegis.mem.r32(K.STLB + 8 * i),
    aegis.mem.r32(K.STLB + 8 * i + 4),
  ]);
}

/** A table of the valid (EntryHi, EntryLo) pairs among `entries`, read by `entry(i)`. */
function bindings(
  what: string,
  indexName: string,
  entries: number,
  entry: (i: number) => [number, number],
): string {
  const rows: unknown[][] = [];
  for (let i = 0; i < entries; i++) {
    const [hi, lo] = entry(i);
    if ((lo & TLB.V) === 0) continue;
    rows.push([
      i,
      hex(hi & TLB.VPN_MASK),
      (hi & TLB.ASID_MASK) >>> 6,
      hex(lo >>> PAGE_SHIFT, 5),
      bits(lo),
    ]);
  }
  return `${what}: ${rows.length} of ${entries} entries valid\n` +
    formatTable([
      { header: indexName, right: true },
      "VPN",
      { header: "ASID", right: true },
      "PFN",
      "NDVG",
    ], rows);
}

/** EntryLo's N, D, V, G bits as letters. */
function bits(lo: number): string {
  return ((lo & TLB.N) ? "N" : "-") + ((lo & TLB.D) ? "D" : "-") + ((lo & TLB.V) ? "V" : "-") +
    ((lo & TLB.G) ? "G" : "-");
}

/** Physical page `p`: owner, rights, pinned, under revocation. */
export function pageLine(aegis: Aegis, p: number): string {
  const owner = aegis.ownerOf(p);
  const who = owner === -1
    ? "the kernel"
    : owner === 0
    ? "nobody (free)"
    : `${aegis.nameOf(owner) || hex(owner, 4)}`;
  const extra = [
    aegis.isPinned(p) ? "pinned" : "",
    aegis.revocations.some((r) => r.page === p) ? "being revoked" : "",
  ]
    .filter(Boolean).join(", ");
  return `Page ${hex(p, 4)} (physical ${hex(p << PAGE_SHIFT)}): owner ${who}` +
    (owner > 0 ? ", capabilities rw and ro" : "") + (extra ? `, ${extra}` : "");
}

/** A summary of the whole kernel. */
export function aegisSummary(aegis: Aegis): string {
  let free = 0;
  for (let p = aegis.firstPage; p < aegis.pages; p++) if (aegis.ownerOf(p) === 0) free++;
  const n = aegis.envIds.length;
  return `Aegis · ${n} environment${n === 1 ? "" : "s"} · ${free} of ${
    aegis.pages - aegis.firstPage
  } ` +
    `pages free · ${aegis.sliceCount} slices of ${(aegis.sliceCycles / 25).toFixed(0)} us\n` +
    envTable(aegis);
}
