/**
 * A stride scheduler as a library policy (the paper's Figure 3): an environment that holds a time
 * slice runs its children in proportion to their tickets, by directed yield. Aegis knows nothing
 * of tickets; it only gives the slice to the scheduler at the tick and lets the scheduler give the
 * rest of it away (SYS.YIELD to a named environment).
 *
 * The policy is Waldspurger and Weihl's stride scheduling: each client has a stride, STRIDE_ONE
 * divided by its tickets, and a pass, which starts at its stride. At each slice the client with
 * the smallest pass runs (the first of them on a tie) and its pass grows by its stride, so over
 * any stretch of slices each client runs in proportion to its tickets, give or take one slice.
 *
 * Everything the policy does is guest code in the scheduler's own program (`strideAsm`), 22
 * instructions and a yield a slice, over a table in the scheduler's memory:
 *
 *   TABLE + 0    how many clients (at least one)
 *   TABLE + 16   per client, 16 bytes: its environment id, pass, stride, slices it was given
 *
 * `StrideScheduler` sets it up from TypeScript: the scheduler's address space and program, its
 * children (ENV_ALLOC by the scheduler, each with its own address space and program), their
 * tickets, and the scheduler's first slice (SLICE_ALLOC; the library's boot stub starts its loop
 * at that slice's start). A child runs in no slice of its own: only when the scheduler yields to
 * it, until the tick takes the CPU back for the scheduler's next slice.
 *
 * @module
 */

import { asm, type AsmSource, type Program } from "../machine/asm/mod.ts";
import { ENTRY, SYS, type SyscallPath } from "../aegis/abi.ts";
import { DATA, LIB, PAGE_SIZE, USER } from "./layout.ts";
import { AddressSpace } from "./vm.ts";

/** The number a client's tickets divide into its stride. */
export const STRIDE_ONE = 1 << 20;

/** The table's layout. */
export const STRIDE_TABLE = {
  COUNT: 0,
  FIRST: 16,
  ENTRY: 16,
  ID: 0,
  PASS: 4,
  STRIDE: 8,
  SLICES: 12,
};

/** The most clients the table holds. */
export const STRIDE_MAX = 64;

/** Where a client's program goes by default: apart from the scheduler's, at USER.PROGRAM. */
export const CLIENT_ORIGIN = 0x00440000;

/**
 * The scheduler's program over the table at `table`: it starts at label `stride`, chooses at
 * `pick` and gives the slice away at `give` (a `syscall`, which never runs twice for one slice:
 * the place to stop at once a slice).
 */
export function strideAsm(table: number): AsmSource {
  const T = STRIDE_TABLE;
  return asm`
        .set    noreorder
stride: li      $s0, ${table}
pick:   lw      $t0, ${T.COUNT}($s0)         # how many clients
        addiu   $t1, $s0, ${T.FIRST}         # the first
        move    $t2, $t1                     # the best so far
        li      $t3, -1                      # and its pass (the largest there is)
1:      lw      $t4, ${T.PASS}($t1)
        addiu   $t0, $t0, -1
        sltu    $t5, $t4, $t3                # a smaller pass than the best?
        beqz    $t5, 2f
        nop
        move    $t2, $t1
        move    $t3, $t4
2:      bnez    $t0, 1b
        addiu   $t1, $t1, ${T.ENTRY}
        lw      $t4, ${T.STRIDE}($t2)
        lw      $t5, ${T.SLICES}($t2)
        addu    $t3, $t3, $t4                # its pass moves on by its stride
        sw      $t3, ${T.PASS}($t2)
        addiu   $t5, $t5, 1
        sw      $t5, ${T.SLICES}($t2)
        lw      $a0, ${T.ID}($t2)
        li      $v0, ${SYS.YIELD}
give:   syscall                              # the rest of the slice to it; back at the next
        b       pick
        nop
`;
}

/** One client of the scheduler. */
export interface StrideClient {
  /** Its environment (a child of the scheduler's). */
  id: number;
  /** Its address space. */
  vm: AddressSpace;
  /** Its program. */
  program: Program;
  /** Its tickets. */
  tickets: number;
}

/** The scheduler: its address space, its program, its table and its clients. */
export class StrideScheduler {
  /** The scheduler's address space. */
  readonly vm: AddressSpace;
  /** Its program (labels `pick`, where each slice's choice begins, and `give`, its yield). */
  readonly program: Program;
  /** Where the table is, in the scheduler's memory. */
  readonly table: number;
  /** The clients, in the order they were added. */
  readonly clients: StrideClient[] = [];

  /**
   * A scheduler in the environment behind `path` (its address space is built here); throws when
   * Aegis refuses a page.
   */
  constructor(readonly path: SyscallPath) {
    this.vm = new AddressSpace(path);
    this.table = this.vm.mmap(PAGE_SIZE);
    this.vm.write32(this.table + STRIDE_TABLE.COUNT, 0);
    this.program = this.vm.load(strideAsm(this.table));
  }

  /**
   * Makes a child of the scheduler running `source` (assembled at `at`, CLIENT_ORIGIN by
   * default, away from the scheduler's own program; started at its label `start`, or its first
   * instruction) with `tickets` tickets; returns it. Throws RangeError for tickets that are not a
   * whole number from 1 to STRIDE_ONE, or a full table.
   */
  spawn(source: AsmSource, tickets: number, at = CLIENT_ORIGIN): StrideClient {
    if (!Number.isInteger(tickets) || tickets < 1 || tickets > STRIDE_ONE) {
      throw new RangeError(`Tickets ${tickets} are not a whole number from 1 to ${STRIDE_ONE}`);
    }
    if (this.clients.length === STRIDE_MAX) {
      throw new RangeError(`The scheduler has ${STRIDE_MAX} clients already`);
    }
    const r = this.path.call(SYS.ENV_ALLOC, this.vm.routines.start);
    if (r.v0 < 0) throw new Error(`ENV_ALLOC for a stride client failed with ${r.v0}`);
    const vm = new AddressSpace(this.path.child(r.v0));
    const program = vm.load(source, at);
    vm.entry(program.symbols.start ?? program.origin);
    const client = { id: r.v0, vm, program, tickets };
    const row = this.table + STRIDE_TABLE.FIRST + STRIDE_TABLE.ENTRY * this.clients.length;
    const stride = Math.floor(STRIDE_ONE / tickets);
    this.vm.write32(row + STRIDE_TABLE.ID, client.id);
    this.vm.write32(row + STRIDE_TABLE.PASS, stride);
    this.vm.write32(row + STRIDE_TABLE.STRIDE, stride);
    this.vm.write32(row + STRIDE_TABLE.SLICES, 0);
    this.clients.push(client);
    this.vm.write32(this.table + STRIDE_TABLE.COUNT, this.clients.length);
    return client;
  }

  /**
   * Gives the scheduler a slice position; its loop starts at that slice's start (the library's
   * boot stub, from the start frame). Throws when Aegis has no free position or no client is
   * there to run.
   */
  start(): void {
    if (this.clients.length === 0) throw new RangeError("Spawn a client before starting");
    const frame = LIB.DATA + DATA.START;
    for (let reg = 1; reg < 32; reg++) this.vm.write32(frame + 4 * reg, 0);
    this.vm.write32(frame + 4 * 29, USER.STACK_TOP);
    this.vm.write32(frame + 128, this.program.symbols.stride);
    this.path.call(SYS.SET_ENTRY, ENTRY.SLICE_START, this.vm.routines.boot, 0);
    const r = this.path.call(SYS.SLICE_ALLOC, -1, 0);
    if (r.v0 < 0) throw new Error(`SLICE_ALLOC for the scheduler failed with ${r.v0}`);
  }

  /** The slices each client has been given so far, in the order they were added. */
  get slices(): number[] {
    return this.clients.map((_, i) =>
      this.vm.read32(
        this.table + STRIDE_TABLE.FIRST + STRIDE_TABLE.ENTRY * i + STRIDE_TABLE.SLICES,
      )
    );
  }
}
