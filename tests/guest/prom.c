/*
 * prom.c: calls into the REX callback vector, a guest-side printf and the two memory helpers
 * gcc may call even in a freestanding program. See prom.h.
 */
#include "prom.h"

#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

int prom_puts(const char *s) { return ((int (*)(const char *))REX_ENTRY(REX_PUTS))(s); }

int prom_getchar(void) { return ((int (*)(void))REX_ENTRY(REX_GETCHAR))(); }

int prom_getsysid(void) { return ((int (*)(void))REX_ENTRY(REX_GETSYSID))(); }

int prom_getbitmap(struct prom_memmap *map) {
  return ((int (*)(struct prom_memmap *))REX_ENTRY(REX_GETBITMAP))(map);
}

void prom_halt(void) {
  ((void (*)(int *, int))REX_ENTRY(REX_HALT))(0, 0);
  for (;;) {
  }
}

NO_LIBCALLS void *memcpy(void *dst, const void *src, unsigned n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

NO_LIBCALLS void *memset(void *dst, int c, unsigned n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

/* Output of xprintf is gathered here and handed to the PROM as one "%s" argument. */
static char obuf[128];
static int olen;

static void flush(void) {
  if (olen == 0) return;
  obuf[olen] = 0;
  prom_printf("%s", obuf);
  olen = 0;
}

static void out(char c) {
  if (olen == sizeof obuf - 1) flush();
  obuf[olen++] = c;
}

/* Emit s (n bytes) padded to width; sign goes before zero padding. */
static void field(const char *sign, const char *s, int n, int width, int left, int zero) {
  int pad = width - n - (*sign != 0);
  if (!left && !zero)
    for (; pad > 0; pad--) out(' ');
  while (*sign) out(*sign++);
  if (!left && zero)
    for (; pad > 0; pad--) out('0');
  while (n--) out(*s++);
  for (; pad > 0; pad--) out(' ');
}

int xprintf(const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      out(*fmt);
      continue;
    }
    int left = 0, zero = 0, width = 0;
    fmt++;
    if (*fmt == '-') left = 1, fmt++;
    if (*fmt == '0') zero = 1, fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    char digits[12], *p = digits + sizeof digits;
    const char *sign = "";
    unsigned u, base = 10;
    switch (*fmt) {
    case 'd': {
      int v = __builtin_va_arg(ap, int);
      u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
      if (v < 0) sign = "-";
      goto number;
    }
    case 'x':
      base = 16;
      /* fall through */
    case 'u':
      u = __builtin_va_arg(ap, unsigned);
    number:
      do *--p = "0123456789abcdef"[u % base];
      while ((u /= base) != 0);
      field(sign, p, digits + sizeof digits - p, width, left, zero);
      break;
    case 's': {
      const char *s = __builtin_va_arg(ap, const char *);
      int n = 0;
      while (s[n]) n++;
      field("", s, n, width, left, 0);
      break;
    }
    case 'c':
      digits[0] = (char)__builtin_va_arg(ap, int);
      field("", digits, 1, width, left, 0);
      break;
    case '%':
      out('%');
      break;
    default: /* unknown conversion: print it as it stands */
      out('%');
      if (*fmt == 0) fmt--;
      else out(*fmt);
    }
  }
  __builtin_va_end(ap);
  flush();
  return 0;
}
