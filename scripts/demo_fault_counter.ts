/**
 * Demo: demand paging by an exception handler written in guest assembly.
 *
 * Under Aegis a TLB miss that the kernel's software TLB cannot satisfy is not the kernel's
 * business: it is forwarded to the environment, whose own handler decides what the address
 * means. Here the handler allocates a physical page, binds it at the faulting address with
 * TLBwr (presenting the capability ALLOC returned), counts the fault and resumes the program.
 * The program writes to 16 pages and reads from 16 others that nothing has mapped.
 *
 * Then the cost: the same program runs twice, once faulting on every page and once with every
 * page already mapped; the difference, divided by the faults, is what one fault costs in
 * emulated time (the kernel's forwarding, the handler, its two system calls).
 *
 * Run it with `deno run -A scripts/demo_fault_counter.ts`.
 *
 * @module
 */

import { asm, EXC } from "../machine/mod.ts";
import { SYS, TLBWR } from "../aegis/mod.ts";
import { Lab } from "../shell/lab.ts";
import { Measurement, timer } from "../shell/time.ts";

// Regions whose pages fall in different slots of the kernel's direct-mapped software TLB (it is
// indexed by the low 12 bits of the virtual page number), so no binding pushes out another.
const WRITES = 0x10000000, READS = 0x10010000, PAGES = 16;
/** The handler's own data: the fault count, then the faulting pc and address while it works. */
const COUNTS = 0x00700000;

// A slow slice clock (2 Hz) so that no clock tick lands inside the measured runs.
const m = new Lab({ clockRate: 15 });
const time = timer(m);
const e = m.aegis.createEnv("pager");
e.map(COUNTS);

// The handler. Aegis enters it with t0 = the faulting pc, t1 = the faulting address, t2 = Cause
// (the program's own t0-t2 wait in the save area; this program keeps its state in s registers).
// A system call may change the t, a and v registers, so the pc and the address wait in memory.
const handler = e.load(asm`
        lui     $t3, ${COUNTS >>> 16}
        sw      $t0, 4($t3)             # the pc to resume at
        sw      $t1, 8($t3)             # the address that faulted
        lw      $t4, 0($t3)
        addiu   $t4, $t4, 1
        sw      $t4, 0($t3)             # one more fault
        li      $v0, ${SYS.ALLOC}       # a physical page, any: v0 = its number, a2:a3 = its
        li      $a0, -1                 # read-write capability
        syscall
        lui     $t3, ${COUNTS >>> 16}
        lw      $a0, 8($t3)             # bind it at the faulting page, writable,
        srl     $a0, $a0, 12
        sll     $a0, $a0, 12
        ori     $a0, $a0, ${TLBWR.WRITABLE}
        move    $a1, $v0                # presenting the capability still in a2:a3
        move    $t0, $zero              # for this environment itself
        li      $v0, ${SYS.TLBWR}
        syscall
        lui     $t3, ${COUNTS >>> 16}
        lw      $t0, 4($t3)
        jr      $t0                     # and run the faulting instruction again
`);
e.onException("TLBS", handler.origin);
e.onException("TLBL", handler.origin);

// The program: a store to each of 16 pages, then a load from each of 16 others.
const prog = e.load(asm`
go:     li      $s0, ${WRITES}
        li      $s1, ${PAGES}
1:      sw      $s1, 0($s0)
        addiu   $s0, $s0, 0x1000
        addiu   $s1, $s1, -1
        bnez    $s1, 1b
        li      $s0, ${READS}
        li      $s1, ${PAGES}
2:      lw      $s2, 0($s0)
        addiu   $s0, $s0, 0x1000
        addiu   $s1, $s1, -1
        bnez    $s1, 2b
done:   b       done
`);
e.sys.sliceAlloc();

/** Runs the program from the top to `done`. */
function run(): void {
  e.enter(prog.symbols.go);
  const r = m.run({ until: prog.symbols.done, maxInstructions: 1_000_000 });
  if (r.reason !== "breakpoint") throw new Error(`The program did not finish: ${r.reason}`);
}

const before = m.cpu.exceptionCounts.slice();
const cold = time("first pass, every page faults", run);
const misses = m.cpu.exceptionCounts[EXC.TLBS] - before[EXC.TLBS] +
  m.cpu.exceptionCounts[EXC.TLBL] - before[EXC.TLBL];
const faults = e.read32(COUNTS);
const warm = time("second pass, every page mapped", run);

const perFault = new Measurement({
  instructions: (cold.instructions - warm.instructions) / faults,
  cycles: (cold.cycles - warm.cycles) / faults,
  modeledCycles: (cold.modeledCycles - warm.modeledCycles) / faults,
  us: (cold.us - warm.us) / faults,
}, "each fault");

console.log(`Demand paging by a handler in guest assembly

The program touched ${2 * PAGES} unmapped pages (${PAGES} written, ${PAGES} read).
The CPU took ${misses} TLB misses; the handler counted ${faults} faults forwarded to it.
The first written word reads back as ${e.read32(WRITES)}.

${cold}
${warm}
${perFault}

Modeled cycles are the kernel's page allocation, done in TypeScript (aegis/costs.ts);
everything else is MIPS code the emulated CPU executed.

${m.aegis}`);
