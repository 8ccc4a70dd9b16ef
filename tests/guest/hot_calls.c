/*
 * hot_calls.c: a benchmark of calls across pages. Sixteen small functions, each aligned to its
 * own 4 KB page, call one another through a table of function pointers and directly (a chain
 * of eight, and a recursive Fibonacci that bounces between two pages), so nearly every few
 * instructions control leaves one page for another. Prints a checksum per round; about 30
 * million instructions.
 * ROUNDS can be set with -D (build.ts's long variant, out/long/hot_calls.elf, runs 50).
 */
#include "prom.h"

#define PAGE __attribute__((noipa, aligned(4096)))
#ifndef ROUNDS
#define ROUNDS 5
#endif

typedef unsigned (*fn)(unsigned, unsigned);

static PAGE unsigned f0(unsigned x, unsigned y) { return x + y; }
static PAGE unsigned f1(unsigned x, unsigned y) { return x ^ (y << 3); }
static PAGE unsigned f2(unsigned x, unsigned y) { return x - y * 5; }
static PAGE unsigned f3(unsigned x, unsigned y) { return (x >> 2) + y; }
static PAGE unsigned f4(unsigned x, unsigned y) { return x * 9 + y; }
static PAGE unsigned f5(unsigned x, unsigned y) { return x ^ y ^ 0x5a5a5a5a; }
static PAGE unsigned f6(unsigned x, unsigned y) { return (x << 1 | x >> 31) + y; }
static PAGE unsigned f7(unsigned x, unsigned y) { return x + (y & 0xff); }

static fn const table[8] = {f0, f1, f2, f3, f4, f5, f6, f7};

static PAGE unsigned c7(unsigned x) { return f7(x, x >> 3); }
static PAGE unsigned c6(unsigned x) { return c7(f6(x, 6)) + 1; }
static PAGE unsigned c5(unsigned x) { return c6(f5(x, 5)) ^ 2; }
static PAGE unsigned c4(unsigned x) { return c5(f4(x, 4)) + 3; }

static unsigned fib_b(unsigned n);
static PAGE unsigned fib_a(unsigned n) { return n < 2 ? n : fib_b(n - 1) + fib_b(n - 2); }
static PAGE unsigned fib_b(unsigned n) { return n < 2 ? n : fib_a(n - 1) + fib_a(n - 2); }

/* Calls through the table, the next function chosen by the last result. */
static PAGE unsigned dispatch(unsigned x, int n) {
  for (int i = 0; i < n; i++) x = table[x & 7](x, (unsigned)i);
  return x;
}

int main(void) {
  unsigned h = 1;
  for (int round = 0; round < ROUNDS; round++) {
    unsigned d = dispatch(h, 150000);
    unsigned c = 0;
    for (unsigned i = 0; i < 40000; i++) c += c4(i ^ d);
    unsigned f = fib_a(20 + (unsigned)round % 2);
    h = h * 31 + (d ^ c ^ f);
    xprintf("round %d: dispatch %08x chain %08x fib %u -> %08x\n", round, d, c, f, h);
  }
  xprintf("checksum %08x\n", h);
  return 0;
}
