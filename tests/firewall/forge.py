#!/usr/bin/env python3
# forge.py: send DNS queries (UDP, type A) from a forged source address,
# as a sandbox with CAP_NET_RAW can: the headers are built here, not by the
# kernel, so the source is whatever we write.
#
#   forge.py [--count N] [--port PORT] [--packet IFACE MAC] SRC DST NAME
#
# Default: a raw IP socket with the header included (IPPROTO_RAW: for IPv4
# IP_HDRINCL, for IPv6 IPV6_HDRINCL), which still passes through the
# sending namespace's netfilter output hook. --packet IFACE MAC: an
# AF_PACKET frame on IFACE to the next hop MAC, which does not (it leaves
# below IP). PORT: 53 unless given. A "{i}" in NAME becomes the query's
# number, for N distinct names. Prints how many datagrams the kernel took
# (a drop in the output hook is EPERM; at most 1000 are sent).
import argparse
import ipaddress
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def datagram(src, dst, sport, dport, payload):
    """The IP packet: header, UDP header with its checksum, payload."""
    ulen = 8 + len(payload)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, ulen)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if src.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17,
                          0, src.packed, dst.packed)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    else:
        hdr = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, 64, src.packed,
                          dst.packed)
    return hdr + udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--packet", nargs=2, metavar=("IFACE", "MAC"))
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("name")
    a = ap.parse_args()
    src = ipaddress.ip_address(a.src)
    dst = ipaddress.ip_address(a.dst)
    if src.version != dst.version:
        sys.exit("forge.py: the source and destination families differ")
    if a.packet:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a.packet[0], 0))
        mac = bytes.fromhex(a.packet[1].replace(":", ""))
        own = s.getsockname()[4]
        eth = mac + own + struct.pack("!H", 0x0800 if src.version == 4
                                      else 0x86DD)
    else:
        fam = socket.AF_INET if src.version == 4 else socket.AF_INET6
        s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    for i in range(min(a.count, 1000)):
        pkt = datagram(src, dst, 20000 + i, a.port,
                       query(a.name.replace("{i}", str(i)), 0x4000 + i))
        try:
            if a.packet:
                s.send(eth + pkt)
            else:
                s.sendto(pkt, (a.dst, 0))
            sent += 1
        except OSError as e:  # EPERM: the output hook dropped it
            print("# send: %s" % e, file=sys.stderr)
    print(sent)


main()
