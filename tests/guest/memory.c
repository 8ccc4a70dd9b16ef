/*
 * memory.c: loads and stores of every width, sign and zero extension, arrays of structs,
 * initialised data and .bss, a packed struct whose fields sit at odd addresses (gcc emits
 * lwl/lwr and swl/swr for them), a byte-wise copy between unaligned buffers, and a checksum of
 * the lot. Pointers go through a volatile variable so the accesses really happen.
 */
#include "prom.h"

struct rec {
  unsigned char tag;
  short delta;
  int value;
  unsigned short flags;
};

struct __attribute__((packed)) packed {
  unsigned char a;
  unsigned int b; /* at offset 1 */
  unsigned short c; /* at offset 5 */
  unsigned int d; /* at offset 7 */
};

static const unsigned char init[16] = {0x80, 0x7f, 0xff, 0x01, 0x34, 0x12, 0xcd, 0xab,
                                       0x00, 0x80, 0xff, 0xff, 0x78, 0x56, 0x34, 0x12};
static int counts[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static unsigned char zeros[333];
static struct rec recs[20];
static struct packed pk[3];
static unsigned char src[300], dst[300];
static void *volatile opaque;

/* Fletcher-32 over n bytes taken as little-endian halfwords. */
static unsigned fletcher(const unsigned char *p, unsigned n) {
  unsigned s1 = 0xffff, s2 = 0xffff;
  for (unsigned i = 0; i + 1 < n; i += 2) {
    s1 = (s1 + (p[i] | p[i + 1] << 8)) % 65535;
    s2 = (s2 + s1) % 65535;
  }
  return s2 << 16 | s1;
}

static void widths(void) {
  const unsigned char *b = opaque = (void *)init;
  const signed char *sb = (const signed char *)b;
  const unsigned short *h = (const unsigned short *)b;
  const short *sh = (const short *)b;
  const int *w = (const int *)b;
  for (int i = 0; i < 4; i++)
    xprintf("byte %d: lb %d lbu %u  half %d: lh %d lhu %u  word %d: lw %08x\n", i, sb[i], b[i], i,
            sh[i], h[i], i, (unsigned)w[i]);
  unsigned char buf[8];
  unsigned char *p = opaque = buf;
  *(unsigned *)p = 0x11223344;
  *(unsigned *)(p + 4) = 0x55667788;
  p[1] = 0xaa;
  *(unsigned short *)(p + 6) = 0xbbcc;
  xprintf("stores: %x %x %x %x %x %x %x %x\n", p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

static void data_and_bss(void) {
  int sum = 0, nz = 0;
  for (int i = 0; i < 8; i++) sum += counts[i];
  for (unsigned i = 0; i < sizeof zeros; i++) nz += zeros[i] != 0;
  xprintf("data sum %d, bss nonzero bytes %d\n", sum, nz);
}

static void structs(void) {
  struct rec *r = opaque = recs;
  for (int i = 0; i < 20; i++) {
    r[i].tag = (unsigned char)(i * 37);
    r[i].delta = (short)(i * -1111);
    r[i].value = i * 0x01010101 - 5;
    r[i].flags = (unsigned short)(0xffff - i * 4099);
  }
  int sum = 0;
  for (int i = 0; i < 20; i++) sum += r[i].tag + r[i].delta + r[i].value + r[i].flags;
  xprintf("struct size %u, rec[7] %u %d %d %u, sum %d\n", (unsigned)sizeof(struct rec), r[7].tag,
          r[7].delta, r[7].value, r[7].flags, sum);
  xprintf("recs checksum %08x\n", fletcher((const unsigned char *)r, sizeof recs));
}

static void packed_fields(void) {
  struct packed *q = opaque = pk;
  for (int i = 0; i < 3; i++) {
    q[i].a = (unsigned char)(0xa0 + i);
    q[i].b = 0xdeadbeef + i;
    q[i].c = (unsigned short)(0x1234 * (i + 1));
    q[i].d = 0x01020304u << i;
  }
  unsigned char *raw = (unsigned char *)q;
  xprintf("packed size %u, bytes:", (unsigned)sizeof(struct packed));
  for (unsigned i = 0; i < sizeof pk; i++) xprintf(" %02x", raw[i]);
  xprintf("\npacked[2] %x %08x %x %08x\n", q[2].a, q[2].b, q[2].c, q[2].d);
}

static void unaligned_copy(void) {
  for (int i = 0; i < 300; i++) src[i] = (unsigned char)(i * 7 + 3);
  unsigned char *s = opaque = src, *d = dst;
  for (int so = 0; so < 4; so++) {
    for (int dof = 0; dof < 4; dof++) {
      for (int i = 0; i < 300; i++) dst[i] = 0;
      for (int i = 0; i < 250; i++) d[dof + i] = s[so + i];
      xprintf("copy src+%d to dst+%d: %08x", so, dof, fletcher(d, 300));
      xprintf(dof == 3 ? "\n" : "  ");
    }
  }
}

int main(void) {
  widths();
  data_and_bss();
  structs();
  packed_fields();
  unaligned_copy();
  unsigned all = fletcher(init, 16) ^ fletcher((const unsigned char *)recs, sizeof recs) ^
                 fletcher((const unsigned char *)pk, sizeof pk) ^ fletcher(dst, 300);
  xprintf("checksum %08x\n", all);
  return 0;
}
