/*
 * The C floor's shared engine: what a careful C client on libnl costs, so the
 * benchmarks can show how close nl-lvs gets to the kernel itself.
 *
 * Messages are built with libnl (nlmsg_alloc + genlmsg_put / nlmsg_put +
 * nla_put), copied into ONE buffer, sent many per sendmsg, and their acks are
 * read in bulk with recvmmsg. Dumps are read with recvmmsg too. Each program
 * prints one JSON line: {"op_ms":..., "items":..., "errors":...}.
 */
#ifndef NLFLOOR_H
#define NLFLOOR_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define FLOOR_SNDBUF (4 << 20)
#define FLOOR_RCVBUF (64 << 20)
/* Messages per sendmsg (override: FLOOR_WINDOW=n). Larger is NOT faster on
 * the host kernel: a vxlan FDB add allocates per-CPU memory (dst_cache_init ->
 * pcpu_alloc), and in one long sendmsg of 1024+ adds that allocator runs out
 * of populated chunks and slows 3-4x (perf: 84% under pcpu_alloc at 8192,
 * 2% at 64). Up to 256 the cost is flat. */
#define FLOOR_WINDOW 256
#define FLOOR_CHUNK_BYTES (1 << 20)
#define FLOOR_SLOTS 256
#define FLOOR_SLOT_SIZE (64 << 10)

static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void die(const char *what, int err) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(err < 0 ? -err : err));
  exit(1);
}

/* A growable buffer of whole netlink messages. */
struct batch {
  char *buf;
  size_t len, cap;
  size_t *offsets;
  size_t count, ocap;
};

static inline void batch_add(struct batch *b, struct nl_msg *msg) {
  struct nlmsghdr *h = nlmsg_hdr(msg);
  size_t n = NLMSG_ALIGN(h->nlmsg_len);
  if (b->len + n > b->cap) {
    b->cap = b->cap ? b->cap * 2 : (1 << 20);
    while (b->cap < b->len + n) b->cap *= 2;
    b->buf = realloc(b->buf, b->cap);
  }
  if (b->count == b->ocap) {
    b->ocap = b->ocap ? b->ocap * 2 : 4096;
    b->offsets = realloc(b->offsets, b->ocap * sizeof(size_t));
  }
  memcpy(b->buf + b->len, h, h->nlmsg_len);
  memset(b->buf + b->len + h->nlmsg_len, 0, n - h->nlmsg_len);
  b->offsets[b->count++] = b->len;
  b->len += n;
}

static inline void batch_reset(struct batch *b) {
  b->len = 0;
  b->count = 0;
}

/* A raw netlink socket (libnl-owned) tuned like nl-lvs's: big buffers, small acks. */
static inline struct nl_sock *floor_socket(int protocol) {
  struct nl_sock *sk = nl_socket_alloc();
  if (!sk) die("nl_socket_alloc", ENOMEM);
  nl_socket_disable_seq_check(sk);
  nl_socket_disable_auto_ack(sk);
  int err = nl_connect(sk, protocol);
  if (err < 0) {
    fprintf(stderr, "floor: nl_connect: %s\n", nl_geterror(err));
    exit(1);
  }
  int fd = nl_socket_get_fd(sk);
  int v = FLOOR_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  v = FLOOR_SNDBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  v = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &v, sizeof v);
  return sk;
}

/* recvmmsg state, allocated once. */
struct receiver {
  struct mmsghdr msgs[FLOOR_SLOTS];
  struct iovec iov[FLOOR_SLOTS];
  char *slots;
};

static inline void receiver_init(struct receiver *r) {
  r->slots = malloc((size_t)FLOOR_SLOTS * FLOOR_SLOT_SIZE);
  for (int i = 0; i < FLOOR_SLOTS; i++) {
    r->iov[i].iov_base = r->slots + (size_t)i * FLOOR_SLOT_SIZE;
    r->iov[i].iov_len = FLOOR_SLOT_SIZE;
    memset(&r->msgs[i].msg_hdr, 0, sizeof r->msgs[i].msg_hdr);
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

/* Reads at least one datagram (blocking), and every other one already queued. */
static inline int receive(int fd, struct receiver *r) {
  for (;;) {
    int n = recvmmsg(fd, r->msgs, FLOOR_SLOTS, MSG_WAITFORONE, NULL);
    if (n >= 0) return n;
    if (errno != EINTR) die("recvmmsg", errno);
  }
}

/*
 * Sends every message of the batch (seq = index + base) and waits for all
 * acks. Returns how many were rejected; the first error is kept in *first_err.
 */
static inline size_t send_batch_acking(struct nl_sock *sk, struct receiver *r, struct batch *b, uint32_t base, int *first_err, int ack_per_send) {
  int fd = nl_socket_get_fd(sk);
  size_t errors = 0, next = 0;
  size_t window = FLOOR_WINDOW;
  const char *w = getenv("FLOOR_WINDOW");
  if (w && atoi(w) > 0) window = (size_t)atoi(w);
  *first_err = 0;
  for (size_t i = 0; i < b->count; i++) {
    struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + b->offsets[i]);
    h->nlmsg_seq = base + (uint32_t)i;
    if (ack_per_send) h->nlmsg_flags &= ~NLM_F_ACK;
    else h->nlmsg_flags |= NLM_F_ACK;
  }
  while (next < b->count) {
    size_t first = next;
    size_t from = b->offsets[first];
    size_t to = from;
    while (next < b->count && next - first < window) {
      size_t end = b->offsets[next] + NLMSG_ALIGN(((struct nlmsghdr *)(b->buf + b->offsets[next]))->nlmsg_len);
      if (next > first && end - from > FLOOR_CHUNK_BYTES) break;
      to = end;
      next++;
    }
    uint32_t last_seq = base + (uint32_t)(next - 1);
    /* One ack per send: the kernel answers the others only if they fail, and
     * the last one's ack comes after those errors. */
    if (ack_per_send) ((struct nlmsghdr *)(b->buf + b->offsets[next - 1]))->nlmsg_flags |= NLM_F_ACK;
    ssize_t sent;
    do sent = send(fd, b->buf + from, to - from, 0);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) die("sendmsg", errno);
    size_t waiting = ack_per_send ? 1 : next - first;
    while (waiting > 0) {
      int n = receive(fd, r);
      for (int i = 0; i < n; i++) {
        struct nlmsghdr *h = (struct nlmsghdr *)r->iov[i].iov_base;
        int len = (int)r->msgs[i].msg_len;
        for (; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
          if (h->nlmsg_type != NLMSG_ERROR) continue;
          struct nlmsgerr *e = nlmsg_data(h);
          if (e->error != 0) {
            if (errors++ == 0) *first_err = e->error;
          }
          if (!ack_per_send || h->nlmsg_seq == last_seq) waiting--;
        }
      }
    }
  }
  return errors;
}

static inline size_t send_batch(struct nl_sock *sk, struct receiver *r, struct batch *b, uint32_t base, int *first_err) {
  return send_batch_acking(sk, r, b, base, first_err, 0);
}

/*
 * Sends one dump request and hands every reply message to `each` until
 * NLMSG_DONE. Returns 0, or the negative errno of the dump.
 */
typedef void (*dump_cb)(struct nlmsghdr *h, void *arg);

static inline int dump(struct nl_sock *sk, struct receiver *r, struct nl_msg *req, uint32_t seq, dump_cb each, void *arg) {
  int fd = nl_socket_get_fd(sk);
  struct nlmsghdr *q = nlmsg_hdr(req);
  q->nlmsg_seq = seq;
  q->nlmsg_flags |= NLM_F_DUMP | NLM_F_REQUEST;
  ssize_t sent;
  do sent = send(fd, q, q->nlmsg_len, 0);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) die("sendmsg (dump)", errno);
  for (;;) {
    int n = receive(fd, r);
    for (int i = 0; i < n; i++) {
      struct nlmsghdr *h = (struct nlmsghdr *)r->iov[i].iov_base;
      int len = (int)r->msgs[i].msg_len;
      for (; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
        if (h->nlmsg_seq != seq) continue;
        if (h->nlmsg_type == NLMSG_DONE) return 0;
        if (h->nlmsg_type == NLMSG_ERROR) {
          struct nlmsgerr *e = nlmsg_data(h);
          return e->error;
        }
        each(h, arg);
      }
    }
  }
}

/* Minor page faults and CPU time since faults_mark(), reported with the time
 * as the JS tools report theirs: under UML a fault costs ~150 us, so they
 * explain much of a difference there; user time is the tool's own work,
 * system time mostly the kernel's work on the requests. */
static long faults_start = -1;
static struct rusage usage_start;
static inline double tv_ms(struct timeval t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; }
static inline long minor_faults(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}
static inline void faults_mark(void) {
  getrusage(RUSAGE_SELF, &usage_start);
  faults_start = usage_start.ru_minflt;
}

static inline void report(double ms, size_t items, size_t errors, int first_err) {
  printf("{\"op_ms\":%.3f,\"items\":%zu,\"errors\":%zu", ms, items, errors);
  if (faults_start >= 0) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    printf(",\"minflt\":%ld,\"user_ms\":%.1f,\"sys_ms\":%.1f", u.ru_minflt - faults_start,
           tv_ms(u.ru_utime) - tv_ms(usage_start.ru_utime), tv_ms(u.ru_stime) - tv_ms(usage_start.ru_stime));
  }
  if (first_err) printf(",\"first_error\":\"%s\"", strerror(-first_err));
  printf("}\n");
}

#endif
