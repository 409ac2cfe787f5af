#!/usr/bin/env python3
"""Counts SMTP round trips in a packet capture (tcpdump -w, classic pcap format).

    pcap_flights.py FILE SERVER_PORT

For every TCP connection to SERVER_PORT in FILE, prints one JSON line with the
same fields as delay_relay.py's statistics:
    {"conn": N, "client_port": P, "greeting": 1, "setup": 1, "quit": 1,
     "round_trips": R, "msg_round_trips": R - setup - quit,
     "client_bytes": B, "server_bytes": S, "packets": K, "retransmits": X}

Only packets that carry TCP payload count. A flight is a run of payload packets
in one direction; every server->client flight that follows a client->server
flight is one round trip (the client sent something and then received an
answer). A flight whose client part starts with EHLO/HELO/LHLO is "setup", one
starting with QUIT is "quit", a server flight before any client data is the
greeting. Retransmitted segments (no new sequence space) are skipped. Payload
sizes come from the IP header, so a short snap length (tcpdump -s 128) is enough;
the first payload bytes identify EHLO and QUIT.

Link types: Ethernet (lo), Linux cooked v1/v2 (-i any), raw IP, BSD loopback.
Python 3 standard library only.
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flights import Flights  # noqa: E402  (the module next to this script)


def packets(path):
    """Yields (linktype, captured bytes) for every record of a pcap file."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        else:
            raise SystemExit(f"{path}: not a pcap file (pcapng is not supported)")
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
        rec = struct.Struct(endian + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            _sec, _frac, incl, _orig = rec.unpack(h)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield linktype, data


def ip_offset(linktype, data):
    """Offset of the IP header and the EtherType-like protocol, or None."""
    if linktype == 1:  # Ethernet
        off, proto = 14, struct.unpack("!H", data[12:14])[0]
        while proto in (0x8100, 0x88A8):  # VLAN tags
            proto = struct.unpack("!H", data[off + 2 : off + 4])[0]
            off += 4
        return off, proto
    if linktype == 113:  # Linux cooked v1
        return 16, struct.unpack("!H", data[14:16])[0]
    if linktype == 276:  # Linux cooked v2
        return 20, struct.unpack("!H", data[0:2])[0]
    if linktype in (12, 101):  # raw IP
        v = data[0] >> 4
        return 0, 0x0800 if v == 4 else 0x86DD
    if linktype == 0:  # BSD loopback: host-order address family
        fam = struct.unpack("=I", data[0:4])[0]
        return 4, 0x0800 if fam == 2 else 0x86DD
    return None


def tcp_segments(path):
    """Yields (src, sport, dst, dport, seq, payload_len, payload_prefix)."""
    for linktype, data in packets(path):
        lo = ip_offset(linktype, data)
        if lo is None:
            continue
        off, proto = lo
        if proto == 0x0800:
            if len(data) < off + 20:
                continue
            ihl = (data[off] & 0x0F) * 4
            total = struct.unpack("!H", data[off + 2 : off + 4])[0]
            if data[off + 9] != 6:
                continue
            src, dst = data[off + 12 : off + 16], data[off + 16 : off + 20]
            t = off + ihl
            ip_payload = total - ihl
        elif proto == 0x86DD:
            if len(data) < off + 40 or data[off + 6] != 6:
                continue  # extension headers are not expected on loopback
            ip_payload = struct.unpack("!H", data[off + 4 : off + 6])[0]
            src, dst = data[off + 8 : off + 24], data[off + 24 : off + 40]
            t = off + 40
        else:
            continue
        if len(data) < t + 20:
            continue
        sport, dport, seq = struct.unpack("!HHI", data[t : t + 8])
        thl = (data[t + 12] >> 4) * 4
        plen = ip_payload - thl
        yield src, sport, dst, dport, seq, plen, data[t + thl : t + thl + 8]


class Conn:
    def __init__(self, n, client_port):
        self.n = n
        self.client_port = client_port
        self.flights = Flights()
        self.packets = self.retransmits = 0
        self.seq_end = {}  # direction -> highest sequence number seen (mod 2**32)

    def new_data(self, direction, seq, plen):
        end = (seq + plen) & 0xFFFFFFFF
        last_end = self.seq_end.get(direction)
        if last_end is not None:
            ahead = (end - last_end) & 0xFFFFFFFF
            if ahead == 0 or ahead >= 0x80000000:
                return False  # nothing beyond what was already seen: a retransmission
        self.seq_end[direction] = end
        return True

    def segment(self, from_client, seq, plen, prefix):
        self.packets += 1
        if not self.new_data("c" if from_client else "s", seq, plen):
            self.retransmits += 1
            return
        if from_client:
            self.flights.client(plen, prefix)
        else:
            self.flights.server(plen)

    def record(self):
        return {
            "conn": self.n,
            "client_port": self.client_port,
            **self.flights.counts(),
            "packets": self.packets,
            "retransmits": self.retransmits,
        }


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: pcap_flights.py FILE SERVER_PORT")
    path, server_port = sys.argv[1], int(sys.argv[2])
    conns = {}
    for src, sport, dst, dport, seq, plen, prefix in tcp_segments(path):
        if dport == server_port:
            key, from_client = (src, sport, dst), True
        elif sport == server_port:
            key, from_client = (dst, dport, src), False
        else:
            continue
        if plen <= 0:
            continue
        c = conns.get(key)
        if c is None:
            c = conns[key] = Conn(len(conns) + 1, key[1])
        c.segment(from_client, seq, plen, prefix)
    for c in conns.values():
        print(json.dumps(c.record()))


if __name__ == "__main__":
    main()
