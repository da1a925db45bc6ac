// The benchmark's Apache peer: the echo service of examples/idl/echo.thrift on Apache
// Thrift's C++ TNonblockingServer (Debian's libthrift-dev), framed binary, its calls run
// on the I/O thread (no thread manager), one I/O thread: the shape of a one-core server.
//
//     echo_server --port N
//
// Prints `echo_server listening on port N` once it listens, then serves until killed.
// Built by tests/bench/run.sh from the code `thrift --gen cpp` makes.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <thrift/TOutput.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TNonblockingServer.h>
#include <thrift/transport/TNonblockingServerSocket.h>

#include "EchoService.h"

using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::server::TNonblockingServer;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::transport::TNonblockingServerSocket;

class EchoHandler : public echo::EchoServiceIf {
public:
  void echo(echo::EchoResponse& out, const echo::EchoRequest& request) override {
    out.payload = request.payload;
    out.items = request.items;
  }
};

class Announcer : public TServerEventHandler {
public:
  explicit Announcer(int port) : port_(port) {}
  void preServe() override {
    std::printf("echo_server listening on port %d\n", port_);
    std::fflush(stdout);
  }

private:
  int port_;
};

int main(int argc, char** argv) {
  int port = 9090;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--port") {
      port = std::atoi(argv[i + 1]);
    }
  }
  apache::thrift::GlobalOutput.setOutputFunction([](const char*) {});
  auto processor =
      std::make_shared<echo::EchoServiceProcessor>(std::make_shared<EchoHandler>());
  auto socket = std::make_shared<TNonblockingServerSocket>(port);
  TNonblockingServer server(processor, std::make_shared<TBinaryProtocolFactory>(), socket);
  server.setNumIOThreads(1);
  server.setServerEventHandler(std::make_shared<Announcer>(port));
  server.serve();
  return 0;
}
