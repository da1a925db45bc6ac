/*
 * Golden test: constants of every type, referring to each other and to another file.
 */
include "enums.thrift"

/** The answer. */
const i32 ANSWER = 42
const i64 BIG = 9223372036854775807
const i8 SMALLEST = -128
const double PI = 3.14159
const double FROM_INT = ANSWER
const bool DEBUG = false
const string GREETING = "hello, world"
const binary MAGIC = "TT"
const list<string> NAMES = ["ann", "bob"]
const set<i32> PRIMES = [2, 3, 5]
const map<string, i32> PORTS = {"http": 80, "https": 443}
const map<i32, list<string>> NESTED = {1: ["one"], 2: []}
const i32 ANSWER_AGAIN = ANSWER
const enums.Status OK = enums.Status.OK
const list<enums.TrafficLight> CYCLE = [enums.TrafficLight.RED, enums.TrafficLight.GREEN]

typedef i16 Port
const Port HTTP = 80

/** Where to connect. */
struct Endpoint {
  1: string host = "localhost",
  2: Port port = HTTP,
}

const Endpoint DEFAULT_ENDPOINT = {"host": "example.org"}
const list<Endpoint> MIRRORS = [{"host": "a.example.org", "port": 8080}]
