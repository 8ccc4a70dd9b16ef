/*
 * shm.c: shared memory on ExOS: shmget by key (IPC_CREAT, IPC_EXCL, ENOENT, EINVAL), a two-page
 * segment attached and written, a child's writes seen by the parent (the attachment survives
 * fork), another process attaching by key (read-only: writable is EACCES with mode 0644, and a
 * store through the read-only attachment is SIGSEGV), a 0666 segment others may write, and
 * shmdt. Exits 0 when every check held.
 */
#include "unix.h"

static int ok = 1;

static void check(const char *what, int got, int want) {
  if (got != want) printf("%s: got %d, want %d\n", what, got, want), ok = 0;
}

int main(void) {
  int id = shmget(1234, 8192, IPC_CREAT | 0644);
  printf("shmget made segment %d\n", id);
  check("shmget again", shmget(1234, 8192, 0), id);
  check("IPC_EXCL", shmget(1234, 8192, IPC_CREAT | IPC_EXCL | 0644), -EEXIST);
  check("no such key", shmget(999, 4096, 0), -ENOENT);
  check("larger than it is", shmget(1234, 3 * 4096, 0), -EINVAL);
  check("size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT), -EINVAL);
  check("shmat of no segment", (int)shmat(77, 0, 0), -EINVAL);
  int *a = shmat(id, 0, 0);
  a[0] = 1;
  a[1024] = 2;
  int pid = fork(), status;
  if (pid == 0) {
    a[0] += 10;
    a[1024] += 20;
    exit(0);
  }
  wait(&status);
  printf("after the child: %d and %d\n", a[0], a[1024]);

  if ((pid = fork()) == 0) {
    /* As another process would: by key, after giving up what fork left it. */
    shmdt(a);
    int *b = shmat(shmget(1234, 0, 0), 0, 0);
    printf("a writable attach by a non-creator: %d\n", (int)b);
    b = shmat(shmget(1234, 0, 0), 0, SHM_RDONLY);
    printf("read-only, it reads %d\n", b[0]);
    b[0] = 99;
    printf("the store went through\n");
    exit(0);
  }
  wait(&status);
  printf("a store to it: signal %d; the segment still holds %d\n", WTERMSIG(status), a[0]);

  int open = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
  if ((pid = fork()) == 0) {
    int *c = shmat(open, 0, 0);
    c[5] = 555;
    exit(0);
  }
  int *c = shmat(open, 0, 0);
  wait(&status);
  printf("a 0666 segment written by a child: %d\n", c[5]);
  check("shmdt", shmdt(a), 0);
  check("shmdt again", shmdt(a), -EINVAL);
  return ok ? 0 : 1;
}
