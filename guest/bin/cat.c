/*
 * cat: copies fd 0 to fd 1 until the end of its input. There is no file system yet, so a file
 * name other than "-" (stdin) is an error: cat says so on fd 2 and exits 1.
 */
#include "unix.h"

static char buf[512];

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-") != 0) {
      dprintf(2, "cat: %s: there is no file system yet; cat copies its standard input\n",
              argv[i]);
      return 1;
    }
  for (;;) {
    int n = read(0, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      dprintf(2, "cat: read failed with %d\n", n);
      return 1;
    }
    for (int done = 0; done < n;) {
      int w = write(1, buf + done, n - done);
      if (w <= 0) return 1;
      done += w;
    }
  }
}
