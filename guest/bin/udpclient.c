/*
 * udpclient.c: a UDP echo client. udpclient HOST PORT TEXT...: sends each TEXT in a datagram to
 * HOST:PORT and prints the answer (waiting at most a second for it). Exit 0 when every datagram
 * was answered, 1 otherwise.
 */
#include "unix.h"

int main(int argc, char **argv) {
  struct sockaddr_in to, from;
  if (argc < 4 || !inet_aton(argv[1], &to.sin_addr)) {
    printf("usage: udpclient HOST PORT TEXT...\n");
    return 2;
  }
  to.sin_family = AF_INET;
  to.sin_port = htons(atoi(argv[2]));
  memset(to.sin_zero, 0, sizeof to.sin_zero);
  int fd = socket(AF_INET, SOCK_DGRAM, 0), answered = 0;
  struct timeval wait = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  for (int i = 3; i < argc; i++) {
    char buf[1500];
    int r = sendto(fd, argv[i], strlen(argv[i]), 0, (struct sockaddr *)&to, sizeof to);
    if (r < 0) {
      printf("udpclient: sendto: error %d\n", -r);
      return 1;
    }
    socklen_t size = sizeof from;
    int n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &size);
    if (n < 0) {
      printf("udpclient: no answer to \"%s\" (error %d)\n", argv[i], -n);
      continue;
    }
    buf[n] = 0;
    unsigned char *ip = (unsigned char *)&from.sin_addr;
    printf("from %d.%d.%d.%d:%d: %s\n", ip[0], ip[1], ip[2], ip[3], ntohs(from.sin_port), buf);
    answered++;
  }
  close(fd);
  return answered == argc - 3 ? 0 : 1;
}
