/*
 * Golden test: structs, requiredness, default values, binary, nested containers and
 * recursive structs.
 */

/** A point on a plane. */
struct Point {
  /** Horizontal, to the right. */
  1: i32 x,
  /** Vertical, upwards. */
  2: i32 y,
}

/** Every requiredness, with and without a default value. */
struct Settings {
  1: required string name,
  2: optional i64 id,
  3: i32 retries = 3,
  4: required double ratio = 0.5,
  5: optional bool verbose = true,
  6: string greeting = "hello",
  7: binary magic = "TT",
  8: list<i32> primes = [2, 3, 5],
  9: map<string, i16> ports = {"http": 80, "https": 443},
  10: optional Point origin = {"x": 1, "y": 2},
  11: set<string> tags = ["a", "b"],
  12: required i8 level,
  13: Point corner,
  i32 implicit_id,
}

/** Containers in containers. */
struct Nested {
  1: list<list<i32>> matrix,
  2: map<string, list<Point>> routes,
  3: map<i32, map<string, set<i64>>> index,
  4: optional list<binary> chunks,
  5: set<double> samples,
  6: map<Point, string> labels,
}

/** A tree: a struct that contains itself through a list. */
struct Tree {
  1: string label,
  2: list<Tree> children,
}

/** A linked list: a struct that contains itself directly. */
struct Link {
  1: i32 value,
  2: Link following,
  3: optional Link previous,
}

/** No fields at all. */
struct Empty {}
