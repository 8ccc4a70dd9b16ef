/*
 * ps: prints ExOS's process table, oldest first: pid, parent, state, how it ended (an exit
 * status, or the signal that killed it), its program, and where a fault that ended it was.
 */
#include "unix.h"

static struct procinfo table[64];

static const char *signame(int sig) {
  static const char *names[NSIG] = {
      0,      "HUP",  "INT",  "QUIT", "ILL",  "TRAP", "ABRT", "EMT",  "FPE",  "KILL", "BUS",
      "SEGV", "SYS",  "PIPE", "ALRM", "TERM", "URG",  "STOP", "TSTP", "CONT", "CHLD", "TTIN",
      "TTOU", "IO",   "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2"};
  return sig > 0 && sig < NSIG ? names[sig] : "?";
}

int main(void) {
  int n = procs(table, 64);
  if (n < 0) {
    dprintf(2, "ps: procs failed with %d\n", n);
    return 1;
  }
  printf("  PID  PPID S STATUS   COMMAND\n");
  for (int i = 0; i < n && i < 64; i++) {
    struct procinfo *p = &table[i];
    char status[16];
    if (p->status < 0) status[0] = '-', status[1] = 0;
    else if (WTERMSIG(p->status) == 0) {
      int v = WEXITSTATUS(p->status), k = 0;
      char d[4];
      int m = 0;
      do d[m++] = '0' + v % 10;
      while ((v /= 10) != 0);
      while (m > 0) status[k++] = d[--m];
      status[k] = 0;
    } else {
      const char *s = signame(WTERMSIG(p->status));
      int k = 0;
      status[k++] = 'S', status[k++] = 'I', status[k++] = 'G';
      while (*s && k < 15) status[k++] = *s++;
      status[k] = 0;
    }
    printf("%5d %5d %c %-8s %s", p->pid, p->ppid, p->state, status, p->name);
    if (p->pc != 0) printf(" (pc 0x%08x, address 0x%08x)", p->pc, p->address);
    printf("\n");
  }
  return 0;
}
