/* spin.c: a busy process: it computes forever and never blocks (Figure 2's load). */
#include "unix.h"

int main(void) {
  volatile unsigned n = 0;
  for (;;) n++;
}
