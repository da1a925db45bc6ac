// The service of the benchmark (tests/bench/): a request echoed back as it came, small or
// large. One struct of every common kind of field, so that the cost measured is the
// protocol's and the framework's, not one type's.
namespace rs echo
namespace py echo
namespace cpp echo

struct Item {
  1: i64 id,
  2: string name,
  3: double score,
  4: list<i32> tags,
  5: map<string, string> attrs,
}

struct EchoRequest {
  1: string payload,
  2: list<Item> items,
}

struct EchoResponse {
  1: string payload,
  2: list<Item> items,
}

service EchoService {
  /** Answers with the request's payload and items, unchanged. */
  EchoResponse echo(1: EchoRequest request),
}
