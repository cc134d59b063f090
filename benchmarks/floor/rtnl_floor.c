/*
 * rtnetlink C floor (libnl-3): what the kernel itself costs. Run it inside
 * the namespace (ip netns exec NS rtnl_floor ...).
 *
 *   rtnl_floor fdb-add N [one-ack]  N FDB entries on vx0 (self, permanent), batched
 *   rtnl_floor fdb-list             dump AF_BRIDGE neighbours, decoded
 *   rtnl_floor fdb-del N [one-ack]  delete them, batched
 * With one-ack, only the last message of each send asks for an ack (as
 * nl-lvs's rtnl.batch does); otherwise every message does.
 *   rtnl_floor link-add veth|vxlan N
 *   rtnl_floor link-dump      dump links, decoded
 *
 * The workload is the one every tool runs (benchmarks/harness/workload.mjs):
 * FDB entry k = MAC 02:00:00:xx:xx:xx (k + 1), dst 198.51.100.(2 + k % 200);
 * veth k = bv<k> (peer bp<k>); vxlan k = bx<k>, id 1000 + k, dstport 4789.
 */
#include "nlfloor.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

static void fdb_mac(size_t k, uint8_t mac[6]) {
  uint32_t n = (uint32_t)k + 1;
  mac[0] = 2;
  mac[1] = 0;
  mac[2] = 0;
  mac[3] = (n >> 16) & 255;
  mac[4] = (n >> 8) & 255;
  mac[5] = n & 255;
}

static struct nl_msg *fdb_msg(int type, int flags, int ifindex, size_t k) {
  struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | flags);
  struct ndmsg nd = {.ndm_family = AF_BRIDGE, .ndm_ifindex = ifindex, .ndm_state = NUD_PERMANENT, .ndm_flags = NTF_SELF};
  nlmsg_append(m, &nd, sizeof nd, NLMSG_ALIGNTO);
  uint8_t mac[6];
  fdb_mac(k, mac);
  nla_put(m, NDA_LLADDR, 6, mac);
  uint32_t dst = htonl(0xC6336400u + 2 + (uint32_t)(k % 200)); /* 198.51.100.x */
  nla_put(m, NDA_DST, 4, &dst);
  return m;
}

static struct nl_msg *link_msg(const char *kind, size_t k) {
  struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO);
  char name[IFNAMSIZ];
  int veth = strcmp(kind, "veth") == 0;
  snprintf(name, sizeof name, veth ? "bv%zu" : "bx%zu", k);
  nla_put_string(m, IFLA_IFNAME, name);
  struct nlattr *info = nla_nest_start(m, IFLA_LINKINFO);
  nla_put_string(m, IFLA_INFO_KIND, kind);
  struct nlattr *data = nla_nest_start(m, IFLA_INFO_DATA);
  if (veth) {
    struct nlattr *peer = nla_nest_start(m, VETH_INFO_PEER);
    void *hdr = nlmsg_reserve(m, sizeof ifi, NLMSG_ALIGNTO);
    memcpy(hdr, &ifi, sizeof ifi);
    snprintf(name, sizeof name, "bp%zu", k);
    nla_put_string(m, IFLA_IFNAME, name);
    nla_nest_end(m, peer);
  } else {
    nla_put_u32(m, IFLA_VXLAN_ID, 1000 + (uint32_t)k);
    nla_put_u16(m, IFLA_VXLAN_PORT, htons(4789));
  }
  nla_nest_end(m, data);
  nla_nest_end(m, info);
  return m;
}

/* ---- decoding: what a real client keeps of each object ------------------ */

struct fdb_entry {
  int ifindex, master, via;
  uint16_t state, vlan;
  uint8_t flags, mac[6], dst[16];
  uint32_t vni, src_vni;
  uint16_t port;
};

struct link {
  int index, master, link;
  unsigned flags;
  uint32_t mtu, txqlen;
  uint8_t operstate, addr[32];
  char name[IFNAMSIZ], kind[16];
  uint64_t stats[24];
};

struct list {
  void *items;
  size_t n, cap, size;
};

static void *list_push(struct list *l) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 1024;
    l->items = realloc(l->items, l->cap * l->size);
  }
  void *p = (char *)l->items + l->n++ * l->size;
  memset(p, 0, l->size);
  return p;
}

static void on_fdb(struct nlmsghdr *h, void *arg) {
  struct nlattr *tb[NDA_MAX + 1];
  if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(struct ndmsg), tb, NDA_MAX, NULL) < 0) return;
  struct ndmsg *nd = nlmsg_data(h);
  struct fdb_entry *e = list_push(arg);
  e->ifindex = nd->ndm_ifindex;
  e->state = nd->ndm_state;
  e->flags = nd->ndm_flags;
  if (tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) >= 6) memcpy(e->mac, nla_data(tb[NDA_LLADDR]), 6);
  if (tb[NDA_DST]) memcpy(e->dst, nla_data(tb[NDA_DST]), nla_len(tb[NDA_DST]) < 16 ? nla_len(tb[NDA_DST]) : 16);
  if (tb[NDA_VLAN]) e->vlan = nla_get_u16(tb[NDA_VLAN]);
  if (tb[NDA_VNI]) e->vni = nla_get_u32(tb[NDA_VNI]);
  if (tb[NDA_SRC_VNI]) e->src_vni = nla_get_u32(tb[NDA_SRC_VNI]);
  if (tb[NDA_PORT]) e->port = ntohs(nla_get_u16(tb[NDA_PORT]));
  if (tb[NDA_IFINDEX]) e->via = nla_get_u32(tb[NDA_IFINDEX]);
  if (tb[NDA_MASTER]) e->master = nla_get_u32(tb[NDA_MASTER]);
}

static void on_link(struct nlmsghdr *h, void *arg) {
  struct nlattr *tb[IFLA_MAX + 1];
  if (h->nlmsg_type != RTM_NEWLINK || nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0) return;
  struct ifinfomsg *ifi = nlmsg_data(h);
  struct link *l = list_push(arg);
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  if (tb[IFLA_IFNAME]) nla_strlcpy(l->name, tb[IFLA_IFNAME], sizeof l->name);
  if (tb[IFLA_MTU]) l->mtu = nla_get_u32(tb[IFLA_MTU]);
  if (tb[IFLA_TXQLEN]) l->txqlen = nla_get_u32(tb[IFLA_TXQLEN]);
  if (tb[IFLA_MASTER]) l->master = nla_get_u32(tb[IFLA_MASTER]);
  if (tb[IFLA_LINK]) l->link = nla_get_u32(tb[IFLA_LINK]);
  if (tb[IFLA_OPERSTATE]) l->operstate = nla_get_u8(tb[IFLA_OPERSTATE]);
  if (tb[IFLA_ADDRESS]) memcpy(l->addr, nla_data(tb[IFLA_ADDRESS]), nla_len(tb[IFLA_ADDRESS]) < 32 ? nla_len(tb[IFLA_ADDRESS]) : 32);
  if (tb[IFLA_STATS64]) memcpy(l->stats, nla_data(tb[IFLA_STATS64]), nla_len(tb[IFLA_STATS64]) < (int)sizeof l->stats ? nla_len(tb[IFLA_STATS64]) : sizeof l->stats);
  if (tb[IFLA_LINKINFO]) {
    struct nlattr *li[IFLA_INFO_MAX + 1];
    if (nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 && li[IFLA_INFO_KIND]) nla_strlcpy(l->kind, li[IFLA_INFO_KIND], sizeof l->kind);
  }
}

static int run_batch(struct nl_sock *sk, struct receiver *r, struct batch *b, double t0, int ack_per_send) {
  int first_err;
  size_t errors = send_batch_acking(sk, r, b, 1, &first_err, ack_per_send);
  report(now_ms() - t0, b->count, errors, first_err);
  return errors ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: rtnl_floor fdb-add N [one-ack] | fdb-list | fdb-del N [one-ack] | link-add veth|vxlan N | link-dump\n");
    return 2;
  }
  struct nl_sock *sk = floor_socket(NETLINK_ROUTE);
  struct receiver r;
  receiver_init(&r);
  const char *mode = argv[1];
  if ((strcmp(mode, "fdb-add") == 0 || strcmp(mode, "fdb-del") == 0) && argc >= 3) {
    size_t n = strtoul(argv[2], NULL, 10);
    faults_mark();
    double t0 = now_ms();
    int ifindex = (int)if_nametoindex("vx0");
    if (!ifindex) die("if_nametoindex vx0", errno);
    int add = strcmp(mode, "fdb-add") == 0;
    struct batch b = {0};
    for (size_t k = 0; k < n; k++) {
      struct nl_msg *m = add ? fdb_msg(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, ifindex, k) : fdb_msg(RTM_DELNEIGH, 0, ifindex, k);
      batch_add(&b, m);
      nlmsg_free(m);
    }
    return run_batch(sk, &r, &b, t0, argc >= 4 && strcmp(argv[3], "one-ack") == 0);
  }
  if (strcmp(mode, "link-add") == 0 && argc >= 4) {
    size_t n = strtoul(argv[3], NULL, 10);
    double t0 = now_ms();
    struct batch b = {0};
    for (size_t k = 0; k < n; k++) {
      struct nl_msg *m = link_msg(argv[2], k);
      batch_add(&b, m);
      nlmsg_free(m);
    }
    return run_batch(sk, &r, &b, t0, 0);
  }
  if (strcmp(mode, "fdb-list") == 0) {
    struct list l = {.size = sizeof(struct fdb_entry)};
    double t0 = now_ms();
    struct nl_msg *q = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP);
    struct ndmsg nd = {.ndm_family = AF_BRIDGE};
    nlmsg_append(q, &nd, sizeof nd, NLMSG_ALIGNTO);
    int err = dump(sk, &r, q, 1, on_fdb, &l);
    if (err) die("fdb dump", err);
    report(now_ms() - t0, l.n, 0, 0);
    return 0;
  }
  if (strcmp(mode, "link-dump") == 0) {
    struct list l = {.size = sizeof(struct link)};
    double t0 = now_ms();
    struct nl_msg *q = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    nlmsg_append(q, &ifi, sizeof ifi, NLMSG_ALIGNTO);
    int err = dump(sk, &r, q, 1, on_link, &l);
    if (err) die("link dump", err);
    report(now_ms() - t0, l.n, 0, 0);
    return 0;
  }
  fprintf(stderr, "floor: unknown mode %s\n", mode);
  return 2;
}
