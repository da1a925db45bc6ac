/*
 * Golden test: enums, their values and their use as field types and defaults.
 */

/** The lights of a traffic light, in the order they come on. */
enum TrafficLight {
  /** Stop. */
  RED = 1,
  /** Get ready. */
  AMBER,
  GREEN,
}

/** Values out of order, with gaps, a negative one and an implicit one after it. */
enum Status {
  OK = 200,
  NOT_FOUND = 404,
  UNKNOWN = 0,
  BROKEN = -2,
  WORSE,
}

/** IDL names in other styles than SCREAMING_CASE. */
enum httpMethod {
  get,
  POST,
  PutAll,
  delete_all,
}

/** An enum used as field types, keys and defaults. */
struct Signal {
  1: TrafficLight light = TrafficLight.GREEN,
  2: optional Status status,
  3: required httpMethod method,
  4: list<Status> history = [Status.OK, Status.NOT_FOUND],
  5: map<TrafficLight, string> names,
  6: set<httpMethod> allowed,
}
