/**
 * The library's guest code: the fault handlers Aegis forwards TLB misses and write faults to, the
 * prot/unprot/dirty routines applications `jal`, and the start stub. Assembled into every address
 * space at setup, after the page table's own `pt_lookup`/`pt_next` (page_table.ts).
 *
 * Fault handling. Aegis enters a handler with t0 = EPC, t1 = BadVAddr, t2 = Cause, the user's
 * t0-t2 in the save area (the first words of the data page, LIB.DATA), and every other register as
 * the program left it. A handler must give all of them back, and the TLBWR system call may change
 * at, v0, v1, a0-a3, t0-t9, hi and lo, so each handler first saves those in a frame:
 *
 * - TLBL/TLBS (a miss Aegis's STLB could not refill): look the page up; if it is mapped and not
 *   protected, TLBWR it (writable only when PTE.W and PTE.D are set and PTE.C is not; a store to
 *   a writable clean page sets PTE.D first) and return to the faulting instruction.
 * - Mod (a store to a page mapped read-only): a clean writable page becomes dirty and is remapped
 *   writable; a COW page, a read-only page or a protected one goes to the application.
 * - Anything else (protected, unmapped, read-only, COW) is an upcall: the library calls the
 *   application's handler for that FAULT kind as a C function, handler(a0 = address, a1 = kind,
 *   a2 = EPC, a3 = exception code), on the program's own stack, then retries the access. With no
 *   handler for the kind, or a second upcall from inside the first, the process reports the
 *   exception to Aegis (SYS.UNHANDLED), which ends it.
 *
 * Frames. A fast fault (a miss or a dirty bit) never faults itself: it touches only library pages,
 * which Aegis's STLB always holds (layout.ts). An upcall can: the application's handler may touch
 * pages not in the TLB. So the upcall keeps the program's registers, and its t0-t2 copied out of
 * the save area, in frame A and points DATA.XF at frame B for faults taken meanwhile; it returns
 * through frame A. The handlers reach their data with `$zero`-relative addresses, so they need no
 * register to find them.
 *
 * The way back. Every register must be the program's again when the faulting instruction runs,
 * so the jump to EPC needs a register that is not the program's: k0, the kernel's, which no
 * compiled code uses. The last lines of every return are
 *
 *   lw k0, EPC; lw t2, <the program's t2>; jr k0; lw k0, EPC      (EPC: a $zero-relative word)
 *
 * An interrupt (or a refill of a library page) can come between any two of them, and the
 * kernel returns to user mode with k0 = the pc it returned to (aegis/abi.ts). So a `jr k0` after
 * an interrupt jumps to an instruction of these lines instead of EPC; the load in its delay slot
 * puts EPC back in k0, and at most two rounds later the jump goes to EPC, every register restored.
 * (The R3000A's load delay means the `jr` right after that reload still sees the old k0: hence the
 * second round.) The trick of jumping through t2 itself (`lw t2, EPC; lw t2, T2; jr t2`, the jump
 * seeing the first load in the second's delay) is not safe: an interrupt between the second load
 * and the jump lets that load land, and the jump goes to the program's t2. The `resume` stub
 * returns the same way. Nothing re-enters the library inside these lines (they touch only
 * library pages, and ExOS sets no slice-end or notice entry), so the word they reload is theirs.
 *
 * Routines (C calling convention; they keep s0-s7, gp, sp; ra and s0-s3 go to DATA.RSAVE, so they
 * do not nest, and they never fault):
 * - prot(a0 = va, a1 = pages) -> v0 = pages that were not mapped (-1 below USER.MIN): sets PTE.P
 *   on each, then removes the range's bindings with TLBVADELETE (one call per TLBVADELETE_MAX
 *   pages).
 * - unprot(a0 = va, a1 = pages) -> v0 = the same count: clears PTE.P on each, and that is all.
 *   Rebinding is lazy: prot took the pages' bindings away, so the next access to each misses,
 *   and the TLBL/TLBS handler above binds it (one TLBWR then, for the pages touched, none for
 *   the rest). That is how the paper's unprot100 stays below one rebinding system call per page
 *   (143 us, where 100 TLBwr calls alone would take longer): a range costs its table walk.
 * - dirty(a0 = va) -> v0 = 1 if written since mapped or cleaned, 0 if not, -1 if not mapped.
 * - start: sp = DATA.STACK, then jumps to DATA.ENTRY.
 *
 * Process stubs (exos/process.ts), each a few instructions a process runs in its own context:
 * - resume: loads registers 1-31 (not k0, k1) and the pc from the start frame (DATA.START) and
 *   jumps there the way back does (through k0); a forked child starts here (ENV_ALLOC's entry).
 * - boot: clears the start-of-slice entry, then resume: a process made by createEnv, whose first
 *   slice starts wherever that entry says, starts here.
 * - block: keeps v0, a0-a2 and t0 (the trap's address) in DATA.BLOCK, yields, and jumps back to
 *   the trap with them: a blocked call (wait, read) that gave its slice away runs again when the
 *   process is given a slice.
 * - park: yields, then traps (LIB_TRAP.PARK) so the library can end the environment or park it
 *   again: an exited process whose pages others still share waits here.
 * - fault_trap: the application fault handler of a process: traps (LIB_TRAP.FAULT) so the library
 *   handles the fault (a copy-on-write write, say) from TypeScript, then returns to the upcall.
 *
 * @module
 */

import { asm, type AsmSource } from "../machine/asm/mod.ts";
import { ENTRY, EXC, SYS, TLBVADELETE_MAX } from "../aegis/abi.ts";
import { DATA, FAULT, LIB, PAGE_SIZE, USER } from "./layout.ts";
import { PTE } from "./page_table.ts";

/** The data page: every word the code keeps is at a `$zero`-relative address below 0x8000. */
const D = LIB.DATA;

/** The registers a fault frame keeps besides t0-t2: everything TLBWR or a C call may change. */
const SAVED = [
  "at",
  "v0",
  "v1",
  "a0",
  "a1",
  "a2",
  "a3",
  "t3",
  "t4",
  "t5",
  "t6",
  "t7",
  "t8",
  "t9",
  "ra",
];

/** Offsets in a fault frame. */
export const FRAME = {
  /** hi and lo. */
  HI: 4 * SAVED.length,
  LO: 4 * SAVED.length + 4,
  /** The exception PC. */
  EPC: 4 * SAVED.length + 8,
  /** The faulting address. */
  VA: 4 * SAVED.length + 12,
  /** The exception code. */
  CODE: 4 * SAVED.length + 16,
  /** The user's t0, t1, t2 (copied from the save area by an upcall). */
  T0: 4 * SAVED.length + 20,
  T1: 4 * SAVED.length + 24,
  T2: 4 * SAVED.length + 28,
  /** Bytes per frame. */
  BYTES: 4 * SAVED.length + 32,
} as const;

/** Break words the library traps into its TypeScript side with (a UNIX call uses 0x000f000d). */
export const LIB_TRAP = {
  /** fault_trap: the application fault handler of a process (`break 0xe`). */
  FAULT: 0x000e000d,
  /** park: an exited process asks whether its environment may go (`break 0xd`). */
  PARK: 0x000d000d,
  /** sigtramp, sigsave: a signal to deliver (signal.ts, `break 0xc`). */
  SIGNAL: 0x000c000d,
  /** sigreturn: a signal handler returned (signal.ts, `break 0xb`). */
  SIGRETURN: 0x000b000d,
} as const;

/** The registers `resume` loads first: all but zero, t9 (the way back loads it), k0 and k1. */
const RESUMED = [...Array(32).keys()].filter((r) => r !== 0 && r !== 25 && r !== 26 && r !== 27);

/** Saves the program's registers in the frame at `base`, with EPC (t0) and the address (t1). */
function save(base: string): string {
  return [
    ...SAVED.map((r, i) => `        sw      $${r}, ${4 * i}(${base})`),
    `        mfhi    $t3`,
    `        sw      $t3, ${FRAME.HI}(${base})`,
    `        mflo    $t3`,
    `        sw      $t3, ${FRAME.LO}(${base})`,
    `        sw      $t0, ${FRAME.EPC}(${base})`,
    `        sw      $t1, ${FRAME.VA}(${base})`,
  ].join("\n");
}

/**
 * Restores what `save` saved, from the frame at `base` (not t0-t2); without its first load when
 * `first` is false (the caller put it in a delay slot).
 */
function restore(base: string, first = true): string {
  return [
    ...(first ? [`        lw      $t3, ${FRAME.HI}(${base})`] : []),
    `        lw      $t4, ${FRAME.LO}(${base})`,
    `        mthi    $t3`,
    `        mtlo    $t4`,
    ...SAVED.map((r, i) => `        lw      $${r}, ${4 * i}(${base})`),
  ].join("\n");
}

/**
 * The way back (see the module comment): jumps through k0 to the word at `epc`, restoring `reg`
 * (t2 by default) from the word at `saved` on the way; both are `$zero`-relative addresses.
 */
function back(epc: number, saved: number, reg = "$t2"): string {
  return `        lw      $k0, ${epc}($zero)
        lw      ${reg}, ${saved}($zero)
        jr      $k0                          # back (k0: the kernel's, as no compiled code uses it)
        lw      $k0, ${epc}($zero)           # (EPC again, if an interrupt took k0 meanwhile)`;
}

/** A handler's first lines: frame in t2, registers saved, the page looked up (v0, a1 = word 0). */
function enter(code: number): string {
  return `        lw      $t2, ${D + DATA.XF}($zero)
        nop
${save("$t2")}
        li      $t8, ${code}
        jal     pt_lookup
        move    $a0, $t1
        beqz    $v0, unmapped
        sw      $t8, ${FRAME.CODE}($t2)
        lw      $a1, 0($v0)                  # page << 12 | flags
        nop
        andi    $t3, $a1, ${PTE.P}
        bnez    $t3, protected`;
}

/**
 * prot or unprot: the loop over pages around `body` (v0 = the handle, s0 = the page), then on to
 * `done` (with the range's first page and count kept at RSAVE + 20 and + 24).
 */
function rangeRoutine(name: string, body: string, done = "routine_done"): string {
  const RS = D + DATA.RSAVE;
  return `
${name}:
        lui     $t3, ${USER.MIN >>> 16}
        sltu    $t3, $a0, $t3
        bnez    $t3, below_user
        sw      $ra, ${RS}($zero)
        sw      $s0, ${RS + 4}($zero)
        sw      $s1, ${RS + 8}($zero)
        sw      $s2, ${RS + 12}($zero)
        sw      $s3, ${RS + 16}($zero)
        srl     $s0, $a0, 12
        sll     $s0, $s0, 12                 # the page
        sw      $s0, ${RS + 20}($zero)
        sw      $a1, ${RS + 24}($zero)
        move    $s1, $a1                     # pages left
        move    $s2, $zero                   # the page below's handle
        move    $s3, $zero                   # pages not done
1:      blez    $s1, ${done}
        move    $a0, $s0
        jal     pt_next
        move    $v0, $s2
        beqz    $v0, 2f
        move    $s2, $v0
${body}
        bgez    $v0, 3f
        nop
2:      addiu   $s3, $s3, 1
3:      addiu   $s1, $s1, -1
        b       1b
        addiu   $s0, $s0, ${PAGE_SIZE}`;
}

/** The library's code, around the page table's routines `pt`; assemble it at LIB.CODE. */
export function vmSource(pt: AsmSource): AsmSource {
  const A = D + DATA.FRAME_A, RS = D + DATA.RSAVE, S = D + DATA.START, B = D + DATA.BLOCK;
  const writableTest = (flags: string, out: string, tmp: string) =>
    `        andi    ${tmp}, ${flags}, ${PTE.W | PTE.D | PTE.C}
        xori    ${tmp}, ${tmp}, ${PTE.W | PTE.D}
        sltiu   ${out}, ${tmp}, 1                # writable binding: W and D, not C`;
  return asm`
        .set    noreorder
        .set    noat
# ---- start: the way into a process ---------------------------------------------------------
start:  lw      $t9, ${D + DATA.ENTRY}($zero)
        lw      $sp, ${D + DATA.STACK}($zero)
        jr      $t9
        nop

# ---- process stubs: boot, resume, block, park, fault_trap -----------------------------------
boot:   li      $v0, ${SYS.SET_ENTRY}        # the first slice of a process made by createEnv:
        li      $a0, ${ENTRY.SLICE_START}    # later slices resume where it was
        move    $a1, $zero
        move    $a2, $zero
        syscall
resume:
${RESUMED.map((r) => `        lw      $${r}, ${S + 4 * r}($zero)`).join("\n")}
${back(S + 128, S + 4 * 25, "$t9")}
block:  sw      $v0, ${B}($zero)             # the call, and t0 = the trap's address
        sw      $a0, ${B + 4}($zero)
        sw      $a1, ${B + 8}($zero)
        sw      $a2, ${B + 12}($zero)
        sw      $t0, ${B + 16}($zero)
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall                              # with no slice: back when the library gives one
        lw      $t0, ${B + 16}($zero)
        lw      $v0, ${B}($zero)
        lw      $a0, ${B + 4}($zero)
        lw      $a1, ${B + 8}($zero)
        jr      $t0                          # the same call again (a trap: a2 lands first)
        lw      $a2, ${B + 12}($zero)
park:   li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
park_trap:
        .word   ${LIB_TRAP.PARK}
        b       park
        nop
fault_trap:
        .word   ${LIB_TRAP.FAULT}
        jr      $ra
        nop

# ---- TLBL: a load or fetch missed (t0 = EPC, t1 = BadVAddr) -------------------------------
tlbl:
${enter(EXC.TLBL)}
        nop
        b       map
        nop

# ---- TLBS: a store missed: a writable page becomes dirty at once --------------------------
tlbs:
${enter(EXC.TLBS)}
        andi    $t3, $a1, ${PTE.W | PTE.C}
        xori    $t3, $t3, ${PTE.W}
        bnez    $t3, map                     # not plainly writable: map it as it is
        ori     $a1, $a1, ${PTE.D}
        b       map
        sw      $a1, 0($v0)

# ---- Mod: a store to a page bound read-only ------------------------------------------------
mod:
${enter(EXC.Mod)}
        andi    $t3, $a1, ${PTE.C}
        bnez    $t3, cow
        andi    $t3, $a1, ${PTE.W}
        beqz    $t3, readonly
        ori     $a1, $a1, ${PTE.D}           # clean and writable: now dirty
        sw      $a1, 0($v0)
map:                                         # v0 = handle, a1 = its first word, t1 = va
${writableTest("$a1", "$t4", "$t3")}
        lw      $a2, 4($v0)                  # the capability, low word
        lw      $a3, 8($v0)                  # and high word
        srl     $a1, $a1, 12                 # the page
        srl     $a0, $t1, 12
        sll     $a0, $a0, 12
        or      $a0, $a0, $t4                # the virtual page, WRITABLE when t4 is 1
        move    $t0, $zero                   # for this environment
        li      $v0, ${SYS.TLBWR}
        syscall
        lw      $t2, ${D + DATA.XF}($zero)
        bltz    $v0, lost
        lw      $t3, ${FRAME.HI}($t2)        # (restoring begins in the delay slot)
${restore("$t2", false)}
        lw      $t0, ${D}($zero)
        li      $t1, ${A}
        beq     $t2, $t1, 1f                 # frame A or frame B: whose EPC
        lw      $t1, ${D + 4}($zero)
${back(D + DATA.FRAME_B + FRAME.EPC, D + 8)}
1:
${back(A + FRAME.EPC, D + 8)}
lost:                                        # TLBWR refused: the page was taken away
        lw      $t8, ${FRAME.CODE}($t2)
        lw      $t0, ${FRAME.EPC}($t2)
        b       fatal
        lw      $t1, ${FRAME.VA}($t2)

unmapped:
        b       upcall
        li      $t9, ${FAULT.UNMAPPED}
protected:
        b       upcall
        li      $t9, ${FAULT.PROT}
readonly:
        b       upcall
        li      $t9, ${FAULT.READONLY}
cow:
        li      $t9, ${FAULT.COW}

# ---- upcall: call the application's handler (t1 = va, t8 = code, t9 = kind) -----------------
upcall: li      $t3, ${A}
        bne     $t2, $t3, fatal              # a fault inside the application's handler
        sll     $t4, $t9, 2
        lw      $t4, ${D + DATA.HANDLERS}($t4)
        li      $t3, ${D + DATA.FRAME_B}
        beqz    $t4, fatal
        lw      $t5, ${D}($zero)             # keep the program's t0-t2 in frame A
        sw      $t3, ${D + DATA.XF}($zero)   # faults meanwhile use frame B
        lw      $t3, ${D + 4}($zero)
        sw      $t5, ${A + FRAME.T0}($zero)
        lw      $t5, ${D + 8}($zero)
        sw      $t3, ${A + FRAME.T1}($zero)
        sw      $t5, ${A + FRAME.T2}($zero)
        move    $a0, $t1
        move    $a1, $t9
        move    $a2, $t0
        jalr    $t4
        move    $a3, $t8
        li      $t2, ${A}
        sw      $t2, ${D + DATA.XF}($zero)
${restore("$t2")}
        lw      $t0, ${A + FRAME.T0}($zero)
        lw      $t1, ${A + FRAME.T1}($zero)
${back(A + FRAME.EPC, A + FRAME.T2)}

fatal:                                       # t0 = EPC, t1 = va, t8 = code: Aegis ends us
        sll     $t2, $t8, 2
        li      $v0, ${SYS.UNHANDLED}
        syscall
        break   0x3fd

# ---- prot / unprot / dirty ----------------------------------------------------------------
${
    rangeRoutine(
      "prot",
      `        lw      $t3, 0($v0)
        nop
        ori     $t3, $t3, ${PTE.P}
        sw      $t3, 0($v0)`,
      "prot_unbind",
    )
  }
prot_unbind:                                 # TLBVADELETE, as many pages a call as it takes
        lw      $s0, ${RS + 20}($zero)       # the range's first page
        lw      $s1, ${RS + 24}($zero)       # and its pages
        nop
1:      blez    $s1, routine_done
        sltiu   $t3, $s1, ${TLBVADELETE_MAX + 1}
        bnez    $t3, 2f
        move    $s2, $s1                     # all that are left,
        li      $s2, ${TLBVADELETE_MAX}      # or as many as one call takes
2:      move    $a0, $s0
        move    $a1, $s2
        move    $a2, $zero
        li      $v0, ${SYS.TLBVADELETE}
        syscall
        sll     $t3, $s2, 12
        addu    $s0, $s0, $t3
        b       1b
        subu    $s1, $s1, $s2
${
    rangeRoutine(
      "unprot",
      `        lw      $t3, 0($v0)
        li      $t4, ${~PTE.P}
        and     $t3, $t3, $t4
        sw      $t3, 0($v0)                  # no TLBWR: the next access's miss binds it`,
    )
  }
routine_done:                                # (no load in the return's delay slot: the
        move    $v0, $s3                     # caller's next instruction would see it stale)
        lw      $ra, ${RS}($zero)
        lw      $s0, ${RS + 4}($zero)
        lw      $s1, ${RS + 8}($zero)
        lw      $s2, ${RS + 12}($zero)
        lw      $s3, ${RS + 16}($zero)
        jr      $ra
        nop
below_user:
        jr      $ra
        li      $v0, -1

dirty:                                       # a0 = va -> v0 = 1 dirty, 0 clean, -1 unmapped
        move    $t8, $ra
        jal     pt_lookup
        nop
        beqz    $v0, 1f
        nop
        lw      $v0, 0($v0)
        nop
        srl     $v0, $v0, 2                  # PTE.D
        jr      $t8
        andi    $v0, $v0, 1
1:      jr      $t8
        li      $v0, -1

${pt}
`;
}
