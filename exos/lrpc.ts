/**
 * LRPC over synchronous protected control transfer: a call into another address space that runs
 * a procedure there and comes back, with nothing from Aegis but SCALL, which changes the pc to
 * the callee's synchronous entry point, donates the slice and leaves every register as it was
 * (but v0, which names the caller). Guest assembly all the way, in the library's code page.
 *
 * The client's stub, lrpc_call(a0 = the server's id, a1 = the argument) -> v0, keeps its return
 * address and the server's id in its own memory (DATA.LRPC) and SCALLs the server; it comes back
 * only if the call failed (v0 = NOENV or NOENTRY). The reply is an SCALL from the server to the
 * client's synchronous entry, lrpc_reply, which checks that the server is the caller (a call
 * from anyone else is sent back, SCALLed, and the client goes on waiting for its reply) and
 * returns to the client with the result, which travels in v1.
 *
 * The server's entry stub, lrpc_entry (v0 = the caller, a1 = the argument), keeps the caller's
 * id and saves every callee-saved register (s0-s7, gp, sp, fp) in the server's memory, switches
 * to the server's stack, calls the procedure as proc(a0 = the argument) -> v0, restores the
 * registers and SCALLs the result back. tlrpc_entry is the same but trusts the procedure to keep
 * the callee-saved registers, as a C function does, and saves only the stack pointer it changes
 * (the paper's trusted LRPC, Table 12). Neither looks the procedure up in a table nor checks who
 * may call, and both are single-threaded: one call at a time, as the paper measured them.
 *
 * Slices follow the calls: the client's slice (and its future instances) go to the server with
 * the call and come back with the reply, so a server needs no slice of its own.
 *
 * @module
 */

import { ENTRY, SYS } from "../aegis/abi.ts";
import { DATA, LIB, USER } from "./layout.ts";
import type { AddressSpace } from "./vm.ts";

/** The words of DATA.LRPC. */
export const LRPC = {
  /** The client's: where lrpc_call returns to. */
  RA: 0x00,
  /** The client's: the server it waits for. */
  SERVER: 0x04,
  /** The server's: who called. */
  CALLER: 0x08,
  /** The server's: its stack pointer while the procedure runs. */
  STACK: 0x0c,
  /** The server's: the procedure. */
  PROC: 0x10,
  /** The server's: the registers lrpc_entry keeps (s0-s7, gp, sp, fp). */
  SAVE: 0x20,
} as const;

/** The callee-saved registers lrpc_entry saves, in order. */
const CALLEE_SAVED = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "gp", "sp", "fp"];

/** The ERRNO.EPERM a stray caller is answered with, negated. */
const EPERM = 1;

/** The LRPC stubs: lrpc_call, lrpc_reply (client), lrpc_entry, tlrpc_entry (server). */
export function lrpcAsm(): string {
  const L = LIB.DATA + DATA.LRPC, SAVE = L + LRPC.SAVE;
  const SP = SAVE + 4 * CALLEE_SAVED.indexOf("sp");
  const keep = (op: "sw" | "lw") =>
    CALLEE_SAVED.map((r, i) => `        ${op}      $${r}, ${SAVE + 4 * i}($zero)`).join("\n");
  return `
# ---- LRPC: lrpc_call and lrpc_reply (the client), lrpc_entry and tlrpc_entry (the server) --
lrpc_call:                                   # a0 = the server, a1 = the argument -> v0
        sw      $ra, ${L + LRPC.RA}($zero)
        sw      $a0, ${L + LRPC.SERVER}($zero)
        li      $v0, ${SYS.SCALL}
        syscall                              # into the server; the reply comes to lrpc_reply
        jr      $ra                          # here only when the call failed: v0 = the error
        nop
lrpc_reply:                                  # the client's synchronous entry: v0 = the caller
        lw      $t0, ${L + LRPC.SERVER}($zero)
        lw      $ra, ${L + LRPC.RA}($zero)
        bne     $v0, $t0, lrpc_stray
        nop
        jr      $ra
        move    $v0, $v1                     # the result
lrpc_stray:                                  # not the server: send the call back, wait on
        move    $a0, $v0
        li      $v1, ${-EPERM}
        li      $v0, ${SYS.SCALL}
        syscall
        b       lrpc_idle
        nop
lrpc_entry:                                  # the server's synchronous entry: v0 = the caller
        sw      $v0, ${L + LRPC.CALLER}($zero)
${keep("sw")}
        lw      $sp, ${L + LRPC.STACK}($zero)
        lw      $t9, ${L + LRPC.PROC}($zero)
        move    $a0, $a1
        jalr    $t9                          # v0 = proc(the argument)
        nop
${keep("lw")}
        move    $v1, $v0
        lw      $a0, ${L + LRPC.CALLER}($zero)
        li      $v0, ${SYS.SCALL}
        syscall                              # the reply, into the caller's entry
lrpc_idle:                                   # nobody to go back to: yield until called again
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
        b       lrpc_idle
        nop
tlrpc_entry:                                 # the same, trusting the procedure with s0-s7, gp, fp
        sw      $v0, ${L + LRPC.CALLER}($zero)
        sw      $sp, ${SP}($zero)
        lw      $sp, ${L + LRPC.STACK}($zero)
        lw      $t9, ${L + LRPC.PROC}($zero)
        move    $a0, $a1
        jalr    $t9
        nop
        lw      $sp, ${SP}($zero)
        move    $v1, $v0
        lw      $a0, ${L + LRPC.CALLER}($zero)
        li      $v0, ${SYS.SCALL}
        syscall
        b       lrpc_idle
        nop
`;
}

/**
 * Makes the environment of `vm` an LRPC server: its synchronous entry becomes lrpc_entry (or
 * tlrpc_entry, `trusted`), which calls the guest procedure at `proc` on the stack at `stack`
 * (default: the top of its own stack). Throws when Aegis refuses the entry point.
 */
export function serve(
  vm: AddressSpace,
  proc: number,
  options: { trusted?: boolean; stack?: number } = {},
): void {
  const L = LIB.DATA + DATA.LRPC;
  vm.write32(L + LRPC.STACK, options.stack ?? USER.STACK_TOP - 16);
  vm.write32(L + LRPC.PROC, proc);
  const entry = options.trusted ? vm.routines.tlrpcEntry : vm.routines.lrpcEntry;
  const r = vm.path.call(SYS.SET_ENTRY, ENTRY.SYNC, entry, 0);
  if (r.v0 < 0) throw new Error(`SET_ENTRY(sync) for the LRPC server failed with ${r.v0}`);
}

/**
 * Makes the environment of `vm` an LRPC client: its synchronous entry becomes lrpc_reply, where
 * replies land. Throws when Aegis refuses the entry point.
 */
export function client(vm: AddressSpace): void {
  const r = vm.path.call(SYS.SET_ENTRY, ENTRY.SYNC, vm.routines.lrpcReply, 0);
  if (r.v0 < 0) throw new Error(`SET_ENTRY(sync) for the LRPC client failed with ${r.v0}`);
}
