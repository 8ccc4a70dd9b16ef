/*
 * matmul.h: the paper's Table 9 workload, a 150x150 integer matrix multiply, shared by the bare
 * program (matrix.c, run from the PROM) and the UNIX one (unix/matrix.c, run as an ExOS process).
 * Both link the same matmul.c, compiled the same way, so the code timed is the same instructions.
 * MATRIX_N can be set with -D (build.ts's long variant, out/long/matrix.elf, is 360x360).
 */
#ifndef MATMUL_H
#define MATMUL_H

#ifndef MATRIX_N
#define MATRIX_N 150
#endif

/* Fills a and b (n x n, row-major) with small values that depend only on the position. */
void matrix_fill(int n, int *a, int *b);

/* c = a * b for n x n integer matrices, row-major: the part Table 9 times. */
void matmul(int n, const int *a, const int *b, int *c);

/* A checksum of c: h = h * 31 + c[i], over every element, unsigned. */
unsigned matrix_checksum(int n, const int *c);

#endif
