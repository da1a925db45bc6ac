"""The Python tutorial's client for HelloService, over a socket or over HTTP.

Usage: /usr/bin/python3 hello_client.py GEN_PY_DIR [PORT | URL]
With a PORT (9090 by default): buffered transport over a socket to localhost, binary
protocol, as the tutorial. With an http:// URL: Apache's THttpClient posting to it, binary
protocol. Prints `client - say`, calls say("Hello!"), prints `server - <reply>`.
"""

import sys

sys.path.insert(0, sys.argv[1])

from hello import HelloService  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import THttpClient, TSocket, TTransport  # noqa: E402

target = sys.argv[2] if len(sys.argv) > 2 else "9090"
if target.startswith("http://"):
    transport = THttpClient.THttpClient(target)
    transport.setTimeout(10000)
else:
    socket = TSocket.TSocket("localhost", int(target))
    socket.setTimeout(10000)
    transport = TTransport.TBufferedTransport(socket)
client = HelloService.Client(TBinaryProtocol.TBinaryProtocol(transport))
transport.open()
print("client - say")
msg = client.say("Hello!")
print("server - " + msg)
transport.close()
