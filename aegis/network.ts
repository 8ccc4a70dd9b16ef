/**
 * The network, securely exported (the paper's "network", with DPF and ASHs): the LANCE belongs
 * to the kernel, frames go to the environments whose filters claim them, and environments send
 * frames from their own pages.
 *
 * The kernel owns the LANCE (machine/lance.ts) and its 128 KB SRAM: at boot it writes the init
 * block and the rings there (SRAM below), initialises the chip and starts it, and keeps RAP at 0
 * for good. Nothing of the SRAM is ever mapped into an environment.
 *
 * Receiving. The LANCE interrupts through the system CSR (bit 6, IP2), which the kernel enables
 * when the first filter is installed. Like the clock, the interrupt is taken only where the
 * kernel could be interrupted (user mode, the idle loop); the interrupt path (slices.ts) sends
 * IP2, and software interrupt 1 (IP1, below), here. `net_interrupt` is assembly: it saves the
 * registers it uses, acknowledges CSR0, and for each frame the LANCE has handed back (at most
 * NET_BATCH per interrupt; if more wait it raises IP1 and returns, so the clock is never starved)
 * runs the classifier on the frame where it lies in the SRAM: the compiled filters (aegis/dpf.ts,
 * at K.DPF_CODE) or, when the host asks for the comparison (N.ENGINE), the interpreter
 * `mpf_classify` below, which walks the same filters atom by atom as BPF and MPF interpret their
 * programs. A frame no filter claims is dropped and counted (N.DROPPED). A claimed frame goes to
 * the filter's ASH if it has one (ash.ts; `ash_run` below), which may consume it; otherwise, or
 * when the ASH asks, it is copied into the next slot of the filter's ring (abi.ts NET_SLOT), in
 * a page its owner gave with NET_RXPAGE, or dropped as an overrun when that slot is still full.
 * The copy masks the bytes past the frame's end, so nothing of an earlier frame in the same SRAM
 * buffer (someone else's) leaks. Then the descriptor goes back to the LANCE.
 *
 * Sending. NET_SEND is assembly too: it checks the page (the caller's, presented with either of
 * its capabilities) and the range, copies the frame into a free transmit buffer (zero-padding it
 * to 60 bytes, so nothing stale goes on the wire), hands the descriptor to the LANCE and sets
 * TDMD. An ASH sends through the same `net_xmit`.
 *
 * Protection. Every filter, ring slot and ASH page is its owner's: NET_FILTER, NET_RXPAGE and
 * NET_ASH check ownership and capabilities, a page that leaves its owner leaves every ring and
 * ASH with it (pages.ts calls `forgetNetPage`), and an environment that ends takes its filters
 * with it (`dropNetFilters`). Filters never overlap (dpf.ts), so a frame reaches one owner at
 * most. The filter records live in kernel memory (layout.ts N, F); the compiled classifier and
 * the sandboxed ASHs are rebuilt from them and live there too.
 *
 * @module
 */

import { CP0 } from "../machine/cp0.ts";
import { assemble } from "../machine/asm/mod.ts";
import {
  ASH,
  ERR,
  FILTER,
  type Filter,
  FILTER_REFUSAL,
  NET_FILTERS,
  NET_FILTERS_PER_ENV,
  NET_INFO,
  NET_SLOT,
  NET_SLOTS,
} from "./abi.ts";
import { type AshRefusal, inspectAsh, sandboxAsh } from "./ash.ts";
import { COSTS } from "./costs.ts";
import {
  checkFilter,
  type CompiledFilter,
  compileFilters,
  decodeFilter,
  formatFilter,
  overlaps,
} from "./dpf.ts";
import { E, F, G, K, N, PAGE_SHIFT, PAGE_SIZE, PT } from "./layout.ts";
import { capabilityIs, isUserPage, ownerOf } from "./pages.ts";
import type { KernelState } from "./state.ts";

/** The LANCE's slot (TURBOchannel slot 6): SRAM at +0, RDP at +0x100000, RAP at +0x100004. */
const LANCE = { BASE: 0x1f800000, RDP: 0x100000, RAP: 0x100004, ESAR: 0x1c0002 } as const;

/** The system CSR and its LANCE interrupt enable (bit 22: 1 << (slot 6 + 16)). */
const CSR = { BASE: 0x1ff00000, LANCE_ENABLE: 1 << 22 } as const;

/** Where the kernel keeps things in the LANCE's SRAM (LANCE addresses: offsets from the slot). */
export const SRAM = {
  /** The init block. */
  INIT: 0x0000,
  /** The receive ring: RX_COUNT descriptors of 8 bytes. */
  RX_RING: 0x0040,
  RX_COUNT: 32,
  /** The transmit ring: TX_COUNT descriptors. */
  TX_RING: 0x0140,
  TX_COUNT: 8,
  /** Receive buffers, BUFFER bytes each. */
  RX_BUFFERS: 0x0200,
  /** Transmit buffers. */
  TX_BUFFERS: 0xc200,
  /** A buffer for the host's measurements of the classifier (`probeClassifier`). */
  PROBE: 0xf200,
  BUFFER: 1536,
} as const;

/** Frames one interrupt handles before it raises IP1 and lets the CPU go (so ticks are taken). */
export const NET_BATCH = 2;

/** Cause and Status bit of software interrupt 1: "more frames wait". */
export const NET_MORE = 0x200;

/** kseg1 addresses of the SRAM and of RDP. */
const SRAM_K1 = 0xbf800000, RDP_K1 = 0xbf900000;

/** CSR0 bits the kernel uses. */
const CSR0 = { INIT: 0x1, STRT: 0x2, STOP: 0x4, TDMD: 0x8, INEA: 0x40, SOURCES: 0x7f00 } as const;

/** The ASH code slots. */
const ASH_SLOTS = 8, ASH_SLOT_BYTES = 0x1000;

/** Bytes of room for the compiled classifier. */
const DPF_BYTES = K.ASH_CODE - K.DPF_CODE;

/** kseg0 address of filter `id`'s record. */
export function filterRecord(id: number): number {
  return K.NET + N.FILTERS_AT + id * F.BYTES;
}

const hi = (v: number) => (v >>> 16) & 0xffff;
const lo = (v: number) => v & 0xffff;
/** Offsets from K.GLOBALS's upper half (0x80010000), which the assembly keeps in a register. */
const NET = K.NET - 0x80010000;
const NV = (o: number) => NET + o;
const REC0 = filterRecord(0), RECEND = filterRecord(NET_FILTERS);

/** The registers the interrupt path saves: everything it, the classifiers and copies use. */
const SAVED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 31];
/** The registers an ASH may use beyond those: s0-s7, gp, sp, fp. */
const ASH_SAVED = [16, 17, 18, 19, 20, 21, 22, 23, 28, 29, 30];

/**
 * The network's assembly: the interrupt path, the receive loop and delivery, `net_xmit`,
 * NET_SEND, the MPF interpreter, and the ASH prologue, epilogue and helpers. `pageBound` writes
 * the check that a page number is in RAM and `capabilityCompare` the capability compare TLBWR
 * uses too (both from bindings.ts).
 */
export function networkAsm(
  pageBound: (dst: string, reg: string) => string,
  capabilityCompare: (page: string) => string,
): string {
  const save = (regs: number[], base: string, at: number, op: "sw" | "lw") =>
    regs.map((r, i) => `        ${op}    $${r}, ${at + 4 * i}(${base})`).join("\n");
  return `
net_interrupt:                               # IP2 (the LANCE) or IP1 (frames left waiting)
        mfc0    $k0, $cause
        lui     $k1, 0x8001
        ori     $k0, $k0, ${NET_MORE}
        xori    $k0, $k0, ${NET_MORE}        # IP1 is handled now
        mtc0    $k0, $cause
${save(SAVED, "$k1", NV(N.SAVE), "sw")}
        move    $t8, $k1                     # K.GLOBALS's upper half, all along
        lui     $t9, ${hi(RDP_K1)}           # RDP (RAP is 0 for good)
        lhu     $t0, 0($t9)                  # CSR0
        li      $a3, ${NET_BATCH}            # frames this interrupt may take
        andi    $t1, $t0, ${CSR0.SOURCES}    # every source set: writing 1 clears it
        ori     $t1, $t1, ${CSR0.INEA}
        sh      $t1, 0($t9)
        andi    $t1, $t0, 0x1000             # MISS: a frame found no buffer
        beqz    $t1, net_rx
        lw      $t2, ${NV(N.MISSED)}($t8)
        nop
        addiu   $t2, $t2, 1
        sw      $t2, ${NV(N.MISSED)}($t8)
net_rx:
        lw      $t0, ${NV(N.RX_NEXT)}($t8)
        lui     $t9, ${hi(SRAM_K1)}
        sll     $a2, $t0, 3
        addu    $a2, $a2, $t9                # + 8i: descriptor i at RX_RING from here
        lhu     $t1, ${SRAM.RX_RING + 2}($a2)   # RMD1
        sll     $t2, $t0, 10
        andi    $t3, $t1, 0x8000             # OWN: the LANCE's still
        bnez    $t3, net_done
        sll     $t3, $t0, 9
        beqz    $a3, net_more                # this interrupt's share is done
        addu    $t2, $t2, $t3                # i * ${SRAM.BUFFER}
        addu    $t2, $t2, $t9
        addiu   $a0, $t2, ${SRAM.RX_BUFFERS}  # the frame
        lhu     $a1, ${SRAM.RX_RING + 6}($a2)   # RMD3: its length, FCS included
        andi    $t1, $t1, 0x4300             # ERR, STP, ENP
        xori    $t1, $t1, 0x0300             # 0: a whole frame, no error
        andi    $a1, $a1, 0xfff
        addiu   $a1, $a1, -4                 # without the FCS
        sltiu   $t3, $a1, 60
        bnez    $t1, net_bad
        sltiu   $t4, $a1, ${FILTER.MAX_FRAME + 1}
        bnez    $t3, net_bad
        addiu   $a3, $a3, -1
        beqz    $t4, net_bad
        lw      $t0, ${NV(N.ENGINE)}($t8)
        nop
        bnez    $t0, 1f
        nop
        jal     ${K.DPF_CODE}                # v0 = the filter's record, or 0
        nop
        b       2f
        nop
1:      jal     mpf_classify
        nop
2:      beqz    $v0, net_drop
        nop
        lw      $t0, ${F.MATCHED}($v0)
        lw      $t1, ${F.ASH}($v0)
        addiu   $t0, $t0, 1
        beqz    $t1, net_deliver
        sw      $t0, ${F.MATCHED}($v0)
        jal     ash_run                      # t0 = 0: the ASH consumed the frame
        nop
        beqz    $t0, net_recycle
        nop
net_deliver:                                 # into the next slot of the filter's ring
        lw      $t0, ${F.SLOTS}($v0)
        lw      $t1, ${F.NEXT}($v0)
        beqz    $t0, net_overrun             # no slots at all
        sll     $t2, $t1, 2
        addu    $t2, $t2, $v0
        lw      $t2, ${F.SLOT}($t2)          # the slot (kseg0)
        addiu   $t1, $t1, 1
        sltu    $t3, $t1, $t0
        lw      $t4, 0($t2)                  # its status: 0 when empty
        bnez    $t3, 3f
        nop
        move    $t1, $zero
3:      bnez    $t4, net_overrun             # the owner has not emptied it
        addiu   $t4, $a1, 3
        sw      $t1, ${F.NEXT}($v0)
        srl     $t4, $t4, 2                  # words
        move    $t5, $a0
        addiu   $t6, $t2, ${NET_SLOT.FRAME}
4:      lw      $t7, 0($t5)
        addiu   $t4, $t4, -1
        addiu   $t5, $t5, 4
        sw      $t7, 0($t6)
        bnez    $t4, 4b
        addiu   $t6, $t6, 4
        andi    $t4, $a1, 3                  # the last word's bytes past the frame: cleared
        beqz    $t4, 5f
        sll     $t4, $t4, 3
        lw      $t7, -4($t6)
        addiu   $t5, $zero, -1
        sllv    $t5, $t5, $t4
        nor     $t5, $t5, $zero
        and     $t7, $t7, $t5
        sw      $t7, -4($t6)
5:      sw      $a1, ${NET_SLOT.STATUS}($t2)  # full: the frame's length
        lw      $t0, ${F.DELIVERED}($v0)
        nop
        addiu   $t0, $t0, 1
        b       net_recycle
        sw      $t0, ${F.DELIVERED}($v0)
net_overrun:
        lw      $t0, ${F.OVERRUN}($v0)
        nop
        addiu   $t0, $t0, 1
        b       net_recycle
        sw      $t0, ${F.OVERRUN}($v0)
net_drop:                                    # no filter claims it
        lw      $t0, ${NV(N.DROPPED)}($t8)
        nop
        addiu   $t0, $t0, 1
        b       net_recycle
        sw      $t0, ${NV(N.DROPPED)}($t8)
net_bad:
        lw      $t0, ${NV(N.ERRORS)}($t8)
        nop
        addiu   $t0, $t0, 1
        sw      $t0, ${NV(N.ERRORS)}($t8)
net_recycle:                                 # the descriptor goes back to the LANCE
        addiu   $t0, $zero, -${SRAM.BUFFER}
        sh      $t0, ${SRAM.RX_RING + 4}($a2)
        sh      $zero, ${SRAM.RX_RING + 6}($a2)
        ori     $t0, $zero, 0x8000
        sh      $t0, ${SRAM.RX_RING + 2}($a2)
        lw      $t0, ${NV(N.RX_NEXT)}($t8)
        lw      $t1, ${NV(N.RECEIVED)}($t8)
        addiu   $t0, $t0, 1
        andi    $t0, $t0, ${SRAM.RX_COUNT - 1}
        sw      $t0, ${NV(N.RX_NEXT)}($t8)
        addiu   $t1, $t1, 1
        b       net_rx
        sw      $t1, ${NV(N.RECEIVED)}($t8)
net_more:                                    # frames wait: come back after the CPU's turn
        mfc0    $k0, $cause
        nop
        ori     $k0, $k0, ${NET_MORE}
        mtc0    $k0, $cause
net_done:
        lui     $k1, 0x8001
${save(SAVED, "$k1", NV(N.SAVE), "lw")}
        mfc0    $k0, $epc
        move    $k1, $zero
        jr      $k0
        rfe

mpf_classify:                                # a0 = frame, a1 = length: v0 = record or 0
        lui     $v0, ${hi(REC0)}
        ori     $v0, $v0, ${lo(REC0)}
        lui     $v1, ${hi(RECEND)}
        ori     $v1, $v1, ${lo(RECEND)}
mpf_filter:
        lw      $t0, ${F.OWNER}($v0)
        lw      $t1, ${F.COUNT}($v0)
        beqz    $t0, mpf_next                # a free record
        lw      $t2, ${F.MIN_LENGTH}($v0)
        addiu   $t4, $v0, ${F.ATOMS}
        sltu    $t3, $a1, $t2                # shorter than its length check
        bnez    $t3, mpf_next
        sll     $t5, $t1, 3
        sll     $t6, $t1, 2
        addu    $t5, $t5, $t6
        addu    $t5, $t5, $t4                # past its last atom
mpf_atom:
        lw      $t0, 0($t4)                  # offset | size << 16
        lw      $t1, 4($t4)                  # mask
        andi    $t2, $t0, 0xffff
        srl     $t3, $t0, 16
        addu    $t6, $t2, $t3
        sltu    $t6, $a1, $t6                # the frame ends before the field does
        bnez    $t6, mpf_next
        addu    $t2, $a0, $t2
        move    $t7, $zero
1:      lbu     $t6, 0($t2)                  # the field, big-endian, a byte at a time
        addiu   $t3, $t3, -1
        sll     $t7, $t7, 8
        or      $t7, $t7, $t6
        bnez    $t3, 1b
        addiu   $t2, $t2, 1
        lw      $t6, 8($t4)                  # value
        and     $t7, $t7, $t1
        addiu   $t4, $t4, 12
        bne     $t7, $t6, mpf_next
        nop
        bne     $t4, $t5, mpf_atom
        nop
        jr      $ra                          # every atom held
        nop
mpf_next:
        addiu   $v0, $v0, ${F.BYTES}
        bne     $v0, $v1, mpf_filter
        nop
        jr      $ra
        move    $v0, $zero

net_xmit:                                    # a0 = kseg0 source (aligned), a1 = bytes: v0 = 0 or -1
        lui     $t0, 0x8001                  # (uses t0-t7 and v0 only)
        lw      $t1, ${NV(N.TX_NEXT)}($t0)
        lui     $t2, ${hi(SRAM_K1)}
        sll     $t3, $t1, 3
        addu    $t3, $t3, $t2                # + 8i: descriptor i at TX_RING from here
        lhu     $t4, ${SRAM.TX_RING + 2}($t3)   # TMD1
        sll     $t5, $t1, 9
        andi    $t4, $t4, 0x8000             # OWN: still being sent
        bnez    $t4, xmit_busy
        sll     $t4, $t1, 10
        addu    $t4, $t4, $t5                # i * ${SRAM.BUFFER}
        ori     $t2, $t2, ${SRAM.TX_BUFFERS}
        addu    $t4, $t4, $t2                # the buffer
        addiu   $t5, $a1, 3
        srl     $t5, $t5, 2
        move    $t6, $a0
        move    $t7, $t4
6:      lw      $t2, 0($t6)
        addiu   $t5, $t5, -1
        addiu   $t6, $t6, 4
        sw      $t2, 0($t7)
        bnez    $t5, 6b
        addiu   $t7, $t7, 4
        sltiu   $t5, $a1, 60                 # a short frame: zeros from its end to byte 60,
        beqz    $t5, 8f                      # which the LANCE sends too
        andi    $t5, $a1, 3
        beqz    $t5, 10f
        sll     $t5, $t5, 3
        lw      $t6, -4($t7)
        addiu   $t2, $zero, -1
        sllv    $t2, $t2, $t5
        nor     $t2, $t2, $zero
        and     $t6, $t6, $t2
        sw      $t6, -4($t7)                 # the last word's bytes past the end
10:     addiu   $t5, $t4, 60
7:      sltu    $t6, $t7, $t5
        beqz    $t6, 8f
        nop
        sw      $zero, 0($t7)
        b       7b
        addiu   $t7, $t7, 4
8:      sltiu   $t5, $a1, 60
        beqz    $t5, 9f
        move    $t6, $a1
        li      $t6, 60
9:      subu    $t6, $zero, $t6
        sh      $t6, ${SRAM.TX_RING + 4}($t3)   # TMD2: minus the length
        sh      $zero, ${SRAM.TX_RING + 6}($t3)
        ori     $t6, $zero, 0x8300           # OWN, STP, ENP
        sh      $t6, ${SRAM.TX_RING + 2}($t3)
        addiu   $t1, $t1, 1
        andi    $t1, $t1, ${SRAM.TX_COUNT - 1}
        sw      $t1, ${NV(N.TX_NEXT)}($t0)
        lw      $t1, ${NV(N.SENT)}($t0)
        lui     $t6, ${hi(RDP_K1)}
        addiu   $t1, $t1, 1
        sw      $t1, ${NV(N.SENT)}($t0)
        ori     $t5, $zero, ${CSR0.TDMD | CSR0.INEA}
        sh      $t5, 0($t6)                  # TDMD: look at the ring now
        jr      $ra
        move    $v0, $zero
xmit_busy:
        jr      $ra
        addiu   $v0, $zero, -1

sys_net_send:                                # a0 = page, a1 = offset, a2:a3 = cap, t0 = bytes
${pageBound("$t1", "$a0")}
        beqz    $t1, net_send_inval
        sltiu   $t1, $a1, ${PAGE_SIZE}
        beqz    $t1, net_send_inval
        andi    $t1, $a1, 3
        bnez    $t1, net_send_inval
        sltiu   $t1, $t0, 14
        bnez    $t1, net_send_inval
        sltiu   $t1, $t0, ${FILTER.MAX_FRAME + 1}
        beqz    $t1, net_send_inval
        addu    $t1, $a1, $t0
        sltiu   $t1, $t1, ${PAGE_SIZE + 1}
        beqz    $t1, net_send_inval
${capabilityCompare("$a0")}
        or      $t2, $t2, $t4                # either capability will do
        and     $t2, $t2, $t3
        beqz    $t2, net_send_cap
        lw      $t2, ${PT.OWNER}($t1)
        lui     $t3, ${hi(K.GLOBALS)}
        lw      $t3, 0($t3)                  # the caller's record
        nop
        lw      $t3, ${E.ID}($t3)
        nop
        bne     $t2, $t3, net_send_perm      # not the caller's page
        sll     $t2, $a0, ${PAGE_SHIFT}
        lui     $t3, 0x8000
        or      $t2, $t2, $t3                # the page in kseg0
        move    $t8, $a0
        move    $t9, $a1
        addu    $a0, $t2, $a1                # the frame
        move    $a1, $t0
        move    $k1, $ra
        jal     net_xmit
        nop
        move    $ra, $k1
        move    $a0, $t8
        move    $a1, $t9
        move    $t8, $zero
        bnez    $v0, net_send_busy
        move    $t9, $zero
        b       sys_clear
        move    $v0, $zero
net_send_busy:
        b       sys_clear
        li      $v0, ${ERR.NOSLOT}
net_send_inval:
        b       sys_clear
        li      $v0, ${ERR.INVAL}
net_send_cap:
        b       sys_clear
        li      $v0, ${ERR.CAP}
net_send_perm:
        b       sys_clear
        li      $v0, ${ERR.PERM}

ash_run:                                     # v0 = record, a0 = frame, a1 = length, a2: t0 = verdict
        sw      $a0, ${NV(N.ASH_STATE)}($t8)
        sw      $a1, ${NV(N.ASH_STATE) + 4}($t8)
        sw      $a2, ${NV(N.ASH_STATE) + 8}($t8)
        sw      $v0, ${NV(N.ASH_STATE) + 12}($t8)
        sw      $ra, ${NV(N.ASH_STATE) + 16}($t8)
        sw      $a3, ${NV(N.ASH_STATE) + 20}($t8)
${save(ASH_SAVED, "$t8", NV(N.ASH_SAVE), "sw")}
        lw      $t0, ${F.ASH_RUNS}($v0)
        lw      $t1, ${F.ASH}($v0)           # its code
        addiu   $t0, $t0, 1
        sw      $t0, ${F.ASH_RUNS}($v0)
        lw      $gp, ${F.ASH_PAGE}($v0)      # its page
        move    $fp, $a0                     # the frame
        move    $sp, $a1                     # its length
        lui     $k0, ${hi(ASH.BUDGET)}
        ori     $k0, $k0, ${lo(ASH.BUDGET)}
        lui     $t2, ${hi(REC0)}
        ori     $t2, $t2, ${lo(REC0)}
        subu    $a1, $v0, $t2
        srl     $a1, $a1, 8                  # the filter's id
        move    $a0, $sp                     # the frame's length
        move    $v0, $zero                   # nothing of anyone else's in its registers
        move    $v1, $zero
        move    $a2, $zero
        move    $a3, $zero
${
    [8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
      .map((r) => `        move    $${r}, $zero`).join("\n")
  }
        jr      $t1
        move    $t1, $zero
ash_return:                                  # it returned: v0 = its verdict
        move    $t0, $v0
ash_out:                                     # t0 = 0: consumed; else deliver
        lui     $t8, 0x8001
        lw      $ra, ${NV(N.ASH_STATE) + 16}($t8)
${save(ASH_SAVED, "$t8", NV(N.ASH_SAVE), "lw")}
        lw      $a0, ${NV(N.ASH_STATE)}($t8)
        lw      $a1, ${NV(N.ASH_STATE) + 4}($t8)
        lw      $a2, ${NV(N.ASH_STATE) + 8}($t8)
        lw      $v0, ${NV(N.ASH_STATE) + 12}($t8)
        lw      $a3, ${NV(N.ASH_STATE) + 20}($t8)
        move    $k0, $zero
        jr      $ra
        move    $k1, $zero
ash_timeout:                                 # out of budget
ash_fault:                                   # or a load past the frame: stopped, delivered
        lui     $t8, 0x8001
        lw      $t1, ${NV(N.ASH_STATE) + 12}($t8)
        nop
        lw      $t2, ${F.ASH_ABORTS}($t1)
        nop
        addiu   $t2, $t2, 1
        sw      $t2, ${F.ASH_ABORTS}($t1)
        b       ash_out
        li      $t0, 1

ash_copy:                                    # a0 = page offset, a1 = frame offset, a2 = bytes
        sltiu   $t0, $a2, ${PAGE_SIZE + 1}
        sltiu   $t1, $a0, ${PAGE_SIZE}
        and     $t0, $t0, $t1
        sltiu   $t1, $a1, ${PAGE_SIZE}
        and     $t0, $t0, $t1
        or      $t1, $a0, $a1
        andi    $t1, $t1, 1
        sltiu   $t1, $t1, 1                  # both even
        and     $t0, $t0, $t1
        addu    $t1, $a1, $a2
        sltu    $t1, $sp, $t1
        xori    $t1, $t1, 1                  # within the frame
        and     $t0, $t0, $t1
        addu    $t1, $a0, $a2
        sltiu   $t1, $t1, ${PAGE_SIZE + 1}   # within the page
        and     $t0, $t0, $t1
        beqz    $t0, ash_bad
        sll     $t1, $a2, 3                  # the budget: 8 cycles a byte, and 40
        subu    $k0, $k0, $t1
        addiu   $k0, $k0, -40
        bltz    $k0, ash_timeout
        addu    $t2, $fp, $a1                # from the frame
        addu    $t3, $gp, $a0                # to the page
        move    $v0, $zero                   # the sum
        or      $t0, $a0, $a1
        andi    $t0, $t0, 3
        bnez    $t0, copy_halves             # not both word-aligned
        srl     $t4, $a2, 2
        beqz    $t4, copy_halves
        nop
copy_words:
        lw      $t5, 0($t2)
        addiu   $t4, $t4, -1
        addiu   $t2, $t2, 4
        andi    $t6, $t5, 0xffff
        srl     $t7, $t5, 16
        addu    $v0, $v0, $t6
        addu    $v0, $v0, $t7
        sw      $t5, 0($t3)
        bnez    $t4, copy_words
        addiu   $t3, $t3, 4
        andi    $a2, $a2, 3                  # 0 to 3 bytes left
copy_halves:
        srl     $t4, $a2, 1
        beqz    $t4, copy_byte
        nop
1:      lhu     $t5, 0($t2)
        addiu   $t4, $t4, -1
        addiu   $t2, $t2, 2
        addu    $v0, $v0, $t5
        sh      $t5, 0($t3)
        bnez    $t4, 1b
        addiu   $t3, $t3, 2
copy_byte:
        andi    $t4, $a2, 1
        beqz    $t4, copy_sum
        nop
        lbu     $t5, 0($t2)
        nop
        addu    $v0, $v0, $t5
        sb      $t5, 0($t3)
copy_sum:                                    # folded twice, then in network order
        srl     $t0, $v0, 16
        andi    $v0, $v0, 0xffff
        addu    $v0, $v0, $t0
        srl     $t0, $v0, 16
        andi    $v0, $v0, 0xffff
        addu    $v0, $v0, $t0
        andi    $t0, $v0, 0xff
        sll     $t0, $t0, 8
        srl     $v0, $v0, 8
        jr      $ra
        or      $v0, $v0, $t0
ash_bad:
        jr      $ra
        addiu   $v0, $zero, -1

ash_send:                                    # a0 = page offset (aligned), a1 = bytes
        andi    $t0, $a0, 3
        sltiu   $t1, $a0, ${PAGE_SIZE}
        xori    $t1, $t1, 1
        or      $t0, $t0, $t1
        sltiu   $t1, $a1, 14
        or      $t0, $t0, $t1
        sltiu   $t1, $a1, ${FILTER.MAX_FRAME + 1}
        xori    $t1, $t1, 1
        or      $t0, $t0, $t1
        addu    $t1, $a0, $a1
        sltiu   $t1, $t1, ${PAGE_SIZE + 1}
        xori    $t1, $t1, 1
        or      $t0, $t0, $t1
        bnez    $t0, ash_bad
        sll     $t1, $a1, 2                  # the budget: 4 cycles a byte, and 320
        subu    $k0, $k0, $t1
        addiu   $k0, $k0, -320
        bltz    $k0, ash_timeout
        move    $t9, $ra
        jal     net_xmit
        addu    $a0, $gp, $a0
        move    $ra, $t9
        beqz    $v0, 1f
        nop
        addiu   $v0, $zero, -2
1:      jr      $ra
        nop

net_probe:                                   # the host's measurement of a classifier returns here
        b       net_probe
        nop
`;
}

// ---- boot ---------------------------------------------------------------------------------------

/**
 * Lays out the network at boot: the kernel's words cleared, an empty classifier, the LANCE's
 * init block and rings written into its SRAM, the chip initialised and started (INIT, STRT,
 * INEA). Its interrupt stays masked in the CSR until the first filter is installed.
 */
export function initNetwork(k: KernelState): void {
  k.zero(K.NET, K.STLB - K.NET);
  writeClassifier(k, []);
  const bus = k.machine.bus;
  const sram16 = (at: number, v: number) => bus.write(LANCE.BASE + at, 2, v & 0xffff);
  const csr = (n: number, v: number) => {
    bus.write(LANCE.BASE + LANCE.RAP, 2, n);
    bus.write(LANCE.BASE + LANCE.RDP, 2, v);
  };
  csr(0, CSR0.STOP);
  const mac = stationAddress(k);
  sram16(SRAM.INIT, 0); // mode: normal
  for (let i = 0; i < 3; i++) sram16(SRAM.INIT + 2 + 2 * i, mac[2 * i] | (mac[2 * i + 1] << 8));
  for (let i = 0; i < 4; i++) sram16(SRAM.INIT + 8 + 2 * i, 0); // no multicast
  sram16(SRAM.INIT + 16, SRAM.RX_RING);
  sram16(SRAM.INIT + 18, Math.log2(SRAM.RX_COUNT) << 13);
  sram16(SRAM.INIT + 20, SRAM.TX_RING);
  sram16(SRAM.INIT + 22, Math.log2(SRAM.TX_COUNT) << 13);
  for (let i = 0; i < SRAM.RX_COUNT; i++) {
    const d = SRAM.RX_RING + 8 * i;
    sram16(d, SRAM.RX_BUFFERS + SRAM.BUFFER * i);
    sram16(d + 4, -SRAM.BUFFER);
    sram16(d + 6, 0);
    sram16(d + 2, 0x8000); // OWN: the LANCE's to fill
  }
  for (let i = 0; i < SRAM.TX_COUNT; i++) {
    const d = SRAM.TX_RING + 8 * i;
    sram16(d, SRAM.TX_BUFFERS + SRAM.BUFFER * i);
    sram16(d + 2, 0);
    sram16(d + 4, 0);
    sram16(d + 6, 0);
  }
  csr(1, SRAM.INIT);
  csr(2, 0);
  csr(3, 0);
  csr(0, CSR0.INIT | CSR0.STRT | CSR0.INEA);
}

/** The station address, read from the LANCE's address ROM as a driver reads it. */
export function stationAddress(k: KernelState): Uint8Array {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = k.machine.bus.read(LANCE.BASE + LANCE.ESAR + 4 * i, 1);
  return mac;
}

/**
 * Unmasks the LANCE's interrupt in the system CSR (the first filter does it); frames that came
 * in before, which no one could have wanted, are dropped and counted.
 */
function enableInterrupt(k: KernelState): void {
  if (k.r32(K.NET + N.ENABLED) !== 0) return;
  k.w32(K.NET + N.ENABLED, 1);
  const bus = k.machine.bus;
  for (let n = 0; n < SRAM.RX_COUNT; n++) {
    const i = k.r32(K.NET + N.RX_NEXT), d = LANCE.BASE + SRAM.RX_RING + 8 * i;
    if ((bus.read(d + 2, 2) & 0x8000) !== 0) break;
    bus.write(d + 4, 2, -SRAM.BUFFER & 0xffff);
    bus.write(d + 6, 2, 0);
    bus.write(d + 2, 2, 0x8000);
    k.w32(K.NET + N.RX_NEXT, (i + 1) % SRAM.RX_COUNT);
    k.w32(K.NET + N.RECEIVED, k.r32(K.NET + N.RECEIVED) + 1);
    k.w32(K.NET + N.DROPPED, k.r32(K.NET + N.DROPPED) + 1);
  }
  bus.write(CSR.BASE, 4, bus.read(CSR.BASE, 4) | CSR.LANCE_ENABLE);
}

// ---- the filter records -------------------------------------------------------------------------

/** The filter of record `id`, as its owner gave it. */
export function filterOf(k: KernelState, id: number): Filter {
  const rec = filterRecord(id);
  const n = Math.min(k.r32(rec + F.COUNT), FILTER.MAX_ATOMS);
  const words = [n | (k.r32(rec + F.MIN_LENGTH) << 16)];
  for (let i = 0; i < 3 * n; i++) words.push(k.r32(rec + F.ATOMS + 4 * i));
  return decodeFilter(words);
}

/** The ids of the live filters. */
export function liveFilters(k: KernelState): number[] {
  const out: number[] = [];
  for (let id = 0; id < NET_FILTERS; id++) {
    if (k.r32(filterRecord(id) + F.OWNER) !== 0) out.push(id);
  }
  return out;
}

/** Compiles the live filters and writes the classifier; false (changing nothing) if it is too big. */
function writeClassifier(k: KernelState, ids: readonly number[]): boolean {
  const filters: CompiledFilter[] = [];
  for (const id of ids) {
    const c = checkFilter(filterOf(k, id));
    if ("refusal" in c) throw new Error(`Aegis: filter ${id} in kernel memory is malformed`);
    filters.push({ record: filterRecord(id), bytes: c.bytes, length: c.length });
  }
  const p = assemble(compileFilters(filters), { origin: K.DPF_CODE });
  if (p.text.length * 4 > DPF_BYTES) return false;
  k.machine.bus.ram32.set(p.text, (K.DPF_CODE & 0x1fffffff) >>> 2);
  k.w32(K.NET + N.DPF_WORDS, p.text.length);
  k.cpu.charge(COSTS.dpfInstruction * p.text.length);
  k.cpu.invalidateCaches();
  return true;
}

/** The words of the classifier the kernel runs now (for views and the invariants). */
export function classifierWords(k: KernelState): Uint32Array {
  const n = k.r32(K.NET + N.DPF_WORDS);
  const at = (K.DPF_CODE & 0x1fffffff) >>> 2;
  return Uint32Array.from(k.machine.bus.ram32.subarray(at, at + n));
}

/** The last classifier `expectedClassifier` compiled, by the filters it was compiled from. */
let lastExpected: { key: string; words: Uint32Array } | undefined;

/** The classifier compiled afresh from the live filters, as words (for the invariants). */
export function expectedClassifier(k: KernelState): Uint32Array {
  const key = liveFilters(k).map((id) => {
    const rec = filterRecord(id);
    return [id, k.r32(rec + F.COUNT), k.r32(rec + F.MIN_LENGTH)].join(",") + ":" +
      [...pageWordsAt(k, rec + F.ATOMS, 3 * FILTER.MAX_ATOMS)].join(",");
  }).join(";");
  if (lastExpected?.key === key) return lastExpected.words;
  const words = compileExpected(k);
  lastExpected = { key, words };
  return words;
}

/** The `n` words at kseg0 address `at`. */
function pageWordsAt(k: KernelState, at: number, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = k.r32(at + 4 * i);
  return out;
}

function compileExpected(k: KernelState): Uint32Array {
  const filters: CompiledFilter[] = [];
  for (const id of liveFilters(k)) {
    const c = checkFilter(filterOf(k, id));
    if ("refusal" in c) return new Uint32Array();
    filters.push({ record: filterRecord(id), bytes: c.bytes, length: c.length });
  }
  return assemble(compileFilters(filters), { origin: K.DPF_CODE }).text;
}

/** The words of `n` words at byte `offset` of page `p` (kseg0). */
function pageWords(k: KernelState, p: number, offset: number, n: number): Int32Array {
  const out = new Int32Array(n);
  const base = 0x80000000 + (p << PAGE_SHIFT) + offset;
  for (let i = 0; i < n; i++) out[i] = k.r32(base + 4 * i);
  return out;
}

/** Whether `lo`:`hi` is either capability of page `p`. */
function anyCapability(k: KernelState, p: number, lo: number, hi: number): boolean {
  return capabilityIs(k, p, PT.CAP_RW, lo, hi) || capabilityIs(k, p, PT.CAP_RO, lo, hi);
}

/** The result of a network call: v0, and v1 where it says more. */
export interface NetResult {
  v0: number;
  v1: number;
}

const result = (v0: number, v1 = 0): NetResult => ({ v0, v1 });

/**
 * NET_FILTER for `caller`: the filter encoded at `offset` of page `p` (capability `lo`:`hi`).
 * Returns the id, or the errors abi.ts lists (REFUSED and BUSY with v1).
 */
export function netFilter(
  k: KernelState,
  caller: number,
  p: number,
  offset: number,
  lo: number,
  hi: number,
): NetResult {
  k.cpu.charge(COSTS.netCall);
  if (!isUserPage(k, p) || (offset & 3) !== 0 || offset < 0 || offset + 4 > PAGE_SIZE) {
    return result(ERR.INVAL);
  }
  if (!anyCapability(k, p, lo, hi)) return result(ERR.CAP);
  if (ownerOf(k, p) !== caller) return result(ERR.PERM);
  const n = pageWords(k, p, offset, 1)[0] & 0xffff;
  if (n < 1 || n > FILTER.MAX_ATOMS) {
    return result(ERR.REFUSED, (FILTER_REFUSAL.COUNT << 16) | 0xffff);
  }
  if (offset + FILTER.bytes(n) > PAGE_SIZE) return result(ERR.INVAL);
  const words = pageWords(k, p, offset, 1 + 3 * n);
  const filter = decodeFilter(words);
  const c = checkFilter(filter);
  if ("refusal" in c) return result(ERR.REFUSED, (c.refusal.reason << 16) | c.refusal.index);
  const live = liveFilters(k);
  k.cpu.charge(COSTS.filterCheck * live.length);
  for (const id of live) {
    const other = checkFilter(filterOf(k, id));
    if ("bytes" in other && overlaps(c.bytes, other.bytes)) return result(ERR.BUSY, id);
  }
  if (
    live.filter((id) => k.r32(filterRecord(id) + F.OWNER) === caller).length >= NET_FILTERS_PER_ENV
  ) {
    return result(ERR.NOSLOT);
  }
  let id = 0;
  while (id < NET_FILTERS && k.r32(filterRecord(id) + F.OWNER) !== 0) id++;
  if (id === NET_FILTERS) return result(ERR.NOSLOT);
  const rec = filterRecord(id);
  k.zero(rec, F.BYTES);
  k.w32(rec + F.OWNER, caller);
  k.w32(rec + F.COUNT, n);
  k.w32(rec + F.MIN_LENGTH, filter.minLength ?? 0);
  k.w32(rec + F.LENGTH, c.length);
  for (let i = 0; i < 3 * n; i++) k.w32(rec + F.ATOMS + 4 * i, words[1 + i]);
  if (!writeClassifier(k, [...live, id].sort((a, b) => a - b))) {
    k.zero(rec, F.BYTES);
    return result(ERR.NOSLOT);
  }
  k.w32(K.NET + N.FILTERS, live.length + 1);
  enableInterrupt(k);
  return result(id);
}

/**
 * 0 when page `p` is `caller`'s and `lo`:`hi` its read-write capability (the kernel will write
 * into it); else INVAL (no user page), CAP or PERM.
 */
function ownPage(k: KernelState, caller: number, p: number, lo: number, hi: number): number {
  if (!isUserPage(k, p)) return ERR.INVAL;
  if (!capabilityIs(k, p, PT.CAP_RW, lo, hi)) return ERR.CAP;
  return ownerOf(k, p) === caller ? 0 : ERR.PERM;
}

/** The live filter `id` owned by `caller`: its record, or an error code. */
function ownFilter(k: KernelState, caller: number, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= NET_FILTERS) return ERR.INVAL;
  const owner = k.r32(filterRecord(id) + F.OWNER);
  if (owner === 0) return ERR.INVAL;
  return owner === caller ? filterRecord(id) : ERR.PERM;
}

/** Removes filter `id` (its record, its ASH) and recompiles the classifier. */
function removeFilter(k: KernelState, id: number): void {
  k.zero(filterRecord(id), F.BYTES);
  const live = liveFilters(k);
  k.w32(K.NET + N.FILTERS, live.length);
  writeClassifier(k, live);
}

/** NET_UNFILTER: removes `caller`'s filter `id`. */
export function netUnfilter(k: KernelState, caller: number, id: number): number {
  k.cpu.charge(COSTS.netCall);
  const rec = ownFilter(k, caller, id);
  if (rec < 0) return rec;
  removeFilter(k, id);
  return 0;
}

/** NET_RXPAGE: page `p` (read-write capability `lo`:`hi`) joins the ring of `caller`'s filter `id`. */
export function netRxPage(
  k: KernelState,
  caller: number,
  id: number,
  p: number,
  lo: number,
  hi: number,
): number {
  k.cpu.charge(COSTS.netCall);
  const rec = ownFilter(k, caller, id);
  if (rec < 0) return rec;
  const bad = ownPage(k, caller, p, lo, hi);
  if (bad < 0) return bad;
  const slots = k.r32(rec + F.SLOTS);
  const base = 0x80000000 + (p << PAGE_SHIFT);
  for (let i = 0; i < slots; i++) {
    if (((k.r32(rec + F.SLOT + 4 * i) ^ base) & ~(PAGE_SIZE - 1)) === 0) return ERR.INVAL;
  }
  if (slots + 2 > NET_SLOTS) return ERR.NOSLOT;
  for (let j = 0; j < 2; j++) {
    const slot = base + j * NET_SLOT.BYTES;
    k.w32(slot + NET_SLOT.STATUS, 0);
    k.w32(rec + F.SLOT + 4 * (slots + j), slot);
  }
  k.w32(rec + F.SLOTS, slots + 2);
  return 0;
}

/** Where each ASH slot's code is used by a filter, as a set of slot numbers. */
function usedAshSlots(k: KernelState): Set<number> {
  const used = new Set<number>();
  for (const id of liveFilters(k)) {
    const at = k.r32(filterRecord(id) + F.ASH);
    if (at !== 0) used.add(((at >>> 0) - (K.ASH_CODE >>> 0)) / ASH_SLOT_BYTES);
  }
  return used;
}

/**
 * NET_ASH: the handler of `count` instructions at `offset` of page `p` (read-write capability
 * `lo`:`hi`; the handler's page from now on) for `caller`'s filter `id`; a count of 0 removes it.
 */
export function netAsh(
  k: KernelState,
  caller: number,
  id: number,
  p: number,
  lo: number,
  hi: number,
  t0: number,
): NetResult {
  k.cpu.charge(COSTS.netCall);
  const rec = ownFilter(k, caller, id);
  if (rec < 0) return result(rec);
  const offset = t0 & 0xffff, count = t0 >>> 16;
  if (count === 0) {
    k.w32(rec + F.ASH, 0);
    k.w32(rec + F.ASH_PAGE, 0);
    return result(0);
  }
  if ((offset & 3) !== 0 || offset + 4 * count > PAGE_SIZE) return result(ERR.INVAL);
  const bad = ownPage(k, caller, p, lo, hi);
  if (bad < 0) return result(bad);
  const code = pageWords(k, p, offset, Math.min(count, ASH.MAX_INSTRUCTIONS + 1));
  k.cpu.charge(COSTS.ashInstruction * code.length);
  const inspected = inspectAsh(count > ASH.MAX_INSTRUCTIONS ? new Int32Array() : code);
  if ("refusal" in inspected) return refusedAsh(inspected.refusal);
  const s = k.symbols;
  const words = sandboxAsh(code, {
    ret: s.ash_return,
    timeout: s.ash_timeout,
    fault: s.ash_fault,
    copy: s.ash_copy,
    send: s.ash_send,
  });
  if (words.length * 4 > ASH_SLOT_BYTES) return result(ERR.NOSLOT);
  const used = usedAshSlots(k);
  const old = k.r32(rec + F.ASH);
  if (old !== 0) used.delete(((old >>> 0) - (K.ASH_CODE >>> 0)) / ASH_SLOT_BYTES);
  let slot = 0;
  while (slot < ASH_SLOTS && used.has(slot)) slot++;
  if (slot === ASH_SLOTS) return result(ERR.NOSLOT);
  const at = K.ASH_CODE + slot * ASH_SLOT_BYTES;
  k.zero(at, ASH_SLOT_BYTES);
  k.machine.bus.ram32.set(words, (at & 0x1fffffff) >>> 2);
  k.cpu.invalidateCaches();
  k.w32(rec + F.ASH, at);
  k.w32(rec + F.ASH_PAGE, 0x80000000 + (p << PAGE_SHIFT));
  return result(0);
}

function refusedAsh(r: AshRefusal): NetResult {
  return result(ERR.REFUSED, (r.reason << 16) | r.index);
}

/** NET_INFO: the station address or the counters. */
export function netInfo(k: KernelState, selector: number): NetResult {
  k.cpu.charge(COSTS.query);
  if (selector === NET_INFO.MAC) {
    const m = stationAddress(k);
    return result(m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24), m[4] | (m[5] << 8));
  }
  if (selector === NET_INFO.COUNTS) {
    return result(k.r32(K.NET + N.RECEIVED), k.r32(K.NET + N.DROPPED));
  }
  return result(ERR.INVAL);
}

/** CLOCK: ticks since boot and nanoseconds per tick. */
export function clock(k: KernelState): NetResult {
  k.cpu.charge(COSTS.query);
  return result(k.global(G.TICKS), Math.round(k.sliceCycles * 40));
}

// ---- pages and environments leaving -------------------------------------------------------------

/**
 * Page `p` is leaving its owner (freed, repossessed): it leaves every ring it is in (the ring
 * closes up; its next slot is kept if it can be) and every ASH using it is removed.
 */
export function forgetNetPage(k: KernelState, p: number): void {
  for (const id of liveFilters(k)) {
    const rec = filterRecord(id);
    if (((k.r32(rec + F.ASH_PAGE) & 0x1fffffff) >>> PAGE_SHIFT) === p && k.r32(rec + F.ASH) !== 0) {
      k.w32(rec + F.ASH, 0);
      k.w32(rec + F.ASH_PAGE, 0);
    }
    const n = k.r32(rec + F.SLOTS);
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      const slot = k.r32(rec + F.SLOT + 4 * i);
      if (((slot & 0x1fffffff) >>> PAGE_SHIFT) !== p) keep.push(slot);
    }
    if (keep.length === n) continue;
    for (let i = 0; i < NET_SLOTS; i++) k.w32(rec + F.SLOT + 4 * i, keep[i] ?? 0);
    k.w32(rec + F.SLOTS, keep.length);
    k.w32(rec + F.NEXT, keep.length === 0 ? 0 : k.r32(rec + F.NEXT) % keep.length);
  }
}

/** Environment `id` is ending: its filters go (and the classifier is rebuilt without them). */
export function dropNetFilters(k: KernelState, id: number): void {
  let changed = false;
  for (const f of liveFilters(k)) {
    if (k.r32(filterRecord(f) + F.OWNER) !== id) continue;
    k.zero(filterRecord(f), F.BYTES);
    changed = true;
  }
  if (!changed) return;
  const live = liveFilters(k);
  k.w32(K.NET + N.FILTERS, live.length);
  writeClassifier(k, live);
}

// ---- the host's measurements ------------------------------------------------------------------

/** What one run of a classifier took, and what it found. */
export interface Classification {
  /** The filter that claimed the frame, or -1. */
  filter: number;
  /** Instructions from the classifier's first through its return. */
  instructions: number;
  /** Cycles, uncached SRAM loads included. */
  cycles: number;
}

/**
 * Runs classifier `engine` (the compiled filters, or the interpreter) on `frame` (no FCS),
 * placed in the SRAM's probe buffer as the receive path would find it, on the emulated CPU in
 * kernel mode with interrupts off; puts the CPU back as it was (time stays spent, as host time).
 * Throws RangeError for a frame of the wrong size.
 */
export function probeClassifier(
  k: KernelState,
  frame: Uint8Array,
  engine: "dpf" | "mpf",
): Classification {
  if (frame.length < 60 || frame.length > FILTER.MAX_FRAME) {
    throw new RangeError(
      `A frame has 60 to ${FILTER.MAX_FRAME} bytes (no FCS), not ${frame.length}`,
    );
  }
  const m = k.machine, cpu = k.cpu;
  const sram = LANCE.BASE + SRAM.PROBE;
  for (let i = 0; i < frame.length; i++) m.bus.write(sram + i, 1, frame[i]);
  const before = cpu.snapshot();
  const c0 = cpu.cycles, i0 = cpu.instructions;
  try {
    cpu.cp0[CP0.Status] = before.cp0[CP0.Status] & ~0x3f; // kernel mode, interrupts off
    cpu.regs[4] = (SRAM_K1 + SRAM.PROBE) | 0;
    cpu.regs[5] = frame.length;
    cpu.regs[31] = k.symbols.net_probe;
    cpu.pc = engine === "dpf" ? K.DPF_CODE : k.symbols.mpf_classify;
    const r = m.run({ until: k.symbols.net_probe, maxInstructions: 1_000_000 });
    if (r.reason !== "breakpoint") {
      throw new Error(`The ${engine} classifier did not return (${r.reason})`);
    }
    const v0 = cpu.regs[2] >>> 0;
    const filter = v0 === 0 ? -1 : (v0 - (REC0 >>> 0)) / F.BYTES;
    return { filter, instructions: cpu.instructions - i0, cycles: cpu.cycles - c0 };
  } finally {
    const now = cpu.snapshot();
    cpu.restore({
      ...before,
      counters: now.counters,
      lines: now.lines,
      exceptionCounts: now.exceptionCounts,
    });
    cpu.cp0[CP0.Cause] = now.cp0[CP0.Cause]; // what was raised meanwhile (a deadline) stays raised
    k.w64(K.GLOBALS + G.HOST_CYCLES, k.r64(K.GLOBALS + G.HOST_CYCLES) + (cpu.cycles - c0));
  }
}

// ---- the host's view ----------------------------------------------------------------------------

/** One filter as the host sees it. */
export interface FilterInfo {
  /** Its id. */
  id: number;
  /** Its owner's id. */
  owner: number;
  /** The filter, as its owner gave it. */
  filter: Filter;
  /** Frames it matched. */
  matched: number;
  /** Frames copied into its ring. */
  delivered: number;
  /** Frames dropped because its ring was full. */
  overrun: number;
  /** Receive slots in its ring. */
  slots: number;
  /** Its ASH's runs and aborts, when it has one. */
  ash: { runs: number; aborts: number } | null;
}

/** The network's counters. */
export interface NetStats {
  /** Frames taken from the receive ring. */
  received: number;
  /** Frames no filter claimed. */
  dropped: number;
  /** Frames the LANCE marked bad. */
  errors: number;
  /** Interrupts that found frames missed for want of a buffer. */
  missed: number;
  /** Frames handed to the LANCE to send. */
  sent: number;
}

/** The counters now. */
export function netStats(k: KernelState): NetStats {
  const w = (o: number) => k.r32(K.NET + o) >>> 0;
  return {
    received: w(N.RECEIVED),
    dropped: w(N.DROPPED),
    errors: w(N.ERRORS),
    missed: w(N.MISSED),
    sent: w(N.SENT),
  };
}

/** Filter `id` as the host sees it, or undefined when it is free. */
export function filterInfo(k: KernelState, id: number): FilterInfo | undefined {
  const rec = filterRecord(id), w = (o: number) => k.r32(rec + o) >>> 0;
  if (w(F.OWNER) === 0) return undefined;
  return {
    id,
    owner: w(F.OWNER),
    filter: filterOf(k, id),
    matched: w(F.MATCHED),
    delivered: w(F.DELIVERED),
    overrun: w(F.OVERRUN),
    slots: w(F.SLOTS),
    ash: w(F.ASH) === 0 ? null : { runs: w(F.ASH_RUNS), aborts: w(F.ASH_ABORTS) },
  };
}

/** The full slots of filter `id`'s ring, oldest first from its next slot: length and frame. */
export function ringFrames(k: KernelState, id: number): { slot: number; frame: Uint8Array }[] {
  const rec = filterRecord(id), n = k.r32(rec + F.SLOTS), next = k.r32(rec + F.NEXT);
  const ram = k.machine.bus.ram8, out = [];
  for (let i = 0; i < n; i++) {
    const slot = (next + i) % n, at = k.r32(rec + F.SLOT + 4 * slot);
    const length = k.r32(at + NET_SLOT.STATUS);
    if (length === 0) continue;
    const pa = (at & 0x1fffffff) + NET_SLOT.FRAME;
    out.push({ slot, frame: ram.slice(pa, pa + Math.min(length, FILTER.MAX_FRAME)) });
  }
  return out;
}

/** Sets the classifier the receive path runs. */
export function setEngine(k: KernelState, engine: "dpf" | "mpf"): void {
  k.w32(K.NET + N.ENGINE, engine === "mpf" ? 1 : 0);
}

/** The classifier the receive path runs. */
export function engineOf(k: KernelState): "dpf" | "mpf" {
  return k.r32(K.NET + N.ENGINE) === 0 ? "dpf" : "mpf";
}

/**
 * The network as the REPL, scripts and tests see it (`aegis.network`): counters, filters, rings,
 * the classifier in use, and a measurement of a classifier on a frame. It prints as the filter
 * table.
 */
export class Network {
  readonly #k: KernelState;
  readonly #settle: () => void;

  /** The network of the kernel in `k`; `settle` brings the CPU out of any kernel path first. */
  constructor(k: KernelState, settle: () => void) {
    this.#k = k;
    this.#settle = settle;
  }

  /** The station address, as "08:00:2b:00:00:01". */
  get mac(): string {
    return [...stationAddress(this.#k)].map((b) => b.toString(16).padStart(2, "0")).join(":");
  }

  /** The counters. */
  get stats(): NetStats {
    return netStats(this.#k);
  }

  /** The installed filters. */
  get filters(): FilterInfo[] {
    return liveFilters(this.#k).map((id) => filterInfo(this.#k, id)!);
  }

  /** Filter `id`, or undefined when there is none. */
  filter(id: number): FilterInfo | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= NET_FILTERS) {
      throw new RangeError(`Filter ${id} is not a filter id: give 0 to ${NET_FILTERS - 1}`);
    }
    return filterInfo(this.#k, id);
  }

  /** The frames waiting in filter `id`'s ring (full slots), oldest first. */
  ring(id: number): { slot: number; frame: Uint8Array }[] {
    if (this.filter(id) === undefined) throw new RangeError(`Filter ${id} is not installed`);
    return ringFrames(this.#k, id);
  }

  /** The classifier the receive path runs: "dpf" (compiled, the default) or "mpf" (interpreted). */
  get engine(): "dpf" | "mpf" {
    return engineOf(this.#k);
  }

  set engine(engine: "dpf" | "mpf") {
    if (engine !== "dpf" && engine !== "mpf") {
      throw new RangeError(`Classifier ${String(engine)} is not one: give "dpf" or "mpf"`);
    }
    this.#settle();
    setEngine(this.#k, engine);
  }

  /** Runs classifier `engine` on `frame` on the emulated CPU (`probeClassifier`). */
  classify(frame: Uint8Array, engine: "dpf" | "mpf" = this.engine): Classification {
    if (!(frame instanceof Uint8Array)) {
      throw new TypeError(`classify takes a frame's bytes (a Uint8Array), not ${String(frame)}`);
    }
    this.#settle();
    return probeClassifier(this.#k, frame, engine);
  }

  /** Instructions of the compiled classifier now. */
  get codeWords(): number {
    return this.#k.r32(K.NET + N.DPF_WORDS);
  }

  /** The filter table. */
  toString(): string {
    const s = this.stats;
    const rows = this.filters.map((f) =>
      `  ${String(f.id).padStart(2)}  owner 0x${f.owner.toString(16)}  ${formatFilter(f.filter)}` +
      `  · ${f.matched} matched, ${f.delivered} delivered, ${f.overrun} overrun, ${f.slots} slots` +
      (f.ash === null ? "" : ` · ASH ${f.ash.runs} runs, ${f.ash.aborts} aborts`)
    );
    return [
      `Network ${this.mac} · ${s.received} received, ${s.dropped} dropped, ${s.errors} bad, ` +
      `${s.sent} sent · ${this.engine} classifier, ${this.codeWords} instructions`,
      ...rows,
    ].join("\n");
  }

  /** Prints as `toString` in the REPL. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
