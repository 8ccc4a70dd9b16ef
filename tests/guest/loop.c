/*
 * loop.c: the CPU-bound benchmark. A sieve of Eratosthenes up to 600000 (bytes in .bss) and a
 * bitwise CRC-32 over a 32 KB buffer filled by a linear congruential generator, six rounds,
 * each round's CRC seeding the next buffer. About 30 million instructions; prints the results.
 * ROUNDS (6) can be set with -D (build.ts's long variant, out/long/loop.elf, runs 128).
 */
#include "prom.h"

#define LIMIT 600000
#define BUF 32768
#ifndef ROUNDS
#define ROUNDS 6
#endif

static unsigned char composite[LIMIT + 1];
static unsigned char buf[BUF];

static int sieve(void) {
  int count = 0;
  for (int i = 2; i <= LIMIT; i++) {
    if (composite[i]) continue;
    count++;
    for (int j = i + i; j <= LIMIT; j += i) composite[j] = 1;
  }
  return count;
}

static unsigned crc32(const unsigned char *p, int n) {
  unsigned crc = 0xffffffff;
  for (int i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = crc >> 1 ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc;
}

int main(void) {
  int primes = sieve();
  int last = LIMIT;
  while (composite[last]) last--;
  xprintf("primes below %d: %d, largest %d\n", LIMIT, primes, last);
  unsigned seed = 1;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < BUF; i++) {
      seed = seed * 1664525u + 1013904223u;
      buf[i] = (unsigned char)(seed >> 24);
    }
    seed = crc32(buf, BUF);
    xprintf("round %d: crc32 %08x\n", round, seed);
  }
  return 0;
}
