/**
 * How the CPU prints itself: the register view a person reads at the REPL (`m.cpu`), in the
 * manner of gxemul's and SPIM's register dumps. The 32 general registers by name, pc (with the
 * next pc while in a delay slot), HI and LO, then the CP0 registers by name with Status and
 * Cause decoded: the KU/IE stack, the interrupt mask and BEV; the exception code by name, the
 * pending interrupt lines and BD. Every address and register is in hex; counts are decimal.
 *
 * Only the printing lives here; the raw state stays on the Cpu (`cpu.regs`, `cpu.cp0`, ...).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { CAUSE, CP0, EXC_NAMES, SR, TLB } from "./cp0.ts";
import { GPR_NAMES } from "./asm/isa.ts";

/** `v` as eight hex digits. */
function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

/** One level of the KU/IE stack: "kernel/on", "user/off". */
function level(sr: number, ku: number, ie: number): string {
  return `${(sr & ku) !== 0 ? "user" : "kernel"}/${(sr & ie) !== 0 ? "on" : "off"}`;
}

/** The set bits of an 8-bit field as their numbers ("2 3"), or "-". */
function bitNumbers(field: number): string {
  const on: number[] = [];
  for (let i = 0; i < 8; i++) if ((field & (1 << i)) !== 0) on.push(i);
  return on.join(" ") || "-";
}

/** Status decoded: the KU/IE stack (current, previous, old), IM bits and the other flags. */
export function decodeStatus(sr: number): string {
  const flags = (["BEV", "TS", "SwC", "IsC", "CU0", "CU1", "CU2", "CU3"] as const)
    .filter((f) => (sr & SR[f]) !== 0);
  return `KU/IE current ${level(sr, SR.KUc, SR.IEc)}, previous ${level(sr, SR.KUp, SR.IEp)}, ` +
    `old ${level(sr, SR.KUo, SR.IEo)} · IM ${bitNumbers((sr & SR.IM) >>> 8)}` +
    (flags.length > 0 ? ` · ${flags.join(" ")}` : "");
}

/** Cause decoded: the exception code by name, the pending interrupt lines, CE and BD. */
export function decodeCause(cause: number): string {
  const code = (cause >>> CAUSE.EXC_SHIFT) & 31;
  const ce = (cause >>> CAUSE.CE_SHIFT) & 3;
  return `ExcCode ${EXC_NAMES[code] ?? code} (${code}) · IP ${
    bitNumbers((cause & CAUSE.IP) >>> 8)
  }` +
    (code === 11 ? ` · CE ${ce}` : "") + ((cause & CAUSE.BD) !== 0 ? " · BD" : "");
}

/** The whole register view of `cpu`, as `m.cpu` prints it. */
export function cpuView(cpu: Cpu): string {
  const lines: string[] = [];
  const mode = cpu.kernelMode ? "kernel mode" : "user mode";
  lines.push(
    `pc ${hex8(cpu.pc)}${cpu.inDelaySlot ? ` (delay slot, then ${hex8(cpu.npc)})` : ""}  ` +
      `hi ${hex8(cpu.hi)}  lo ${hex8(cpu.lo)}  ${mode}`,
  );
  for (let row = 0; row < 8; row++) {
    const cells: string[] = [];
    for (let col = 0; col < 4; col++) {
      const r = row + 8 * col;
      cells.push(`${("$" + GPR_NAMES[r]).padStart(5)} ${hex8(cpu.regs[r])}`);
    }
    lines.push(cells.join("   "));
  }
  const c = cpu.cp0;
  const hi = c[CP0.EntryHi];
  lines.push(
    `Status   ${hex8(c[CP0.Status])}  ${decodeStatus(c[CP0.Status])}`,
    `Cause    ${hex8(c[CP0.Cause])}  ${decodeCause(c[CP0.Cause])}`,
    `EPC      ${hex8(c[CP0.EPC])}  BadVAddr ${hex8(c[CP0.BadVAddr])}  ` +
      `Context ${hex8(c[CP0.Context])}`,
    `EntryHi  ${hex8(hi)}  (VPN ${hex8(hi & TLB.VPN_MASK)}, ASID ${
      (hi & TLB.ASID_MASK) >>> TLB.ASID_SHIFT
    })  EntryLo ${hex8(c[CP0.EntryLo])}`,
    `Index    ${hex8(c[CP0.Index])}  Random ${cpu.random}  PRId ${hex8(c[CP0.PRId])}`,
    `${cpu.instructions} instructions · ${cpu.cycles} cycles (${cpu.modeledCycles} modeled) · ` +
      `raw state: .regs .cp0 .tlbHi .tlbLo`,
  );
  return lines.join("\n");
}
