/*
 * Golden test: `shared_strings(true)` (see `builder()` in golden.rs). Every place a
 * `string` can stand: fields with and without defaults, containers, map keys and set
 * elements, a typedef, constants, a union, an exception, and a service's arguments and
 * results. `binary` stays `Bytes`.
 */

typedef string Name

const string GREETING = "hello"
const list<string> PLANETS = ["mercury", "venus"]
const map<string, string> CAPITALS = {"fr": "Paris", "de": "Berlin"}

struct Person {
  1: Name name,
  2: string nickname = "pal",
  3: optional string motto,
  4: optional string hometown = "nowhere",
  5: list<string> aliases,
  6: set<string> tags,
  7: map<string, list<string>> notes,
  8: binary avatar,
}

union Contact {
  1: string email,
  2: i64 phone,
}

exception NotFound {
  1: string message,
  2: Name who = "nobody",
}

service Directory {
  Person lookup(1: Name name, 2: map<string, string> hints) throws (1: NotFound missing),
  list<string> names(1: string prefix = "a"),
  oneway void forget(1: string name),
}
