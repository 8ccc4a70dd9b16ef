/*
 * net.c: a bare program that drives the DECstation 5000/200's LANCE (the PMAD-AA on
 * TURBOchannel slot 6) directly, by polling, for the network tests.
 *
 * It reads its station address from the address ROM, builds the init block and rings in the
 * LANCE's 128 KB SRAM (all through kseg1), initialises and starts the chip, and then does what
 * argv[1] says, printing what happened:
 *
 *   probe          check the address ROM (copies, test pattern, checksum) and the init handshake
 *                  (also when argv[1] is not a mode, as under gxemul)
 *   echo N         receive N frames and send each back to its sender
 *   send N MAC     ping-pong N frames with the station MAC (which runs "echo")
 *   blast N MAC    send N frames to MAC back to back, then wait for the transmitter to finish
 *   count          count frames until none has come for a while
 *   ping N         ARP for the gateway 10.0.2.2, then N ICMP echo requests to it, as 10.0.2.15
 *   udp PORT TEXT  ARP, then send TEXT in a UDP datagram to 10.0.2.2:PORT; print the answer
 *
 * SRAM layout (LANCE addresses = offsets from the slot): init block 0x0000, receive ring 0x0040
 * (16 descriptors), transmit ring 0x00c0 (4), receive buffers from 0x0100 and transmit buffers
 * from 0x6100, 1536 bytes each.
 */
#include "prom.h"

#define LE 0xbf800000u /* kseg1 address of slot 6 */
#define SRAM8(o) (*(volatile unsigned char *)(LE + (o)))
#define SRAM16(o) (*(volatile unsigned short *)(LE + (o)))
#define RDP (*(volatile unsigned short *)(LE + 0x100000))
#define RAP (*(volatile unsigned short *)(LE + 0x100004))
#define ESAR(i) (*(volatile unsigned char *)(LE + 0x1c0002 + 4 * (i)))

#define C0_ERR 0x8000
#define C0_MISS 0x1000
#define C0_RINT 0x0400
#define C0_TINT 0x0200
#define C0_IDON 0x0100
#define C0_TDMD 0x0008
#define C0_STOP 0x0004
#define C0_STRT 0x0002
#define C0_INIT 0x0001
#define OWN 0x8000
#define ERR 0x4000
#define STP 0x0200
#define ENP 0x0100

#define IB 0x0000
#define RRING 0x0040
#define TRING 0x00c0
#define RBUF 0x0100
#define TBUF 0x6100
#define NRX 16
#define NTX 4
#define BUFSZ 1536
#define WAIT 200000 /* polls before giving up: a poll is about 30 cycles, so about 0.24 s */

static unsigned char mac[6];
static unsigned char frame[BUFSZ];
static int rxi, txi;

static int csr(int n) {
  RAP = n;
  return RDP;
}

static void set_csr(int n, int v) {
  RAP = n;
  RDP = v;
}

/* Reads the MAC from the ROM, builds the init block and rings, INIT, waits for IDON, STRT. */
static int lance_start(void) {
  int i;
  for (i = 0; i < 6; i++) mac[i] = ESAR(i);
  set_csr(0, C0_STOP);
  SRAM16(IB + 0) = 0; /* mode: normal */
  for (i = 0; i < 3; i++) SRAM16(IB + 2 + 2 * i) = mac[2 * i] | (mac[2 * i + 1] << 8);
  for (i = 0; i < 4; i++) SRAM16(IB + 8 + 2 * i) = 0;
  SRAM16(IB + 16) = RRING;
  SRAM16(IB + 18) = 4 << 13; /* 16 descriptors */
  SRAM16(IB + 20) = TRING;
  SRAM16(IB + 22) = 2 << 13; /* 4 descriptors */
  for (i = 0; i < NRX; i++) {
    SRAM16(RRING + 8 * i) = RBUF + BUFSZ * i;
    SRAM16(RRING + 8 * i + 4) = -BUFSZ;
    SRAM16(RRING + 8 * i + 6) = 0;
    SRAM16(RRING + 8 * i + 2) = OWN;
  }
  for (i = 0; i < NTX; i++) {
    SRAM16(TRING + 8 * i) = TBUF + BUFSZ * i;
    SRAM16(TRING + 8 * i + 2) = 0;
    SRAM16(TRING + 8 * i + 4) = 0xf000;
    SRAM16(TRING + 8 * i + 6) = 0;
  }
  rxi = txi = 0;
  set_csr(1, IB);
  set_csr(2, 0);
  set_csr(3, 0);
  set_csr(0, C0_INIT);
  for (i = 0; i < WAIT && !(csr(0) & C0_IDON); i++) {
  }
  if (i == WAIT) {
    xprintf("lance: no IDON, csr0 %04x\n", csr(0));
    return -1;
  }
  set_csr(0, C0_IDON | C0_STRT);
  return 0;
}

/* Queues frame[0..len) for transmission (padded to 60 bytes); -1 if no descriptor frees up. */
static int lance_send(int len) {
  int i, d = TRING + 8 * txi;
  for (i = 0; i < WAIT && (SRAM16(d + 2) & OWN); i++) {
  }
  if (i == WAIT) return -1;
  if (len < 60) {
    for (i = len; i < 60; i++) frame[i] = 0;
    len = 60;
  }
  for (i = 0; i < len; i++) SRAM8(TBUF + BUFSZ * txi + i) = frame[i];
  SRAM16(d + 4) = -len;
  SRAM16(d + 6) = 0;
  SRAM16(d + 2) = OWN | STP | ENP;
  set_csr(0, C0_TDMD);
  txi = (txi + 1) % NTX;
  return 0;
}

/* Waits for a good frame into frame[]; returns its length without FCS, or -1 on timeout. */
static int lance_recv(int polls) {
  int n;
  for (n = 0; n < polls; n++) {
    int d = RRING + 8 * rxi, bits = SRAM16(d + 2), len = SRAM16(d + 6) & 0xfff, i;
    if (bits & OWN) continue;
    int good = (bits & (ERR | STP | ENP)) == (STP | ENP);
    if (good)
      for (i = 0; i < len - 4; i++) frame[i] = SRAM8(RBUF + BUFSZ * rxi + i);
    SRAM16(d + 6) = 0;
    SRAM16(d + 4) = -BUFSZ;
    SRAM16(d + 2) = OWN;
    rxi = (rxi + 1) % NRX;
    set_csr(0, C0_RINT);
    if (good) return len - 4;
  }
  return -1;
}

/* Waits until the transmitter has handed back every descriptor. */
static void lance_drain(void) {
  int i, n;
  for (n = 0; n < WAIT; n++) {
    for (i = 0; i < NTX && !(SRAM16(TRING + 8 * i + 2) & OWN); i++) {
    }
    if (i == NTX) return;
  }
}

static int atoi(const char *s) {
  int v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}

static int hex(char c) {
  return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

static void parse_mac(const char *s, unsigned char *m) {
  int i;
  for (i = 0; i < 6; i++, s += 3) m[i] = hex(s[0]) * 16 + hex(s[1]);
}

static void print_mac(const char *what, const unsigned char *m) {
  xprintf("%s %02x:%02x:%02x:%02x:%02x:%02x\n", what, m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put16(unsigned char *p, int v) {
  p[0] = v >> 8;
  p[1] = v;
}

static int get16(const unsigned char *p) { return (p[0] << 8) | p[1]; }

/* The Internet checksum of p[0..n). */
static int cksum(const unsigned char *p, int n, unsigned sum) {
  int i;
  for (i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n & 1) sum += p[n - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

static const unsigned char my_ip[4] = {10, 0, 2, 15}, gw_ip[4] = {10, 0, 2, 2};
static unsigned char gw_mac[6];

/* Fills the Ethernet header of frame[] to dst with type. */
static void ether(const unsigned char *dst, int type) {
  memcpy(frame, dst, 6);
  memcpy(frame + 6, mac, 6);
  put16(frame + 12, type);
}

/* Fills an IPv4 header at frame + 14 to the gateway for a payload of n bytes. */
static void ipv4(int protocol, int n) {
  unsigned char *ip = frame + 14;
  static int id = 1;
  ip[0] = 0x45;
  ip[1] = 0;
  put16(ip + 2, 20 + n);
  put16(ip + 4, id++);
  put16(ip + 6, 0);
  ip[8] = 64;
  ip[9] = protocol;
  put16(ip + 10, 0);
  memcpy(ip + 12, my_ip, 4);
  memcpy(ip + 16, gw_ip, 4);
  put16(ip + 10, cksum(ip, 20, 0));
}

/* ARP for the gateway; returns 0 with gw_mac set. */
static int arp(void) {
  static const unsigned char bcast[6] = {255, 255, 255, 255, 255, 255};
  int tries, len;
  for (tries = 0; tries < 3; tries++) {
    ether(bcast, 0x0806);
    put16(frame + 14, 1);
    put16(frame + 16, 0x0800);
    frame[18] = 6;
    frame[19] = 4;
    put16(frame + 20, 1);
    memcpy(frame + 22, mac, 6);
    memcpy(frame + 28, my_ip, 4);
    memset(frame + 32, 0, 6);
    memcpy(frame + 38, gw_ip, 4);
    lance_send(42);
    while ((len = lance_recv(WAIT)) >= 0) {
      if (get16(frame + 12) == 0x0806 && get16(frame + 20) == 2 && frame[28] == 10 &&
          frame[31] == 2) {
        memcpy(gw_mac, frame + 22, 6);
        print_mac("arp 10.0.2.2 is at", gw_mac);
        return 0;
      }
    }
  }
  xprintf("arp: no answer\n");
  return -1;
}

static void ping(int count) {
  int seq, len, i;
  if (arp() < 0) return;
  for (seq = 1; seq <= count; seq++) {
    unsigned char *icmp = frame + 34;
    ether(gw_mac, 0x0800);
    ipv4(1, 8 + 32);
    icmp[0] = 8;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, 0x4242);
    put16(icmp + 6, seq);
    for (i = 0; i < 32; i++) icmp[8 + i] = 'a' + i % 26;
    put16(icmp + 2, cksum(icmp, 40, 0));
    lance_send(34 + 40);
    for (;;) {
      len = lance_recv(WAIT);
      if (len < 0) {
        xprintf("icmp seq %d: no reply\n", seq);
        break;
      }
      if (get16(frame + 12) == 0x0800 && frame[23] == 1 && icmp[0] == 0 &&
          get16(icmp + 6) == seq && cksum(icmp, get16(frame + 16) - 20, 0) == 0) {
        xprintf("icmp echo reply seq %d from %d.%d.%d.%d, %d bytes, ttl %d\n", seq, frame[26],
                frame[27], frame[28], frame[29], get16(frame + 16) - 20, frame[22]);
        break;
      }
    }
  }
}

static void udp(int port, const char *text) {
  int n = 0, len;
  unsigned char *u = frame + 34;
  if (arp() < 0) return;
  while (text[n]) n++;
  ether(gw_mac, 0x0800);
  ipv4(17, 8 + n);
  put16(u, 4000);
  put16(u + 2, port);
  put16(u + 4, 8 + n);
  put16(u + 6, 0); /* no checksum */
  memcpy(u + 8, text, n);
  lance_send(34 + 8 + n);
  for (;;) {
    len = lance_recv(WAIT);
    if (len < 0) {
      xprintf("udp: no answer\n");
      return;
    }
    if (get16(frame + 12) == 0x0800 && frame[23] == 17 && get16(u) == port &&
        get16(u + 2) == 4000) {
      int m = get16(u + 4) - 8;
      u[8 + m] = 0;
      xprintf("udp from 10.0.2.2:%d: %s\n", port, (char *)(u + 8));
      return;
    }
  }
}

/* A test frame to dst: type 0x88b5 (local experimental), sequence number seq, 60 bytes. */
static void test_frame(const unsigned char *dst, int seq) {
  int i;
  ether(dst, 0x88b5);
  put16(frame + 14, seq);
  for (i = 16; i < 60; i++) frame[i] = i;
}

static void probe(void) {
  int i, k = 0, bad = 0;
  for (i = 0; i < 8; i++) {
    if (ESAR(i) != ESAR(15 - i) || ESAR(i) != ESAR(16 + i)) bad++;
  }
  for (i = 0; i < 6; i += 2) {
    k <<= 1;
    if (k > 0xffff) k -= 0xffff;
    k += ESAR(i) | (ESAR(i + 1) << 8);
    if (k > 0xffff) k -= 0xffff;
  }
  if (k == 0xffff) k = 0;
  xprintf("esar copies %s, pattern %02x %02x %02x %02x, checksum %s\n", bad ? "bad" : "ok",
          ESAR(24), ESAR(25), ESAR(26), ESAR(27),
          k == (ESAR(6) | (ESAR(7) << 8)) ? "ok" : "bad");
  xprintf("csr0 stopped %04x\n", csr(0));
  if (lance_start() < 0) return;
  print_mac("station", mac);
  xprintf("csr0 running %04x\n", csr(0));
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "probe";
  int n = argc > 2 ? atoi(argv[2]) : 1, i, got = 0, len;
  unsigned char peer[6];
  if ((mode[0] == 'p' && mode[1] == 'r') || !(mode[0] >= 'a' && mode[0] <= 'z')) {
    probe(); /* also what runs under gxemul, whose argv[1] is its boot path */
    return 0;
  }
  if (lance_start() < 0) return 1;
  if (mode[0] == 'e') { /* echo N */
    while (got < n && (len = lance_recv(WAIT * 10)) >= 0) {
      memcpy(frame, frame + 6, 6);
      memcpy(frame + 6, mac, 6);
      lance_send(len);
      got++;
    }
    lance_drain();
    xprintf("echoed %d\n", got);
  } else if (mode[0] == 's') { /* send N MAC */
    parse_mac(argv[3], peer);
    for (i = 0; i < n; i++) {
      test_frame(peer, i);
      lance_send(60);
      while ((len = lance_recv(WAIT)) >= 0) {
        if (get16(frame + 12) == 0x88b5 && get16(frame + 14) == i) {
          got++;
          break;
        }
      }
    }
    xprintf("sent %d, %d came back\n", n, got);
  } else if (mode[0] == 'b') { /* blast N MAC */
    parse_mac(argv[3], peer);
    for (i = 0; i < n; i++) {
      test_frame(peer, i);
      lance_send(60);
    }
    lance_drain();
    xprintf("blasted %d\n", n);
  } else if (mode[0] == 'c') { /* count */
    while (lance_recv(WAIT) >= 0) got++;
    xprintf("counted %d\n", got);
  } else if (mode[0] == 'p') {
    ping(n);
  } else if (mode[0] == 'u') {
    udp(n, argc > 3 ? argv[3] : "hello");
  }
  return 0;
}
