"""The Python tutorial's server for HelloService: TSimpleServer, buffered transport, binary
protocol. Answers "Received: " + msg and prints that line.

Usage: /usr/bin/python3 hello_server.py GEN_PY_DIR [PORT]
"""

import sys

sys.path.insert(0, sys.argv[1])

from hello import HelloService  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.server import TServer  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402


class Handler(object):
    def say(self, msg):
        reply = "Received: " + msg
        print(reply, flush=True)
        return reply


port = int(sys.argv[2]) if len(sys.argv) > 2 else 9090
processor = HelloService.Processor(Handler())
transport = TSocket.TServerSocket("127.0.0.1", port)
server = TServer.TSimpleServer(processor, transport,
                               TTransport.TBufferedTransportFactory(),
                               TBinaryProtocol.TBinaryProtocolFactory())
print("hello_server.py listening on port %d" % port, flush=True)
server.serve()
