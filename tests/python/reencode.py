"""Decode bytes with Apache Thrift's Python library and encode them again.

Usage: /usr/bin/python3 reencode.py GEN_PY_DIR < requests

GEN_PY_DIR holds `thrift --gen py` output of ThriftTest.thrift. Each request line is
`STRUCT PROTOCOL HEX [OUT]` (PROTOCOL: binary, compact or json; OUT, the protocol to write
in, PROTOCOL unless given, may also be simple_json); each answer line is `OK HEX`, the bytes
Python writes for what it read, or `ERROR message`.
"""

import sys

sys.path.insert(0, sys.argv[1])

from thrift.protocol import TBinaryProtocol, TCompactProtocol, TJSONProtocol  # noqa: E402
from thrift.protocol.TJSONProtocol import TSimpleJSONProtocolFactory  # noqa: E402
from thrift.transport import TTransport  # noqa: E402
from ThriftTest import ttypes  # noqa: E402

class OrderedSet(object):
    """A set that iterates in insertion order, so that Python writes a set's elements in
    the order it read them and the re-encoded bytes can be compared with the original."""

    def __init__(self, items=()):
        self._items = dict.fromkeys(items)

    def add(self, item):
        self._items[item] = None

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __contains__(self, item):
        return item in self._items

    def __eq__(self, other):
        return set(self) == set(other)

    def __hash__(self):
        return hash(frozenset(self._items))


# The generated code looks these names up in its module's globals.
ttypes.set = OrderedSet
ttypes.frozenset = OrderedSet

FACTORIES = {
    "binary": TBinaryProtocol.TBinaryProtocolFactory(),
    "compact": TCompactProtocol.TCompactProtocolFactory(),
    "json": TJSONProtocol.TJSONProtocolFactory(),
    "simple_json": TSimpleJSONProtocolFactory(),  # writes only
}


def reencode(struct, protocol, data, out_protocol):
    value = getattr(ttypes, struct)()
    # Immutable types (python.immutable, and exceptions) read with a classmethod that
    # returns the value; the others fill in `value` and return None.
    read = value.read(FACTORIES[protocol].getProtocol(TTransport.TMemoryBuffer(data)))
    if read is not None:
        value = read
    out = TTransport.TMemoryBuffer()
    value.write(FACTORIES[out_protocol].getProtocol(out))
    return out.getvalue()


for line in sys.stdin:
    struct, protocol, hexdata, *out = line.split()
    try:
        data = bytes.fromhex(hexdata)
        print("OK " + reencode(struct, protocol, data, out[0] if out else protocol).hex())
    except Exception as e:  # every failure is an answer, not a crash
        print("ERROR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
