/*
 * kill [-SIGNAL | -s SIGNAL | -l] PID...: sends a signal (by name, with or without SIG, or by
 * number; TERM by default) to each process. -l lists the names. Exits 0, or 1 when a pid is bad
 * or names no live process (it says which on fd 2).
 */
#include "unix.h"

static const char *names[NSIG] = {
    0,      "HUP",  "INT",  "QUIT", "ILL",  "TRAP", "ABRT", "EMT",   "FPE",  "KILL", "BUS",
    "SEGV", "SYS",  "PIPE", "ALRM", "TERM", "URG",  "STOP", "TSTP",  "CONT", "CHLD", "TTIN",
    "TTOU", "IO",   "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2"};

/* The number of signal `s` (a name, SIGNAME, or a number), or -1. */
static int signum(const char *s) {
  if (s[0] >= '0' && s[0] <= '9') {
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++) n = n * 10 + (*s - '0');
    return *s == 0 && n < NSIG ? n : -1;
  }
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (int i = 1; i < NSIG; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -1;
}

int main(int argc, char **argv) {
  int sig = SIGTERM, i = 1;
  if (argc > 1 && strcmp(argv[1], "-l") == 0) {
    for (int n = 1; n < NSIG; n++) printf("%d %s\n", n, names[n]);
    return 0;
  }
  if (i < argc && strcmp(argv[i], "-s") == 0 && i + 1 < argc) sig = signum(argv[i + 1]), i += 2;
  else if (i < argc && argv[i][0] == '-' && argv[i][1] != 0) sig = signum(argv[i] + 1), i++;
  if (sig < 0) {
    dprintf(2, "kill: %s: no such signal (kill -l lists them)\n", argv[i - 1]);
    return 1;
  }
  if (i == argc) {
    dprintf(2, "kill: give a pid: kill [-SIGNAL] PID...\n");
    return 1;
  }
  int status = 0;
  for (; i < argc; i++) {
    int pid = 0;
    const char *p = argv[i];
    for (; *p >= '0' && *p <= '9'; p++) pid = pid * 10 + (*p - '0');
    int r = *p == 0 && p != argv[i] ? kill(pid, sig) : -EINVAL;
    if (r == -ESRCH) dprintf(2, "kill: %s: no such process\n", argv[i]), status = 1;
    else if (r < 0) dprintf(2, "kill: %s: not a pid\n", argv[i]), status = 1;
  }
  return status;
}
