/*
 * Golden test: services, one extending another; oneway functions; declared exceptions;
 * functions marked idempotent (an annotation Apache's compiler accepts as well).
 */

/** The key was not found. */
exception NotFound {
  1: string key,
}

/** The request is not valid. */
exception Invalid {
  1: string reason,
  2: i32 code = 400,
}

/** A key-value store. */
service Store {
  /** The value of `key`. */
  binary get(1: string key) throws (1: NotFound missing) (idempotent = "true"),
  /** Stores `value` under `key`. */
  void put(1: string key, 2: binary value),
  /** Forgets `key`, without waiting for an answer. */
  oneway void forget(1: string key),
  bool ping() (idempotent),
}

/** A store that also works in batches. */
service BatchStore extends Store {
  map<string, binary> getMany(1: list<string> keys, 2: i32 limit = 100)
    throws (1: NotFound missing, 2: Invalid invalid),
  void clear() throws (1: Invalid invalid) (idempotent = "false"),
  oneway void touchAll(),
}
