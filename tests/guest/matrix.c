/*
 * matrix.c: Table 9's matrix multiply run bare, from the PROM in kseg0 (no TLB, no kernel):
 * the baseline for the same code run as an ExOS process (unix/matrix.c). Prints two elements
 * and a checksum of the product.
 */
#include "prom.h"
#include "matmul.h"

#define N MATRIX_N

static int a[N * N], b[N * N], c[N * N];

int main(void) {
  matrix_fill(N, a, b);
  matmul(N, a, b, c);
  xprintf("matrix %dx%d: c[0][0] %d, c[%d][%d] %d, checksum %x\n", N, N, c[0], N - 1, N - 1,
          c[N * N - 1], matrix_checksum(N, c));
  return 0;
}
