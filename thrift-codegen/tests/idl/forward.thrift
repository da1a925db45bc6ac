// Names used before their definitions: thrift-codegen resolves the whole file first
// (Apache's compiler requires types to be defined before use).
namespace rs forward

const Later FIRST = Later.ONE
const i32 TWICE = ONCE
const i32 ONCE = 1

struct UsesLater {
  1: Later later = Later.TWO,
  2: Alias alias,
}

typedef Target Alias

struct Target {
  1: i32 value = TWICE,
}

enum Later { ONE = 1, TWO }
