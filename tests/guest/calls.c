/*
 * calls.c: the o32 calling convention under load: deep recursion (Fibonacci, Ackermann), calls
 * through function pointers, a quicksort written here that compares through a callback, more
 * than four arguments (the rest on the stack), structs passed and returned by value, and a
 * variadic function of our own.
 */
#include "prom.h"

#define NOINLINE __attribute__((noipa))

static NOINLINE int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static NOINLINE unsigned ack(unsigned m, unsigned n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
static int quo(int a, int b) { return a / b; }

static int (*volatile ops[])(int, int) = {add, sub, mul, quo};
static const char names[] = "+-*/";

static int ascending(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int descending_unsigned(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return (x < y) - (x > y);
}

static void swap(int *a, int *b) {
  int t = *a;
  *a = *b;
  *b = t;
}

/* Quicksort of n ints, Lomuto partition around the middle element. */
static NOINLINE void sort(int *v, int n, int (*cmp)(const void *, const void *)) {
  if (n < 2) return;
  swap(&v[n / 2], &v[n - 1]);
  int store = 0;
  for (int i = 0; i < n - 1; i++)
    if (cmp(&v[i], &v[n - 1]) < 0) swap(&v[i], &v[store++]);
  swap(&v[store], &v[n - 1]);
  sort(v, store, cmp);
  sort(v + store + 1, n - store - 1, cmp);
}

static NOINLINE int many(int a, int b, int c, int d, int e, int f, int g, int h, int i) {
  return a - b + c * 2 - d * 3 + e * 5 - f * 7 + g * 11 - h * 13 + i * 17;
}

struct point {
  int x, y;
  short tag;
};

static NOINLINE struct point move(struct point p, int dx, struct point q) {
  struct point r = {p.x + dx + q.x, p.y - q.y, (short)(p.tag ^ q.tag)};
  return r;
}

static NOINLINE int sum(int count, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, count);
  int s = 0;
  for (int i = 0; i < count; i++) s = s * 3 + __builtin_va_arg(ap, int);
  __builtin_va_end(ap);
  return s;
}

static int data[200];

static unsigned checksum(const int *v, int n) {
  unsigned h = 2166136261u;
  for (int i = 0; i < n; i++) h = (h ^ (unsigned)v[i]) * 16777619u;
  return h;
}

int main(void) {
  for (int n = 0; n <= 24; n += 4) xprintf("fib(%d) = %d\n", n, fib(n));
  for (unsigned m = 0; m <= 3; m++)
    for (unsigned n = 0; n <= 3; n++) xprintf("ack(%u,%u) = %u%s", m, n, ack(m, n), n == 3 ? "\n" : "  ");
  for (int k = 0; k < 4; k++) xprintf("1000 %c 7 = %d\n", names[k], ops[k](1000, 7));
  unsigned seed = 12345;
  for (int i = 0; i < 200; i++) {
    seed = seed * 1103515245u + 12345u;
    data[i] = (int)(seed >> 8) - (1 << 23);
  }
  sort(data, 200, ascending);
  int ok = 1;
  for (int i = 1; i < 200; i++) ok &= data[i - 1] <= data[i];
  xprintf("sorted ascending: %d, min %d, max %d, hash %08x\n", ok, data[0], data[199],
          checksum(data, 200));
  sort(data, 200, descending_unsigned);
  ok = 1;
  for (int i = 1; i < 200; i++) ok &= (unsigned)data[i - 1] >= (unsigned)data[i];
  xprintf("sorted descending unsigned: %d, first %x, last %x, hash %08x\n", ok, data[0], data[199],
          checksum(data, 200));
  xprintf("many = %d\n", many(1, 2, 3, 4, 5, 6, 7, 8, 9));
  struct point p = {10, 20, 0x5a}, q = {-3, 4, 0x0f};
  struct point r = move(p, 100, q);
  xprintf("move = (%d, %d, %x)\n", r.x, r.y, r.tag);
  xprintf("sum = %d %d %d\n", sum(0), sum(3, 1, 2, 3), sum(8, 1, -2, 3, -4, 5, -6, 7, -8));
  return 0;
}
