/*
 * Golden test: unions.
 */

/** A JSON-like value: exactly one of the fields is set. */
union Value {
  /** A whole number. */
  1: i64 integer,
  2: double real,
  3: string text,
  4: binary raw,
  5: list<Value> items,
  6: map<string, Value> fields,
}

/** A union of structs and enums. */
union Shape {
  1: Circle circle,
  2: Square square,
  3: Kind kind,
}

struct Circle {
  1: double radius,
}

struct Square {
  1: double side,
}

enum Kind {
  NONE,
  UNIT,
}

/** Unions as fields. */
struct Drawing {
  1: required Shape shape,
  2: optional Value note,
  3: list<Shape> more,
}

const Value ANSWER = {"integer": 42}
const Shape UNIT_SQUARE = {"square": {"side": 1.0}}
