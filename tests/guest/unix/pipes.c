/*
 * pipes.c: UNIX pipes on ExOS: a pipe within one process, EBADF for the wrong end and closed
 * fds, 3000 bytes from a child through the 2048-byte ring (the writer blocks while it is full)
 * with the end of the file once it exits, EPIPE with SIGPIPE ignored and death by SIGPIPE
 * without, dup2 of a pipe onto a child's fd 1, and EMFILE when the fds run out. Exits 0 when
 * every check held (each failure prints a line).
 */
#include "unix.h"

static int ok = 1;

static void check(const char *what, int got, int want) {
  if (got != want) printf("%s: got %d, want %d\n", what, got, want), ok = 0;
}

int main(void) {
  int fds[2];
  char buf[64];
  check("pipe", pipe(fds), 0);
  printf("pipe gave fds %d and %d\n", fds[0], fds[1]);
  check("write", write(fds[1], "abc", 3), 3);
  int n = read(fds[0], buf, sizeof buf);
  printf("read %d bytes back: %c%c%c\n", n, buf[0], buf[1], buf[2]);

  check("read of the write end", read(fds[1], buf, 1), -EBADF);
  check("write to the read end", write(fds[0], "x", 1), -EBADF);
  check("close of fd 9", close(9), -EBADF);
  check("dup2 of fd 9", dup2(9, 5), -EBADF);
  check("dup2 onto fd 99", dup2(0, 99), -EBADF);

  int pid = fork();
  if (pid == 0) {
    close(fds[0]);
    for (int i = 0; i < 3000; i += 100) {
      char chunk[100];
      for (int j = 0; j < 100; j++) chunk[j] = (char)(i + j);
      for (int done = 0; done < 100;) done += write(fds[1], chunk + done, 100 - done);
    }
    exit(0);
  }
  close(fds[1]);
  int total = 0, sum = 0, in_order = 1;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    for (int i = 0; i < n; i++) {
      if ((unsigned char)buf[i] != (unsigned char)(total + i)) in_order = 0;
      sum += (unsigned char)buf[i];
    }
    total += n;
  }
  printf("read %d bytes from the child (%s, sum %d), then %d at the end\n", total,
         in_order ? "in order" : "out of order", sum, n);
  int status = -1;
  check("wait for the writer", wait(&status), pid);
  close(fds[0]);

  int q[2];
  pipe(q);
  close(q[0]);
  signal(SIGPIPE, SIG_IGN);
  check("write with no reader, SIGPIPE ignored", write(q[1], "x", 1), -EPIPE);
  signal(SIGPIPE, SIG_DFL);
  if ((pid = fork()) == 0) {
    write(q[1], "x", 1);
    printf("a writer with no reader went on\n");
    exit(0);
  }
  wait(&status);
  printf("a writer with no reader died of signal %d\n", WTERMSIG(status));
  close(q[1]);

  pipe(q);
  if ((pid = fork()) == 0) {
    dup2(q[1], 1);
    close(q[0]);
    close(q[1]);
    printf("printed to fd 1, which is the pipe\n");
    exit(0);
  }
  close(q[1]);
  n = read(q[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  wait(&status);
  printf("the parent read: %s", buf);
  close(q[0]);

  int opened = 0, r;
  while ((r = pipe(q)) == 0) opened += 2;
  printf("%d more fds, then pipe returned %d\n", opened, r);
  return ok ? 0 : 1;
}
