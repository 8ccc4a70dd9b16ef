/*
 * matmul.c: the multiply Table 9 times, with its fill and checksum (matmul.h). No static data
 * and no calls: the caller passes the matrices, so the code is the same wherever it is linked.
 */
#include "matmul.h"

void matrix_fill(int n, int *a, int *b) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      a[i * n + j] = (i + 2 * j) % 7 - 3;
      b[i * n + j] = (3 * i + j) % 5 - 2;
    }
}

void matmul(int n, const int *a, const int *b, int *c) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int sum = 0;
      for (int k = 0; k < n; k++) sum += a[i * n + k] * b[k * n + j];
      c[i * n + j] = sum;
    }
}

unsigned matrix_checksum(int n, const int *c) {
  unsigned h = 0;
  for (int i = 0; i < n * n; i++) h = h * 31 + (unsigned)c[i];
  return h;
}
