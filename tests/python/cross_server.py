#!/usr/bin/python3
"""A ThriftTest cross-test server built on Apache Thrift's own Python library.

Usage (Debian's /usr/bin/python3, which has python3-thrift):

    /usr/bin/python3 cross_server.py GEN_PY_DIR --port N
        [--protocol binary|compact|json|header|multi|multic|multih|multij]
        [--transport buffered|framed|http|zlib] [--zlib] [--ssl] [--host H] [-v|--verbose]

GEN_PY_DIR is the output folder of `thrift --gen py -out GEN_PY_DIR ThriftTest.thrift`
(the folder holding the `ThriftTest` package; a folder holding `gen-py` also works).
Flags are those of Apache Thrift's cross-test programs, as `--flag value` or
`--flag=value`; `--host` is the address to listen on (127.0.0.1 unless told), and
`--port 0` picks a free port.

It answers as ThriftTest.thrift's comments define. testException("TException") raises a
plain TException, which Apache's generated processor turns into a TApplicationException
(INTERNAL_ERROR); testOneway(n) sleeps n seconds (at most 10) before it finishes. The multi*
protocols serve ThriftTest under the name "ThriftTest" and SecondService under
"SecondService" through a TMultiplexedProcessor, which, as in Apache's own test servers,
also answers ThriftTest calls that carry no service name. secondtestString(s) answers
'testString("s")', as Apache's servers do. header and multih are Apache's
THeaderProtocol on the buffered or framed transport, as Apache's TestServer.py stacks it,
but accepting THeader clients only (Apache's test server also answers framed and unframed
binary and compact clients on it): a client that does not speak THeader fails.

`--zlib` (or `--transport zlib`; Apache's cross-test runner passes both) serves every
connection through Apache's TZlibTransport directly on the socket, as Apache's own Python
test server does with TZlibTransportFactory (zlib with framed or http is refused). The
factory here makes a new TZlibTransport each time it is asked instead of caching the last
one as TZlibTransportFactory does: TThreadedServer asks for a connection's input and output
transports from the connection's own thread, and the factory's cache of one is then shared
by all threads, so under concurrent connections one could be handed another's transport.

It prints one line, `cross_server.py listening on port N (PROTOCOL/TRANSPORT)`, once it is
listening, then serves until it is killed: a TThreadedServer (a thread per connection) for
buffered and framed, Apache's THttpServer for http. THttpServer answers a POST to any path,
one request at a time (its bookkeeping for oneway calls is not safe across threads, so it
runs on the single-threaded http.server.HTTPServer, as in Apache's own test server). It
speaks HTTP/1.0, closing the connection after every response, reads a request body by its
Content-Length (a request without one, chunked included, gets the connection closed), and
for a oneway call sends the 200 status and headers, with no body, before the handler runs.
`--verbose` also logs every HTTP request.

`--ssl` serves TLS through Apache's TSSLServerSocket (buffered and framed), with the
certificate and key of `--cert` and `--key` and, as Apache's own test server does, a
client certificate required and checked against `--ca`; by default the test keys of
`tests/keys/`.
"""

import argparse
import logging
import os
import socket
import sys
import time
from http.server import HTTPServer

from thrift.Thrift import TException
from thrift.TMultiplexedProcessor import TMultiplexedProcessor
from thrift.protocol import TBinaryProtocol, TCompactProtocol, THeaderProtocol, TJSONProtocol
from thrift.server import THttpServer, TNonblockingServer, TServer
from thrift.transport import THeaderTransport, TSocket, TSSLSocket, TTransport, TZlibTransport

KEYS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "keys")

PROTOCOLS = ("binary", "compact", "json", "header", "multi", "multic", "multih", "multij")
TRANSPORTS = ("buffered", "framed", "http", "zlib")
# Apache's cross-test flag: which of the Python library's servers serves the sockets.
SERVER_TYPES = ("threaded", "threadpool", "nonblocking")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="cross_server.py",
        description="ThriftTest server on Apache Thrift's Python library",
        allow_abbrev=False,
    )
    parser.add_argument("gen_py_dir", help="output folder of `thrift --gen py`")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--protocol", choices=PROTOCOLS, default="binary")
    parser.add_argument("--transport", choices=TRANSPORTS, default="buffered")
    parser.add_argument("--zlib", action="store_true",
                        help="TZlibTransport on every connection (buffered only)")
    parser.add_argument("--server-type", choices=SERVER_TYPES, default="threaded",
                        help="TThreadedServer, TThreadPoolServer, or TNonblockingServer "
                             "(framed transport only)")
    parser.add_argument("--ssl", action="store_true",
                        help="TLS, with a client certificate required")
    parser.add_argument("--cert", default=os.path.join(KEYS, "server.pem"),
                        help="the server's certificate (PEM), with --ssl")
    parser.add_argument("--key", default=os.path.join(KEYS, "server.key"),
                        help="the server's private key (PEM), with --ssl")
    parser.add_argument("--ca", default=os.path.join(KEYS, "ca.pem"),
                        help="the CA client certificates must chain to (PEM), with --ssl")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every call to stderr")
    options = parser.parse_args(argv)
    if options.transport == "zlib":
        options.transport, options.zlib = "buffered", True
    if options.zlib and options.transport != "buffered":
        parser.error("--zlib runs over the buffered transport only (--transport zlib)")
    return options


OPTIONS = parse_args(sys.argv[1:])

_gen = OPTIONS.gen_py_dir
if not os.path.isdir(os.path.join(_gen, "ThriftTest")) and os.path.isdir(
    os.path.join(_gen, "gen-py", "ThriftTest")
):
    _gen = os.path.join(_gen, "gen-py")
sys.path.insert(0, _gen)

from ThriftTest import SecondService, ThriftTest  # noqa: E402
from ThriftTest.ttypes import Insanity, Numberz, Xception, Xception2, Xtruct  # noqa: E402

log = logging.getLogger("cross_server")


class DeliberateTException(TException):
    """What testException("TException") raises; the processor logs it, we do not want to."""


class QuietAboutDeliberate(logging.Filter):
    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DeliberateTException)


class ThriftTestHandler(object):
    def _called(self, fmt, *args):
        if OPTIONS.verbose:
            log.info(fmt, *args)

    def testVoid(self):
        self._called("testVoid()")

    def testString(self, thing):
        self._called("testString(%r)", thing)
        return thing

    def testBool(self, thing):
        self._called("testBool(%r)", thing)
        return thing

    def testByte(self, thing):
        self._called("testByte(%d)", thing)
        return thing

    def testI32(self, thing):
        self._called("testI32(%d)", thing)
        return thing

    def testI64(self, thing):
        self._called("testI64(%d)", thing)
        return thing

    def testDouble(self, thing):
        self._called("testDouble(%r)", thing)
        return thing

    def testBinary(self, thing):
        self._called("testBinary(%d bytes)", len(thing))
        return thing

    def testStruct(self, thing):
        self._called("testStruct(%r)", thing)
        return thing

    def testNest(self, thing):
        self._called("testNest(%r)", thing)
        return thing

    def testMap(self, thing):
        self._called("testMap(%r)", thing)
        return thing

    def testStringMap(self, thing):
        self._called("testStringMap(%r)", thing)
        return thing

    def testSet(self, thing):
        self._called("testSet(%r)", thing)
        return thing

    def testList(self, thing):
        self._called("testList(%r)", thing)
        return thing

    def testEnum(self, thing):
        self._called("testEnum(%r)", thing)
        return thing

    def testTypedef(self, thing):
        self._called("testTypedef(%r)", thing)
        return thing

    def testMapMap(self, hello):
        self._called("testMapMap(%d)", hello)
        return {
            -4: {-4: -4, -3: -3, -2: -2, -1: -1},
            4: {1: 1, 2: 2, 3: 3, 4: 4},
        }

    def testInsanity(self, argument):
        self._called("testInsanity(%r)", argument)
        return {
            1: {Numberz.TWO: argument, Numberz.THREE: argument},
            2: {Numberz.SIX: Insanity()},
        }

    def testMulti(self, arg0, arg1, arg2, arg3, arg4, arg5):
        self._called("testMulti(%r, %r, %r, %r, %r, %r)", arg0, arg1, arg2, arg3, arg4, arg5)
        return Xtruct(string_thing="Hello2", byte_thing=arg0, i32_thing=arg1, i64_thing=arg2)

    def testException(self, arg):
        self._called("testException(%r)", arg)
        if arg == "Xception":
            raise Xception(errorCode=1001, message=arg)
        if arg == "TException":
            raise DeliberateTException("This is a TException")

    def testMultiException(self, arg0, arg1):
        self._called("testMultiException(%r, %r)", arg0, arg1)
        if arg0 == "Xception":
            raise Xception(errorCode=1001, message="This is an Xception")
        if arg0 == "Xception2":
            raise Xception2(errorCode=2002,
                            struct_thing=Xtruct(string_thing="This is an Xception2"))
        return Xtruct(string_thing=arg1)

    def testOneway(self, secondsToSleep):
        self._called("testOneway(%d): sleeping...", secondsToSleep)
        time.sleep(min(max(secondsToSleep, 0), 10))
        self._called("testOneway(%d): done sleeping", secondsToSleep)


class SecondServiceHandler(object):
    def secondtestString(self, thing):
        if OPTIONS.verbose:
            log.info("secondtestString(%r)", thing)
        return 'testString("%s")' % thing


def announce(port):
    print("cross_server.py listening on port %d (%s/%s)"
          % (port, OPTIONS.protocol, "zlib" if OPTIONS.zlib else OPTIONS.transport), flush=True)


class ZlibTransportFactory(object):
    """Wraps each transport it is given in its own TZlibTransport (see the module's doc)."""

    def getTransport(self, trans):
        return TZlibTransport.TZlibTransport(trans)


class AnnouncingServerSocket(TSocket.TServerSocket):
    """Prints the listening line once the socket listens (TServer.serve calls listen)."""

    def listen(self):
        super(AnnouncingServerSocket, self).listen()
        announce(self.handle.getsockname()[1])


class AnnouncingSSLServerSocket(TSSLSocket.TSSLServerSocket):
    """Apache's TLS server socket, printing the listening line once it listens."""

    def listen(self):
        super(AnnouncingSSLServerSocket, self).listen()
        announce(self.handle.getsockname()[1])


class AnnouncingHTTPServer(HTTPServer):
    """The HTTPServer under THttpServer, which builds it as
    `server_class(address, handler_class)` and so binds and listens in its constructor.

    Prints the listening line once the socket listens, listens on IPv6 for an IPv6 --host,
    and logs each request (http.server writes them all to stderr) only when --verbose.
    """

    address_family = socket.AF_INET6 if ":" in OPTIONS.host else socket.AF_INET
    # socketserver listens with a backlog of 5; a client that opens many connections at
    # once (the concurrency cases: 50 calls, one HTTP/1.1 connection each) then sees SYNs
    # dropped and retried after 1, 3, 7 s. TServerSocket listens with 128; so does this.
    request_queue_size = 128

    def __init__(self, address, handler_class):
        class Handler(handler_class):
            def log_message(self, format, *args):
                if OPTIONS.verbose:
                    log.info("HTTP %s: %s", self.address_string(), format % args)

        super(AnnouncingHTTPServer, self).__init__(address, Handler)

    def server_activate(self):
        super(AnnouncingHTTPServer, self).server_activate()
        announce(self.socket.getsockname()[1])


def main():
    logging.basicConfig(level=logging.INFO if OPTIONS.verbose else logging.WARNING,
                        format="cross_server.py: %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(QuietAboutDeliberate())

    base = OPTIONS.protocol
    if base in ("binary", "multi"):
        pfactory = TBinaryProtocol.TBinaryProtocolFactory()
    elif base in ("compact", "multic"):
        pfactory = TCompactProtocol.TCompactProtocolFactory()
    elif base in ("header", "multih"):
        if OPTIONS.transport == "http" or OPTIONS.server_type == "nonblocking":
            sys.exit("cross_server.py: THeaderProtocol serves the buffered and framed "
                     "transports of the threaded and threadpool servers only")
        pfactory = THeaderProtocol.THeaderProtocolFactory(
            allowed_client_types=(THeaderTransport.THeaderClientType.HEADERS,))
    else:
        pfactory = TJSONProtocol.TJSONProtocolFactory()
    if OPTIONS.transport == "framed":
        tfactory = TTransport.TFramedTransportFactory()
    else:
        tfactory = TTransport.TBufferedTransportFactory()
    if OPTIONS.zlib:
        tfactory = ZlibTransportFactory()

    processor = ThriftTest.Processor(ThriftTestHandler())
    if base.startswith("multi"):
        multiplexed = TMultiplexedProcessor()
        multiplexed.registerProcessor("ThriftTest", processor)
        multiplexed.registerProcessor("SecondService",
                                      SecondService.Processor(SecondServiceHandler()))
        multiplexed.registerDefault(processor)
        processor = multiplexed

    if OPTIONS.transport == "http":
        if OPTIONS.ssl:
            sys.exit("cross_server.py: --ssl is for buffered and framed (THttpServer has no TLS)")
        server = THttpServer.THttpServer(processor, (OPTIONS.host, OPTIONS.port), pfactory,
                                         server_class=AnnouncingHTTPServer)
    else:
        if OPTIONS.ssl:
            import ssl
            server_socket = AnnouncingSSLServerSocket(
                host=OPTIONS.host, port=OPTIONS.port, certfile=OPTIONS.cert,
                keyfile=OPTIONS.key, ca_certs=OPTIONS.ca, cert_reqs=ssl.CERT_REQUIRED)
        else:
            server_socket = AnnouncingServerSocket(host=OPTIONS.host, port=OPTIONS.port)
        if OPTIONS.server_type == "nonblocking":
            if OPTIONS.transport != "framed":
                sys.exit("cross_server.py: TNonblockingServer speaks the framed transport only")
            server = TNonblockingServer.TNonblockingServer(processor, server_socket, pfactory,
                                                           pfactory, threads=10)
        elif OPTIONS.server_type == "threadpool":
            server = TServer.TThreadPoolServer(processor, server_socket, tfactory, pfactory,
                                               daemon=True)
            server.setNumThreads(10)
        else:
            server = TServer.TThreadedServer(processor, server_socket, tfactory, pfactory,
                                             daemon=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
