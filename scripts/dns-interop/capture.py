#!/usr/bin/env python3
"""Sends fixed queries to real DNS servers and prints the raw responses as hex, for the
captured-response tests (Tests/DNSTests/CapturedResponseTests.swift).

Usage: capture.py HOST:PORT NAME TYPE ID [edns]
The query is built by hand (RD set, one question, optionally an OPT record advertising 1232
octets) so that the capture does not depend on the library under test.
"""
import socket, struct, sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}

def query(name, qtype, qid, edns):
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0) if edns else b""
    return header + qname + struct.pack("!HH", TYPES[qtype], 1) + opt

def main():
    host, port = sys.argv[1].rsplit(":", 1)
    name, qtype, qid = sys.argv[2], sys.argv[3], int(sys.argv[4], 0)
    edns = len(sys.argv) > 5 and sys.argv[5] == "edns"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query(name, qtype, qid, edns), (host, int(port)))
    data, _ = s.recvfrom(65535)
    print(data.hex())

main()
