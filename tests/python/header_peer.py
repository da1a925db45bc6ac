#!/usr/bin/python3
"""Apache's Python THeader as the other end of a call, to show what travels in its frames:
info headers both ways, and the zlib transform.

Usage (Debian's /usr/bin/python3, which has python3-thrift):

    /usr/bin/python3 header_peer.py GEN_PY_DIR client --port N
        [--protocol binary|compact] [--zlib]
    /usr/bin/python3 header_peer.py GEN_PY_DIR server [--zlib]

GEN_PY_DIR is the output folder of `thrift --gen py` for ThriftTest.thrift.

client: calls SecondService.secondtestString("hello") on 127.0.0.1:N through
THeaderProtocol on a bare TSocket, with the info header `trace-id: py-4bf92f35` (and with
--zlib, the zlib transform on the call), then prints

    answer <what the call returned>
    reply header <key>=<value>        (one line each, sorted)
    reply transforms <ids, comma-separated, or none>

The reply's transforms are read from the bytes of its frame, which THeaderTransport takes
apart without telling.

server: serves SecondService with a TSimpleServer over THeaderProtocol (THeader clients
only) on a port it picks and prints (`header_peer.py listening on port N`), until killed.
secondtestString(s) answers "s; trace-id=<the call's trace-id header>", and its reply
carries the header `trace-id: <the call's value>-echo`; with --zlib every reply goes
through the zlib transform.
"""

import argparse
import os
import sys

from thrift.protocol import THeaderProtocol
from thrift.server import TServer
from thrift.transport import THeaderTransport, TSocket, TTransport

parser = argparse.ArgumentParser(prog="header_peer.py", allow_abbrev=False)
parser.add_argument("gen_py_dir")
parser.add_argument("role", choices=("client", "server"))
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--protocol", choices=("binary", "compact"), default="binary")
parser.add_argument("--zlib", action="store_true")
OPTIONS = parser.parse_args()

_gen = OPTIONS.gen_py_dir
if not os.path.isdir(os.path.join(_gen, "ThriftTest")):
    _gen = os.path.join(_gen, "gen-py")
sys.path.insert(0, _gen)

from ThriftTest import SecondService  # noqa: E402

ZLIB = THeaderTransport.THeaderTransformID.ZLIB
HEADERS_ONLY = (THeaderTransport.THeaderClientType.HEADERS,)
PROTOCOL_IDS = {
    "binary": THeaderTransport.THeaderSubprotocolID.BINARY,
    "compact": THeaderTransport.THeaderSubprotocolID.COMPACT,
}


class RecordingSocket(TSocket.TSocket):
    """A TSocket that keeps what it reads."""

    def __init__(self, *args, **kwargs):
        TSocket.TSocket.__init__(self, *args, **kwargs)
        self.received = bytearray()

    def read(self, sz):
        data = TSocket.TSocket.read(self, sz)
        self.received += data
        return data


def transforms_of(frame):
    """The transform ids in the header section of a THeader frame (its length first)."""
    section = frame[14:]
    count = section[1]  # after the protocol id; both one-byte varints here
    return list(section[2:2 + count])


def client():
    sock = RecordingSocket("127.0.0.1", OPTIONS.port)
    sock.setTimeout(10000)
    proto = THeaderProtocol.THeaderProtocol(sock, HEADERS_ONLY, PROTOCOL_IDS[OPTIONS.protocol])
    proto.set_header(b"trace-id", b"py-4bf92f35")
    if OPTIONS.zlib:
        proto.add_transform(ZLIB)
    sock.open()
    answer = SecondService.Client(proto).secondtestString("hello")
    print("answer %s" % answer)
    for key, value in sorted(proto.get_headers().items()):
        print("reply header %s=%s" % (key.decode(), value.decode()))
    ids = transforms_of(bytes(sock.received))
    print("reply transforms %s" % (",".join(map(str, ids)) or "none"))
    sock.close()


CURRENT = []


class Handler(object):
    def secondtestString(self, thing):
        proto = CURRENT[-1]
        trace = proto.get_headers().get(b"trace-id", b"")
        proto.set_header(b"trace-id", trace + b"-echo")
        return "%s; trace-id=%s" % (thing, trace.decode())


class KeepingFactory(THeaderProtocol.THeaderProtocolFactory):
    """Keeps the protocol of the connection being served, for the handler's headers."""

    def getProtocol(self, trans):
        proto = THeaderProtocol.THeaderProtocolFactory.getProtocol(self, trans)
        if OPTIONS.zlib:
            proto.add_transform(ZLIB)
        CURRENT.append(proto)
        del CURRENT[:-1]
        return proto


class AnnouncingServerSocket(TSocket.TServerSocket):
    def listen(self):
        TSocket.TServerSocket.listen(self)
        print("header_peer.py listening on port %d" % self.handle.getsockname()[1], flush=True)


def server():
    socket = AnnouncingServerSocket(host="127.0.0.1", port=OPTIONS.port)
    factory = KeepingFactory(allowed_client_types=HEADERS_ONLY)
    processor = SecondService.Processor(Handler())
    TServer.TSimpleServer(processor, socket, TTransport.TTransportFactoryBase(), factory).serve()


if OPTIONS.role == "client":
    client()
else:
    server()
