/*
 * ping.c: ICMP echo requests to a host, one at a time, through an ICMP socket; each reply is
 * printed. ping HOST [COUNT] (default 4). Exit 0 when every request was answered, 1 otherwise.
 */
#include "unix.h"

int main(int argc, char **argv) {
  struct sockaddr_in to, from;
  struct in_addr host;
  if (argc < 2 || !inet_aton(argv[1], &host)) {
    printf("usage: ping HOST [COUNT]\n");
    return 2;
  }
  int count = argc > 2 ? atoi(argv[2]) : 4, got = 0;
  int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0) {
    printf("ping: socket: error %d\n", -fd);
    return 1;
  }
  struct timeval wait = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr = host;
  printf("PING %s: 56 data bytes\n", argv[1]);
  for (int seq = 1; seq <= count; seq++) {
    unsigned char msg[64], reply[128];
    msg[0] = 8; /* echo request; the identifier (4, 5) and the checksum (2, 3) are ExOS's */
    msg[1] = msg[2] = msg[3] = msg[4] = msg[5] = 0;
    msg[6] = seq >> 8;
    msg[7] = seq;
    for (int i = 8; i < 64; i++) msg[i] = i;
    int r = sendto(fd, msg, sizeof msg, 0, (struct sockaddr *)&to, sizeof to);
    if (r < 0) {
      printf("ping: sendto: error %d\n", -r);
      return 1;
    }
    for (;;) {
      socklen_t size = sizeof from;
      int n = recvfrom(fd, reply, sizeof reply, 0, (struct sockaddr *)&from, &size);
      if (n < 0) {
        printf("no reply to icmp_seq=%d\n", seq);
        break;
      }
      if (n < 8 || ((reply[6] << 8) | reply[7]) != seq) continue;
      unsigned char *ip = (unsigned char *)&from.sin_addr;
      printf("%d bytes from %d.%d.%d.%d: icmp_seq=%d\n", n, ip[0], ip[1], ip[2], ip[3], seq);
      got++;
      break;
    }
  }
  printf("%d packets transmitted, %d received\n", count, got);
  close(fd);
  return got == count ? 0 : 1;
}
