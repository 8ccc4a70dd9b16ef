/*
 * netfork.c: a UDP socket bound to port 7, then a fork: the child sleeps a tenth of a second and
 * exits; the parent waits for it and exits 0. Without a network the socket calls fail and the
 * rest runs the same. tests/exos/net_test.ts looks at both page tables during the child's sleep.
 */
#include "unix.h"

int main(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(7);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  int pid = fork();
  if (pid == 0) {
    nanosleep(0, 100000000);
    return 0;
  }
  int status;
  wait(&status);
  return 0;
}
