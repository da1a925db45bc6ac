// A ThriftTest cross-test server built on Apache Thrift's own C++ library (libthrift).
//
// Usage:
//
//     cross_server --port N
//                  [--protocol binary|compact|json|header|multi|multic|multih|multij]
//                  [--transport buffered|framed|http|zlib] [--zlib] [--ssl] [--host H] [--verbose]
//
// It is compiled with the code `thrift --gen cpp` makes from Apache's ThriftTest.thrift
// (see tests/src/apache_cpp.rs). Flags are those of Apache Thrift's cross-test programs, as
// `--flag value` or `--flag=value`; `--host` is the address to listen on (127.0.0.1 unless
// told), and `--port 0` picks a free port.
//
// It answers as ThriftTest.thrift's comments define. testException("TException") throws a
// plain apache::thrift::TException, which the generated processor turns into a
// TApplicationException (type UNKNOWN, the exception's text as message); testOneway(n)
// sleeps n seconds (at most 10) before it finishes. The multi* protocols serve ThriftTest
// under the name "ThriftTest" and SecondService under "SecondService" through a
// TMultiplexedProcessor, which also answers ThriftTest calls that carry no service name.
// secondtestString(s) answers 'testString("s")', as Apache's servers do. header and multih
// serve Apache's THeaderProtocol over the buffered or framed transport, one protocol object
// reading and writing each connection (as Apache's own test server sets it up), so each
// reply is in the framing and protocol of its call.
//
// It serves with a TThreadedServer (a thread per connection) over TBufferedTransportFactory,
// TFramedTransportFactory or, for http, THttpServerTransportFactory (as Apache's own test
// server does), with TBinaryProtocolFactory, TCompactProtocolFactory or TJSONProtocolFactory.
// With `--zlib` or `--transport zlib` the buffered factory is wrapped in a
// TZlibTransportFactory, as Apache's test server does: zlib on the socket, buffered inside.
// Over http each connection carries a sequence of POST requests to any path, each answered
// `HTTP/1.1 200 OK` with `Connection: Keep-Alive`; a oneway call gets no response at all,
// since the processor writes nothing for it. It prints one line,
// `cross_server listening on port N (PROTOCOL/TRANSPORT)`, once it is listening, then
// serves until it is killed. Bad options print a usage message and exit with status 2.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <thrift/TOutput.h>
#include <thrift/Thrift.h>
#include <thrift/processor/TMultiplexedProcessor.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/THeaderProtocol.h>
#include <thrift/protocol/TJSONProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/THttpServer.h>
#include <thrift/transport/TSSLServerSocket.h>
#include <thrift/transport/TSSLSocket.h>
#include <thrift/transport/TServerSocket.h>
#include <thrift/transport/TZlibTransport.h>

#include "SecondService.h"
#include "ThriftTest.h"
#include "cross_flags.h"

using apache::thrift::TException;
using apache::thrift::TMultiplexedProcessor;
using apache::thrift::TProcessor;
using apache::thrift::protocol::TBinaryProtocolFactory;
using apache::thrift::protocol::TCompactProtocolFactory;
using apache::thrift::protocol::THeaderProtocolFactory;
using apache::thrift::protocol::TJSONProtocolFactory;
using apache::thrift::protocol::TProtocolFactory;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TBufferedTransportFactory;
using apache::thrift::transport::TFramedTransportFactory;
using apache::thrift::transport::THttpServerTransportFactory;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TSSLServerSocket;
using apache::thrift::transport::TSSLSocketFactory;
using apache::thrift::transport::TTransportFactory;
using apache::thrift::transport::TZlibTransportFactory;

namespace test = thrift::test;

// ThriftTest.thrift's CrazyNesting holds a set<Insanity>, so the generated code orders
// Insanity values with an operator< that it declares but leaves to the program to define.
// This server never compares them; any strict weak ordering links.
bool test::Insanity::operator<(const Insanity& other) const {
  if (userMap != other.userMap) {
    return userMap < other.userMap;
  }
  return std::lexicographical_compare(
      xtructs.begin(), xtructs.end(), other.xtructs.begin(), other.xtructs.end(),
      [](const Xtruct& a, const Xtruct& b) {
        return std::tie(a.string_thing, a.byte_thing, a.i32_thing, a.i64_thing)
               < std::tie(b.string_thing, b.byte_thing, b.i32_thing, b.i64_thing);
      });
}

namespace {

struct Options : CrossFlags {
  bool verbose = false;
};

bool g_verbose = false;

// Logs a call to stderr when --verbose is given.
void called(const std::string& what) {
  if (g_verbose) {
    std::cerr << "cross_server: " << what << std::endl;
  }
}

class ThriftTestHandler : public test::ThriftTestIf {
public:
  void testVoid() override { called("testVoid()"); }

  void testString(std::string& _return, const std::string& thing) override {
    called("testString(" + std::to_string(thing.size()) + " bytes)");
    _return = thing;
  }

  bool testBool(const bool thing) override {
    called(std::string("testBool(") + (thing ? "true" : "false") + ")");
    return thing;
  }

  int8_t testByte(const int8_t thing) override {
    called("testByte(" + std::to_string(static_cast<int>(thing)) + ")");
    return thing;
  }

  int32_t testI32(const int32_t thing) override {
    called("testI32(" + std::to_string(thing) + ")");
    return thing;
  }

  int64_t testI64(const int64_t thing) override {
    called("testI64(" + std::to_string(thing) + ")");
    return thing;
  }

  double testDouble(const double thing) override {
    called("testDouble(" + std::to_string(thing) + ")");
    return thing;
  }

  void testBinary(std::string& _return, const std::string& thing) override {
    called("testBinary(" + std::to_string(thing.size()) + " bytes)");
    _return = thing;
  }

  void testStruct(test::Xtruct& _return, const test::Xtruct& thing) override {
    called("testStruct(...)");
    _return = thing;
  }

  void testNest(test::Xtruct2& _return, const test::Xtruct2& thing) override {
    called("testNest(...)");
    _return = thing;
  }

  void testMap(std::map<int32_t, int32_t>& _return,
               const std::map<int32_t, int32_t>& thing) override {
    called("testMap(" + std::to_string(thing.size()) + " entries)");
    _return = thing;
  }

  void testStringMap(std::map<std::string, std::string>& _return,
                     const std::map<std::string, std::string>& thing) override {
    called("testStringMap(" + std::to_string(thing.size()) + " entries)");
    _return = thing;
  }

  void testSet(std::set<int32_t>& _return, const std::set<int32_t>& thing) override {
    called("testSet(" + std::to_string(thing.size()) + " elements)");
    _return = thing;
  }

  void testList(std::vector<int32_t>& _return, const std::vector<int32_t>& thing) override {
    called("testList(" + std::to_string(thing.size()) + " elements)");
    _return = thing;
  }

  test::Numberz::type testEnum(const test::Numberz::type thing) override {
    called("testEnum(" + std::to_string(static_cast<int>(thing)) + ")");
    return thing;
  }

  test::UserId testTypedef(const test::UserId thing) override {
    called("testTypedef(" + std::to_string(thing) + ")");
    return thing;
  }

  // {-4 => {-4 => -4, -3 => -3, -2 => -2, -1 => -1}, 4 => {1 => 1, 2 => 2, 3 => 3, 4 => 4}}
  void testMapMap(std::map<int32_t, std::map<int32_t, int32_t>>& _return,
                  const int32_t hello) override {
    called("testMapMap(" + std::to_string(hello) + ")");
    _return.clear();
    for (int32_t i = 1; i <= 4; ++i) {
      _return[-4][-i] = -i;
      _return[4][i] = i;
    }
  }

  // {1 => {2 => argument, 3 => argument}, 2 => {6 => <empty Insanity struct>}}
  void testInsanity(std::map<test::UserId, std::map<test::Numberz::type, test::Insanity>>& _return,
                    const test::Insanity& argument) override {
    called("testInsanity(...)");
    _return.clear();
    _return[1][test::Numberz::TWO] = argument;
    _return[1][test::Numberz::THREE] = argument;
    _return[2][test::Numberz::SIX] = test::Insanity();
  }

  void testMulti(test::Xtruct& _return, const int8_t arg0, const int32_t arg1,
                 const int64_t arg2, const std::map<int16_t, std::string>& /* arg3 */,
                 const test::Numberz::type /* arg4 */, const test::UserId /* arg5 */) override {
    called("testMulti(...)");
    _return = test::Xtruct();
    _return.__set_string_thing("Hello2");
    _return.__set_byte_thing(arg0);
    _return.__set_i32_thing(arg1);
    _return.__set_i64_thing(arg2);
  }

  void testException(const std::string& arg) override {
    called("testException(" + arg + ")");
    if (arg == "Xception") {
      test::Xception e;
      e.__set_errorCode(1001);
      e.__set_message(arg);
      throw e;
    }
    if (arg == "TException") {
      throw TException("This is a TException");
    }
  }

  void testMultiException(test::Xtruct& _return, const std::string& arg0,
                          const std::string& arg1) override {
    called("testMultiException(" + arg0 + ", " + arg1 + ")");
    if (arg0 == "Xception") {
      test::Xception e;
      e.__set_errorCode(1001);
      e.__set_message("This is an Xception");
      throw e;
    }
    if (arg0 == "Xception2") {
      test::Xception2 e;
      e.__set_errorCode(2002);
      test::Xtruct thing;
      thing.__set_string_thing("This is an Xception2");
      e.__set_struct_thing(thing);
      throw e;
    }
    _return = test::Xtruct();
    _return.__set_string_thing(arg1);
  }

  void testOneway(const int32_t secondsToSleep) override {
    const int32_t seconds = std::min(std::max(secondsToSleep, 0), 10);
    called("testOneway(" + std::to_string(secondsToSleep) + "): sleeping...");
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    called("testOneway(" + std::to_string(secondsToSleep) + "): done sleeping");
  }
};

class SecondServiceHandler : public test::SecondServiceIf {
public:
  void secondtestString(std::string& _return, const std::string& thing) override {
    called("secondtestString(" + std::to_string(thing.size()) + " bytes)");
    _return = "testString(\"" + thing + "\")";
  }
};

// Prints the listening line once TServerFramework::serve has called listen() (it runs
// preServe right after), with the port the socket really has (for --port 0).
class Announcer : public TServerEventHandler {
public:
  Announcer(std::shared_ptr<TServerSocket> socket, std::string what)
    : socket_(std::move(socket)), what_(std::move(what)) {}

  void preServe() override {
    std::printf("cross_server listening on port %d (%s)\n", socket_->getPort(), what_.c_str());
    std::fflush(stdout);
  }

private:
  std::shared_ptr<TServerSocket> socket_;
  std::string what_;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "cross_server: " << problem << "\n"
            << "usage: cross_server [--host H] [--port N] "
               "[--protocol binary|compact|json|header|multi|multic|multih|multij] "
               "[--transport buffered|framed|http|zlib] [--zlib] [--ssl [--cert F --key F]] [--verbose]"
            << std::endl;
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.host = "127.0.0.1";
  auto own = [&](const std::string& flag, auto&) {
    if (flag == "-v" || flag == "--verbose") {
      o.verbose = true;
      return true;
    }
    return false;
  };
  parse_cross_flags(argc, argv, o, 0, own, usage);
  return o;
}

} // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  g_verbose = options.verbose;
  if (!options.verbose) {
    // The library reports every client that disconnects; keep stderr for real problems.
    apache::thrift::GlobalOutput.setOutputFunction([](const char*) {});
  }

  const bool header = options.protocol == "header" || options.protocol == "multih";
  std::shared_ptr<TProtocolFactory> protocols;
  if (options.protocol == "binary" || options.protocol == "multi") {
    protocols = std::make_shared<TBinaryProtocolFactory>();
  } else if (options.protocol == "compact" || options.protocol == "multic") {
    protocols = std::make_shared<TCompactProtocolFactory>();
  } else if (header) {
    if (options.transport == "http") {
      usage("--protocol " + options.protocol + " does not run over --transport http");
    }
    protocols = std::make_shared<THeaderProtocolFactory>();
  } else {
    protocols = std::make_shared<TJSONProtocolFactory>();
  }
  std::shared_ptr<TTransportFactory> transports;
  if (options.transport == "framed") {
    transports = std::make_shared<TFramedTransportFactory>();
  } else if (options.transport == "http") {
    transports = std::make_shared<THttpServerTransportFactory>();
  } else {
    transports = std::make_shared<TBufferedTransportFactory>();
  }
  if (options.zlib) {
    // As Apache's own test server: each buffered transport wrapped in a TZlibTransport.
    transports = std::make_shared<TZlibTransportFactory>(transports);
  }

  std::shared_ptr<TProcessor> processor =
      std::make_shared<test::ThriftTestProcessor>(std::make_shared<ThriftTestHandler>());
  if (options.protocol.rfind("multi", 0) == 0) {
    auto multiplexed = std::make_shared<TMultiplexedProcessor>();
    multiplexed->registerProcessor("ThriftTest", processor);
    multiplexed->registerProcessor(
        "SecondService",
        std::make_shared<test::SecondServiceProcessor>(std::make_shared<SecondServiceHandler>()));
    multiplexed->registerDefault(processor);
    processor = multiplexed;
  }

  std::shared_ptr<TServerSocket> socket;
  if (options.ssl) {
    // As Apache's own test server: its certificate and key, no client certificate asked.
    signal(SIGPIPE, SIG_IGN);
    auto factory = std::make_shared<TSSLSocketFactory>();
    factory->server(true);
    factory->loadCertificate(CrossFlags::key_file(options.cert, "server.pem").c_str());
    factory->loadPrivateKey(CrossFlags::key_file(options.key, "server.key").c_str());
    socket = std::make_shared<TSSLServerSocket>(options.host, options.port, factory);
  } else {
    socket = std::make_shared<TServerSocket>(options.host, options.port);
  }
  TThreadedServer server(processor, socket, transports, protocols);
  if (header) {
    // No output factory: the input protocol writes the replies, in the dialect it read.
    server.setOutputProtocolFactory(nullptr);
  }
  server.setServerEventHandler(
      std::make_shared<Announcer>(
          socket, options.protocol + "/" + (options.zlib ? "zlib" : options.transport)
                      + (options.ssl ? " over TLS" : "")));
  try {
    server.serve();
  } catch (const std::exception& e) {
    std::cerr << "cross_server: cannot serve on " << options.host << ":" << options.port << ": "
              << e.what() << std::endl;
    return 1;
  }
  return 0;
}
