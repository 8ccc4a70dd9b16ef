/* hello.c: the smallest UNIX process: one printf with its pid (the first process is pid 1). */
#include "unix.h"

int main(void) {
  printf("hello from pid %d\n", getpid());
  return 0;
}
