/*
 * sh: a small UNIX shell for ExOS.
 *
 *   sh -c 'COMMANDS'   runs COMMANDS and exits with the status of the last one
 *   sh                 reads commands from fd 0 line by line, with a "$ " prompt on fd 2, until
 *                      the input ends or `exit`
 *
 * A line is pipelines separated by `;`; a pipeline is commands separated by `|`, each one's fd 1
 * feeding the next one's fd 0 through a pipe; a command is words, with `< PATH` and `> PATH`
 * redirecting its fd 0 and fd 1. There is no file system yet, so the only path that opens is
 * /dev/console (any other says so, and the command fails with status 1). Words split at spaces
 * and tabs; '...' quotes literally, "..." quotes with `$?` (the last status) and `$$` (the
 * shell's pid) expanded, as they are outside quotes; `\` takes the next character as it is; `#`
 * starts a comment. A command names a program: NAME is /bin/NAME, a word with a `/` is a path.
 * The builtin `exit [N]` leaves the shell with status N (default: the last status).
 *
 * Exit statuses: a pipeline's is its last command's: its exit status, 128 + N if signal N
 * killed it, 127 if its program was not found, 2 for a syntax error, 1 for a redirection that
 * failed.
 */
#include "unix.h"

#define MAXWORDS 64
#define MAXCMDS 16
#define LINE 1024

/* The last pipeline's exit status: $?. */
static int last;

/* A token: a word (its text in `text`), or one of the operators. */
enum { WORD, PIPE, IN, OUT, END };

static char line[LINE + 1];
static char words[4 * LINE + 64]; /* the words' text, NUL-separated */
static int kinds[MAXWORDS + 1];
static char *texts[MAXWORDS + 1];

/* Appends the decimal digits of v at *w. */
static char *number(char *w, int v) {
  char d[12];
  int n = 0;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  do d[n++] = '0' + u % 10;
  while ((u /= 10) != 0);
  if (v < 0) *w++ = '-';
  while (n > 0) *w++ = d[--n];
  return w;
}

/* Splits `s` into tokens; returns how many (END last), or -1 with a message for a bad line. */
static int tokenize(const char *s) {
  int n = 0;
  char *w = words;
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (n == MAXWORDS) {
      dprintf(2, "sh: too many words (at most %d)\n", MAXWORDS);
      return -1;
    }
    if (*s == 0 || *s == '#') {
      kinds[n++] = END;
      return n;
    }
    if (*s == '|' || *s == '<' || *s == '>') {
      kinds[n++] = *s == '|' ? PIPE : *s == '<' ? IN : OUT;
      s++;
      continue;
    }
    kinds[n] = WORD;
    texts[n++] = w;
    char quote = 0;
    for (; *s; s++) {
      if (quote == 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '|' ||
                         *s == '<' || *s == '>'))
        break;
      if (quote == 0 && (*s == '\'' || *s == '"')) quote = *s;
      else if (quote != 0 && *s == quote) quote = 0;
      else if (quote != '\'' && *s == '\\' && s[1] != 0) *w++ = *++s;
      else if (quote != '\'' && *s == '$' && s[1] == '?') w = number(w, last), s++;
      else if (quote != '\'' && *s == '$' && s[1] == '$') w = number(w, getpid()), s++;
      else *w++ = *s;
    }
    if (quote != 0) {
      dprintf(2, "sh: syntax error: unterminated %c\n", quote);
      return -1;
    }
    *w++ = 0;
  }
}

/* One command of a pipeline: its words, and where its fd 0 and fd 1 go (0: unchanged). */
struct command {
  char *argv[MAXWORDS + 1];
  int argc;
  char *in, *out;
};

static struct command cmds[MAXCMDS];

/* Opens `path` for redirection as fd `fd` (0 or 1); 0, or -1 after saying why. */
static int redirect(const char *path, int fd) {
  int f = open(path, fd == 0 ? O_RDONLY : O_WRONLY);
  if (f < 0) {
    dprintf(2, "sh: %s: there is no file system yet: only /dev/console opens\n", path);
    return -1;
  }
  if (f != fd) {
    dup2(f, fd);
    close(f);
  }
  return 0;
}

/* Runs command `c` in a forked child (fd 0 and fd 1 already set up): never returns. */
static void child(struct command *c) {
  if ((c->in && redirect(c->in, 0) < 0) || (c->out && redirect(c->out, 1) < 0)) exit(1);
  if (c->argc == 0) exit(0);
  static char path[LINE + 8];
  const char *name = c->argv[0];
  if (strchr(name, '/') == 0) {
    memcpy(path, "/bin/", 5);
    memcpy(path + 5, name, strlen(name) + 1);
    name = path;
  }
  execv(name, c->argv);
  dprintf(2, "sh: %s: not found\n", c->argv[0]);
  exit(127);
}

/* The status a shell reports for a child's wait status. */
static int shell_status(int s) { return WTERMSIG(s) != 0 ? 128 + WTERMSIG(s) : WEXITSTATUS(s); }

/* Runs the pipeline of `n` commands; returns its status. */
static int pipeline(int n) {
  if (n == 1 && cmds[0].argc > 0 && strcmp(cmds[0].argv[0], "exit") == 0) {
    int status = last;
    if (cmds[0].argc > 1) {
      status = 0;
      for (const char *p = cmds[0].argv[1]; *p >= '0' && *p <= '9'; p++)
        status = status * 10 + (*p - '0');
    }
    exit(status & 0xff);
  }
  int pids[MAXCMDS], prev = -1;
  for (int i = 0; i < n; i++) {
    int p[2] = {-1, -1};
    if (i < n - 1 && pipe(p) < 0) {
      dprintf(2, "sh: pipe failed: too many open files\n");
      return 1;
    }
    int pid = fork();
    if (pid == 0) {
      if (prev >= 0) dup2(prev, 0), close(prev);
      if (i < n - 1) dup2(p[1], 1), close(p[0]), close(p[1]);
      child(&cmds[i]);
    }
    if (prev >= 0) close(prev);
    if (i < n - 1) close(p[1]), prev = p[0];
    if (pid < 0) {
      dprintf(2, "sh: fork failed with %d\n", pid);
      if (prev >= 0) close(prev);
      for (int j = 0; j < i; j++) wait(0);
      return 1;
    }
    pids[i] = pid;
  }
  int status = 0;
  for (int left = n; left > 0;) {
    int s = 0, pid = wait(&s);
    if (pid == -EINTR) continue;
    if (pid < 0) break;
    left--;
    if (pid == pids[n - 1]) status = shell_status(s);
  }
  return status;
}

/* Runs the pipeline in `s` (no `;` outside quotes); returns its status. */
static int run_pipeline(const char *s) {
  int n = tokenize(s);
  if (n < 0) return last = 2;
  int t = 0, ncmds = 0;
  if (kinds[t] == END) return last;
  for (;;) { /* one command */
    if (ncmds == MAXCMDS) {
      dprintf(2, "sh: a pipeline of more than %d commands\n", MAXCMDS);
      return last = 2;
    }
    struct command *c = &cmds[ncmds++];
    c->argc = 0;
    c->in = c->out = 0;
    while (kinds[t] == WORD || kinds[t] == IN || kinds[t] == OUT) {
      if (kinds[t] == WORD) c->argv[c->argc++] = texts[t++];
      else {
        int k = kinds[t++];
        if (kinds[t] != WORD) {
          dprintf(2, "sh: syntax error: %c needs a path\n", k == IN ? '<' : '>');
          return last = 2;
        }
        if (k == IN) c->in = texts[t++];
        else c->out = texts[t++];
      }
    }
    c->argv[c->argc] = 0;
    if (kinds[t] != PIPE) break;
    if (c->argc == 0 && c->in == 0 && c->out == 0) {
      dprintf(2, "sh: syntax error near |\n");
      return last = 2;
    }
    t++;
    if (kinds[t] != WORD && kinds[t] != IN && kinds[t] != OUT) {
      dprintf(2, "sh: syntax error: | needs a command after it\n");
      return last = 2;
    }
  }
  return last = pipeline(ncmds);
}

/*
 * Runs one line: each pipeline between `;`s (outside quotes) in turn, each expanded just before
 * it runs, so `$?` is the status of the one before; returns the last one's status.
 */
static int run(const char *s) {
  static char piece[LINE + 1];
  while (*s) {
    int n = 0;
    char quote = 0, prev = ' ';
    for (; *s && (quote || *s != ';'); prev = *s++) {
      if (quote == 0 && *s == '#' && strchr(" \t|<>", prev)) { /* a comment: the rest */
        while (*s) s++;
        break;
      }
      if (quote == 0 && (*s == '\'' || *s == '"')) quote = *s;
      else if (quote != 0 && *s == quote) quote = 0;
      else if (quote != '\'' && *s == '\\' && s[1] != 0 && n < LINE) piece[n++] = *s++;
      if (n < LINE) piece[n++] = *s;
    }
    piece[n] = 0;
    if (*s == ';') s++;
    run_pipeline(piece);
  }
  return last;
}

/* Reads one line from fd 0 into `line`; returns its length, or -1 at the end of the input. */
static int readline(void) {
  int n = 0;
  for (;;) {
    char c;
    int r = read(0, &c, 1);
    if (r == -EINTR) continue;
    if (r <= 0) return n > 0 ? n : -1;
    if (c == '\n') break;
    if (n < LINE) line[n++] = c;
  }
  line[n] = 0;
  return n;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
    if (argc < 3) {
      dprintf(2, "sh: -c needs a command\n");
      return 2;
    }
    return run(argv[2]);
  }
  if (argc >= 2) {
    dprintf(2, "sh: %s: there is no file system yet: use sh -c 'COMMANDS' or type them\n",
            argv[1]);
    return 2;
  }
  for (;;) {
    dprintf(2, "$ ");
    int n = readline();
    if (n < 0) break;
    line[n] = 0;
    run(line);
  }
  return last;
}
