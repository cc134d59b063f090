/*
 * udp_burst DST PORT COUNT
 * Sends COUNT VXLAN-shaped UDP datagrams to DST:PORT as fast as it can, from
 * one connected UDP socket in batches of sendmmsg: the traffic of the packet
 * tap benchmark. Each payload is an 8-byte VXLAN header (flag I, VNI 42) and
 * a 64-byte inner Ethernet frame (IPv4 ethertype, zero body): 114 bytes on
 * the wire. Prints {"sent":N,"op_ms":T}, T from the first sendmmsg to the
 * return of the last.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 256
#define INNER 64
#define VNI 42

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udp_burst DST PORT COUNT\n");
    return 2;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (!inet_aton(argv[1], &to.sin_addr)) {
    fprintf(stderr, "udp_burst: bad address %s\n", argv[1]);
    return 2;
  }
  unsigned long total = strtoul(argv[3], NULL, 10);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
    perror("udp_burst: socket");
    return 1;
  }
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);

  static unsigned char payload[8 + INNER];
  payload[0] = 0x08; /* VXLAN flags: I (VNI valid) */
  payload[4] = (VNI >> 16) & 255;
  payload[5] = (VNI >> 8) & 255;
  payload[6] = VNI & 255;
  unsigned char *inner = payload + 8;
  memcpy(inner, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);

  static struct mmsghdr msgs[BATCH];
  static struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
  for (int i = 0; i < BATCH; i++) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long sent = 0;
  double t0 = now_ms();
  while (sent < total) {
    unsigned n = total - sent < BATCH ? total - sent : BATCH;
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      perror("udp_burst: sendmmsg");
      return 1;
    }
    sent += r;
  }
  printf("{\"sent\":%lu,\"op_ms\":%.3f}\n", sent, now_ms() - t0);
  return 0;
}
