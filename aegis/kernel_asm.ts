/**
 * Aegis's hot paths, in MIPS assembly: assembled at boot and executed by the emulated CPU, so
 * every instruction the paper counts is an instruction the machine runs.
 *
 * - The UTLB-miss vector refills the TLB from the STLB (16 instructions on a hit).
 * - The general vector tells system calls and interrupts from other exceptions and forwards the
 *   others to the environment: it saves t0-t2 in the environment's save area, loads t0 = EPC,
 *   t1 = BadVAddr, t2 = Cause and jumps to the handler in user mode (19 instructions).
 * - System calls dispatch through a table; NULL, TLBWR (with its capability check), SCALL,
 *   ACALL and YIELD are assembly, the rest go to TypeScript through one hypercall stub.
 *
 * Registers: the kernel uses only k0 and k1 until it knows what it is doing; system calls may use
 * the caller-saved registers (see abi.ts); protected calls touch nothing but v0.
 *
 * The code is scheduled for the R3000A's load delay (machine/cpu.ts): no instruction reads a
 * register that the load or MFC0 just before it writes, no TLB instruction follows an MTC0 to
 * the registers it uses at once (the assembler reports both), and the first instruction at the
 * target of a `jr` whose delay slot loads does not read what it loads (the assembler cannot see
 * those targets: the system-call table's entries start with instructions that do not read k0).
 *
 * @module
 */

import { asm, type AsmSource } from "../machine/asm/mod.ts";
import { ERR, SYS, SYSCALL_COUNT } from "./abi.ts";
import { E, K, PT, U } from "./layout.ts";

/** Hypercall codes the kernel's assembly uses to reach its TypeScript services. */
export const HC = {
  /** A system call implemented in TypeScript (the number is in v0). */
  SYSCALL: 0x100,
  /** The clock (or another device) interrupted. */
  INTERRUPT: 0x101,
  /** A TLB miss in the guaranteed-mapping region. */
  GUARANTEED: 0x102,
  /** The environment entered by a protected call has no ASID: give it one (k1 = ASID << 6). */
  ASID: 0x103,
} as const;

const hi = (v: number) => (v >>> 16) & 0xffff;

/** t2 = (a1 < pages): one instruction while the count fits sltiu's immediate, three after. */
function pageBound(pages: number): string {
  if (pages < 0x8000) return `        sltiu   $t2, $a1, ${pages}`;
  return `        lui     $t2, ${hi(pages)}
        ori     $t2, $t2, ${pages & 0xffff}
        sltu    $t2, $a1, $t2`;
}
const CTX = E.CONTEXT;

/** The registers a context save keeps: all but zero, k0 and k1. */
const SAVED = [...Array(32).keys()].filter((r) => r !== 0 && r !== 26 && r !== 27);

/**
 * A protected control transfer (label `sys_NAME`): check the callee's id against its record,
 * make it the current environment, tell it the caller's id in v0, switch to its address space
 * and enter it at the entry point at `entry` in its record. A synchronous transfer also donates
 * the caller's slice and its future instances (DONATED_TO); an asynchronous one donates only the
 * rest of this slice, which needs no record.
 */
function transfer(name: string, entry: number, donate: boolean): string {
  return `sys_${name}:
        andi    $k0, $a0, 0x7f
        sll     $k0, $k0, 12
        lui     $k1, ${hi(K.ENVS)}
        addu    $k0, $k0, $k1                # the callee's record
        lw      $k1, ${E.ID}($k0)
        lui     $v0, ${hi(K.GLOBALS)}
        bne     $k1, $a0, pct_noenv
        lw      $k1, 0($v0)                  # the caller's record
        sw      $k0, 0($v0)                  # the callee runs now
${
    donate
      ? `        sw      $a0, ${E.DONATED_TO}($k1)    # with the caller's slice and its future instances
        sw      $zero, ${E.DONATED_TO}($k0)
`
      : ""
  }        lw      $v0, ${E.ID}($k1)            # the callee learns who called
        lw      $k1, ${E.ENTRYHI}($k0)
        lw      $k0, ${entry}($k0)           # the entry point
        beqz    $k1, ${name}_asid
        mtc0    $k1, $entryhi                # the callee's address space
${name}_go:
        jr      $k0
        rfe
${name}_asid:
        hcall   ${HC.ASID}
        b       ${name}_go
        mtc0    $k1, $entryhi`;
}

/** `sw`/`lw` of every saved register at its context slot from `base`. */
function contextMoves(op: "sw" | "lw", base: string): string {
  return SAVED.map((r) => `        ${op}    $${r}, ${CTX + 4 * r}(${base})`).join("\n");
}

/** The kernel's text: both vectors first, each at its hardware address via the origin. */
export function kernelSource(pages: number): AsmSource {
  return asm`
        .set noreorder
        .set noat
# ---- UTLB miss (0x80000000): refill from the STLB ------------------------------------------
utlb:   mfc0    $k0, $context
        mfc0    $k1, $entryhi
        sll     $k0, $k0, 1                  # VPN * 8
        xor     $k0, $k0, $k1                # hashed with VPN | ASID (layout.ts stlbOffset)
        andi    $k0, $k0, 0x7ff8
        lui     $k1, ${hi(K.STLB)}
        or      $k0, $k0, $k1
        lw      $k1, 4($k0)
        lw      $k0, 0($k0)                  # the tag: VPN | ASID
        mtc0    $k1, $entrylo
        mfc0    $k1, $entryhi
        nop
        bne     $k0, $k1, utlb_miss
        mfc0    $k0, $epc                    # (on a miss, utlb_miss overwrites it)
        tlbwr
        jr      $k0
        rfe
        .space  ${0x80 - 17 * 4}
# ---- general vector (0x80000080) -------------------------------------------------------------
general:
        mfc0    $k0, $cause
        lui     $k1, ${hi(K.GLOBALS)}
        andi    $k0, $k0, 0x7c
        addiu   $k0, $k0, -32                # code 8: a system call
        beqz    $k0, syscall
        addiu   $k0, $k0, 32
        lw      $k1, 0($k1)                  # the current environment's record
        beqz    $k0, interrupt               # code 0: an interrupt
        addu    $k0, $k0, $k1
forward:                                     # k0 = the record + the code, k1 = the record
        lw      $k1, ${E.SAVE}($k1)
        lw      $k0, ${E.HANDLERS}($k0)
        sw      $t0, 0($k1)
        sw      $t1, 4($k1)
        sw      $t2, 8($k1)
        mfc0    $t0, $epc
        mfc0    $t1, $badvaddr
        mfc0    $t2, $cause
        jr      $k0
        rfe

utlb_miss:                                   # not in the STLB: guaranteed, or the env's own
        mfc0    $k0, $badvaddr
        lui     $k1, ${hi(U.GUARANTEED)}
        sltu    $k1, $k0, $k1
        beqz    $k1, guaranteed              # the kernel's guaranteed region
        srl     $k1, $k0, 16
        beqz    $k1, guaranteed              # the environment's own: below 0x10000
        mfc0    $k0, $cause
        lui     $k1, ${hi(K.GLOBALS)}
        andi    $k0, $k0, 0x7c
        lw      $k1, 0($k1)
        b       forward
        addu    $k0, $k0, $k1
guaranteed:                                  # TypeScript returns to the env itself
        hcall   ${HC.GUARANTEED}
        b       resume
        nop
interrupt:                                   # TypeScript picks who runs and goes there
        hcall   ${HC.INTERRUPT}
resume:                                      # (only if it did not)
        mfc0    $k0, $epc
        nop
        jr      $k0
        rfe

# ---- system calls: k1 = K.GLOBALS; each call starts with k0 = EPC ---------------------------
syscall:
        sltiu   $k0, $v0, ${SYSCALL_COUNT}
        beqz    $k0, bad_syscall
        sll     $k0, $v0, 2
        addu    $k1, $k1, $k0
        lw      $k1, ${K.SYSCALL_TABLE - K.GLOBALS}($k1)
        mfc0    $k0, $epc
        jr      $k1
        nop
bad_syscall:
        mfc0    $k0, $epc
        b       sys_return
        li      $v0, ${ERR.NOSYS}

sys_null:
        move    $v0, $zero
sys_return:
        addiu   $k0, $k0, 4
        jr      $k0
        rfe

sys_ts:                                      # the TypeScript services; v0 = the call
        hcall   ${HC.SYSCALL}
        addiu   $k0, $k0, 4
        jr      $k0
        rfe

# ---- TLBWR: a0 = va, a1 = page, a2 = capability, a3 = flags -----------------------------------
sys_tlbwr:
        srl     $t0, $a3, 8
        bnez    $t0, sys_ts                  # another environment's mapping: TypeScript
        lui     $t1, ${hi(U.GUARANTEED)}
        sltu    $t1, $a0, $t1
        beqz    $t1, err_addr                # kernel space or the guaranteed region
${pageBound(pages)}
        beqz    $t2, err_inval
        sll     $t0, $a1, 4
        lui     $t1, ${hi(K.PAGE_TABLE)}
        addu    $t0, $t0, $t1                # the page's entry
        beqz    $a2, err_cap
        lw      $t1, ${PT.CAP_RW}($t0)
        andi    $t2, $a3, 1
        beq     $t1, $a2, 1f                 # the read-write capability grants either mapping
        nop
        bnez    $t2, err_cap                 # writable, but not the read-write capability
        lw      $t1, ${PT.CAP_RO}($t0)
        nop
        bne     $t1, $a2, err_cap
        nop
1:      sll     $t0, $a1, 12
        ori     $t0, $t0, 0x200              # V
        sll     $t2, $t2, 10                 # D when writable
        or      $t0, $t0, $t2
        andi    $t2, $a3, 2
        sll     $t2, $t2, 10                 # N when uncached
        or      $t0, $t0, $t2
        mtc0    $t0, $entrylo
        mfc0    $t1, $entryhi
        srl     $t2, $a0, 12
        sll     $t2, $t2, 12
        andi    $t1, $t1, 0xfc0
        or      $t1, $t1, $t2
        mtc0    $t1, $entryhi
        srl     $t3, $a0, 9                  # the STLB slot, wanted on both paths
        tlbp                                 # replace a mapping of the same page, if any
        mfc0    $t2, $index
        xor     $t3, $t3, $t1
        bltz    $t2, 2f
        andi    $t2, $t3, 0x7ff8
        b       3f
        tlbwi
2:      tlbwr
3:      lui     $t3, ${hi(K.STLB)}
        or      $t2, $t2, $t3
        sw      $t1, 0($t2)                  # and cache the binding in the STLB
        sw      $t0, 4($t2)
        b       sys_return
        move    $v0, $zero
err_addr:
        b       sys_return
        li      $v0, ${ERR.ADDR}
err_inval:
        b       sys_return
        li      $v0, ${ERR.INVAL}
err_cap:
        b       sys_return
        li      $v0, ${ERR.CAP}

# ---- TLBVADELETE: a0 = va, a1 = target (0: self; another goes to TypeScript) ---------------
sys_tlbvadelete:
        bnez    $a1, sys_ts                  # another environment's bindings: TypeScript
        sltiu   $t0, $a2, 2
        beqz    $t0, 1f
        lui     $t1, ${hi(U.GUARANTEED)}
        li      $a2, 1                       # a count of 0 or 1: one page
1:      srl     $t0, $a0, 12                 # the first VPN
        addu    $t3, $t0, $a2                # one past the last
        srl     $t1, $t1, 12
        sltu    $t2, $t1, $t3
        bnez    $t2, err_addr                # the range reaches the guaranteed region
        mfc0    $t1, $entryhi
        sltu    $t2, $t3, $t0
        bnez    $t2, err_addr                # or wraps
        andi    $t1, $t1, 0xfc0              # this address space
        lui     $t7, ${hi(K.STLB)}
2:      sll     $t2, $t0, 12
        or      $t2, $t2, $t1                # the binding's tag: VPN | ASID
        mtc0    $t2, $entryhi
        sll     $t6, $t0, 3                  # the STLB slot (layout.ts stlbOffset)
        tlbp
        mfc0    $t4, $index
        xor     $t6, $t6, $t2
        andi    $t6, $t6, 0x7ff8
        bltz    $t4, 3f
        or      $t6, $t6, $t7                # the STLB entry
        sll     $t4, $t4, 4                  # (index << 8) << 4 = index << 12
        lui     $t5, 0x8000
        or      $t4, $t4, $t5                # a kseg0 VPN: matches nothing
        mtc0    $t4, $entryhi
        mtc0    $zero, $entrylo
        nop
        tlbwi
3:      lw      $t5, 0($t6)
        addiu   $t0, $t0, 1
        bne     $t5, $t2, 4f                 # the slot holds someone else's binding
        nop
        sw      $zero, 0($t6)
        sw      $zero, 4($t6)
4:      bne     $t0, $t3, 2b
        nop
        mtc0    $t1, $entryhi                # back to this address space
        b       sys_return
        move    $v0, $zero

# ---- protected control transfer: a0 = the callee's id; registers pass untouched -------------
${transfer("scall", E.SYNC_ENTRY, true)}
${transfer("acall", E.ASYNC_ENTRY, false)}
pct_noenv:
        mfc0    $k0, $epc
        b       sys_return
        li      $v0, ${ERR.NOENV}

# ---- YIELD to a named environment: save this context, load that one ------------------------
sys_yield:
        beqz    $a0, sys_ts                  # to whoever is next: TypeScript picks
        andi    $k1, $a0, 0x7f
        sll     $k1, $k1, 12
        lui     $k0, ${hi(K.ENVS)}
        addu    $k1, $k1, $k0                # the target's record
        lw      $k0, ${E.ID}($k1)
        nop
        bne     $k0, $a0, pct_noenv
        lui     $k0, ${hi(K.GLOBALS)}
        lw      $k0, 0($k0)                  # this environment's record
        nop
${contextMoves("sw", "$k0")}
        mfhi    $t0
        mfc0    $t1, $epc
        sw      $t0, ${CTX + 128}($k0)
        mflo    $t0
        addiu   $t1, $t1, 4
        sw      $t0, ${CTX + 132}($k0)
        sw      $t1, ${CTX + 136}($k0)
        li      $t0, ${SYS.NULL}
        sw      $t0, ${CTX + 8}($k0)         # it resumes with v0 = 0: the yield succeeded
        lui     $t1, ${hi(K.GLOBALS)}
        lw      $t0, ${E.ENTRYHI}($k1)
        sw      $k1, 0($t1)                  # the target runs now
        beqz    $t0, yield_asid
        nop
yield_go:
        mtc0    $t0, $entryhi
        lw      $t0, ${CTX + 128}($k1)
        lw      $t1, ${CTX + 132}($k1)
        lw      $k0, ${CTX + 136}($k1)       # where the target resumes
        mthi    $t0
        mtlo    $t1
        mtc0    $k0, $epc
${contextMoves("lw", "$k1")}
        jr      $k0
        rfe
yield_asid:
        move    $k0, $k1                     # keep the target's record
        hcall   ${HC.ASID}                   # k1 = its new ASID << 6
        move    $t0, $k1
        b       yield_go
        move    $k1, $k0

kernel_end:
`;
}

/** Which system calls the assembly implements, by label; the rest go to `sys_ts`. */
export const ASM_SYSCALLS: Readonly<Record<number, string>> = {
  [SYS.NULL]: "sys_null",
  [SYS.YIELD]: "sys_yield",
  [SYS.SCALL]: "sys_scall",
  [SYS.ACALL]: "sys_acall",
  [SYS.TLBWR]: "sys_tlbwr",
  [SYS.TLBVADELETE]: "sys_tlbvadelete",
};

/** The idle loop the kernel runs when no environment can: interrupts on, waiting for the clock. */
export function idleSource(): AsmSource {
  return asm`
        .set noreorder
idle:   b       idle
        nop
`;
}
