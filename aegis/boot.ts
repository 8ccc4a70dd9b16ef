/**
 * Booting Aegis: the kernel's text assembled in one piece at the vectors, kernel memory laid
 * out, the trampoline, the slice clock, and the hypercalls by which the assembly reaches the
 * TypeScript services.
 *
 * The text is the mechanisms' assembly in one source: the UTLB vector's refill (bindings.ts)
 * at 0x80000000, the general vector (exceptions.ts) at 0x80000080, then the system-call dispatch
 * (syscalls.ts), the bindings, the protected control transfers (pct.ts), the directed yield and
 * the interrupt path (slices.ts). It is assembled with `.set noreorder`: every delay slot, load
 * delay and CP0 hazard is scheduled by hand.
 *
 * The hypercall services run with the CPU stopped after the `hcall` (machine/decstation.ts), with
 * `inService` raised so that nothing in them acts for an environment.
 *
 * @module
 */

import { assemble } from "../machine/asm/mod.ts";
import { CP0, SR } from "../machine/cp0.ts";
import { SYS, SYSCALL_COUNT } from "./abi.ts";
import {
  capabilityCompareAsm,
  guaranteedMiss,
  pageBound,
  refillAsm,
  tlbVaDeleteAsm,
  tlbwrAsm,
  utlbMissAsm,
} from "./bindings.ts";
import { generalAsm } from "./exceptions.ts";
import { DEADLINE_INTERRUPT, E, ENV, envRecord, G, HC, K, STLB, U } from "./layout.ts";
import { initNetwork, NET_MORE, networkAsm } from "./network.ts";
import { initPages } from "./pages.ts";
import { destroyEnvironment } from "./environments.ts";
import { asidService, pctAsm } from "./pct.ts";
import { expireRevocations } from "./revocation.ts";
import { enter, interruptAsm, saveContext, tick, yieldAsm } from "./slices.ts";
import { ASM_SYSCALLS, dispatchAsm, syscallService } from "./syscalls.ts";
import type { KernelState } from "./state.ts";

/** The MC146818's periodic-interrupt registers, as the KN02 places them. */
const RTC = { BASE: 0x1fe80000, A: 0x28, B: 0x2c, C: 0x30 } as const;

/** The clock's interrupt line in Cause and Status (IP3 / IM3). */
const CLOCK_LINE = 1 << 11;

/** The I/O cascade's line (IP2 / IM2): the system CSR, behind which the LANCE interrupts. */
const IO_LINE = 1 << 10;

/** The kernel's text: both vectors first, each at its hardware address. */
export function kernelText(pages: number): string {
  return `
        .set noreorder
        .set noat
${refillAsm()}
        .align  7                            # the general vector is at 0x80000080
${generalAsm()}${utlbMissAsm()}${dispatchAsm()}${
    tlbwrAsm(pages)
  }${tlbVaDeleteAsm()}${pctAsm()}${yieldAsm()}${interruptAsm()}${
    networkAsm((dst, reg) => pageBound(dst, reg, pages), capabilityCompareAsm)
  }
kernel_end:
`;
}

/** The trampoline page, mapped read-only and executable in every environment at U.TRAMPOLINE. */
export function trampolineText(): string {
  return `
        .set noreorder
        syscall                              # TRAMP.SYSCALL: the host runs a call from here
        break   0x3ff                        # TRAMP.SYSCALL_DONE: where it stops
        .space  8
        li      $v0, ${SYS.UNHANDLED}        # TRAMP.UNHANDLED: the default handler
        syscall
        break   0x3fe
        nop
1:      li      $v0, ${SYS.YIELD}            # TRAMP.YIELD_LOOP: give the slice away, always
        move    $a0, $zero
        syscall
        b       1b
        nop
`;
}

/** The idle loop: kernel mode, interrupts on, waiting for the clock. */
const IDLE_TEXT = `
        .set noreorder
idle:   b       idle
        nop
`;

/**
 * Boots the kernel on `k`'s machine (reset first): assembles and loads the text, lays out kernel
 * memory, starts the slice clock at RTC rate select `rate`, and leaves the CPU in the idle loop.
 */
export function boot(k: KernelState, rate: number): void {
  const m = k.machine, cpu = k.cpu;
  m.reset();
  const text = assemble(kernelText(k.pages), { origin: K.UTLB_VECTOR });
  if (text.symbols.general !== K.GENERAL_VECTOR) {
    throw new Error(`The UTLB refill outgrew its 32 words: general is at ${text.symbols.general}`);
  }
  if (K.UTLB_VECTOR + text.text.length * 4 > K.TEXT_END) {
    throw new Error("The kernel text outgrew its room below the idle loop");
  }
  const idle = assemble(IDLE_TEXT, { origin: K.IDLE });
  const tramp = assemble(trampolineText(), { origin: U.TRAMPOLINE });
  const ram = m.bus.ram32;
  ram.set(text.text, (K.UTLB_VECTOR & 0x1fffffff) >>> 2);
  ram.set(idle.text, (K.IDLE & 0x1fffffff) >>> 2);
  ram.set(tramp.text, (K.TRAMPOLINE & 0x1fffffff) >>> 2);
  k.symbols = { ...text.symbols, idle: idle.symbols.idle };
  for (let n = 0; n < SYSCALL_COUNT; n++) {
    k.w32(K.SYSCALL_TABLE + 4 * n, k.symbols[ASM_SYSCALLS[n] ?? "sys_ts"]);
  }
  k.zero(K.GLOBALS, 0x1000);
  k.zero(K.REVOCATIONS, 0x1000);
  initPages(k);
  k.zero(K.STLB, STLB.ENTRIES * STLB.ENTRY_BYTES);
  for (let s = 0; s < ENV.SLOTS; s++) k.zero(envRecord(s), ENV.BYTES);
  k.w32(envRecord(0) + E.ID, -1); // slot 0 never matches an id, not even 0
  k.setGlobal(G.SLICE_POS, k.sliceCount - 1); // so the first tick starts position 0
  initNetwork(k);
  k.host.exits.length = 0;
  k.host.handlers.clear();
  k.host.entries.clear();
  // The slice clock: the RTC's periodic interrupt on IP3.
  m.bus.write(RTC.BASE + RTC.A, 1, 0x20 | rate);
  m.bus.write(RTC.BASE + RTC.B, 1, 0x46);
  for (const code of Object.values(HC)) m.onHypercall(code, (c) => service(k, c));
  // Environments run with the clock, the revocation deadline and the network on (the LANCE's
  // source stays masked in the system CSR until the first filter); the kernel idles likewise,
  // in kernel mode with BEV clear.
  const lines = CLOCK_LINE | DEADLINE_INTERRUPT | IO_LINE | NET_MORE;
  k.setGlobal(G.USER_STATUS, lines | 0x3c);
  cpu.cp0[CP0.Status] = SR.IEc | lines;
  m.onUnsupported = (pc) => unsupported(k, pc);
  cpu.writeCp0(CP0.EntryHi, 0);
  cpu.pc = k.symbols.idle;
}

/**
 * The machine stopped before an instruction it does not emulate (a COP1 instruction, the FPU
 * made usable with FPU_MOD): the environment running it is ended, saying so. False (the
 * machine halts) when no environment is running it.
 */
function unsupported(k: KernelState, pc: number): boolean {
  const id = k.current;
  if (id === 0 || k.cpu.kernelMode) return false;
  const hex = "0x" + (pc >>> 0).toString(16).padStart(8, "0");
  destroyEnvironment(
    k,
    id,
    `ran a coprocessor 1 (FPU) instruction at ${hex}: exolab does not emulate the FPU`,
    { pc: pc >>> 0 },
  );
  return true;
}

/** Runs the service behind hypercall `code`, with host actions refused inside it. */
function service(k: KernelState, code: number): void {
  k.inService++;
  try {
    switch (code) {
      case HC.SYSCALL:
        return syscallService(k);
      case HC.INTERRUPT:
        return interruptService(k);
      case HC.GUARANTEED:
        return guaranteedMiss(k);
      case HC.ASID:
        return asidService(k);
    }
  } finally {
    k.inService--;
  }
}

/**
 * HC.INTERRUPT: expires the revocations whose deadline passed (software interrupt 0), then,
 * when the clock ticked, ends the slice. A notice for the environment on the CPU is delivered
 * before it goes on.
 */
function interruptService(k: KernelState): void {
  const cpu = k.cpu, cause = cpu.cp0[CP0.Cause];
  if ((cause & DEADLINE_INTERRUPT) !== 0) expireRevocations(k);
  if ((cause & CLOCK_LINE) !== 0) {
    k.machine.bus.read(RTC.BASE + RTC.C, 1); // acknowledge: reading C lowers the line
    k.setGlobal(G.TICKS, (k.global(G.TICKS) + 1) | 0);
    return tick(k);
  }
  const cur = k.current;
  if (cur !== 0 && k.field(cur, E.NOTICE_COUNT) > 0) {
    saveContext(k, cpu.cp0[CP0.EPC]);
    enter(k, cur, false);
  }
}
