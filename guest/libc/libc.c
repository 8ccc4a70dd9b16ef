/*
 * libc.c: the small C library of the UNIX personality programs (see unix.h): one wrapper per
 * UNIX call over the trap stub unix_call, the string and memory helpers gcc may call, a printf
 * that formats in the process and writes the text to fd 1 (dprintf to any fd), and malloc/free
 * on sbrk.
 */
#include "unix.h"

#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

void _exit(int status) {
  unix_call(SYS_EXIT, status, 0, 0);
  for (;;) {
  }
}

/* Nothing is buffered between printf calls, so exit has nothing to flush. */
void exit(int status) { _exit(status); }

int fork(void) { return unix_call(SYS_FORK, 0, 0, 0); }

int read(int fd, void *buf, size_t n) { return unix_call(SYS_READ, fd, (long)buf, n); }

int write(int fd, const void *buf, size_t n) { return unix_call(SYS_WRITE, fd, (long)buf, n); }

int wait(int *status) { return unix_call(SYS_WAIT, (long)status, 0, 0); }

int execv(const char *path, char *const argv[]) {
  return unix_call(SYS_EXEC, (long)path, (long)argv, 0);
}

void *sbrk(intptr_t increment) { return (void *)unix_call(SYS_SBRK, increment, 0, 0); }

int getpid(void) { return unix_call(SYS_GETPID, 0, 0, 0); }

int getppid(void) { return unix_call(SYS_GETPPID, 0, 0, 0); }

int open(const char *path, int flags) { return unix_call(SYS_OPEN, (long)path, flags, 0); }

int close(int fd) { return unix_call(SYS_CLOSE, fd, 0, 0); }

int pipe(int fds[2]) { return unix_call(SYS_PIPE, (long)fds, 0, 0); }

int dup2(int old, int new) { return unix_call(SYS_DUP2, old, new, 0); }

int kill(int pid, int sig) { return unix_call(SYS_KILL, pid, sig, 0); }

sighandler_t signal(int sig, sighandler_t handler) {
  return (sighandler_t)unix_call(SYS_SIGACTION, sig, (long)handler, 0);
}

int sigprocmask(int how, int mask) { return unix_call(SYS_SIGPROCMASK, how, mask, 0); }

int sigsuspend(int mask) { return unix_call(SYS_SIGSUSPEND, mask, 0, 0); }

int pause(void) { return sigsuspend(sigprocmask(SIG_BLOCK, 0)); }

int shmget(int key, size_t size, int flags) { return unix_call(SYS_SHMGET, key, size, flags); }

void *shmat(int id, const void *addr, int flags) {
  return (void *)unix_call(SYS_SHMAT, id, (long)addr, flags);
}

int shmdt(const void *addr) { return unix_call(SYS_SHMDT, (long)addr, 0, 0); }

int nanosleep(unsigned seconds, unsigned nanoseconds) {
  return unix_call(SYS_SLEEP, seconds, nanoseconds, 0);
}

int sleep(unsigned seconds) { return nanosleep(seconds, 0); }

int procs(struct procinfo *buf, int n) { return unix_call(SYS_PROCS, (long)buf, n, 0); }

int socket(int domain, int type, int protocol) {
  return unix_call(SYS_SOCKET, domain, type, protocol);
}

int bind(int fd, const struct sockaddr *addr, socklen_t size) {
  return unix_call(SYS_BIND, fd, (long)addr, size);
}

int sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
           socklen_t size) {
  long args[5] = {(long)buf, (long)len, flags, (long)to, (long)size};
  return unix_call(SYS_SENDTO, fd, (long)args, 0);
}

int recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *size) {
  long args[5] = {(long)buf, (long)len, flags, (long)from, (long)size};
  return unix_call(SYS_RECVFROM, fd, (long)args, 0);
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t size) {
  long args[4] = {level, name, (long)value, (long)size};
  return unix_call(SYS_SETSOCKOPT, fd, (long)args, 0);
}

unsigned short htons(unsigned short v) { return (unsigned short)((v << 8) | (v >> 8)); }

unsigned htonl(unsigned v) {
  return (v << 24) | ((v << 8) & 0xff0000) | ((v >> 8) & 0xff00) | (v >> 24);
}

int atoi(const char *s) {
  int v = 0, neg = *s == '-';
  if (neg) s++;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

int inet_aton(const char *s, struct in_addr *a) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned part = 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') part = part * 10 + (*s++ - '0');
    if (part > 255 || (i < 3 && *s++ != '.')) return 0;
    v = (v << 8) | part;
  }
  if (*s != 0) return 0;
  a->s_addr = htonl(v);
  return 1;
}

NO_LIBCALLS size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++)
    if (*a != *b || *a == 0) return (unsigned char)*a - (unsigned char)*b;
  return 0;
}

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char *)s;
    if (*s == 0) return 0;
  }
}

NO_LIBCALLS void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

NO_LIBCALLS void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

int putchar(int c) {
  char b = (char)c;
  return write(1, &b, 1) == 1 ? (unsigned char)c : -1;
}

int puts(const char *s) {
  if (write(1, s, strlen(s)) < 0 || write(1, "\n", 1) < 0) return -1;
  return 0;
}

/* printf's text is gathered here and written to ofd when full and when printf returns. */
static char obuf[128];
static int olen, ototal, ofd;

static void flush(void) {
  if (olen > 0) write(ofd, obuf, olen);
  olen = 0;
}

static void out(char c) {
  if (olen == sizeof obuf) flush();
  obuf[olen++] = c;
  ototal++;
}

/* Emit s (n bytes) padded to width; the sign goes before zero padding. */
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

static int format(int fd, const char *fmt, __builtin_va_list ap) {
  ofd = fd;
  ototal = 0;
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
      field("", s, strlen(s), width, left, 0);
      break;
    }
    case 'c':
      digits[0] = (char)__builtin_va_arg(ap, int);
      field("", digits, 1, width, left, 0);
      break;
    case '%':
      out('%');
      break;
    default: /* an unknown conversion prints as it stands */
      out('%');
      if (*fmt == 0) fmt--;
      else out(*fmt);
    }
  }
  flush();
  return ototal;
}

int printf(const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  int n = format(1, fmt, ap);
  __builtin_va_end(ap);
  return n;
}

int dprintf(int fd, const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  int n = format(fd, fmt, ap);
  __builtin_va_end(ap);
  return n;
}

/* A block handed out by malloc: its usable size, then (while free) the next free block. */
struct block {
  size_t size;
  struct block *next;
};

static struct block *free_list;

void *malloc(size_t n) {
  n = (n + 7) & ~(size_t)7;
  for (struct block **pp = &free_list, *b; (b = *pp) != 0; pp = &b->next)
    if (b->size >= n) {
      *pp = b->next;
      return b + 1;
    }
  char *brk = sbrk(0); /* keep blocks 8-byte aligned whatever the initial break */
  if (UNIX_FAILED(brk) || UNIX_FAILED(sbrk(-(intptr_t)brk & 7))) return 0;
  struct block *b = sbrk(sizeof *b + n);
  if (UNIX_FAILED(b)) return 0;
  b->size = n;
  return b + 1;
}

void free(void *p) {
  if (p == 0) return;
  struct block *b = (struct block *)p - 1;
  b->next = free_list;
  free_list = b;
}
