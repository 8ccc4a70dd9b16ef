/*
 * sbrk.c: the break grows, is touched page by page, shrinks, regrows zeroed, refuses an absurd
 * increment without moving, and carries malloc.
 *
 * The break is first rounded up to a page boundary, so every step below moves it by whole
 * pages and nothing depends on where ExOS puts the initial break. Each line reports a check;
 * a failed check prints NO and makes the exit status 1.
 */
#include "unix.h"

#define PAGE 4096
#define WORDS (PAGE / 4)
#define GROW 16
#define SHRINK 8
#define ABSURD 0x7ff00000 /* from any break in kuseg, this ends beyond 0x80000000 */

static int failed;

static const char *check(int ok) {
  failed |= !ok;
  return ok ? "yes" : "NO";
}

/* How many of the words of pages [from, to) of a differ from their pattern (or from 0). */
static int differ(unsigned *a, int from, int to, int pattern) {
  int bad = 0;
  for (int i = from * WORDS; i < to * WORDS; i++) bad += a[i] != (pattern ? i * 7u + 1 : 0);
  return bad;
}

int main(void) {
  char *b = sbrk(0);
  sbrk(-(intptr_t)b & (PAGE - 1));
  char *start = sbrk(0);

  unsigned *a = sbrk(GROW * PAGE);
  printf("grow by %d pages returns the old break: %s\n", GROW, check((char *)a == start));
  printf("new pages read zero: %s\n", check(!UNIX_FAILED(a) && differ(a, 0, GROW, 0) == 0));
  if (failed) return 1;
  for (int i = 0; i < GROW * WORDS; i++) a[i] = i * 7u + 1;
  printf("every word of the %d pages written and read back: %s\n", GROW,
         check(differ(a, 0, GROW, 1) == 0));

  char *old = sbrk(-SHRINK * PAGE);
  printf("shrink by %d pages returns the old break: %s\n", SHRINK,
         check(old == start + GROW * PAGE));
  printf("break after the shrink: start + %d pages\n", (int)((char *)sbrk(0) - start) / PAGE);

  old = sbrk(SHRINK * PAGE);
  printf("grow by %d pages again returns the old break: %s\n", SHRINK,
         check(old == start + (GROW - SHRINK) * PAGE));
  printf("kept pages unchanged: %s, regrown pages read zero: %s\n",
         check(differ(a, 0, GROW - SHRINK, 1) == 0), check(differ(a, GROW - SHRINK, GROW, 0) == 0));

  void *r = sbrk(ABSURD);
  printf("sbrk(0x%x) returns %d\n", ABSURD, (int)(intptr_t)r);
  check(r == (void *)-ENOMEM);
  printf("break unchanged after the failure: %s\n", check(sbrk(0) == start + GROW * PAGE));

  sbrk(-GROW * PAGE);
  printf("shrink back by %d pages: break at the start again: %s\n", GROW,
         check(sbrk(0) == start));

  char *m1 = malloc(100), *m2 = malloc(5000);
  if (m1 == 0 || m2 == 0) {
    printf("malloc failed\n");
    return 1;
  }
  memset(m1, 0x11, 100);
  memset(m2, 0x22, 5000);
  free(m1);
  char *m3 = malloc(60);
  printf("malloc: 8-byte aligned: %s, freed block reused: %s, other block intact: %s\n",
         check(((intptr_t)m1 | (intptr_t)m2) % 8 == 0), check(m3 == m1),
         check(m2[0] == 0x22 && m2[4999] == 0x22));
  return failed;
}
