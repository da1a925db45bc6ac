# Types another file includes: `include`, cross-file names, typedef chains.
namespace rs shared_types
namespace py shared_types

/** A point on a plane. */
struct Point {
  1: required double x,
  2: required double y,
}

typedef i64 Timestamp
typedef Timestamp When   // a typedef of a typedef

enum Color {
  RED,          // 0: implicit values count up from zero
  GREEN = 10,
  BLUE,         // 11
}

exception NotFound {
  1: string what
}

service Base {
  /** Liveness check. */
  string ping(),
}
