/*
 * host.c: the UNIX personality on x86-64 Linux, to cross-check expected/ without ExOS.
 *
 * Not part of the guest build. `deno task guest --host` compiles each program with libc.c and
 * this file (in place of crt0.S) for the host, runs it, and compares its output and exit status
 * with what expected/ and build.ts say. unix_call maps each UNIX call onto the Linux system call
 * of the same meaning; Linux also returns a negative errno and stores (status & 0xff) << 8 for
 * wait. Pids are shifted so that the first process is pid 1, and the break may grow at most
 * 64 MB, so an absurd sbrk fails with ENOMEM as it does on ExOS.
 */
#include "unix.h"

/* Linux x86-64 system call n with four arguments. */
static long linux_call(long n, long a, long b, long c, long d) {
  register long r10 __asm__("r10") = d;
  long r;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return r;
}

enum { L_READ = 0, L_WRITE = 1, L_BRK = 12, L_GETPID = 39, L_FORK = 57, L_EXECVE = 59 };
enum { L_WAIT4 = 61, L_EXIT_GROUP = 231 };

static long pid_base;   /* the first process's Linux pid, minus 1 */
static long heap_start; /* the initial Linux break */

long unix_call(long n, long a, long b, long c) {
  long r;
  switch (n) {
  case SYS_EXIT:
    for (;;) linux_call(L_EXIT_GROUP, a & 0xff, 0, 0, 0);
  case SYS_FORK:
    r = linux_call(L_FORK, 0, 0, 0, 0);
    return r > 0 ? r - pid_base : r;
  case SYS_READ:
    return linux_call(L_READ, a, b, c, 0);
  case SYS_WRITE:
    return linux_call(L_WRITE, a, b, c, 0);
  case SYS_WAIT:
    r = linux_call(L_WAIT4, -1, a, 0, 0);
    return r > 0 ? r - pid_base : r;
  case SYS_EXEC:
    return linux_call(L_EXECVE, a, b, 0, 0);
  case SYS_SBRK:
    r = linux_call(L_BRK, 0, 0, 0, 0);
    if (heap_start == 0) heap_start = r;
    if (r + a < heap_start || r + a > heap_start + (64 << 20)) return -ENOMEM;
    if (a != 0 && linux_call(L_BRK, r + a, 0, 0, 0) != r + a) return -ENOMEM;
    return r;
  case SYS_GETPID:
    return linux_call(L_GETPID, 0, 0, 0, 0) - pid_base;
  }
  return -EINVAL;
}

int main(int argc, char **argv, char **envp);

/* Called by _start with Linux's initial stack decoded; plays crt0.S's part. */
void host_start(int argc, char **argv, char **envp) {
  pid_base = linux_call(L_GETPID, 0, 0, 0, 0) - 1;
  exit(main(argc, argv, envp));
}

__asm__(".globl _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov (%rsp), %rdi\n"            /* argc */
        "  lea 8(%rsp), %rsi\n"           /* argv */
        "  lea 8(%rsi,%rdi,8), %rdx\n"    /* envp, after argv's null */
        "  and $-16, %rsp\n"
        "  call host_start\n"
        "  hlt\n");
