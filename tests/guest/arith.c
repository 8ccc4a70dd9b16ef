/*
 * arith.c: integer arithmetic at the edges, computed at run time (the operands come from a
 * volatile table, so gcc cannot fold them): add/sub with wrap-around, 32x32->64 multiply (signed
 * and unsigned, via mult/multu and mfhi/mflo), divide and modulo (div/divu, with gcc's break 7
 * guard for a zero divisor never taken), shifts by constant and by variable amounts,
 * comparisons (slt/sltu), logic ops, and 64-bit add/sub/shift. Only well-defined C: no division
 * by zero, no INT_MIN / -1, no signed overflow (wrap-around is done in unsigned).
 */
#include "prom.h"

#define INT_MIN (-2147483647 - 1)

static volatile int vals[] = {0,           1,   -1, 2, -2, 7, -7, 0x7fffffff, INT_MIN, 0x12345678,
                              -0x12345678, 65536, 1000003, -999};
#define NVALS (int)(sizeof vals / sizeof vals[0])

static void pairs(void) {
  for (int i = 0; i < NVALS; i++) {
    for (int j = 0; j < NVALS; j++) {
      int a = vals[i], b = vals[j];
      unsigned ua = (unsigned)a, ub = (unsigned)b;
      long long sp = (long long)a * b;
      unsigned long long up = (unsigned long long)ua * ub;
      xprintf("%08x %08x  add %08x sub %08x  mul %08x:%08x mulu %08x:%08x", ua, ub, ua + ub,
              ua - ub, (unsigned)(sp >> 32), (unsigned)sp, (unsigned)(up >> 32), (unsigned)up);
      if (b != 0) {
        if (!(a == INT_MIN && b == -1)) xprintf("  div %d mod %d", a / b, a % b);
        xprintf("  divu %u modu %u", ua / ub, ua % ub);
      }
      xprintf("  lt %d ltu %d eq %d\n", a < b, ua < ub, a == b);
    }
  }
}

static void shifts(void) {
  static volatile int amounts[] = {0, 1, 4, 15, 16, 31};
  for (int i = 0; i < NVALS; i += 3) {
    int a = vals[i];
    unsigned ua = (unsigned)a;
    xprintf("%08x const: sll4 %08x srl4 %08x sra4 %08x sra31 %08x\n", ua, ua << 4, ua >> 4,
            (unsigned)(a >> 4), (unsigned)(a >> 31));
    for (int k = 0; k < 6; k++) {
      int s = amounts[k];
      xprintf("  by %2d: sllv %08x srlv %08x srav %08x\n", s, ua << s, ua >> s, (unsigned)(a >> s));
    }
  }
}

static void logic(void) {
  for (int i = 0; i + 1 < NVALS; i++) {
    unsigned a = (unsigned)vals[i], b = (unsigned)vals[i + 1];
    xprintf("%08x %08x and %08x or %08x xor %08x nor %08x\n", a, b, a & b, a | b, a ^ b, ~(a | b));
  }
}

static void wide(void) {
  unsigned long long x = 0xfffffffeULL;
  for (int i = 0; i < 6; i++) {
    x = x * 3 + (unsigned)vals[i + 7];
    unsigned long long y = x << (i * 7) | x >> (64 - i * 7 - 1);
    unsigned long long z = y - x;
    xprintf("wide %d: %08x%08x %08x%08x %08x%08x\n", i, (unsigned)(x >> 32), (unsigned)x,
            (unsigned)(y >> 32), (unsigned)y, (unsigned)(z >> 32),
            (unsigned)z);
  }
}

static void formats(void) {
  xprintf("[%5d][%-5d][%05d][%d][%u]\n", 42, 42, -42, INT_MIN, 0xffffffffu);
  xprintf("[%8x][%08x][%-8x][%x][%3s][%-3s|][%c][%%]\n", 0xbeef, 0xbeef, 0xbeef, 0, "a", "b", 'z');
  prom_printf("prom %d %d %d\n", INT_MIN, -1, 0x7fffffff);
  prom_printf("prom %x %x %s\n", 0, 0xffffffff, "done");
}

int main(void) {
  pairs();
  shifts();
  logic();
  wide();
  formats();
  return 0;
}
