"""The pyroute2 peer (Debian's python3-pyroute2), used as Python scripts use
it: one IPRoute socket, one call per object. Run it inside the namespace
(ip netns exec NS python3 bench.py ...).

    bench.py fdb-add N | fdb-list | fdb-del N | link-add veth|vxlan N | link-dump

Prints one JSON line: {"op_ms": ..., "items": ..., "errors": ...}.
The workload matches benchmarks/harness/workload.mjs.
"""
import json
import sys
import time

from pyroute2 import IPRoute


def fdb_mac(k):
    n = k + 1
    return '02:00:00:%02x:%02x:%02x' % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


def fdb_dst(k):
    return '198.51.100.%d' % (2 + k % 200)


def main(argv):
    mode = argv[1]
    result = {'items': 0, 'errors': 0}

    def record(err):
        if result['errors'] == 0:
            result['first_error'] = str(err)
        result['errors'] += 1

    with IPRoute() as ipr:
        t0 = time.monotonic()
        if mode in ('fdb-add', 'fdb-del'):
            n = int(argv[2])
            index = ipr.link_lookup(ifname='vx0')[0]
            command = 'add' if mode == 'fdb-add' else 'del'
            for k in range(n):
                try:
                    ipr.fdb(command, ifindex=index, lladdr=fdb_mac(k), dst=fdb_dst(k))
                except Exception as err:  # NetlinkError: counted, as for every tool
                    record(err)
            result['items'], result['via'] = n, 'IPRoute.fdb(%r)' % command
        elif mode == 'fdb-list':
            index = ipr.link_lookup(ifname='vx0')[0]
            entries = list(ipr.fdb('dump', ifindex=index))
            result['items'], result['via'] = len(entries), "IPRoute.fdb('dump')"
        elif mode == 'link-add':
            kind, n = argv[2], int(argv[3])
            for k in range(n):
                try:
                    if kind == 'veth':
                        ipr.link('add', ifname='bv%d' % k, kind='veth', peer='bp%d' % k)
                    else:
                        ipr.link('add', ifname='bx%d' % k, kind='vxlan', vxlan_id=1000 + k, vxlan_port=4789)
                except Exception as err:
                    record(err)
            result['items'], result['via'] = n, "IPRoute.link('add')"
        elif mode == 'link-dump':
            links = list(ipr.get_links())
            result['items'], result['via'] = len(links), 'IPRoute.get_links()'
        else:
            print('unknown mode', mode, file=sys.stderr)
            return 2
        result['op_ms'] = round((time.monotonic() - t0) * 1000, 3)
    print(json.dumps(result))
    return 1 if result['errors'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
