/*
 * cow.c: fork copies memory, as far as the processes can tell (ExOS does it copy-on-write).
 *
 * The parent fills 40 heap pages (from sbrk) with a pattern, then forks. The child overwrites
 * the even pages; the parent, at the same time, overwrites pages 1, 5, ..., 37; nobody writes
 * pages 3, 7, ..., 39. Each process must see its own writes and none of the other's, whatever
 * order they run in. The child checks its view of all 40 pages and exits with an 8-bit hash of
 * it (1 if a word is wrong); the parent waits, compares that status with the hash it computes
 * for the view the child should have had, checks its own view and prints the results.
 */
#include "unix.h"

#define PAGES 40
#define WORDS 1024 /* 32-bit words in a 4 KB page */

/* The pattern before the fork, and what the child and the parent write over it. */
static unsigned orig(int p, int i) { return (unsigned)(p << 16 | i) * 2654435761u; }
static unsigned kid(int p, int i) { return ~orig(p, i); }
static unsigned mom(int p, int i) { return orig(p, i) ^ 0x5a5a5a5au; }

static int child_writes(int p) { return p % 2 == 0; }
static int parent_writes(int p) { return p % 4 == 1; }

/* Hash h updated with word w (FNV-1a style, a word at a time). */
static unsigned mix(unsigned h, unsigned w) { return (h ^ w) * 16777619u; }

/* A 32-bit hash folded to the 8 bits of an exit status. */
static int fold(unsigned h) { return (h ^ h >> 8 ^ h >> 16 ^ h >> 24) & 0xff; }

/* How many words of page p differ from value(p, i). */
static int differ(unsigned *a, int p, unsigned (*value)(int, int)) {
  int bad = 0;
  for (int i = 0; i < WORDS; i++) bad += a[p * WORDS + i] != value(p, i);
  return bad;
}

static const char *yes(int bad) { return bad ? "NO" : "yes"; }

int main(void) {
  char *brk = sbrk(0);
  sbrk(-(intptr_t)brk & 4095); /* start on a page boundary */
  unsigned *a = sbrk(PAGES * 4096);
  if (UNIX_FAILED(a)) {
    printf("sbrk of %d pages failed: %d\n", PAGES, (int)(intptr_t)a);
    return 1;
  }
  for (int p = 0; p < PAGES; p++)
    for (int i = 0; i < WORDS; i++) a[p * WORDS + i] = orig(p, i);
  printf("%d pages filled, forking\n", PAGES);

  int pid = fork();
  if (pid == 0) {
    unsigned h = 2166136261u;
    int bad = 0;
    for (int p = 0; p < PAGES; p++)
      if (child_writes(p))
        for (int i = 0; i < WORDS; i++) a[p * WORDS + i] = kid(p, i);
    for (int p = 0; p < PAGES; p++) {
      bad += differ(a, p, child_writes(p) ? kid : orig);
      for (int i = 0; i < WORDS; i++) h = mix(h, a[p * WORDS + i]);
    }
    exit(bad ? 1 : fold(h));
  }
  if (pid < 0) {
    printf("fork failed: %d\n", pid);
    return 1;
  }
  for (int p = 0; p < PAGES; p++)
    if (parent_writes(p))
      for (int i = 0; i < WORDS; i++) a[p * WORDS + i] = mom(p, i);

  int status = -1;
  int waited = wait(&status);
  unsigned h = 2166136261u;
  for (int p = 0; p < PAGES; p++)
    for (int i = 0; i < WORDS; i++) h = mix(h, child_writes(p) ? kid(p, i) : orig(p, i));
  int mine = 0, theirs = 0, neither = 0;
  for (int p = 0; p < PAGES; p++) {
    if (parent_writes(p)) mine += differ(a, p, mom);
    else if (child_writes(p)) theirs += differ(a, p, orig);
    else neither += differ(a, p, orig);
  }
  printf("child exited: %s, status %d (expected %d)\n", yes(waited != pid), WEXITSTATUS(status),
         fold(h));
  printf("parent sees its own writes (10 pages): %s\n", yes(mine));
  printf("parent does not see the child's writes (20 pages): %s\n", yes(theirs));
  printf("pages nobody wrote are unchanged (10 pages): %s\n", yes(neither));
  return waited == pid && status == fold(h) << 8 && !mine && !theirs && !neither ? 0 : 1;
}
