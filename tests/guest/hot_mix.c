/*
 * hot_mix.c: a benchmark of small hot loops, the kind a translator meets most: a table-driven
 * CRC-32, a sieve of Eratosthenes over bits, a 40x40 integer matrix multiply, a shell sort of
 * 4096 words and a string-hash loop over bytes, four rounds, each round's results seeding the
 * next. Prints each part's result and one checksum over all of them; about 40 million
 * instructions.
 * ROUNDS can be set with -D (build.ts's long variant, out/long/hot_mix.elf, runs 40).
 */
#include "prom.h"

#ifndef ROUNDS
#define ROUNDS 4
#endif
#define CRC_BYTES 16384
#define SIEVE_LIMIT 200000
#define N 40
#define SORT_WORDS 4096

static unsigned crc_table[256];
static unsigned char bytes[CRC_BYTES];
static unsigned bits[SIEVE_LIMIT / 32 + 1];
static int a[N * N], b[N * N], c[N * N];
static unsigned words[SORT_WORDS];

static unsigned lcg(unsigned *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s;
}

static void crc_init(void) {
  for (unsigned i = 0; i < 256; i++) {
    unsigned v = i;
    for (int k = 0; k < 8; k++) v = v >> 1 ^ (0xedb88320 & -(v & 1));
    crc_table[i] = v;
  }
}

static unsigned crc32(const unsigned char *p, int n) {
  unsigned crc = 0xffffffff;
  for (int i = 0; i < n; i++) crc = crc >> 8 ^ crc_table[(crc ^ p[i]) & 0xff];
  return ~crc;
}

static int sieve(int limit) {
  for (int i = 0; i <= limit / 32; i++) bits[i] = 0;
  int count = 0;
  for (int i = 2; i <= limit; i++) {
    if (bits[i >> 5] & 1u << (i & 31)) continue;
    count++;
    for (int j = i + i; j <= limit; j += i) bits[j >> 5] |= 1u << (j & 31);
  }
  return count;
}

static unsigned matmul(unsigned seed) {
  for (int i = 0; i < N * N; i++) {
    a[i] = (int)(lcg(&seed) >> 24) - 128;
    b[i] = (int)(lcg(&seed) >> 25);
  }
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      int s = 0;
      for (int k = 0; k < N; k++) s += a[i * N + k] * b[k * N + j];
      c[i * N + j] = s;
    }
  }
  unsigned h = 0;
  for (int i = 0; i < N * N; i++) h = h * 31 + (unsigned)c[i];
  return h;
}

static unsigned shellsort(unsigned seed) {
  for (int i = 0; i < SORT_WORDS; i++) words[i] = lcg(&seed);
  static const int gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
  for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    int gap = gaps[g];
    for (int i = gap; i < SORT_WORDS; i++) {
      unsigned v = words[i];
      int j = i;
      for (; j >= gap && words[j - gap] > v; j -= gap) words[j] = words[j - gap];
      words[j] = v;
    }
  }
  unsigned h = 0;
  for (int i = 1; i < SORT_WORDS; i++) {
    if (words[i - 1] > words[i]) return 0; /* not sorted: a wrong machine */
    h = (h << 5 | h >> 27) ^ words[i];
  }
  return h;
}

static unsigned strhash(const unsigned char *p, int n) {
  unsigned h = 5381;
  for (int i = 0; i < n; i++) h = (h << 5) + h + p[i];
  return h;
}

int main(void) {
  crc_init();
  unsigned seed = 7, total = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < CRC_BYTES; i++) bytes[i] = (unsigned char)(lcg(&seed) >> 24);
    unsigned crc = crc32(bytes, CRC_BYTES);
    int primes = sieve(SIEVE_LIMIT - round * 1000);
    unsigned mm = matmul(seed ^ crc);
    unsigned sorted = shellsort(seed + mm);
    unsigned hash = strhash(bytes, CRC_BYTES);
    xprintf("round %d: crc %08x primes %d matmul %08x sort %08x hash %08x\n", round, crc, primes,
            mm, sorted, hash);
    total = total * 33 ^ crc ^ (unsigned)primes ^ mm ^ sorted ^ hash;
    seed ^= total;
  }
  xprintf("checksum %08x\n", total);
  return 0;
}
