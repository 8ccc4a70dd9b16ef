/*
 * sleep SECONDS: waits that long in emulated time (decimals allowed: sleep 0.25). Exits 0, or 1
 * for a bad argument; a signal that ends it ends it.
 */
#include "unix.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    dprintf(2, "sleep: give one duration in seconds (sleep 1, sleep 0.5)\n");
    return 1;
  }
  unsigned s = 0, ns = 0, scale = 100000000;
  const char *p = argv[1];
  int digits = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) s = s * 10 + (*p - '0');
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, digits++, scale /= 10) ns += (*p - '0') * scale;
  if (*p != 0 || digits == 0) {
    dprintf(2, "sleep: %s is not a number of seconds\n", argv[1]);
    return 1;
  }
  return nanosleep(s, ns) == 0 ? 0 : 1;
}
