/*
 * IPVS C floor (libnl-genl-3): what the kernel itself costs.
 *
 *   ipvs_floor create N D [one-ack]
 *                             N TCP services x D masq destinations, batched;
 *                             with one-ack, only each send's last message asks
 *                             for an ack (as nl-lvs's ipvs.batch does)
 *   ipvs_floor snapshot       services + destinations with stats, decoded
 *   ipvs_floor stats P        counters only, polled P times (median poll)
 *   ipvs_floor single K       K single add-service calls on a live socket
 *                             (median per call)
 *
 * The workload is the one every tool runs (see benchmarks/harness/workload.mjs):
 * service i = 198.18.0.0 + 1 + i, port 80, rr; destination j of service i =
 * 198.19.0.0 + 1 + i*D + j, port 8080, masq, weight 1.
 */
#include "nlfloor.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/ip_vs.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#define SVC_BASE 0xC6120001u /* 198.18.0.1 */
#define DST_BASE 0xC6130001u /* 198.19.0.1 */

static int family;

static void put_service_key(struct nl_msg *m, uint32_t vip) {
  struct nlattr *svc = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
  uint32_t addr[4] = {htonl(vip), 0, 0, 0};
  nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
  nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
  nla_put(m, IPVS_SVC_ATTR_ADDR, sizeof addr, addr);
  nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(80));
  nla_nest_end(m, svc);
}

static struct nl_msg *new_service(uint32_t vip) {
  struct nl_msg *m = nlmsg_alloc();
  genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_SERVICE, IPVS_GENL_VERSION);
  struct nlattr *svc = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
  uint32_t addr[4] = {htonl(vip), 0, 0, 0};
  struct ip_vs_flags flags = {0, ~0u};
  nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
  nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
  nla_put(m, IPVS_SVC_ATTR_ADDR, sizeof addr, addr);
  nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(80));
  nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, "rr");
  nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags);
  nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, 0);
  nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, 0xffffffffu);
  nla_nest_end(m, svc);
  return m;
}

static struct nl_msg *new_dest(uint32_t vip, uint32_t rip) {
  struct nl_msg *m = nlmsg_alloc();
  genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_DEST, IPVS_GENL_VERSION);
  put_service_key(m, vip);
  struct nlattr *d = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
  uint32_t addr[4] = {htonl(rip), 0, 0, 0};
  nla_put(m, IPVS_DEST_ATTR_ADDR, sizeof addr, addr);
  nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(8080));
  nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
  nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, 1);
  nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, 0);
  nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, 0);
  nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
  nla_nest_end(m, d);
  return m;
}

/* ---- decoding: what a real client keeps of each object ------------------ */

struct stats {
  uint64_t v[10];
};

struct service {
  uint16_t af, protocol, port;
  uint32_t fwmark, timeout, netmask, flags;
  uint8_t addr[16];
  char sched[16];
  struct stats stats;
  struct dest *dests;
  size_t ndests, cap;
};

struct dest {
  uint8_t addr[16];
  uint16_t port, af;
  uint32_t fwd, weight, uthresh, lthresh, active, inactive, persist;
  struct stats stats;
};

struct snapshot {
  struct service *svcs;
  size_t n, cap, filled;
  size_t dests;
  int stats_only;
};

static void read_stats(struct nlattr *nest, struct stats *s) {
  struct nlattr *tb[IPVS_STATS_ATTR_MAX + 1];
  if (!nest || nla_parse_nested(tb, IPVS_STATS_ATTR_MAX, nest, NULL) < 0) return;
  for (int i = IPVS_STATS_ATTR_CONNS; i <= IPVS_STATS_ATTR_OUTBPS && i <= IPVS_STATS_ATTR_MAX; i++) {
    if (!tb[i]) continue;
    s->v[i - 1] = nla_len(tb[i]) == 8 ? nla_get_u64(tb[i]) : nla_get_u32(tb[i]);
  }
}

static void on_service(struct nlmsghdr *h, void *arg) {
  struct snapshot *snap = arg;
  struct nlattr *cmd[IPVS_CMD_ATTR_MAX + 1];
  struct nlattr *tb[IPVS_SVC_ATTR_MAX + 1];
  if (genlmsg_parse(h, 0, cmd, IPVS_CMD_ATTR_MAX, NULL) < 0 || !cmd[IPVS_CMD_ATTR_SERVICE]) return;
  if (nla_parse_nested(tb, IPVS_SVC_ATTR_MAX, cmd[IPVS_CMD_ATTR_SERVICE], NULL) < 0) return;
  if (snap->n == snap->cap) {
    snap->cap = snap->cap ? snap->cap * 2 : 1024;
    snap->svcs = realloc(snap->svcs, snap->cap * sizeof *snap->svcs);
  }
  if (snap->n >= snap->filled) {
    memset(&snap->svcs[snap->n], 0, sizeof *snap->svcs);
    snap->filled = snap->n + 1;
  }
  struct service *s = &snap->svcs[snap->n++];
  /* Keep the destination array of an earlier poll: a poller reuses its memory. */
  struct dest *keep = s->dests;
  size_t cap = s->cap;
  memset(s, 0, sizeof *s);
  s->dests = keep;
  s->cap = cap;
  if (tb[IPVS_SVC_ATTR_AF]) s->af = nla_get_u16(tb[IPVS_SVC_ATTR_AF]);
  if (tb[IPVS_SVC_ATTR_PROTOCOL]) s->protocol = nla_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]);
  if (tb[IPVS_SVC_ATTR_PORT]) s->port = ntohs(nla_get_u16(tb[IPVS_SVC_ATTR_PORT]));
  if (tb[IPVS_SVC_ATTR_FWMARK]) s->fwmark = nla_get_u32(tb[IPVS_SVC_ATTR_FWMARK]);
  if (tb[IPVS_SVC_ATTR_ADDR]) memcpy(s->addr, nla_data(tb[IPVS_SVC_ATTR_ADDR]), nla_len(tb[IPVS_SVC_ATTR_ADDR]) < 16 ? nla_len(tb[IPVS_SVC_ATTR_ADDR]) : 16);
  if (snap->stats_only) {
    read_stats(tb[IPVS_SVC_ATTR_STATS64] ? tb[IPVS_SVC_ATTR_STATS64] : tb[IPVS_SVC_ATTR_STATS], &s->stats);
    return;
  }
  if (tb[IPVS_SVC_ATTR_SCHED_NAME]) nla_strlcpy(s->sched, tb[IPVS_SVC_ATTR_SCHED_NAME], sizeof s->sched);
  if (tb[IPVS_SVC_ATTR_FLAGS]) s->flags = ((struct ip_vs_flags *)nla_data(tb[IPVS_SVC_ATTR_FLAGS]))->flags;
  if (tb[IPVS_SVC_ATTR_TIMEOUT]) s->timeout = nla_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
  if (tb[IPVS_SVC_ATTR_NETMASK]) s->netmask = nla_get_u32(tb[IPVS_SVC_ATTR_NETMASK]);
  read_stats(tb[IPVS_SVC_ATTR_STATS64] ? tb[IPVS_SVC_ATTR_STATS64] : tb[IPVS_SVC_ATTR_STATS], &s->stats);
}

static void on_dest(struct nlmsghdr *h, void *arg) {
  struct snapshot *snap = arg;
  struct service *s = &snap->svcs[snap->n];
  struct nlattr *cmd[IPVS_CMD_ATTR_MAX + 1];
  struct nlattr *tb[IPVS_DEST_ATTR_MAX + 1];
  if (genlmsg_parse(h, 0, cmd, IPVS_CMD_ATTR_MAX, NULL) < 0 || !cmd[IPVS_CMD_ATTR_DEST]) return;
  if (nla_parse_nested(tb, IPVS_DEST_ATTR_MAX, cmd[IPVS_CMD_ATTR_DEST], NULL) < 0) return;
  if (s->ndests == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 8;
    s->dests = realloc(s->dests, s->cap * sizeof *s->dests);
  }
  struct dest *d = &s->dests[s->ndests++];
  memset(d, 0, sizeof *d);
  snap->dests++;
  if (tb[IPVS_DEST_ATTR_ADDR]) memcpy(d->addr, nla_data(tb[IPVS_DEST_ATTR_ADDR]), nla_len(tb[IPVS_DEST_ATTR_ADDR]) < 16 ? nla_len(tb[IPVS_DEST_ATTR_ADDR]) : 16);
  if (tb[IPVS_DEST_ATTR_PORT]) d->port = ntohs(nla_get_u16(tb[IPVS_DEST_ATTR_PORT]));
  if (!snap->stats_only) {
    if (tb[IPVS_DEST_ATTR_ADDR_FAMILY]) d->af = nla_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]);
    if (tb[IPVS_DEST_ATTR_FWD_METHOD]) d->fwd = nla_get_u32(tb[IPVS_DEST_ATTR_FWD_METHOD]);
    if (tb[IPVS_DEST_ATTR_WEIGHT]) d->weight = nla_get_u32(tb[IPVS_DEST_ATTR_WEIGHT]);
    if (tb[IPVS_DEST_ATTR_U_THRESH]) d->uthresh = nla_get_u32(tb[IPVS_DEST_ATTR_U_THRESH]);
    if (tb[IPVS_DEST_ATTR_L_THRESH]) d->lthresh = nla_get_u32(tb[IPVS_DEST_ATTR_L_THRESH]);
    if (tb[IPVS_DEST_ATTR_ACTIVE_CONNS]) d->active = nla_get_u32(tb[IPVS_DEST_ATTR_ACTIVE_CONNS]);
    if (tb[IPVS_DEST_ATTR_INACT_CONNS]) d->inactive = nla_get_u32(tb[IPVS_DEST_ATTR_INACT_CONNS]);
    if (tb[IPVS_DEST_ATTR_PERSIST_CONNS]) d->persist = nla_get_u32(tb[IPVS_DEST_ATTR_PERSIST_CONNS]);
  }
  read_stats(tb[IPVS_DEST_ATTR_STATS64] ? tb[IPVS_DEST_ATTR_STATS64] : tb[IPVS_DEST_ATTR_STATS], &d->stats);
}

static struct nl_msg *dest_dump_request(const struct service *s) {
  struct nl_msg *m = nlmsg_alloc();
  genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_DEST, IPVS_GENL_VERSION);
  struct nlattr *svc = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
  nla_put_u16(m, IPVS_SVC_ATTR_AF, s->af);
  if (s->fwmark) {
    nla_put_u32(m, IPVS_SVC_ATTR_FWMARK, s->fwmark);
  } else {
    nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, s->protocol);
    nla_put(m, IPVS_SVC_ATTR_ADDR, s->af == AF_INET6 ? 16 : 4, s->addr);
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(s->port));
  }
  nla_nest_end(m, svc);
  return m;
}

/* One listing: services, then one destination dump per service. Returns its time. */
static double run_snapshot(struct nl_sock *sk, struct receiver *r, struct snapshot *snap) {
  double t0 = now_ms();
  snap->n = 0;
  snap->dests = 0;
  struct nl_msg *req = nlmsg_alloc();
  genlmsg_put(req, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_SERVICE, IPVS_GENL_VERSION);
  int err = dump(sk, r, req, 1, on_service, snap);
  nlmsg_free(req);
  if (err) die("dump services", err);
  /* on_dest appends to svcs[snap->n]: walk with a cursor. */
  size_t total = snap->n;
  for (size_t i = 0; i < total; i++) {
    struct nl_msg *q = dest_dump_request(&snap->svcs[i]);
    snap->n = i;
    err = dump(sk, r, q, (uint32_t)(2 + i), on_dest, snap);
    nlmsg_free(q);
    if (err) die("dump destinations", err);
  }
  snap->n = total;
  return now_ms() - t0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ipvs_floor create N D [one-ack] | snapshot | stats | single K\n");
    return 2;
  }
  struct nl_sock *sk = floor_socket(NETLINK_GENERIC);
  family = genl_ctrl_resolve(sk, IPVS_GENL_NAME);
  if (family < 0) {
    fprintf(stderr, "floor: IPVS family not found: %s\n", nl_geterror(family));
    return 1;
  }
  struct receiver r;
  receiver_init(&r);
  if (strcmp(argv[1], "create") == 0 && argc >= 4) {
    size_t n = strtoul(argv[2], NULL, 10), d = strtoul(argv[3], NULL, 10);
    struct batch b = {0};
    faults_mark();
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
      uint32_t vip = SVC_BASE + (uint32_t)i;
      struct nl_msg *m = new_service(vip);
      batch_add(&b, m);
      nlmsg_free(m);
      for (size_t j = 0; j < d; j++) {
        m = new_dest(vip, DST_BASE + (uint32_t)(i * d + j));
        batch_add(&b, m);
        nlmsg_free(m);
      }
    }
    int first_err;
    int one_ack = argc >= 5 && strcmp(argv[4], "one-ack") == 0;
    size_t errors = send_batch_acking(sk, &r, &b, 1, &first_err, one_ack);
    report(now_ms() - t0, b.count, errors, first_err);
    return errors ? 1 : 0;
  }
  if (strcmp(argv[1], "snapshot") == 0) {
    struct snapshot snap = {0};
    faults_mark();
    double ms = run_snapshot(sk, &r, &snap);
    report(ms, snap.n + snap.dests, 0, 0);
    return 0;
  }
  if (strcmp(argv[1], "stats") == 0) {
    size_t polls = argc >= 3 ? strtoul(argv[2], NULL, 10) : 1;
    if (polls < 1) polls = 1;
    struct snapshot snap = {0};
    snap.stats_only = 1;
    double *t = calloc(polls, sizeof *t);
    for (size_t p = 0; p < polls; p++) t[p] = run_snapshot(sk, &r, &snap);
    qsort(t, polls, sizeof *t, cmp_double);
    report(t[polls / 2], snap.n + snap.dests, 0, 0);
    return 0;
  }
  if (strcmp(argv[1], "single") == 0 && argc >= 3) {
    size_t k = strtoul(argv[2], NULL, 10);
    double *t = calloc(k, sizeof *t);
    struct batch b = {0};
    size_t errors = 0;
    int first_err = 0;
    /* Services far above the bulk workload's range, so they never collide. */
    for (size_t i = 0; i < k; i++) {
      double t0 = now_ms();
      struct nl_msg *m = new_service(0xC613F001u + (uint32_t)i);
      batch_reset(&b);
      batch_add(&b, m);
      nlmsg_free(m);
      int e;
      errors += send_batch(sk, &r, &b, (uint32_t)(100 + i), &e);
      if (e && !first_err) first_err = e;
      t[i] = now_ms() - t0;
    }
    qsort(t, k, sizeof *t, cmp_double);
    report(t[k / 2], k, errors, first_err);
    return errors ? 1 : 0;
  }
  fprintf(stderr, "floor: unknown mode %s\n", argv[1]);
  return 2;
}
