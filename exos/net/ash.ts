/**
 * The application-specific handlers ExOS downloads into Aegis (aegis/abi.ts ASH): MIPS code the
 * kernel runs, sandboxed, the moment a frame matches the filter it belongs to.
 *
 * - ARP: answers a request for the stack's own address with a reply built from the request and
 *   the stack's MAC, which the library keeps in the handler's page (PAGE.MAC).
 * - ICMP echo: answers an echo request with the reply: the message copied (its checksum checked
 *   while it is copied: integrated layer processing), the addresses swapped, the type made a
 *   reply and the checksum adjusted for it. Fragments, and messages whose checksum is wrong, go
 *   to the library, which refuses them.
 * - The UDP counter ping-pong of the paper's Table 11: reads the big-endian counter after the UDP
 *   header, sends the datagram back with the counter incremented (addresses and ports swapped,
 *   no UDP checksum); the frame is consumed, unless the counter reached the limit the library
 *   keeps in the handler's page (PAGE.LIMIT), when it goes to the socket too (and past the limit
 *   nothing is sent).
 *
 * A handler's page: the frame it builds at PAGE.FRAME, the library's words at PAGE.MAC and
 * after, its own code at PAGE.CODE (where NET_ASH reads it). Each is written for the R3000A: no
 * loaded register used by the next instruction.
 *
 * @module
 */

import { asm, type AsmSource } from "../../machine/asm/mod.ts";
import { ASH_HELPER } from "../../aegis/abi.ts";

/** Where things are in a handler's page. */
export const ASH_PAGE = {
  /** The frame the handler builds. */
  FRAME: 0x000,
  /** The stack's MAC (6 bytes). */
  MAC: 0x800,
  /** The ping-pong's limit (a word). */
  LIMIT: 0x80c,
  /** The handler's code, as the library hands it to NET_ASH. */
  CODE: 0xc00,
} as const;

const COPY = ASH_HELPER.COPY, SEND = ASH_HELPER.SEND;

/**
 * Swaps the `halves` halfwords at page offsets `a` and `b` (a MAC: 3, an IP address: 2, a port:
 * 1): every load first, then the stores, the first of them with the first register loaded, so no
 * loaded register is used by the next instruction.
 * Uses t0-t5.
 */
function swap(a: number, b: number, halves: number): string {
  const r = (i: number) => `$t${i}`, out: string[] = [];
  for (let i = 0; i < halves; i++) {
    out.push(`lhu     ${r(i)}, ${a + 2 * i}($zero)`, `lhu     ${r(3 + i)}, ${b + 2 * i}($zero)`);
  }
  for (let i = 0; i < halves; i++) {
    out.push(`sh      ${r(i)}, ${b + 2 * i}($zero)`, `sh      ${r(3 + i)}, ${a + 2 * i}($zero)`);
  }
  return out.map((l) => `        ${l}`).join("\n");
}

/** The ARP responder. */
export const arpResponder: AsmSource = asm`
        .set noreorder
        li      $a2, 42
        move    $a1, $zero
        jal     ${COPY}                      # the request into the page
        move    $a0, $zero
        lhu     $t0, 22($zero)               # the asker's MAC (the sender's hardware address)
        lhu     $t1, 24($zero)
        lhu     $t2, 26($zero)
        lhu     $t3, ${ASH_PAGE.MAC}($zero)   # ours
        lhu     $t4, ${ASH_PAGE.MAC + 2}($zero)
        lhu     $t5, ${ASH_PAGE.MAC + 4}($zero)
        sh      $t0, 0($zero)                # to the asker
        sh      $t1, 2($zero)
        sh      $t2, 4($zero)
        sh      $t3, 6($zero)                # from us
        sh      $t4, 8($zero)
        sh      $t5, 10($zero)
        li      $t6, 0x0200                  # a reply (operation 2, big-endian)
        sh      $t6, 20($zero)
        sh      $t0, 32($zero)               # its target: the asker
        sh      $t1, 34($zero)
        sh      $t2, 36($zero)
        lhu     $t7, 28($zero)               # the asker's address
        lhu     $t8, 30($zero)
        lhu     $t9, 38($zero)               # ours: the address the request asked for
        lhu     $v1, 40($zero)
        sh      $t7, 38($zero)
        sh      $t8, 40($zero)
        sh      $t3, 22($zero)               # its sender: us
        sh      $t4, 24($zero)
        sh      $t5, 26($zero)
        sh      $t9, 28($zero)
        sh      $v1, 30($zero)
        move    $a0, $zero
        jal     ${SEND}
        li      $a1, 42
        jr      $ra
        move    $v0, $zero                   # consumed
`;

/** The ICMP echo responder. */
export const echoResponder: AsmSource = asm`
        .set noreorder
        move    $s0, $a0                     # the frame's length
        li      $a2, 34
        move    $a1, $zero
        jal     ${COPY}                      # the Ethernet and IP headers
        move    $a0, $zero
        lbu     $t0, 16($zero)               # the IP total length, big-endian
        lbu     $t1, 17($zero)
        lhu     $t2, 20($zero)               # flags and fragment offset (as a halfword load sees them)
        sll     $t0, $t0, 8
        or      $s1, $t0, $t1
        andi    $t2, $t2, 0xff3f             # MF or an offset: a fragment
        bnez    $t2, give
        addiu   $t3, $s1, 14                 # the frame the datagram needs
        sltu    $t4, $s0, $t3
        bnez    $t4, give                    # longer than the frame
        addiu   $a2, $s1, -20                # the ICMP message's bytes
        li      $a0, 34
        jal     ${COPY}                      # the message, summed as it is copied
        li      $a1, 34
        li      $t5, 0xffff
        bne     $v0, $t5, give               # a wrong checksum
        nop
${swap(0, 6, 3)}                                   # the MACs
${swap(26, 30, 2)}                                   # and the IP addresses
        sb      $zero, 34($zero)             # an echo reply
        lbu     $t0, 36($zero)               # the checksum, big-endian, plus 0x0800 for the type
        lbu     $t1, 37($zero)
        sll     $t0, $t0, 8
        or      $t0, $t0, $t1
        addiu   $t0, $t0, 0x0800
        srl     $t1, $t0, 16
        andi    $t0, $t0, 0xffff
        addu    $t0, $t0, $t1                # (the carry goes around)
        sb      $t0, 37($zero)
        srl     $t0, $t0, 8
        sb      $t0, 36($zero)
        move    $a0, $zero
        jal     ${SEND}
        addiu   $a1, $s1, 14
        jr      $ra
        move    $v0, $zero                   # consumed
give:   jr      $ra
        li      $v0, 1                       # the library's to see
`;

/** The UDP counter ping-pong. */
export const pingPong: AsmSource = asm`
        .set noreorder
        move    $s0, $a0                     # the frame's length
        move    $a2, $a0
        move    $a1, $zero
        jal     ${COPY}                      # the whole frame into the page
        move    $a0, $zero
        lhu     $t0, 20($zero)               # flags and fragment offset
        lbu     $t1, 42($zero)               # the counter, big-endian
        lbu     $t2, 43($zero)
        lbu     $t3, 44($zero)
        lbu     $t4, 45($zero)
        andi    $t0, $t0, 0xff3f
        bnez    $t0, give                    # a fragment: the library refuses it
        sll     $t1, $t1, 24
        sll     $t2, $t2, 16
        sll     $t3, $t3, 8
        or      $t1, $t1, $t2
        or      $t1, $t1, $t3
        or      $s1, $t1, $t4                # the counter received
        lw      $s2, ${ASH_PAGE.LIMIT}($zero)
        addiu   $t1, $s1, 1                  # the counter sent back
        sltu    $t5, $s2, $s1
        bnez    $t5, give                    # past the limit: the library's, no reply
        srl     $t2, $t1, 24
        sb      $t2, 42($zero)
        srl     $t2, $t1, 16
        sb      $t2, 43($zero)
        srl     $t2, $t1, 8
        sb      $t2, 44($zero)
        sb      $t1, 45($zero)
${swap(0, 6, 3)}                                   # the MACs
${swap(26, 30, 2)}                                   # the IP addresses
${swap(34, 36, 1)}                                   # and the ports
        sh      $zero, 40($zero)             # no UDP checksum
        move    $a0, $zero
        jal     ${SEND}
        move    $a1, $s0
        xor     $t0, $s1, $s2
        jr      $ra
        sltiu   $v0, $t0, 1                  # at the limit: the socket sees it too
give:   jr      $ra
        li      $v0, 1
`;
