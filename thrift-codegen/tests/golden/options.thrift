/*
 * Golden test: the builder's options (see `options()` in golden.rs). Attributes on types
 * and fields (serde's, as a user would add them), a client without a server, and the
 * types of an included file used from elsewhere (`extern_path`) instead of generated.
 */

include "enums.thrift"

struct Point {
  1: i32 x,
  2: i32 y,
  3: optional string label,
}

union Shape {
  1: Point dot,
  2: list<Point> path,
}

enum Unit {
  METERS = 1,
  FEET = 2,
}

/** Not serde's: its field's type comes from elsewhere. */
struct Reading {
  1: enums.Status status,
  2: list<enums.TrafficLight> lights,
}

exception TooFar {
  1: double distance,
}

service Plotter {
  Shape plot(1: Point at, 2: Unit unit) throws (1: TooFar far),
  Reading read(),
}
