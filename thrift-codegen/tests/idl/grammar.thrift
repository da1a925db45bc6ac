/*
 * Every grammar feature the parser accepts, in one file (with shared_types.thrift).
 */
include "shared_types.thrift"
cpp_include "<vector>"

namespace rs grammar
namespace * grammar.all
namespace py grammar (python.package = "yes")

const i32 ANSWER = 42
const i64 BIG = 0x7fffffffffffffff;
const i8 SMALL = -128,
const double PI = 3.14159
const double AVOGADRO = 6.02214076e23
const bool ENABLED = true
const string GREETING = "hello \"world\""
const string SINGLE = 'single quotes'
const binary MAGIC = "magic\tbytes"
const list<i32> PRIMES = [2, 3, 5, 7]
const set<string> NAMES = ["ann", "bob"]
const map<string, i32> AGES = {"ann": 31, "bob": 27}
const map<i32, list<string>> NESTED = {1: ["a"], 2: []}
const shared_types.Color FAVOURITE = shared_types.Color.GREEN
const shared_types.When EPOCH = 0
const shared_types.Point ORIGIN = {"x": 0.0, "y": 0}

/** Bit flags; a doc comment on an enum. */
enum Flags {
  /** May read. */
  READ = 1,
  WRITE = 2;
  EXECUTE = 0x4
} (annotation.on.enum = "1")

const Flags DEFAULT_FLAGS = Flags.READ


typedef list<map<string, set<i64>>> Deep
typedef binary Blob (cpp.type = "std::string")

/**
 * A struct with every kind of field.
 */
struct Everything {
  1: bool flag = true,
  2: byte legacy_byte,
  3: i8 small,
  4: i16 short_value = -1,
  5: i32 int_value = ANSWER,
  6: i64 long_value,
  7: double ratio = 0.5,
  8: string text = "default",
  9: binary blob,
  10: list<i32> numbers = [1, 2, 3],
  11: set<string> tags,
  12: map<string, double> weights,
  13: required shared_types.Point where,
  14: optional shared_types.When when,
  15: optional shared_types.Color color = shared_types.Color.BLUE,
  16: Deep deep,
  17: map<shared_types.Color, list<shared_types.Point>> by_color,
  18: optional Blob blob2,
  19: set<double> measurements,
  20: map<double, string> by_measurement,
  21: optional Flags flags = Flags.WRITE,
  i32 implicit_one,
  string implicit_two (field.annotation = "x"),
  32767: i32 largest_id,
  25: list<list<list<i32>>> cube;
} (struct.annotation = "yes", another)

/** Unions are one of their fields. */
union Choice {
  1: i32 number,
  2: string word,
  3: shared_types.Point point,
}

exception Failure {
  1: i32 code,
  2: string message,
  3: optional Choice detail,
}

struct Node {
  1: i32 value,
  2: optional Node next,            // a recursive field is boxed
  3: list<Node> children,           // containers need no box
}

struct Even { 1: optional Odd & odd }  // mutual recursion, the C++ `&` marker
struct Odd { 1: optional Even even }

struct Keywords {
  1: string type,
  2: i32 match,
  3: bool self,
  4: string fn,
  5: i64 camelCaseName,
  6: i32 HTTPStatus,
}

service Grammar extends shared_types.Base {
  /** Does nothing. */
  void nothing(),
  i32 add(1: i32 a, 2: i32 b),
  Everything echo(1: Everything value) throws (1: Failure failure, 2: shared_types.NotFound missing),
  oneway void fire(1: string event),
  map<string, list<Choice>> complex(1: optional set<i64> ids, 2: Deep deep = []),
  Keywords type(1: Keywords match) (method.annotation = "1"),
}

service Child extends Grammar {
  string ping(),  // overrides Base.ping
  bool child_only(),
}
