/*
 * udpecho.c: a UDP echo server. udpecho PORT [COUNT]: binds PORT and sends every datagram back
 * to its sender, COUNT of them (0, the default: forever); then says how many.
 */
#include "unix.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: udpecho PORT [COUNT]\n");
    return 2;
  }
  int count = argc > 2 ? atoi(argv[2]) : 0, n = 0;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in me, peer;
  memset(&me, 0, sizeof me);
  me.sin_family = AF_INET;
  me.sin_port = htons(atoi(argv[1]));
  int r = bind(fd, (struct sockaddr *)&me, sizeof me);
  if (r < 0) {
    printf("udpecho: bind: error %d\n", -r);
    return 1;
  }
  printf("udpecho: listening on port %s\n", argv[1]);
  while (count == 0 || n < count) {
    char buf[1500];
    socklen_t size = sizeof peer;
    int len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &size);
    if (len < 0) {
      printf("udpecho: recvfrom: error %d\n", -len);
      return 1;
    }
    sendto(fd, buf, len, 0, (struct sockaddr *)&peer, size);
    n++;
  }
  printf("udpecho: echoed %d datagrams\n", n);
  close(fd);
  return 0;
}
