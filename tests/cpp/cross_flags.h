// The command line the cross-test programs share: Apache Thrift's cross-test flags
// `--host H --port N --protocol P --transport T [--zlib]`, each as `--flag value` or
// `--flag=value`, and whatever flags a program adds of its own.
//
// Apache's cross-test runner names zlib as a transport and passes it both ways,
// `--transport=zlib --zlib`: TZlibTransport over the buffered transport. Either spelling,
// or both, means that here; zlib with framed or http is refused.
#pragma once

#include <cstdlib>
#include <set>
#include <string>

// The flags every cross-test program takes.
struct CrossFlags {
  std::string host;
  int port = 9090;
  std::string protocol = "binary";
  // buffered, framed or http (`--transport zlib` is buffered with `zlib`).
  std::string transport = "buffered";
  // --ssl, and its PEM files: this program's certificate and key, and the CA to trust.
  // Empty: the project's test keys (CROSS_KEYS_DIR, given by the build).
  bool ssl = false;
  std::string cert;
  std::string key;
  std::string ca;

  // `given`, or the test key `name`.
  static std::string key_file(const std::string& given, const std::string& name) {
    return given.empty() ? std::string(CROSS_KEYS_DIR) + "/" + name : given;
  }
  // TZlibTransport around the buffered transport.
  bool zlib = false;
};

// Parses argv into `flags`. `lowest_port` is the smallest port accepted (0 lets a server
// pick one). A flag that is not a shared one goes to `own(flag, take)`, which returns false
// when it does not know it either; `take()` returns the flag's value. Every problem goes to
// `usage(problem)`, which must not return.
template <typename Own, typename Usage>
void parse_cross_flags(int argc, char** argv, CrossFlags& flags, long lowest_port, Own own,
                       Usage usage) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string flag = arg;
    std::string value;
    bool has_value = false;
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) {
        return value;
      }
      if (i + 1 >= argc) {
        usage(flag + " needs a value");
      }
      return argv[++i];
    };
    if (flag == "--host") {
      flags.host = take();
    } else if (flag == "--port") {
      const std::string v = take();
      char* end = nullptr;
      const long port = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || port < lowest_port || port > 65535) {
        usage("--port: not a port number: " + v);
      }
      flags.port = static_cast<int>(port);
    } else if (flag == "--protocol") {
      flags.protocol = take();
      const std::set<std::string> known{"binary", "compact", "json",   "header",
                                         "multi",  "multic",  "multih", "multij"};
      if (known.count(flags.protocol) == 0) {
        usage("unknown protocol `" + flags.protocol + "`");
      }
    } else if (flag == "--transport") {
      flags.transport = take();
      if (flags.transport != "buffered" && flags.transport != "framed"
          && flags.transport != "http" && flags.transport != "zlib") {
        usage("unknown transport `" + flags.transport + "`");
      }
    } else if (flag == "--ssl") {
      flags.ssl = true;
    } else if (flag == "--cert") {
      flags.cert = take();
    } else if (flag == "--key") {
      flags.key = take();
    } else if (flag == "--ca") {
      flags.ca = take();
    } else if (flag == "--zlib" && !has_value) {
      flags.zlib = true;
    } else if (!own(flag, take)) {
      usage("unknown option `" + arg + "`");
    }
  }
  if (flags.transport == "zlib") {
    flags.transport = "buffered";
    flags.zlib = true;
  }
  if (flags.zlib && flags.transport != "buffered") {
    usage("--zlib runs over the buffered transport only (--transport zlib)");
  }
}
