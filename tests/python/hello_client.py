"""The Python tutorial's client for HelloService: buffered transport, binary protocol.

Usage: /usr/bin/python3 hello_client.py GEN_PY_DIR [PORT]
Prints `client - say`, calls say("Hello!"), prints `server - <reply>`.
"""

import sys

sys.path.insert(0, sys.argv[1])

from hello import HelloService  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

port = int(sys.argv[2]) if len(sys.argv) > 2 else 9090
socket = TSocket.TSocket("localhost", port)
socket.setTimeout(10000)
transport = TTransport.TBufferedTransport(socket)
client = HelloService.Client(TBinaryProtocol.TBinaryProtocol(transport))
transport.open()
print("client - say")
msg = client.say("Hello!")
print("server - " + msg)
transport.close()
