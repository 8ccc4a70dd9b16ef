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
 *
 * Sockets (UDP, and ICMP echo as Linux's "ping sockets"), on a machine ExOS gave an address.
 * Descriptors count from 64. The calls with more than three arguments take a pointer to a block
 * of words instead (the libc wrappers build it on their stack):
 *   SOCKET     97  a0 = AF_INET, a1 = SOCK_DGRAM, a2 = 0 or IPPROTO_UDP (UDP), IPPROTO_ICMP
 *                  (echo: sendto takes an ICMP echo request, whose identifier ExOS sets and
 *                  whose checksum it computes; recvfrom returns the echo replies to it, ICMP
 *                  header included); v0 = the descriptor; -97 EAFNOSUPPORT, -93 EPROTONOSUPPORT
 *   BIND      104  a0 = fd, a1 = struct sockaddr_in *, a2 = its size; port 0 picks one; -98
 *                  EADDRINUSE when a socket (here or on the machine) has it
 *   SETSOCKOPT 105 a0 = fd, a1 = {level, name, value *, size}; SOL_SOCKET's SO_RCVTIMEO (a
 *                  struct timeval: recvfrom gives up with -11 EAGAIN after it, measured on the
 *                  slice clock) and ExOS's SO_EXOS_PINGPONG (an int limit: the socket's
 *                  datagrams are answered in the kernel, their leading big-endian counter
 *                  incremented, until the counter reaches the limit; see exos/net/ash.ts)
 *   RECVFROM  125  a0 = fd, a1 = {buf, len, flags, struct sockaddr_in *from, socklen_t *size};
 *                  blocks (the process keeps its turn in the round robin) until a datagram
 *                  comes; v0 = its bytes (cut to len); the sender's address to *from
 *   SENDTO    133  a0 = fd, a1 = {buf, len, flags, struct sockaddr_in *to, socklen_t size};
 *                  an unbound socket gets a port; waits while the next hop's address is
 *                  resolved (ARP); v0 = len; -90 EMSGSIZE past 1472 bytes (ExOS does not
 *                  fragment), -113 EHOSTUNREACH when ARP gets no answer
 *   CLOSE       6  a0 = fd; -9 EBADF for no socket
 * Without a network every socket call but CLOSE returns -100 ENETDOWN.
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
#define SYS_CLOSE 6
#define SYS_SOCKET 97
#define SYS_BIND 104
#define SYS_SETSOCKOPT 105
#define SYS_RECVFROM 125
#define SYS_SENDTO 133

#define ENOENT 2
#define EBADF 9
#define ECHILD 10
#define ENOMEM 12
#define EINVAL 22
#define EAGAIN 11
#define EMSGSIZE 90
#define EADDRINUSE 98
#define ENETDOWN 100
#define EHOSTUNREACH 113

#define AF_INET 2
#define SOCK_DGRAM 2
#define IPPROTO_ICMP 1
#define IPPROTO_UDP 17
#define SOL_SOCKET 0xffff
#define SO_RCVTIMEO 0x1006
#define SO_EXOS_PINGPONG 0x8001

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

/* Sockets. Addresses and ports are in network order (big-endian) in a sockaddr_in. */
typedef unsigned socklen_t;
struct in_addr {
  unsigned s_addr;
};
struct sockaddr {
  unsigned short sa_family;
  char sa_data[14];
};
struct sockaddr_in {
  unsigned short sin_family;
  unsigned short sin_port;
  struct in_addr sin_addr;
  unsigned char sin_zero[8];
};
struct timeval {
  long tv_sec;
  long tv_usec;
};

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t size);
int sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
           socklen_t size);
int recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *size);
int setsockopt(int fd, int level, int name, const void *value, socklen_t size);
int close(int fd);

/* Byte order (this machine is little-endian), "10.0.2.15" to an address, and decimal digits. */
unsigned short htons(unsigned short v);
unsigned htonl(unsigned v);
#define ntohs htons
#define ntohl htonl
int inet_aton(const char *s, struct in_addr *a);
int atoi(const char *s);

#endif /* __ASSEMBLER__ */
#endif
