/*
 * udp_flows DST DPORT SRC NSRC PORTS
 * Sends one UDP datagram for each of NSRC consecutive source addresses
 * (from SRC) x PORTS source ports (from 1024), to DST:DPORT, through a raw
 * socket (IP_HDRINCL) in batches of sendmmsg: a cheap way to make an IPVS
 * director create NSRC*PORTS connection entries. Prints {"sent":N,"op_ms":T}.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 512
#define PAYLOAD 8

struct packet {
  struct iphdr ip;
  struct udphdr udp;
  char payload[PAYLOAD];
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp_flows DST DPORT SRC NSRC PORTS\n");
    return 2;
  }
  struct in_addr dst, src;
  if (!inet_aton(argv[1], &dst) || !inet_aton(argv[3], &src)) {
    fprintf(stderr, "udp_flows: bad address\n");
    return 2;
  }
  unsigned dport = atoi(argv[2]), nsrc = atoi(argv[4]), ports = atoi(argv[5]);
  if (ports > 64512) ports = 64512;
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  static struct packet pkts[BATCH];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
  for (int i = 0; i < BATCH; i++) {
    struct packet *p = &pkts[i];
    memset(p, 0, sizeof *p);
    p->ip.version = 4;
    p->ip.ihl = 5;
    p->ip.ttl = 64;
    p->ip.protocol = IPPROTO_UDP;
    p->ip.tot_len = htons(sizeof *p);
    p->ip.daddr = dst.s_addr;
    p->udp.dest = htons(dport);
    p->udp.len = htons(sizeof p->udp + PAYLOAD);
    iov[i].iov_base = p;
    iov[i].iov_len = sizeof *p;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }
  double t0 = now_ms();
  unsigned long total = (unsigned long)nsrc * ports, sent = 0;
  while (sent < total) {
    int n = 0;
    for (; n < BATCH && sent + n < total; n++) {
      unsigned long f = sent + n;
      pkts[n].ip.saddr = htonl(ntohl(src.s_addr) + (uint32_t)(f / ports));
      pkts[n].udp.source = htons(1024 + (uint16_t)(f % ports));
    }
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) {
      perror("sendmmsg");
      return 1;
    }
    sent += r;
  }
  printf("{\"sent\":%lu,\"op_ms\":%.3f}\n", sent, now_ms() - t0);
  return 0;
}
