/*
 * wc [-l] [-w] [-c]: counts the lines, words and bytes of its standard input (all three when no
 * option is given) and prints them in that order. One count prints alone ("2"); several print
 * right-aligned in 7 columns separated by a space, as GNU wc does for its standard input.
 */
#include "unix.h"

static char buf[512];

int main(int argc, char **argv) {
  int lines = 0, words = 0, bytes = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || argv[i][1] == 0) {
      dprintf(2, "wc: %s: there is no file system yet; wc counts its standard input\n", argv[i]);
      return 1;
    }
    for (char *o = argv[i] + 1; *o; o++) {
      if (*o == 'l') lines = 1;
      else if (*o == 'w') words = 1;
      else if (*o == 'c') bytes = 1;
      else {
        dprintf(2, "wc: unknown option -%c: use -l, -w or -c\n", *o);
        return 1;
      }
    }
  }
  if (!lines && !words && !bytes) lines = words = bytes = 1;
  int nl = 0, nw = 0, nc = 0, inword = 0;
  for (;;) {
    int n = read(0, buf, sizeof buf);
    if (n < 0) {
      dprintf(2, "wc: read failed with %d\n", n);
      return 1;
    }
    if (n == 0) break;
    nc += n;
    for (int i = 0; i < n; i++) {
      char c = buf[i];
      if (c == '\n') nl++;
      int space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
      if (space) inword = 0;
      else if (!inword) inword = 1, nw++;
    }
  }
  int counts[3], shown = 0;
  if (lines) counts[shown++] = nl;
  if (words) counts[shown++] = nw;
  if (bytes) counts[shown++] = nc;
  if (shown == 1) printf("%d\n", counts[0]);
  else {
    for (int i = 0; i < shown; i++) printf(i == 0 ? "%7d" : " %7d", counts[i]);
    printf("\n");
  }
  return 0;
}
