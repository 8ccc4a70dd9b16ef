/*
 * echo: writes its arguments to fd 1, separated by spaces, then a newline (none with -n).
 * Exits 0, or 1 when the write fails (a pipe with no reader, say).
 */
#include "unix.h"

int main(int argc, char **argv) {
  int i = 1, newline = 1;
  if (argc > 1 && strcmp(argv[1], "-n") == 0) newline = 0, i = 2;
  int ok = 1;
  for (int first = i; i < argc; i++) {
    if (i > first && write(1, " ", 1) != 1) ok = 0;
    size_t n = strlen(argv[i]);
    if (write(1, argv[i], n) != (int)n) ok = 0;
  }
  if (newline && write(1, "\n", 1) != 1) ok = 0;
  return ok ? 0 : 1;
}
