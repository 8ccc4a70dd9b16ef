/*
 * unix.h: the UNIX personality ABI between guest C programs and ExOS, and the tiny libc that
 * the /bin programs (guest/bin) and the test programs (tests/guest/unix) link against (crt0.S,
 * libc.c).
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
 * on failure (-9 EBADF, -12 ENOMEM, ...). v1, at, t0..t9, hi and lo may be clobbered (like a
 * function call); every other register, sp and ra included, is preserved. The trap sits in unix_call
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
 *   FORK    2  v0 = the child's pid in the parent, 0 in the child (a copy: copy-on-write); the
 *              child shares the parent's open files (pipes keep one reader or writer more),
 *              signal actions and mask, and its shared-memory attachments
 *   READ    3  a0 = fd, a1 = buf, a2 = n; v0 = bytes read (0 at end of input, or from a pipe
 *              whose writers have all closed); fd 0 starts on the console input, read raw: no
 *              echo, no line editing, "\n" arrives as "\n". A read that has to wait (no input,
 *              an empty pipe) blocks; a signal caught meanwhile makes it return -4 EINTR
 *   WRITE   4  a0 = fd, a1 = buf, a2 = n; v0 = bytes written; fd 1 and 2 start on the console,
 *              byte for byte ("\n" is not turned into "\r\n"); a write to a pipe with no reader
 *              raises SIGPIPE and, if that does not end the process, returns -32 EPIPE
 *   OPEN    5  a0 = path, a1 = flags (O_RDONLY, O_WRONLY, O_RDWR); v0 = the lowest free fd.
 *              There is no file system yet: only "/dev/console" opens (-2 ENOENT otherwise)
 *   CLOSE   6  a0 = fd; 0, or -9 EBADF when fd is not open
 *   WAIT    7  a0 = pointer to an int status, or 0; blocks until a child exits; v0 = its pid,
 *              -10 ECHILD when the caller has no child left, -4 EINTR for a caught signal. The
 *              status is (exit status & 0xff) << 8, or the number of the signal that ended it
 *   EXEC   11  a0 = path of an ELF, a1 = argv; replaces the process, keeping its pid, its open
 *              files, its signal mask and ignored signals (caught ones go back to SIG_DFL);
 *              returns only on failure (-2 ENOENT when the path does not exist)
 *   SBRK   17  a0 = increment in bytes (negative shrinks); v0 = the old break, -12 ENOMEM
 *   GETPID 20  v0 = the caller's pid; the first process is pid 1
 *   KILL   37  a0 = pid (> 0), a1 = signal (0 only checks that pid lives); 0, -3 ESRCH (no
 *              such live process), -22 EINVAL (a bad signal or pid)
 *   GETPPID 39 v0 = the parent's pid, 0 for a process whose parent has ended (or that had none)
 *   PIPE   42  a0 = int fds[2]; fds[0] reads what fds[1] writes (a 2048-byte buffer); 0, or
 *              -24 EMFILE when two fds are not free
 *   SIGACTION 46  a0 = signal, a1 = SIG_DFL (0), SIG_IGN (1) or a handler's address; v0 = the
 *              previous one, -22 EINVAL for SIGKILL, SIGSTOP or a bad signal. A handler runs as
 *              handler(signal) on the process's stack, with the signal blocked until it returns;
 *              when it returns the process goes on where the signal found it
 *   SIGPROCMASK 48  a0 = SIG_BLOCK (1), SIG_UNBLOCK (2) or SIG_SETMASK (3), a1 = a mask (bit
 *              sig - 1 for each signal); v0 = the previous mask. SIGKILL and SIGSTOP never block
 *   DUP2   90  a0 = old fd, a1 = new fd (0..NOFILE - 1): new refers to what old does (closed
 *              first if open); v0 = new, -9 EBADF
 *   SIGSUSPEND 111  a0 = a mask: waits with that mask for a caught signal; returns -4 EINTR
 *              after its handler ran, the old mask back in place
 *   SHMAT 228  a0 = id, a1 = 0 (ExOS picks the address), a2 = SHM_RDONLY or 0; v0 = the address,
 *              -22 EINVAL (no such segment), -13 EACCES (a writable attach of a segment whose
 *              mode grants only reading), -12 ENOMEM
 *   SHMDT 230  a0 = the address shmat returned; 0, or -22 EINVAL
 *   SHMGET 231  a0 = key (IPC_PRIVATE: a new segment), a1 = size in bytes, a2 = IPC_CREAT,
 *              IPC_EXCL and the mode (0644, say: writable by its creator, readable by others;
 *              0666 writable by all); v0 = the segment's id, -2 ENOENT (no segment with that key
 *              and no IPC_CREAT), -17 EEXIST (IPC_EXCL and it exists), -22 EINVAL (size 0, above
 *              SHM_MAX, or above an existing segment's), -12 ENOMEM. A segment lives while its
 *              creator does or any process has it attached, and survives fork
 *   SLEEP 240  a0 = seconds, a1 = nanoseconds: returns 0 after that much emulated time, -4 EINTR
 *              if a caught signal came first
 *   PROCS 500  a0 = struct procinfo buf[], a1 = how many fit; fills the process table, oldest
 *              first; v0 = how many processes there are (it may be more than fit)
 * An unknown number returns -22 EINVAL.
 *
 * Signals (the BSD numbers): a fault the process does not catch ends it with SIGSEGV (an
 * unmapped, protected or read-only page, an address error), SIGBUS (a bus error), SIGILL, SIGFPE
 * (an overflow) or SIGTRAP (a break that is not a call), the pc and address kept in the process
 * table. A signal with no handler takes its default action: SIGCHLD, SIGURG, SIGCONT, SIGSTOP,
 * SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH and SIGINFO are ignored (there is no job control), every
 * other one ends the process. SIGKILL cannot be caught, ignored or blocked. A parent gets SIGCHLD
 * when a child ends. A caught signal is delivered when the process next runs: at once if it sent
 * it to itself, when a call it waits in returns (-4 EINTR), else at the start of its next slice.
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
#define SYS_OPEN 5
#define SYS_CLOSE 6
#define SYS_WAIT 7
#define SYS_EXEC 11
#define SYS_SBRK 17
#define SYS_GETPID 20
#define SYS_KILL 37
#define SYS_GETPPID 39
#define SYS_PIPE 42
#define SYS_SIGACTION 46
#define SYS_SIGPROCMASK 48
#define SYS_DUP2 90
#define SYS_SIGSUSPEND 111
#define SYS_SHMAT 228
#define SYS_SHMDT 230
#define SYS_SHMGET 231
#define SYS_SLEEP 240
#define SYS_PROCS 500
#define SYS_SOCKET 97
#define SYS_BIND 104
#define SYS_SETSOCKOPT 105
#define SYS_RECVFROM 125
#define SYS_SENDTO 133

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define EMFILE 24
#define EPIPE 32
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

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGFPE 8
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTOP 17
#define SIGCONT 19
#define SIGCHLD 20
#define SIGUSR1 30
#define SIGUSR2 31
#define NSIG 32

#define SIG_BLOCK 1
#define SIG_UNBLOCK 2
#define SIG_SETMASK 3

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define SHM_RDONLY 010000
#define SHM_MAX (64 * 4096)

/* Open files a process may have: fds 0 to NOFILE - 1. */
#define NOFILE 16

#ifndef __ASSEMBLER__

/* The exit status inside a status stored by wait. */
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)

/* The number of the signal that ended a process, in a status stored by wait (0 if it exited). */
#define WTERMSIG(s) ((s) & 0x7f)

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
int getppid(void);
int open(const char *path, int flags);
int close(int fd);
int pipe(int fds[2]);
int dup2(int old, int new);
int kill(int pid, int sig);

/* A signal action: SIG_DFL, SIG_IGN, or a handler called with the signal's number. */
typedef void (*sighandler_t)(int);
#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
sighandler_t signal(int sig, sighandler_t handler);
int sigprocmask(int how, int mask);
int sigsuspend(int mask);
int pause(void);

int shmget(int key, size_t size, int flags);
void *shmat(int id, const void *addr, int flags);
int shmdt(const void *addr);

/* Sleeps in emulated time; returns 0, or -EINTR when a caught signal came first. */
int sleep(unsigned seconds);
int nanosleep(unsigned seconds, unsigned nanoseconds);

/* One process of the table PROCS fills: its state is one of the PROC_ letters below. */
struct procinfo {
  int pid, ppid;
  int state;  /* 'R' runnable, 'W' waiting, 'I' reading (input or a pipe), 'S' sleeping,
                 'Z' zombie, 'X' exited */
  int status; /* the wait status once it has ended, else -1 */
  unsigned pc, address; /* where a fault ended it (0 if none did) */
  char name[24]; /* its program, NUL-terminated (the last 23 bytes of a longer one) */
};
int procs(struct procinfo *buf, int n);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/* printf formatted in the process: %d %u %x %s %c %%, flags '-' and '0', a width; writes fd 1. */
int printf(const char *fmt, ...);
/* printf to fd `fd` (2 for error messages). */
int dprintf(int fd, const char *fmt, ...);
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

/* Byte order (this machine is little-endian), "10.0.2.15" to an address, and decimal digits. */
unsigned short htons(unsigned short v);
unsigned htonl(unsigned v);
#define ntohs htons
#define ntohl htonl
int inet_aton(const char *s, struct in_addr *a);
int atoi(const char *s);

#endif /* __ASSEMBLER__ */
#endif
