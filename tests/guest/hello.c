/* hello.c: the smallest program: one line through the PROM's printf, one through its puts. */
#include "prom.h"

int main(void) {
  prom_printf("Hello from a bare DECstation program: %s %d %x\n", "text", 42, 0xcafe);
  prom_puts("puts adds the newline");
  return 0;
}
