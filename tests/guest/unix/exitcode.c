/* exitcode.c: prints nothing and returns 42 from main, which crt0.S passes to exit. */
#include "unix.h"

int main(void) { return 42; }
