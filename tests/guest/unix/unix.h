/*
 * unix.h: the UNIX personality ABI between guest C programs and ExOS, and the tiny libc that
 * the programs of tests/guest/unix link against (crt0.S, libc.c).
 *
 * ExOS (exos/) runs an ELF program as a UNIX-like process in user mode. This comment is the
 * contract; ExOS implements the same.
 *
 * Entry. ExOS loads each PT_LOAD segment at its vaddr (ld.script links at 0x00400000), zero-fills
 * the part of a segment beyond its file size (.bss; crt0.S does not clear it), and enters
 * __start (the ELF entry) in user mode with
 *   sp = 16-byte aligned, below 0x7fe00000; crt0.S reserves the 16-byte o32 argument area below
 *        it, so everything at sp and above (argv's strings, say) is left alone
 *   a0 = argc, a1 = argv (argc pointers then a null pointer, strings included, all in the
 *        process's memory), a2 = envp (a null-terminated pointer array, or 0)
 * The initial break (sbrk(0)) lies at or above _end, the end of .bss; memory obtained from sbrk
 * reads as zero, also after a shrink and a regrow.
 *
 * A call. v0 = the call number, a0..a2 = the arguments, then the instruction word UNIX_TRAP,
 * 0x000f000d: BREAK with 0xf in bits 25:16 and 0 in bits 15:6 (GNU as and objdump write it
 * `break 0xf`; read as one 20-bit code in bits 25:6 it is 0x3c00). ExOS's breakpoint (Bp)
 * handler compares the whole word at EPC with UNIX_TRAP, so any other break (gcc's `break 7`
 * for a division by zero, say) stays a fault. It performs the call and resumes at EPC + 4
 * (the trap is never in a delay slot) with v0 = the result: a value >= 0, or a negative errno
 * on failure (-9 EBADF, -12 ENOMEM, ...). v1, at and t0..t9 may be clobbered (like a function
 * call); every other register, sp and ra included, is preserved. The trap sits in unix_call
 * (crt0.S), a real function the compiler calls, so the compiler already treats all of those as
 * clobbered:
 *
 *   unix_call:  move  v0, a0        # v0 = n
 *               move  a0, a1        # a0..a2 = the call's arguments
 *               move  a1, a2
 *               move  a2, a3
 *               .word 0x000f000d    # UNIX_TRAP: BREAK, bits 25:16 = 0xf, bits 15:6 = 0
 *               jr    ra            # ExOS resumes here
 *               nop
 *
 * Calls (the libc wrappers return the raw result: there is no errno variable and no -1):
 *   EXIT    1  a0 = status; never returns; the parent's wait sees (status & 0xff) << 8
 *   FORK    2  v0 = the child's pid in the parent, 0 in the child (a copy: copy-on-write)
 *   READ    3  a0 = fd, a1 = buf, a2 = n; v0 = bytes read (0 at end of input); fd 0 is the
 *              console input, read raw: no echo, no line editing, "\n" arrives as "\n"
 *   WRITE   4  a0 = fd, a1 = buf, a2 = n; v0 = bytes written; fd 1 and 2 go to the console,
 *              byte for byte ("\n" is not turned into "\r\n")
 *   WAIT    7  a0 = pointer to an int status, or 0; blocks until a child exits; v0 = its pid,
 *              -10 ECHILD when the caller has no child left
 *   EXEC   11  a0 = path of an ELF, a1 = argv; replaces the process, keeping its pid; returns
 *              only on failure (-2 ENOENT when the path does not exist)
 *   SBRK   17  a0 = increment in bytes (negative shrinks); v0 = the old break, -12 ENOMEM
 *   GETPID 20  v0 = the caller's pid; the first process is pid 1
 * An unknown number returns -22 EINVAL.
 */
#ifndef UNIX_H
#define UNIX_H

/* The trap instruction word of a UNIX call (BREAK with code bits 25:16 = 0xf). */
#define UNIX_TRAP 0x000f000d

#define SYS_EXIT 1
#define SYS_FORK 2
#define SYS_READ 3
#define SYS_WRITE 4
#define SYS_WAIT 7
#define SYS_EXEC 11
#define SYS_SBRK 17
#define SYS_GETPID 20

#define ENOENT 2
#define EBADF 9
#define ECHILD 10
#define ENOMEM 12
#define EINVAL 22

#ifndef __ASSEMBLER__

/* The exit status inside a status stored by wait. */
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)

/* True when a call's result (an int, or a pointer from sbrk) is a negative errno. */
#define UNIX_FAILED(r) ((unsigned long)(r) >= (unsigned long)-4095)

typedef __SIZE_TYPE__ size_t;
typedef __INTPTR_TYPE__ intptr_t;

/* The trap stub (crt0.S): call number n with arguments a, b, c; returns v0. */
long unix_call(long n, long a, long b, long c);

void _exit(int status) __attribute__((noreturn));
void exit(int status) __attribute__((noreturn));
int fork(void);
int read(int fd, void *buf, size_t n);
int write(int fd, const void *buf, size_t n);
int wait(int *status);
int execv(const char *path, char *const argv[]);
void *sbrk(intptr_t increment);
int getpid(void);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/* printf formatted in the process: %d %u %x %s %c %%, flags '-' and '0', a width; writes fd 1. */
int printf(const char *fmt, ...);
int putchar(int c);
int puts(const char *s);

/* A first-fit allocator on sbrk; malloc returns 0 when sbrk fails. */
void *malloc(size_t n);
void free(void *p);

#endif /* __ASSEMBLER__ */
#endif
