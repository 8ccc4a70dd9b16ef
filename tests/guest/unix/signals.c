/*
 * signals.c: signals on ExOS: a handler for a signal sent to oneself, a blocked signal held until
 * unblocked, an ignored one, SIGKILL refused to signal(), kill's errors, a sleeping child ended by
 * SIGTERM, SIGCHLD on a child's exit, a blocked read failing with EINTR, sigsuspend woken by a
 * child, caught and uncaught faults (SIGSEGV, SIGFPE), and a child in a loop that never makes a
 * call, caught by a handler (delivered at its next slice) and ended by SIGKILL. Exits 0 when every
 * check held.
 */
#include "unix.h"

static volatile int got, last;
static int ok = 1;

static void on(int sig) { got++, last = sig; }

static void segv(int sig) { _exit(sig == SIGSEGV ? 7 : 1); }

static void check(const char *what, int got_, int want) {
  if (got_ != want) printf("%s: got %d, want %d\n", what, got_, want), ok = 0;
}

/* Forks a child running f; returns the parent's view of how it ended. */
static int child(void (*f)(void)) {
  int pid = fork();
  if (pid == 0) {
    f();
    exit(0);
  }
  int status = -1;
  while (wait(&status) == -EINTR) continue;
  return status;
}

static void sleeper(void) {
  kill(getppid(), SIGUSR1); /* the parent waits for this before it kills */
  sleep(100);
}
static void nothing(void) {}
static void reader(void) { kill(getppid(), SIGUSR1); }
static void null_write(void) {
  signal(SIGSEGV, segv);
  *(volatile int *)0 = 1;
}
static void null_read(void) {
  volatile int *volatile p = (volatile int *)16;
  (void)*p;
}
static void overflow(void) {
  int big = 0x7fffffff;
  __asm__ volatile("addi %0, %0, 1" : "+r"(big));
}
static void spin_until_caught(void) {
  got = 0; /* not the count inherited from the parent */
  signal(SIGUSR1, on);
  kill(getppid(), SIGUSR2);
  while (!got) continue;
  exit(40 + got);
}
static void spin(void) {
  kill(getppid(), SIGUSR2);
  for (;;) continue;
}

static const int USR1 = 1 << (SIGUSR1 - 1), USR2 = 1 << (SIGUSR2 - 1);

int main(void) {
  signal(SIGUSR1, on);
  kill(getpid(), SIGUSR1);
  printf("sent to itself: %d caught, signal %d\n", got, last);
  sigprocmask(SIG_BLOCK, USR1);
  kill(getpid(), SIGUSR1);
  printf("blocked: %d caught\n", got);
  sigprocmask(SIG_UNBLOCK, USR1);
  printf("unblocked: %d caught\n", got);
  signal(SIGUSR2, SIG_IGN);
  kill(getpid(), SIGUSR2);
  printf("SIGUSR2 ignored, still here\n");
  check("signal(SIGKILL)", (int)signal(SIGKILL, on), -EINVAL);
  check("kill of pid 999", kill(999, SIGTERM), -ESRCH);
  check("kill with signal 99", kill(getpid(), 99), -EINVAL);
  check("kill with signal 0", kill(getpid(), 0), 0);

  /* A sleeping child, ended by SIGTERM: the parent waits for its SIGUSR1 first. */
  sigprocmask(SIG_BLOCK, USR1);
  int pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, USR1);
    sleeper();
    exit(0);
  }
  got = 0;
  sigsuspend(0);
  kill(pid, SIGTERM);
  int status = -1;
  wait(&status);
  printf("a sleeping child got SIGTERM: signal %d\n", WTERMSIG(status));

  got = 0;
  signal(SIGCHLD, on);
  sigprocmask(SIG_UNBLOCK, USR1);
  child(nothing);
  printf("SIGCHLD: %d caught, signal %d\n", got, last);
  signal(SIGCHLD, SIG_DFL);

  int fds[2];
  pipe(fds);
  got = 0;
  sigprocmask(SIG_BLOCK, USR1);
  if ((pid = fork()) == 0) {
    reader();
    exit(0);
  }
  sigprocmask(SIG_UNBLOCK, USR1);
  char c;
  int r = read(fds[0], &c, 1);
  printf("a read of an empty pipe: %d, %d caught\n", r, got);
  wait(&status);
  close(fds[0]);
  close(fds[1]);

  got = 0;
  sigprocmask(SIG_BLOCK, USR1);
  if ((pid = fork()) == 0) {
    kill(getppid(), SIGUSR1);
    exit(0);
  }
  r = sigsuspend(0);
  printf("sigsuspend: %d, %d caught, mask %d after\n", r, got, sigprocmask(SIG_BLOCK, 0));
  wait(&status);
  sigprocmask(SIG_UNBLOCK, USR1);

  status = child(null_write);
  printf("a caught SIGSEGV: exit %d\n", WEXITSTATUS(status));
  status = child(null_read);
  printf("an uncaught one: signal %d\n", WTERMSIG(status));
  status = child(overflow);
  printf("an overflow: signal %d\n", WTERMSIG(status));

  /* Children that never make a call once they loop: the signal comes at a slice's start. */
  signal(SIGUSR2, on);
  sigprocmask(SIG_BLOCK, USR2);
  if ((pid = fork()) == 0) spin_until_caught();
  got = 0;
  sigsuspend(0); /* its SIGUSR2: the handler is installed */
  kill(pid, SIGUSR1);
  while (wait(&status) == -EINTR) continue;
  printf("a looping child caught SIGUSR1: exit %d\n", WEXITSTATUS(status));
  if ((pid = fork()) == 0) spin();
  sigsuspend(0);
  kill(pid, SIGKILL);
  while (wait(&status) == -EINTR) continue;
  printf("a looping child got SIGKILL: signal %d\n", WTERMSIG(status));
  return ok ? 0 : 1;
}
