/*
 * pingpong.c: the paper's Table 11: a counter ping-ponged in a UDP datagram (a 60-byte frame)
 * between two machines, each incrementing it and sending it back.
 *   pingpong serve PORT ROUNDS [ash]   waits for the counter on PORT
 *   pingpong HOST PORT ROUNDS [ash]    starts it, from PORT, towards HOST:PORT
 * After ROUNDS round trips the counter reaches its limit (2 ROUNDS - 2) and both sides stop.
 * With "ash" the answering runs in the kernel (setsockopt SO_EXOS_PINGPONG: exos/net/ash.ts) and
 * the program only sees the last datagram.
 */
#include "unix.h"

static unsigned counter(const unsigned char *b) {
  return ((unsigned)b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
}

static void put(unsigned char *b, unsigned v) {
  b[0] = v >> 24;
  b[1] = v >> 16;
  b[2] = v >> 8;
  b[3] = v;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    printf("usage: pingpong serve|HOST PORT ROUNDS [ash]\n");
    return 2;
  }
  int serve = strcmp(argv[1], "serve") == 0, ash = argc > 4 && strcmp(argv[4], "ash") == 0;
  unsigned rounds = atoi(argv[3]), limit = 2 * rounds - 2, seen = 0;
  struct sockaddr_in me, peer;
  memset(&me, 0, sizeof me);
  me.sin_family = AF_INET;
  me.sin_port = htons(atoi(argv[2]));
  peer = me;
  if (!serve && !inet_aton(argv[1], &peer.sin_addr)) {
    printf("pingpong: bad host %s\n", argv[1]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int r = bind(fd, (struct sockaddr *)&me, sizeof me);
  if (r < 0) {
    printf("pingpong: bind: error %d\n", -r);
    return 1;
  }
  if (ash && (r = setsockopt(fd, SOL_SOCKET, SO_EXOS_PINGPONG, &limit, sizeof limit)) < 0) {
    printf("pingpong: no ASH: error %d\n", -r);
    return 1;
  }
  unsigned char b[18];
  memset(b, 0, sizeof b);
  if (!serve) sendto(fd, b, sizeof b, 0, (struct sockaddr *)&peer, sizeof peer);
  unsigned c = 0;
  for (;;) {
    socklen_t size = sizeof peer;
    int n = recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&peer, &size);
    if (n < 4) continue;
    seen++;
    c = counter(b);
    if (c > limit) break;
    if (!(ash && c == limit)) { /* (at the limit the ASH has answered already) */
      put(b, c + 1);
      sendto(fd, b, n, 0, (struct sockaddr *)&peer, size);
    }
    if (c == limit) break;
  }
  printf("pingpong: counter %u, %u datagrams seen here\n", c, seen);
  close(fd);
  return 0;
}
