/* badexec.c: execv of a path that does not exist returns -2 (ENOENT); the process goes on. */
#include "unix.h"

int main(void) {
  char *argv[] = {"missing", 0};
  int r = execv("/no/such/program", argv);
  printf("execv /no/such/program returned %d\n", r);
  return 3;
}
