/**
 * Pipes: a circular buffer in a page that both processes map, as ExOS's pipes are in the paper.
 * A write to a full buffer yields the slice to the reader, a read from an empty one yields it to
 * the writer (directed yield, SYS.YIELD with the other's id): nothing else is needed from Aegis.
 *
 * The ring is one page: a header, then RING.BYTES of data at RING.DATA.
 *
 *   HEAD     bytes written since the ring was made (wraps at 2^32); only writers store it
 *   TAIL     bytes read; only readers store it. HEAD - TAIL bytes wait, RING.BYTES - that is room
 *   READER   the environment a writer yields to when the ring is full
 *   WRITER   the environment a reader yields to when it is empty
 *   READERS  how many read ends are open (0: a write fails with EPIPE)
 *   WRITERS  how many write ends are open (0: a read of an empty ring is the end of the file)
 *
 * Guest code (in the library's code page, with the C calling convention; the routines keep what
 * they need across a yield in DATA.PIPE):
 * - pipe_read(a0 = ring, a1 = buf, a2 = n) -> v0 = bytes read (some, at most n), 0 at the end of
 *   the file, or a negative error from the yield; an empty ring with writers yields to WRITER and
 *   tries again.
 * - pipe_write(a0 = ring, a1 = buf, a2 = n) -> v0 = n, or -EPIPE when no read end is open (or
 *   the bytes written before the last reader went); a full ring yields to READER and tries again.
 * - `pipeReadWord` and `pipeWriteWord` write the same for one word inline into the caller's code
 *   (the paper's pipe'): no call, no byte loop, nothing to keep across the yield but what the
 *   caller keeps in s-registers.
 * A ring has one reader and one writer at a time for the guest routines: each updates its own
 * index only after the bytes are in place, so the other side, running between any two of its
 * instructions, sees either the old state or the new.
 *
 * From TypeScript (the UNIX personality, unix.ts), `ringRead` and `ringWrite` do the same work
 * through a process's own mapping of the ring, and `initRing` and `connectRing` set the header.
 *
 * @module
 */

import { SYS } from "../aegis/abi.ts";
import { DATA, LIB } from "./layout.ts";
import type { Memory } from "./page_table.ts";
import { readBytes, writeBytes } from "./vm.ts";

/** The ring's layout: header words, then the data (a power of two, so indexes mask). */
export const RING = {
  HEAD: 0,
  TAIL: 4,
  READER: 8,
  WRITER: 12,
  READERS: 16,
  WRITERS: 20,
  /** Where the data starts. */
  DATA: 2048,
  /** Bytes of data. */
  BYTES: 2048,
} as const;

/** The errno a write with no reader returns, negated (unix.ts ERRNO.EPIPE). */
const EPIPE = 32;

const MASK = RING.BYTES - 1;

/** Where the routines keep a0, a1, a2 and the count across a yield. */
const PS = LIB.DATA + DATA.PIPE;

/** The library's pipe routines, pipe_read and pipe_write (see the module comment). */
export function pipeAsm(): string {
  return `
# ---- pipes: pipe_read / pipe_write (a0 = ring, a1 = buf, a2 = n) ---------------------------
pipe_read:
        blez    $a2, 8f
        move    $v0, $zero
1:      lw      $t0, ${RING.HEAD}($a0)
        lw      $t1, ${RING.TAIL}($a0)
        nop
        subu    $t2, $t0, $t1                # bytes waiting
        beqz    $t2, 5f
        sltu    $t3, $a2, $t2
        beqz    $t3, 2f
        nop
        move    $t2, $a2                     # at most n
2:      move    $v0, $t2
3:      andi    $t3, $t1, ${MASK}
        addu    $t3, $t3, $a0
        lbu     $t4, ${RING.DATA}($t3)
        addiu   $t1, $t1, 1
        addiu   $t2, $t2, -1
        sb      $t4, 0($a1)
        bnez    $t2, 3b
        addiu   $a1, $a1, 1
        jr      $ra
        sw      $t1, ${RING.TAIL}($a0)       # the room is the writer's again
5:      lw      $t3, ${RING.WRITERS}($a0)    # empty
        nop
        beqz    $t3, 8f                      # and no writer left: the end of the file
        nop
        sw      $a0, ${PS}($zero)
        sw      $a1, ${PS + 4}($zero)
        sw      $a2, ${PS + 8}($zero)
        lw      $a0, ${RING.WRITER}($a0)
        li      $v0, ${SYS.YIELD}
        syscall                              # the rest of the slice to the writer
        lw      $a0, ${PS}($zero)
        lw      $a1, ${PS + 4}($zero)
        bgez    $v0, 1b                      # then look again
        lw      $a2, ${PS + 8}($zero)
8:      jr      $ra
        nop

pipe_write:
        blez    $a2, 8f
        move    $v0, $zero
1:      lw      $t3, ${RING.READERS}($a0)
        lw      $t0, ${RING.HEAD}($a0)
        beqz    $t3, 7f                      # no reader: EPIPE
        lw      $t1, ${RING.TAIL}($a0)
        li      $t2, ${RING.BYTES}
        subu    $t1, $t0, $t1                # bytes in the ring
        subu    $t2, $t2, $t1                # room
        beqz    $t2, 5f
        sltu    $t3, $a2, $t2
        beqz    $t3, 2f
        nop
        move    $t2, $a2                     # at most what is left to write
2:      subu    $a2, $a2, $t2
        addu    $v0, $v0, $t2
3:      andi    $t3, $t0, ${MASK}
        addu    $t3, $t3, $a0
        lbu     $t4, 0($a1)
        addiu   $t0, $t0, 1
        addiu   $t2, $t2, -1
        sb      $t4, ${RING.DATA}($t3)
        bnez    $t2, 3b
        addiu   $a1, $a1, 1
        bnez    $a2, 1b                      # more to write: wait for room
        sw      $t0, ${RING.HEAD}($a0)       # the bytes are the reader's now
        jr      $ra
        nop
5:      sw      $a0, ${PS}($zero)            # full
        sw      $a1, ${PS + 4}($zero)
        sw      $a2, ${PS + 8}($zero)
        sw      $v0, ${PS + 12}($zero)
        lw      $a0, ${RING.READER}($a0)
        li      $v0, ${SYS.YIELD}
        syscall                              # the rest of the slice to the reader
        bltz    $v0, 8f
        lw      $a0, ${PS}($zero)
        lw      $a1, ${PS + 4}($zero)
        lw      $a2, ${PS + 8}($zero)
        b       1b                           # then look again
        lw      $v0, ${PS + 12}($zero)
7:      bnez    $v0, 8f                      # some went before the last reader did
        nop
        li      $v0, ${-EPIPE}
8:      jr      $ra
        nop
`;
}

/**
 * Inline assembly (pipe') writing the word in register `value` to the ring at register `ring`,
 * yielding to the reader while it is full; `epipe` names the caller's label for a ring with no
 * reader. Both registers must survive a system call (s0-s7); the code uses t0-t2, a0 and v0.
 * A unique `id` keeps its labels apart from another copy's.
 */
export function pipeWriteWord(ring: string, value: string, epipe: string, id: string): string {
  return `
pw_${id}:
        lw      $t2, ${RING.READERS}(${ring})
        lw      $t0, ${RING.HEAD}(${ring})
        beqz    $t2, ${epipe}
        lw      $t1, ${RING.TAIL}(${ring})
        nop
        subu    $t1, $t0, $t1
        sltiu   $t1, $t1, ${RING.BYTES - 3}      # room for a word
        bnez    $t1, pw_${id}_put
        andi    $t2, $t0, ${MASK}
        lw      $a0, ${RING.READER}(${ring})
        li      $v0, ${SYS.YIELD}
        syscall
        b       pw_${id}
        nop
pw_${id}_put:
        addu    $t2, $t2, ${ring}
        sw      ${value}, ${RING.DATA}($t2)
        addiu   $t0, $t0, 4
        sw      $t0, ${RING.HEAD}(${ring})`;
}

/**
 * Inline assembly (pipe') reading a word from the ring at register `ring` into register `value`;
 * `eof` names the caller's label for an empty ring with no writer left. As `pipeWriteWord`,
 * the registers must survive a system call; the code uses t0-t3, a0 and v0, and `value` is
 * ready when the code ends.
 */
export function pipeReadWord(ring: string, value: string, eof: string, id: string): string {
  return `
pr_${id}:
        lw      $t0, ${RING.HEAD}(${ring})
        lw      $t1, ${RING.TAIL}(${ring})
        nop
        bne     $t0, $t1, pr_${id}_get
        andi    $t2, $t1, ${MASK}
        lw      $t3, ${RING.WRITERS}(${ring})
        lw      $a0, ${RING.WRITER}(${ring})
        beqz    $t3, ${eof}
        li      $v0, ${SYS.YIELD}
        syscall
        b       pr_${id}
        nop
pr_${id}_get:
        addu    $t2, $t2, ${ring}
        lw      ${value}, ${RING.DATA}($t2)
        addiu   $t1, $t1, 4
        sw      $t1, ${RING.TAIL}(${ring})`;
}

/** Writes an empty ring's header at `va` in `mem`: nothing waits, no end open. */
export function initRing(mem: Memory, va: number): void {
  for (let off = 0; off <= RING.WRITERS; off += 4) mem.write32(va + off, 0);
}

/**
 * Sets the ring's header at `va`: who a writer yields to (`reader`, an environment id), who a
 * reader yields to (`writer`), and how many ends of each kind are open.
 */
export function connectRing(
  mem: Memory,
  va: number,
  ends: { reader: number; writer: number; readers: number; writers: number },
): void {
  mem.write32(va + RING.READER, ends.reader);
  mem.write32(va + RING.WRITER, ends.writer);
  mem.write32(va + RING.READERS, ends.readers);
  mem.write32(va + RING.WRITERS, ends.writers);
}

/** Bytes waiting in the ring at `va`. */
export function ringWaiting(mem: Memory, va: number): number {
  return (mem.read32(va + RING.HEAD) - mem.read32(va + RING.TAIL)) >>> 0;
}

/** Takes up to `n` bytes from the ring at `va` (fewer when fewer wait; none when it is empty). */
export function ringRead(mem: Memory, va: number, n: number): Uint8Array {
  const tail = mem.read32(va + RING.TAIL) >>> 0;
  const take = Math.min(n, ringWaiting(mem, va));
  const out = new Uint8Array(take);
  for (let done = 0; done < take;) {
    const at = (tail + done) & MASK, run = Math.min(take - done, RING.BYTES - at);
    out.set(readBytes(mem, va + RING.DATA + at, run), done);
    done += run;
  }
  mem.write32(va + RING.TAIL, (tail + take) | 0);
  return out;
}

/** Puts as much of `bytes` into the ring at `va` as there is room for; returns how much. */
export function ringWrite(mem: Memory, va: number, bytes: Uint8Array): number {
  const head = mem.read32(va + RING.HEAD) >>> 0;
  const put = Math.min(bytes.length, RING.BYTES - ringWaiting(mem, va));
  for (let done = 0; done < put;) {
    const at = (head + done) & MASK, run = Math.min(put - done, RING.BYTES - at);
    writeBytes(mem, va + RING.DATA + at, bytes.subarray(done, done + run));
    done += run;
  }
  mem.write32(va + RING.HEAD, (head + put) | 0);
  return put;
}
