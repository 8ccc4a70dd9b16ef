/*
 * forktree.c: 64 processes from six rounds of fork, every exit status checked on its way up.
 *
 * In round r (0..5) every process alive forks once; the child's position is its parent's with
 * bit r set, so the 64 processes have positions 0 (the root) to 63, each made once. A process
 * whose highest position bit is h has forked in rounds h+1..5: its children are
 * id | 1 << r for those r. After the rounds each process waits for all its children, matching
 * them by the pid fork returned, and exits with
 *     status(id) = (17 * id + 1 + sum + (sum >> 8)) & 0xff, sum = its children's statuses,
 * computed from what wait actually delivered, so every status below shapes the ones above (the
 * statuses run from 10 to 255: none is 0 or 1, which a lost child might leave behind). Each
 * parent also compares each child's status with want(child), the same recursion computed
 * without any process; a mismatch, an unknown pid or a failed wait makes it exit with the
 * complement of want(id), which its own parent then rejects. Only the root prints: the
 * number of processes whose statuses all arrived intact and the sum of its children's statuses
 * (the checksum), then what a wait with no child left returns.
 */
#include "unix.h"

#define ROUNDS 6

/* The highest set bit of id, -1 for the root. */
static int top(int id) {
  int h = -1;
  while (id >> (h + 1)) h++;
  return h;
}

/* The exit status of the process at position id whose children's statuses sum to sum. */
static int status_of(int id, int sum) { return (17 * id + 1 + sum + (sum >> 8)) & 0xff; }

/* The status the process at position id exits with when its whole subtree is intact. */
static int want(int id) {
  int sum = 0;
  for (int r = top(id) + 1; r < ROUNDS; r++) sum += want(id | 1 << r);
  return status_of(id, sum);
}

int main(void) {
  int id = 0, n = 0, pids[ROUNDS], kids[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    int pid = fork();
    if (pid < 0) {
      printf("round %d: fork failed with %d in process %d\n", r, pid, id);
      exit(0xee);
    }
    if (pid == 0) {
      id |= 1 << r;
      n = 0;
    } else {
      pids[n] = pid;
      kids[n++] = id | 1 << r;
    }
  }
  int sum = 0, intact = 1, ok = 1;
  for (int i = 0; i < n; i++) {
    int status = -1, pid = wait(&status), j = 0;
    while (j < n && pids[j] != pid) j++;
    if (j == n || (status & 0xff) != 0 || WEXITSTATUS(status) != want(kids[j])) {
      ok = 0;
      if (id == 0) printf("wait returned pid %d, status 0x%x: unexpected\n", pid, status);
      continue;
    }
    sum += WEXITSTATUS(status);
    intact += 1 << (ROUNDS - 1 - top(kids[j])); /* the size of the child's subtree */
  }
  if (id != 0) exit(ok ? status_of(id, sum) : ~want(id) & 0xff);
  int last = wait(0);
  printf("%d processes, %s %d exit statuses received, checksum %d\n", intact,
         ok ? "all" : "only", intact - 1, sum);
  printf("wait with no child left: %d\n", last);
  return ok && last == -ECHILD ? 0 : 1;
}
