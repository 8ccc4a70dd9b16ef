/*
 * matrix.c: Table 9's matrix multiply as an ExOS process: the same matmul.c as the bare
 * program (../matrix.c), its matrices in .bss, demand-mapped by ExOS's page table. Prints what
 * the bare program prints.
 */
#include "unix.h"
#include "../matmul.h"

#define N MATRIX_N

static int a[N * N], b[N * N], c[N * N];

int main(void) {
  matrix_fill(N, a, b);
  matmul(N, a, b, c);
  printf("matrix %dx%d: c[0][0] %d, c[%d][%d] %d, checksum %x\n", N, N, c[0], N - 1, N - 1,
         c[N * N - 1], matrix_checksum(N, c));
  return 0;
}
