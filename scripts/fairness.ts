/**
 * Fairness under abuse: two environments with one slice position each, an honest one that
 * counts and an attacker that tries the tricks of issue 9's stolen-time class, and the share of
 * the CPU each gets (`exo bench fairness`).
 *
 * The tricks, each alone and all together:
 * - delete: TLBVADELETE of the most pages one call may take, over and over, so the kernel runs
 *   with interrupts off when the tick is due;
 * - donate: an end-of-slice upcall that gives the rest of the tick to a child (ACALL), which
 *   spins most of a slice before it yields;
 * - guess: TLBWR with guessed capabilities, as fast as it can;
 * - call: protected calls into the honest environment, which takes none;
 * - all: the upcall donation, with the other three in turn in the attacker's own time.
 *
 * The share is measured from outside the kernel: the machine runs in chunks of 64 instructions
 * and each chunk's cycles go to the environment on the CPU at its end (the attacker's child
 * counts as the attacker). Kernel time belongs to the environment whose request it serves.
 *
 * @module
 */

import { asm } from "../machine/asm/mod.ts";
import { DECstation } from "../machine/decstation.ts";
import { Aegis } from "../aegis/kernel.ts";
import { SYS, TLBVADELETE_MAX } from "../aegis/abi.ts";
import { E, envRecord } from "../aegis/layout.ts";

/** The tricks the attacker may try. */
export const TRICKS = ["delete", "donate", "guess", "call", "all"] as const;

/** One of them. */
export type Trick = typeof TRICKS[number];

/** What a fairness run measured. */
export interface Fairness {
  /** The trick. */
  trick: Trick;
  /** Slices of emulated time run. */
  slices: number;
  /** The honest environment's share of the CPU time used by the two. */
  honest: number;
  /** The attacker's (with its child). */
  attacker: number;
  /** Whether the kernel ended the attacker for abuse. */
  attackerEnded: boolean;
}

/** The attacker's code: its loop (by trick), the upcall and the child's entry. */
function attackerSource(trick: Trick, honest: number) {
  const delete_ = `
        li      $v0, ${SYS.TLBVADELETE}
        move    $a0, $zero
        li      $a1, ${TLBVADELETE_MAX}
        move    $a2, $zero
        syscall`;
  const guess = `
        li      $v0, ${SYS.TLBWR}
        li      $a0, 0x20000000
        li      $a1, 300
        addiu   $s1, $s1, 7
        move    $a2, $s1
        move    $a3, $s1
        move    $t0, $zero
        syscall`;
  const call = `
        li      $v0, ${SYS.ACALL}
        li      $a0, ${honest}
        syscall`;
  const body = trick === "delete"
    ? delete_
    : trick === "guess"
    ? guess
    : trick === "call"
    ? call
    : trick === "all"
    ? `${delete_}\n${guess}\n${call}`
    : `
        addiu   $s0, $s0, 1`;
  return asm`
        .set noreorder
top:
${body}
        b       top
        nop
upcall: li      $v0, ${SYS.ACALL}            # the rest of the tick to the child
        move    $a0, $s7
        syscall
        b       upcall
        nop
child:  li      $t1, 5000                    # most of a slice, then give it back
1:      addiu   $t1, $t1, -1
        bnez    $t1, 1b
        nop
        li      $v0, ${SYS.YIELD}
        move    $a0, $zero
        syscall
        b       child
        nop
`;
}

/** Runs the honest environment against `trick` for `slices` slices; returns the shares. */
export function measureFairness(trick: Trick, slices: number): Fairness {
  const m = new DECstation();
  const aegis = new Aegis(m, { slices: 2 });
  const honest = aegis.createEnv("honest");
  const hp = honest.load(asm`
        .set noreorder
top:    addiu   $s0, $s0, 1
        b       top
        nop
`);
  honest.enter(hp.origin);
  honest.sys.sliceAlloc(0);
  const attacker = aegis.createEnv("attacker");
  const p = attacker.load(attackerSource(trick, honest.id));
  const team = new Set([attacker.id]);
  if (trick === "donate" || trick === "all") {
    const child = attacker.child(attacker.call(SYS.ENV_ALLOC, p.symbols.child).v0);
    child.call(SYS.SET_ENTRY, 1, p.symbols.child, 0);
    attacker.sys.tlbWrite(p.origin, attacker.pageAt(p.origin)!, { env: child });
    aegis.mem.w32(envRecord(aegis.slotOf(attacker.id)) + E.CONTEXT + 4 * 23, child.id); // s7
    attacker.sys.setEntry("sliceEnd", p.symbols.upcall);
    team.add(child.id);
  }
  attacker.enter(p.origin);
  attacker.sys.sliceAlloc(1);
  let honestCycles = 0, attackerCycles = 0;
  const end = m.cpu.cycles + slices * aegis.sliceCycles;
  while (m.cpu.cycles < end) {
    const before = m.cpu.cycles;
    m.run({ maxInstructions: 64 });
    const cur = aegis.current, spent = m.cpu.cycles - before;
    if (cur === honest.id) honestCycles += spent;
    else if (team.has(cur)) attackerCycles += spent;
  }
  const total = honestCycles + attackerCycles;
  return {
    trick,
    slices,
    honest: honestCycles / total,
    attacker: attackerCycles / total,
    attackerEnded: !attacker.alive,
  };
}

/** The shares, one line a trick. */
export function formatFairness(rows: readonly Fairness[]): string {
  return [
    "Fairness under abuse: two environments, one slice position each (Aegis, 977 us slices)",
    "",
    ...rows.map((r) =>
      `${r.trick.padEnd(7)} honest ${(100 * r.honest).toFixed(1).padStart(5)}%  attacker ` +
      `${(100 * r.attacker).toFixed(1).padStart(5)}%  over ${r.slices} slices` +
      (r.attackerEnded ? "  (the attacker was ended for abuse)" : "")
    ),
    "",
    "Each chunk of 64 instructions counts for the environment on the CPU at its end; the " +
    "attacker's child counts as the attacker.",
  ].join("\n");
}

if (import.meta.main) {
  const slices = Number(Deno.args[0] ?? 400);
  console.log(formatFairness(TRICKS.map((t) => measureFairness(t, slices))));
}
