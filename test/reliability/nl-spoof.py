#!/usr/bin/env python3
# A user-space netlink sender for the security tests: from a socket of its own
# (so from a non-zero port id) it sends netlink messages that claim to come
# from the kernel (nlmsg_pid 0) to another socket's port id, or to a multicast
# group. The library must drop them all: only the kernel may talk to it.
#   nl-spoof.py ack   PROTO TARGET_PORT COUNT FIRST_SEQ   errors (-EPERM) for sequence numbers FIRST_SEQ..
#   nl-spoof.py link  PROTO TARGET_PORT COUNT              RTM_NEWLINK notifications to one socket
#   nl-spoof.py group PROTO GROUP COUNT                    RTM_NEWLINK notifications to a multicast group
import socket
import struct
import sys

RTM_NEWLINK = 16
NLMSG_ERROR = 2


def newlink(seq):
    # ifinfomsg for ifindex 4242 and one IFLA_IFNAME "spoof0".
    name = b'spoof0\0'
    attr = struct.pack('=HH', 4 + len(name), 3) + name + b'\0' * ((4 - (4 + len(name)) % 4) % 4)
    body = struct.pack('=BxHiII', 0, 1, 4242, 1, 0xffffffff) + attr
    return struct.pack('=IHHII', 16 + len(body), RTM_NEWLINK, 0, seq, 0) + body


def main():
    mode, proto, target, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.bind((0, 0))
    sent = 0
    for i in range(count):
        if mode == 'ack':
            seq = (int(sys.argv[5]) + i) & 0xffffffff
            echo = struct.pack('=IHHII', 16, RTM_NEWLINK, 5, seq, target)
            msg = struct.pack('=IHHII', 36, NLMSG_ERROR, 0, seq, 0) + struct.pack('=i', -1) + echo
            dest = (target, 0)
        elif mode == 'link':
            msg, dest = newlink(0), (target, 0)
        else:
            msg, dest = newlink(0), (0, 1 << (target - 1))
        s.sendto(msg, dest)
        sent += 1
    print(sent)


main()
