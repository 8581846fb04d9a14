"""A real DNS server for the email tests (dnslib's DNSServer over UDP and TCP on loopback): the tests publish a domain's
records into it as its owner would at a DNS host, and point Switchboard at it with --dns-resolver."""

import socket
import threading

from dnslib import QTYPE, RR, TXT, MX, A, DNSLabel
from dnslib.server import BaseResolver, DNSServer


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return udp.getsockname()[1]


class Zone(BaseResolver):
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []  # (name, qtype, rdata)

    def add_txt(self, name, value):
        # A TXT value longer than 255 octets travels as several character-strings (a DKIM key does).
        chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
        with self.lock:
            self.records.append((DNSLabel(name), "TXT", TXT(chunks)))

    def add_mx(self, name, preference, exchange):
        with self.lock:
            self.records.append((DNSLabel(name), "MX", MX(exchange, preference)))

    def add_a(self, name, address):
        with self.lock:
            self.records.append((DNSLabel(name), "A", A(address)))

    def remove(self, name):
        with self.lock:
            self.records = [r for r in self.records if r[0] != DNSLabel(name)]

    def resolve(self, request, handler):
        reply = request.reply()
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        with self.lock:
            matching = [r for r in self.records if r[0] == qname]
        for name, rtype, rdata in matching:
            if rtype == qtype:
                reply.add_answer(RR(name, getattr(QTYPE, rtype), rdata=rdata, ttl=60))
        if not matching:
            reply.header.rcode = 3  # NXDOMAIN
        return reply


class DNSPeer:
    def __init__(self):
        self.zone = Zone()
        # UDP and TCP share one port; a port free for UDP may be taken for TCP by another process on this machine,
        # so another is tried.
        for attempt in range(20):
            self.port = free_port()
            try:
                self.udp = DNSServer(self.zone, port=self.port, address="127.0.0.1")
            except OSError:
                continue
            try:
                self.tcp = DNSServer(self.zone, port=self.port, address="127.0.0.1", tcp=True)
                break
            except OSError:
                self.udp.server.server_close()
                if attempt == 19:
                    raise
        self.udp.start_thread()
        self.tcp.start_thread()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.udp.stop()
        self.tcp.stop()
