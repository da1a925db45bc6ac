// The first program of every Thrift tutorial: one service, one method.
namespace rs hello
namespace py hello

service HelloService {
  /** Answers "Received: " followed by `msg`. */
  string say(1: string msg)
}
