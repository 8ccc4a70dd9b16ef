/**
 * The timing model: how many 25 MHz cycles each thing the CPU does costs.
 *
 * One table, every constant with its source. The CPU charges one cycle per instruction, plus the
 * extra cycles below where the R3000A stalls. Emulated time is cycles / 25 (microseconds). The
 * model may grow (a cache model, say) behind an explicit option, never silently.
 *
 * @module
 */

/** Clock rate of the DECstation 5000/200's R3000A, in Hz. */
export const CLOCK_HZ = 25_000_000;

/** Cycles per emulated microsecond. */
export const CYCLES_PER_US = CLOCK_HZ / 1_000_000;

/** The cost table, in cycles. */
export const TIMING = {
  /**
   * Every instruction issues in one cycle: the R3000 is a single-issue five-stage pipeline
   * (Kane and Heinrich, "MIPS RISC Architecture", 1992, ch. 1).
   */
  instruction: 1,
  /**
   * MULT/MULTU result latency: 12 cycles before HI/LO are ready; MFHI/MFLO interlock until then
   * (IDT R30xx Family Software Reference Manual, "Multiply and divide", table of latencies).
   */
  multiply: 12,
  /** DIV/DIVU result latency: 35 cycles, with the same HI/LO interlock (same source). */
  divide: 35,
  /**
   * Extra cycles for an uncached access (kseg1, a TLB entry with N set, any device register):
   * the access bypasses the cache and waits for the TURBOchannel/memory system. An estimate: the
   * 5000/200 memory read latency is about 5 cycles beyond the pipeline's one (KN02 documents give
   * a cache-line refill of 5 + 1 per word); device registers are given the same figure.
   */
  uncached: 5,
  /**
   * Extra cycles to take an exception: the instructions behind the faulting one are squashed and
   * the pipeline refills from the vector. An estimate of 2 cycles (the refill of the two
   * pipeline stages ahead of execute; Kane and Heinrich, ch. 5).
   */
  exception: 2,
} as const;

/** Converts cycles to emulated microseconds. */
export function cyclesToUs(cycles: number): number {
  return cycles / CYCLES_PER_US;
}
