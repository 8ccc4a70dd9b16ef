/*
 * readline.c: reads the console (fd 0) until a newline, whatever the size of each read's chunk,
 * and writes the line back to fd 1 unchanged. Exits 0, or 1 when the input ends (or fails)
 * before a newline, after writing what it got.
 */
#include "unix.h"

static char line[256];

int main(void) {
  int n = 0;
  while (n < (int)sizeof line) {
    int r = read(0, line + n, sizeof line - n);
    if (r <= 0) break;
    for (int end = n + r; n < end; n++)
      if (line[n] == '\n') {
        write(1, line, n + 1);
        return 0;
      }
  }
  write(1, line, n);
  return 1;
}
