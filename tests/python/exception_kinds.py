#!/usr/bin/python3
"""What Apache Thrift's Python client receives when a call fails in our server.

Usage (Debian's /usr/bin/python3, which has python3-thrift):

    /usr/bin/python3 exception_kinds.py GEN_PY_DIR --port N
        [--protocol binary|compact] [--transport buffered|framed]

GEN_PY_DIR is the output folder of `thrift --gen py` for ThriftTest.thrift. The server is
expected to serve ThriftTest and, multiplexed, SecondService, behind a load shedder, a limit
of one call at a time and a timeout shorter than `testI64` takes. The client makes, in order:

- `ok`: `testI32(7)`, which is answered;
- `timeout`: `testI64(1)`, which runs past the server's timeout; while it runs,
- `overloaded`: `testI32(8)` on a second connection, which the load shedder refuses;
- `panic`: SecondService's `secondtestString("panic")`, whose handler panics;
- `unknown`: `secondtestString` sent to ThriftTest, which has no such method;
- `after`: `testI32(9)`, answered: the connection lived on.

Output: one line per call, in that order, as JSON:
`{"call": NAME, "result": VALUE}` or `{"call": NAME, "type": N, "message": TEXT}` for a
TApplicationException (its type code and message), or `{"call": NAME, "error": TEXT}` for
anything else.
"""

import argparse
import json
import os
import sys
import threading
import time

from thrift.Thrift import TApplicationException
from thrift.protocol import TBinaryProtocol, TCompactProtocol, TMultiplexedProtocol
from thrift.transport import TSocket, TTransport

parser = argparse.ArgumentParser(prog="exception_kinds.py", allow_abbrev=False)
parser.add_argument("gen_py_dir")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--protocol", choices=("binary", "compact"), default="binary")
parser.add_argument("--transport", choices=("buffered", "framed"), default="buffered")
OPTIONS = parser.parse_args()

_gen = OPTIONS.gen_py_dir
if not os.path.isdir(os.path.join(_gen, "ThriftTest")):
    _gen = os.path.join(_gen, "gen-py")
sys.path.insert(0, _gen)

from ThriftTest import SecondService, ThriftTest  # noqa: E402


def connect(service=None):
    """A client of ThriftTest, or of `service` through a multiplexed protocol."""
    socket = TSocket.TSocket(OPTIONS.host, OPTIONS.port)
    socket.setTimeout(10000)
    if OPTIONS.transport == "framed":
        transport = TTransport.TFramedTransport(socket)
    else:
        transport = TTransport.TBufferedTransport(socket)
    if OPTIONS.protocol == "compact":
        protocol = TCompactProtocol.TCompactProtocol(transport)
    else:
        protocol = TBinaryProtocol.TBinaryProtocol(transport)
    transport.open()
    if service is None:
        return ThriftTest.Client(protocol), transport
    multiplexed = TMultiplexedProtocol.TMultiplexedProtocol(protocol, service)
    return SecondService.Client(multiplexed), transport


def outcome(name, call):
    try:
        return {"call": name, "result": call()}
    except TApplicationException as e:
        return {"call": name, "type": e.type, "message": e.message}
    except Exception as e:  # noqa: BLE001 - reported, and the test fails on it
        return {"call": name, "error": "%s: %s" % (type(e).__name__, e)}


def main():
    lines = []
    client, _ = connect()
    lines.append(outcome("ok", lambda: client.testI32(7)))

    # The slow call holds the server's one slot until the timeout answers it.
    slow = {}

    def slow_call():
        slow_client, slow_transport = connect()
        slow["line"] = outcome("timeout", lambda: slow_client.testI64(1))
        slow_transport.close()

    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.4)
    lines.append(outcome("overloaded", lambda: client.testI32(8)))
    thread.join()
    lines.insert(1, slow["line"])

    second, _ = connect("SecondService")
    lines.append(outcome("panic", lambda: second.secondtestString("panic")))
    # SecondService's method, sent unmultiplexed: the server's first service, ThriftTest,
    # has no such method.
    plain, _ = connect()
    lines.append(
        outcome(
            "unknown",
            lambda: SecondService.Client(plain._iprot).secondtestString("x"),
        )
    )
    lines.append(outcome("after", lambda: client.testI32(9)))
    for line in lines:
        print(json.dumps(line, sort_keys=True))


main()
