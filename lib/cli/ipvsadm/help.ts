// nl-ipvsadm -h: a manual page in brief. It covers the ipvsadm command set
// nl-ipvsadm accepts unchanged, and what nl-ipvsadm adds (--json, batched
// restore with progress).
import { SCHEDULERS } from '../../families/ipvs/validate.js';

export const NL_IPVSADM_VERSION = '0.1.0';

/** The -v line. */
export function versionText(): string {
  return `nl-ipvsadm ${NL_IPVSADM_VERSION} (ipvsadm 1.31 command line and output, netlink; IPVS protocol 1.2.1)\n`;
}

export function helpText(program: string): string {
  const p = program;
  return `NAME
    ${p} - administer Linux IP Virtual Server (IPVS) tables over netlink

SYNOPSIS
    ${p} -A|-E SERVICE [-s SCHEDULER] [-p [TIMEOUT]] [-M NETMASK] [--pe ENGINE] [-b FLAGS] [-o]
    ${p} -D SERVICE
    ${p} -C
    ${p} -R
    ${p} -S [-n]
    ${p} -a|-e SERVICE -r SERVER[:PORT] [-g|-i|-m] [-w WEIGHT] [-x UPPER] [-y LOWER] [TUNNEL OPTIONS]
    ${p} -d SERVICE -r SERVER[:PORT]
    ${p} -L|-l [SERVICE] [LISTING OPTIONS] [--json]
    ${p} -Z [SERVICE]
    ${p} --set TCP TCPFIN UDP
    ${p} --start-daemon master|backup [DAEMON OPTIONS]
    ${p} --stop-daemon master|backup [--syncid ID]
    ${p} -h | -v

DESCRIPTION
    ${p} accepts the command line of ipvsadm 1.31 and prints the same listings, rules and
    error messages, byte for byte, so scripts written for ipvsadm keep working. It talks to the
    kernel through one generic netlink socket (the nl-lvs library) and never runs other programs.
    The command comes first; options follow in any order. Long and short forms are equivalent.

COMMANDS
    -A, --add-service        create a virtual service
    -E, --edit-service       change a virtual service; options left out take their defaults again
    -D, --delete-service     remove a virtual service and its real servers
    -C, --clear              remove every virtual service
    -R, --restore            read commands (the output of -S) from standard input and apply them
    -S, --save               print the table as commands that -R reads back
    -a, --add-server         add a real server to a service
    -e, --edit-server        change a real server; options left out take their defaults again
    -d, --delete-server      remove a real server
    -L, -l, --list           list the table, one service, connections, timeouts or sync daemons
    -Z, --zero               reset the counters of one service, or of all
    --set TCP TCPFIN UDP     set the connection timeouts in seconds (0 keeps a value)
    --start-daemon STATE     start the connection sync daemon (master or backup)
    --stop-daemon STATE      stop it
    -h, --help               print this text
    -v, --version            print the version

SERVICE
    -t, --tcp-service HOST[:PORT]     a TCP service; HOST is an address or a name, PORT a number
                                      or a service name; IPv6 as [ADDRESS]:PORT
    -u, --udp-service HOST[:PORT]     a UDP service
    --sctp-service HOST[:PORT]        an SCTP service
    -f, --fwmark-service MARK         packets carrying firewall mark MARK (1 to 4294967295)
    -6, --ipv6                        with -f: the mark is for IPv6 packets

SERVICE OPTIONS
    -s, --scheduler NAME     ${SCHEDULERS.join(', ')}, or a scheduler module's name;
                             default wlc
    -p, --persistent [SEC]   send a client to the same server for SEC seconds (default 360)
    -M, --netmask MASK       persistence granularity: an IPv4 mask, or an IPv6 prefix length
    --pe ENGINE              persistence engine, e.g. sip
    -b, --sched-flags LIST   comma-separated: sh-fallback, sh-port (sh), mh-fallback, mh-port
                             (mh), flag-1, flag-2, flag-3
    -o, --ops                one-packet scheduling (UDP services)

REAL SERVER OPTIONS
    -r, --real-server HOST[:PORT]     the server; the port defaults to the service's
    -g, --gatewaying         direct routing (the default)
    -i, --ipip               tunnelling
    -m, --masquerading       NAT
    -w, --weight N           relative capacity, 0 to 2147483647 (0: no new connections); default 1
    -x, --u-threshold N      stop sending new connections above N active ones (0: no limit)
    -y, --l-threshold N      resume below N
    --tun-type TYPE          with -i: ipip (default), gue or gre
    --tun-port PORT          gue: the UDP port (required)
    --tun-nocsum, --tun-csum, --tun-remcsum
                             tunnel checksum: none (default), checksum, remote checksum (gue)

LISTING OPTIONS
    -n, --numeric            addresses and ports as numbers (otherwise looked up as host and
                             service names)
    -c, --connection         the connection table
    --timeout                the tcp, tcpfin and udp timeouts
    --daemon                 the sync daemons
    --stats                  counters: connections, packets, bytes
    --rate                   rates per second
    --exact                  counters in full (no K, M, G, T)
    --thresholds             the real servers' thresholds
    --persistent-conn        persistent connections per real server
    --tun-info               tunnel type, port and checksum per real server
    --sort, --nosort         services and servers sorted (default) or in the kernel's order
    --json                   the same data as JSON (see below)

SYNC DAEMON OPTIONS
    --mcast-interface IF     the interface (default eth0)
    --syncid ID              0 to 255 (default 0)
    --sync-maxlen BYTES      largest sync message (default: from the interface MTU)
    --mcast-group ADDRESS    IPv4 or IPv6 multicast group (default 224.0.0.81)
    --mcast-port PORT        UDP port (default 8848)
    --mcast-ttl TTL          multicast TTL (default 1)

NEW IN ${p.toUpperCase()}
    --json    Every listing (-L, -L SERVICE, -Lc, --timeout, --daemon) can print JSON instead:
              {"version", "connTableSize", "services": [{..., "destinations": [...]}]},
              {"connections": [...]}, {"timeouts": {...}}, {"daemons": [...]}. Addresses are
              numeric; 64-bit counters are strings ("stats": {"connections": "12", ...}) because
              JSON numbers lose precision above 2^53.
    -R        Restore is batched: all lines are read and checked first (nothing is applied if
              one is wrong; the message names the line), then sent in large netlink batches,
              tens of thousands of rules per second. On a terminal a progress bar shows on
              standard error; piped, nothing is shown. A rule the kernel refuses is reported
              with its line number and the rest still apply.

EXIT STATUS
    0 on success; 1 when a listing fails; 2 for a bad command line (as ipvsadm); 255 when the
    kernel refuses a change or an option is unknown.

SEE ALSO
    ipvsadm(8), ipvsadm-save(8), ipvsadm-restore(8)
`;
}
