/*
 * hot_straight.c: a benchmark of large straight-line code. One function body of 768 mixing
 * steps on eight local words, fully unrolled by the preprocessor (about 5,900 instructions, 23 KB,
 * so the body spans six 4 KB pages with no branch inside), called 4,000 times over
 * a buffer. Prints a checksum every 1,000 calls and at the end; about 24 million instructions.
 * CALLS can be set with -D (build.ts's long variant, out/long/hot_straight.elf, makes 40,000).
 */
#include "prom.h"

#ifndef CALLS
#define CALLS 4000
#endif
#define WORDS 256

static unsigned buf[WORDS];

/* One step: a add-rotate-xor of two of the eight words, with a word of the buffer. */
#define STEP(x, y, k)                                                                              \
  x += y ^ p[(k) & (WORDS - 1)];                                                                 \
  y = (y << ((k) % 31 + 1) | y >> (31 - (k) % 31)) ^ x;
#define STEP8(k)                                                                                   \
  STEP(s0, s1, k) STEP(s2, s3, k + 1) STEP(s4, s5, k + 2) STEP(s6, s7, k + 3)                        \
  STEP(s1, s2, k + 4) STEP(s3, s4, k + 5) STEP(s5, s6, k + 6) STEP(s7, s0, k + 7)
#define STEP64(k)                                                                                  \
  STEP8(k) STEP8(k + 8) STEP8(k + 16) STEP8(k + 24) STEP8(k + 32) STEP8(k + 40) STEP8(k + 48)      \
  STEP8(k + 56)

static __attribute__((noipa)) unsigned mix(const unsigned *p, unsigned seed) {
  unsigned s0 = seed, s1 = seed ^ 0x9e3779b9, s2 = seed + 0x7f4a7c15, s3 = ~seed;
  unsigned s4 = seed * 3, s5 = seed ^ 0x85ebca6b, s6 = seed + 0xc2b2ae35, s7 = seed << 7;
  STEP64(0) STEP64(64) STEP64(128) STEP64(192) STEP64(256) STEP64(320)
  STEP64(384) STEP64(448) STEP64(512) STEP64(576) STEP64(640) STEP64(704)
  return s0 ^ s1 ^ s2 ^ s3 ^ s4 ^ s5 ^ s6 ^ s7;
}

int main(void) {
  unsigned seed = 1;
  for (int i = 0; i < WORDS; i++) {
    seed = seed * 1664525u + 1013904223u;
    buf[i] = seed;
  }
  unsigned h = 0;
  for (int call = 1; call <= CALLS; call++) {
    h = mix(buf, h + (unsigned)call);
    buf[call & (WORDS - 1)] ^= h;
    if (call % 1000 == 0) xprintf("call %d: %08x\n", call, h);
  }
  xprintf("checksum %08x\n", h);
  return 0;
}
