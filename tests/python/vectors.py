#!/usr/bin/python3
"""Test vectors from Apache Thrift's own Python library (python3-thrift).

Usage: /usr/bin/python3 vectors.py GEN_DIR

GEN_DIR is the output of `thrift --gen py --gen json -out GEN_DIR ThriftTest.thrift`: the
`ThriftTest` Python package, and `ThriftTest.json`, from which requiredness and the kind of
each struct are taken (the Python classes do not record them).

Prints one JSON document on stdout:

    {"accelerated": bool, "structs": {name: struct}, "cases": [case, ...]}

A type is "bool", "i8", "i16", "i32", "i64", "double", "string", "binary",
{"struct": name}, {"list": type}, {"set": type} or {"map": [key, value]}; enums are "i32".
Types come from the generated classes' `thrift_spec`. A struct is
{"kind": "struct"|"union"|"exception", "fields": [{"id", "name", "req", "type"}]} with
`req` one of "required", "optional", "default", in `thrift_spec` order.

A value is tagged with its type: {"bool": b}, {"i8": n} ... {"double": "<16 hex digits of the
IEEE 754 bits>"}, {"string": s}, {"binary": "<hex>"}, {"struct": [[id, value], ...]},
{"list": [...]}, {"set": [...]}, {"map": [[key, value], ...]}. Struct fields, set elements
and map entries are listed in the order Python writes them; fields that are None (not
written) are absent.

A case is {"name", "type", "value", "bytes": {encoding: hex}} plus "message":
{"name", "type", "seqid"} when the value is the body of a message, "application_exception":
{"type", "message"} when it is a TApplicationException, and "python_cannot_read":
{encoding: reason} when Python's own reader does not give back the value it wrote (those
bytes are no contract to follow). Encodings: "binary" (strict header), "binary_old"
(unversioned header, messages only), "compact", "json", "simple_json" (TSimpleJSONProtocol,
which Python cannot read at all: its bytes are not read back here).

Every case is checked here before it is printed:
  * a writer driven by the printed type and value alone produces the same bytes as the
    generated code (so the printed value is exactly what was encoded, in that order);
  * the C-accelerated TBinaryProtocolAccelerated / TCompactProtocolAccelerated produce the
    same bytes as the pure-Python protocols (when `fastbinary` is importable).
Any failure of these exits non-zero.

The output is deterministic: string and bytes hashing (set iteration order) is pinned by
re-running under PYTHONHASHSEED=0, and structs used as set elements or map keys hash by
their encoding instead of by object address.
"""

import json
import math
import os
import struct
import sys
import zlib

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

try:
    from thrift.TRecursive import fix_spec
    from thrift.Thrift import TApplicationException, TMessageType, TType
    from thrift.protocol import TBinaryProtocol, TCompactProtocol, TJSONProtocol
    from thrift.protocol.TBase import TBase
    from thrift.transport import TTransport
except ImportError as e:
    sys.exit(
        "vectors.py: cannot import Apache Thrift's Python library (%s) with %s; "
        "install python3-thrift (tests/setup-debian.sh)" % (e, sys.executable)
    )

try:
    from thrift.protocol import fastbinary  # noqa: F401

    ACCELERATED = True
except ImportError:
    ACCELERATED = False

if len(sys.argv) != 2:
    sys.exit(__doc__)
GEN_DIR = sys.argv[1]
sys.path.insert(0, GEN_DIR)

from ThriftTest import ThriftTest as Svc  # noqa: E402
from ThriftTest.ttypes import (  # noqa: E402
    Bonk,
    Bools,
    BoolTest,
    CrazyNesting,
    EmptyStruct,
    GuessProtocolStruct,
    Insanity,
    LargeDeltas,
    ListBonks,
    ListTypeVersioningV1,
    ListTypeVersioningV2,
    NestedListsBonk,
    NestedListsI32x2,
    NestedListsI32x3,
    NestedMixedx2,
    Numberz,
    OneField,
    OptionalBinary,
    OptionalSetDefaultTest,
    SomeUnion,
    StructA,
    StructB,
    VersioningTestV1,
    VersioningTestV2,
    Xception,
    Xception2,
    Xtruct,
    Xtruct2,
    Xtruct3,
)

# ---------------------------------------------------------------------------------------
# Protocols

PURE = {
    "binary": lambda t: TBinaryProtocol.TBinaryProtocol(t),
    "binary_old": lambda t: TBinaryProtocol.TBinaryProtocol(t, strictWrite=False),
    "compact": lambda t: TCompactProtocol.TCompactProtocol(t),
    "json": lambda t: TJSONProtocol.TJSONProtocol(t),
    "simple_json": lambda t: TJSONProtocol.TSimpleJSONProtocol(t),
}
# Write-only encodings: Python's reader raises NotImplementedError by design.
WRITE_ONLY = {"simple_json"}
FAST = {
    "binary": lambda t: TBinaryProtocol.TBinaryProtocolAccelerated(t, fallback=False),
    "binary_old": lambda t: TBinaryProtocol.TBinaryProtocolAccelerated(
        t, strictWrite=False, fallback=False
    ),
    "compact": lambda t: TCompactProtocol.TCompactProtocolAccelerated(t, fallback=False),
}
VALUE_ENCODINGS = ["binary", "compact", "json", "simple_json"]
MESSAGE_ENCODINGS = ["binary", "binary_old", "compact", "json", "simple_json"]


def encode(factory, write):
    buf = TTransport.TMemoryBuffer()
    write(factory(buf))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# Types, from thrift_spec (plus requiredness and kind from the compiler's JSON output)

REQ = {"required": "required", "optional": "optional", "req_out": "default"}


class Schema:
    def __init__(self, idl):
        # name -> {"kind", "req": {id: req}, "names": {id: name}} from ThriftTest.json
        self.info = {}
        for s in idl["structs"]:
            kind = "exception" if s["isException"] else "union" if s["isUnion"] else "struct"
            self.info[s["name"]] = self._info(kind, s["fields"])
        for service in idl["services"]:
            for fn in service["functions"]:
                self.info[fn["name"] + "_args"] = self._info("struct", fn["arguments"])
                # A result holds `success` (id 0) and the declared exceptions; the compiler
                # makes every one of them optional.
                result = [dict(f, required="optional") for f in fn["exceptions"]]
                if fn["returnTypeId"] != "void":
                    result.insert(0, {"key": 0, "name": "success", "required": "optional"})
                self.info[fn["name"] + "_result"] = self._info("struct", result)
        self.classes = {}
        self.structs = {}

    @staticmethod
    def _info(kind, fields):
        return {
            "kind": kind,
            "req": {f["key"]: REQ[f["required"]] for f in fields},
            "names": {f["key"]: f["name"] for f in fields},
        }

    def ty(self, ttype, spec):
        simple = {
            TType.BOOL: "bool",
            TType.BYTE: "i8",
            TType.I16: "i16",
            TType.I32: "i32",
            TType.I64: "i64",
            TType.DOUBLE: "double",
        }
        if ttype in simple:
            return simple[ttype]
        if ttype == TType.STRING:
            return {"UTF8": "string", "BINARY": "binary"}[spec]
        if ttype == TType.STRUCT:
            self.add(spec[0])
            return {"struct": spec[0].__name__}
        if ttype == TType.LIST:
            return {"list": self.ty(spec[0], spec[1])}
        if ttype == TType.SET:
            return {"set": self.ty(spec[0], spec[1])}
        if ttype == TType.MAP:
            return {"map": [self.ty(spec[0], spec[1]), self.ty(spec[2], spec[3])]}
        raise ValueError("unknown TType %r" % ttype)

    def add(self, cls, info=None):
        """Describes `cls` (a generated class, or a TBase subclass made here) from its
        thrift_spec; returns its type."""
        name = cls.__name__
        if name in self.classes:
            if self.classes[name] is not cls:
                raise ValueError("two classes named %s" % name)
            return {"struct": name}
        info = info or self.info[name]
        self.classes[name] = cls
        fields = []
        for entry in cls.thrift_spec:
            if entry is None:
                continue
            fid, ttype, fname, fspec, _default = entry
            if info["names"].get(fid) != fname:
                raise ValueError("%s: field %d is %r in thrift_spec, %r in the IDL"
                                 % (name, fid, fname, info["names"].get(fid)))
            fields.append({"id": fid, "name": fname, "req": info["req"][fid],
                           "type": self.ty(ttype, fspec)})
        if sorted(f["id"] for f in fields) != sorted(info["names"]):
            raise ValueError("%s: thrift_spec and the IDL list different fields" % name)
        self.structs[name] = {"kind": info["kind"], "fields": fields}
        return {"struct": name}

    def field(self, struct_name, fid):
        for f in self.structs[struct_name]["fields"]:
            if f["id"] == fid:
                return f
        return None


TTYPES = {
    "bool": TType.BOOL, "i8": TType.BYTE, "i16": TType.I16, "i32": TType.I32,
    "i64": TType.I64, "double": TType.DOUBLE, "string": TType.STRING,
    "binary": TType.STRING, "struct": TType.STRUCT, "list": TType.LIST,
    "set": TType.SET, "map": TType.MAP,
}


def ttype_of(ty):
    return TTYPES[ty if isinstance(ty, str) else next(iter(ty))]


# ---------------------------------------------------------------------------------------
# Values: Python object -> tagged tree, and a writer and reader driven by the tree

def double_hex(d):
    return struct.pack(">d", d).hex()


def hex_double(h):
    return struct.unpack(">d", bytes.fromhex(h))[0]


def tree(schema, ty, v):
    if isinstance(ty, str):
        if ty == "bool":
            assert isinstance(v, bool), v
            return {"bool": v}
        if ty in ("i8", "i16", "i32", "i64"):
            assert isinstance(v, int) and not isinstance(v, bool), v
            return {ty: int(v)}
        if ty == "double":
            return {"double": double_hex(float(v))}
        if ty == "string":
            assert isinstance(v, str), v
            return {"string": v}
        if ty == "binary":
            assert isinstance(v, (bytes, bytearray)), v
            return {"binary": bytes(v).hex()}
    (tag, arg), = ty.items()
    if tag == "struct":
        fields = []
        for f in schema.structs[arg]["fields"]:
            x = getattr(v, f["name"])
            if x is not None:
                fields.append([f["id"], tree(schema, f["type"], x)])
        return {"struct": fields}
    if tag in ("list", "set"):
        return {tag: [tree(schema, arg, x) for x in v]}
    if tag == "map":
        return {"map": [[tree(schema, arg[0], k), tree(schema, arg[1], x)]
                        for k, x in v.items()]}
    raise ValueError(ty)


def write_tree(schema, p, ty, t):
    (tag, v), = t.items()
    if tag == "bool":
        p.writeBool(v)
    elif tag == "i8":
        p.writeByte(v)
    elif tag == "i16":
        p.writeI16(v)
    elif tag == "i32":
        p.writeI32(v)
    elif tag == "i64":
        p.writeI64(v)
    elif tag == "double":
        p.writeDouble(hex_double(v))
    elif tag == "string":
        p.writeString(v)
    elif tag == "binary":
        p.writeBinary(bytes.fromhex(v))
    elif tag == "struct":
        name = ty["struct"]
        p.writeStructBegin(name)
        for fid, x in v:
            f = schema.field(name, fid)
            p.writeFieldBegin(f["name"], ttype_of(f["type"]), fid)
            write_tree(schema, p, f["type"], x)
            p.writeFieldEnd()
        p.writeFieldStop()
        p.writeStructEnd()
    elif tag == "list":
        p.writeListBegin(ttype_of(ty["list"]), len(v))
        for x in v:
            write_tree(schema, p, ty["list"], x)
        p.writeListEnd()
    elif tag == "set":
        p.writeSetBegin(ttype_of(ty["set"]), len(v))
        for x in v:
            write_tree(schema, p, ty["set"], x)
        p.writeSetEnd()
    elif tag == "map":
        kt, vt = ty["map"]
        p.writeMapBegin(ttype_of(kt), ttype_of(vt), len(v))
        for k, x in v:
            write_tree(schema, p, kt, k)
            write_tree(schema, p, vt, x)
        p.writeMapEnd()
    else:
        raise ValueError(tag)


def read_tree(schema, p, ty):
    if isinstance(ty, str):
        if ty == "bool":
            return {"bool": bool(p.readBool())}
        if ty == "i8":
            return {"i8": p.readByte()}
        if ty == "i16":
            return {"i16": p.readI16()}
        if ty == "i32":
            return {"i32": p.readI32()}
        if ty == "i64":
            return {"i64": p.readI64()}
        if ty == "double":
            return {"double": double_hex(p.readDouble())}
        if ty == "string":
            return {"string": p.readString()}
        if ty == "binary":
            return {"binary": bytes(p.readBinary()).hex()}
    (tag, arg), = ty.items()
    if tag == "struct":
        p.readStructBegin()
        fields = []
        while True:
            _, ftype, fid = p.readFieldBegin()
            if ftype == TType.STOP:
                break
            f = schema.field(arg, fid)
            if f is not None and ttype_of(f["type"]) == ftype:
                fields.append([fid, read_tree(schema, p, f["type"])])
            else:
                p.skip(ftype)
            p.readFieldEnd()
        p.readStructEnd()
        return {"struct": fields}
    if tag == "list":
        _, n = p.readListBegin()
        out = [read_tree(schema, p, arg) for _ in range(n)]
        p.readListEnd()
        return {"list": out}
    if tag == "set":
        _, n = p.readSetBegin()
        out = [read_tree(schema, p, arg) for _ in range(n)]
        p.readSetEnd()
        return {"set": out}
    if tag == "map":
        _, _, n = p.readMapBegin()
        out = [[read_tree(schema, p, arg[0]), read_tree(schema, p, arg[1])] for _ in range(n)]
        p.readMapEnd()
        return {"map": out}
    raise ValueError(ty)


# ---------------------------------------------------------------------------------------
# Structs the IDL lacks (bool and double containers, negative and descending field ids),
# written by Apache's generic TProtocolBase.writeStruct / fastbinary from a thrift_spec.

def synthetic(name, fields):
    """A TBase class; fields are (id, name, ttype, spec) in the order they are written."""
    spec = tuple((fid, ttype, fname, fspec, None) for fid, fname, ttype, fspec in fields)
    names = [f[1] for f in fields]

    def __init__(self, **kwargs):
        for n in names:
            setattr(self, n, kwargs.pop(n, None))
        assert not kwargs, kwargs

    cls = type(name, (TBase,), {"__slots__": names, "thrift_spec": spec,
                                "__init__": __init__})
    fix_spec([cls])  # as generated modules do: [Xtruct, None] -> [Xtruct, Xtruct.thrift_spec]
    info = {"kind": "struct", "req": {f[0]: "default" for f in fields},
            "names": {f[0]: f[1] for f in fields}}
    return cls, info


B, I8, I16, I32, I64, D = TType.BOOL, TType.BYTE, TType.I16, TType.I32, TType.I64, TType.DOUBLE
S, L, ST, M, STRUCT = TType.STRING, TType.LIST, TType.SET, TType.MAP, TType.STRUCT

SynthContainers, SYNTH_CONTAINERS_INFO = synthetic("SynthContainers", [
    (1, "bools", L, (B, None, False)),
    (2, "bool_set", ST, (B, None, False)),
    (3, "bool_map", M, (B, None, B, None, False)),
    (4, "i32_bool", M, (I32, None, B, None, False)),
    (5, "doubles", L, (D, None, False)),
    (6, "double_keys", M, (D, None, S, "UTF8", False)),
    (7, "i8s", L, (I8, None, False)),
    (8, "i16s", L, (I16, None, False)),
    (9, "i64s", L, (I64, None, False)),
    (10, "i64_double", M, (I64, None, D, None, False)),
    (11, "i16_i8", M, (I16, None, I8, None, False)),
    (12, "binaries", L, (S, "BINARY", False)),
    (13, "bool_lists", L, (L, (B, None, False), False)),
    (14, "string_bools", M, (S, "UTF8", L, (B, None, False), False)),
    (15, "double_set", ST, (D, None, False)),
    (16, "i8_bool_set", M, (I8, None, ST, (B, None, False), False)),
    (17, "strings", L, (S, "UTF8", False)),
    (18, "binary_binary", M, (S, "BINARY", S, "BINARY", False)),
    (19, "structs", L, (STRUCT, [Xtruct, None], False)),
    (20, "bool_keys_i32", M, (B, None, I32, None, False)),
])

SynthFieldIds, SYNTH_FIELD_IDS_INFO = synthetic("SynthFieldIds", [
    (-32768, "min_id", B, None),
    (-300, "minus300", I32, None),
    (-2, "minus2", I8, None),
    (-1, "minus1", B, None),
    (0, "zero", S, "UTF8"),
    (1, "one", B, None),
    (15, "fifteen", I16, None),
    (16, "sixteen", B, None),
    (31, "thirtyone", I64, None),
    (47, "fortyseven", D, None),
    (32767, "max_id", B, None),
])

SynthDescendingIds, SYNTH_DESCENDING_INFO = synthetic("SynthDescendingIds", [
    (20, "twenty", I32, None),
    (5, "five", B, None),
    (4, "four", B, None),
    (19, "nineteen", S, "UTF8"),
    (3, "three", I8, None),
    (-5, "minus5", B, None),
])


# A TApplicationException is a struct {1: string message, 2: i32 type} (Thrift.py).
TApplicationExceptionSpec = type("TApplicationException", (), {
    "thrift_spec": (None, (1, S, "message", "UTF8", None), (2, I32, "type", None, None)),
})


APP_EXC_INFO = {"kind": "exception", "req": {1: "default", 2: "default"},
                "names": {1: "message", 2: "type"}}


# ---------------------------------------------------------------------------------------
# Sets of structs and maps keyed by structs need hashable values whose hash does not
# depend on object addresses (set iteration order would change from run to run).

class HashableInsanity(Insanity):
    def __hash__(self):
        return zlib.crc32(encode(PURE["binary"], self.write))


class HashableDict(dict):
    def __hash__(self):
        return hash(frozenset(self.items()))


# ---------------------------------------------------------------------------------------
# The values

I8_EDGES = [-128, -127, -1, 0, 1, 127]
I16_EDGES = [-32768, -32767, -8193, -8192, -65, -64, -1, 0, 1, 63, 64, 8191, 8192, 32767]


def zigzag_edges(bits):
    """Values around each width of a zigzag varint (7 bits a byte) within `bits`."""
    out = {0, 1, -1, -(1 << (bits - 1)), (1 << (bits - 1)) - 1}
    for k in range(7, bits, 7):
        edge = 1 << (k - 1)  # zigzag(edge) == 1 << k: the first value needing k+1 bits
        out.update([edge - 1, edge, -edge, -edge - 1])
    return sorted(out)


I32_EDGES = zigzag_edges(32)
I64_EDGES = sorted(set(zigzag_edges(64) + [1 << 32, -(1 << 32), 1 << 31, -(1 << 31) - 1]))

STRINGS = [
    ("empty", ""),
    ("ascii", "Hello, Thrift!"),
    ("latin1", "h\u00e9llo w\u00f6rld \u00ff"),
    ("cjk", "\u65e5\u672c\u8a9e\u306e\u6587\u5b57\u5217"),
    ("astral", "\U0001f600\U0001f389 \U00010348 \U0001d11e"),
    ("json_escapes", "quote \" backslash \\ slash / \b\f\n\r\t end"),
    ("line_separators", "\u2028 \u2029 \u0085 \u00a0 \ufeff"),
    ("long", "x" * 200 + "\u00e9" * 100),
]
# Python's TJSONProtocol writes control characters other than \b \f \n \r \t raw; kept
# apart so that this quirk fails one named case rather than every string case.
CONTROL_CHARS = "nul \x00 soh \x01 us \x1f del \x7f"

BINARIES = [
    ("empty", b""),
    ("one", b"\x00"),
    ("two", b"\xff\xfe"),
    ("three", b"abc"),
    ("four", b"abcd"),
    ("all_bytes", bytes(range(256))),
]


DOUBLES = [
    ("zero", 0.0),
    ("negative_zero", -0.0),
    ("one", 1.0),
    ("minus_one_and_half", -1.5),
    ("tenth", 0.1),
    ("third", 1.0 / 3.0),
    ("123.456", 123.456),
    ("1e16", 1e16),
    ("1e17", 1e17),
    ("1e-4", 1e-4),
    ("1e-5", 1e-5),
    ("1e300", 1e300),
    ("min_subnormal", 5e-324),
    ("min_normal", 2.2250738585072014e-308),
    ("max", 1.7976931348623157e308),
    ("lowest", -1.7976931348623157e308),
    ("infinity", float("inf")),
    ("negative_infinity", float("-inf")),
    ("nan", hex_double("7ff8000000000000")),
    ("negative_nan", hex_double("fff8000000000000")),
    ("signalling_nan_payload", hex_double("7ff0000000000001")),
]


def xtruct(s="", i8=0, i32=0, i64=0):
    return Xtruct(string_thing=s, byte_thing=i8, i32_thing=i32, i64_thing=i64)


def insanity(n):
    return Insanity(
        userMap={Numberz.FIVE: 5 * n, Numberz.EIGHT: -8 * n},
        xtructs=[xtruct("Goodbye%d" % n, 4, 4 * n, 4 * n), xtruct("Hello%d" % n, 2, 2, -2)],
    )


def hashable_insanity(n):
    return HashableInsanity(
        userMap={Numberz.ONE: n, Numberz.THREE: -n},
        xtructs=[xtruct("in set %d" % n, n % 128, n, -n)],
    )


def version2(seed):
    return VersioningTestV2(
        begin_in_both=seed, newint=-seed, newbyte=seed % 128, newshort=-(seed % 32768),
        newlong=seed * 1000003, newdouble=seed / 7.0,
        newstruct=Bonk(message="bonk %d" % seed, type=seed),
        newlist=[seed, -seed, 0], newset={seed, seed + 1, -seed}, newmap={seed: -seed, 0: 0},
        newstring="v2 %d" % seed, end_in_both=seed + 1,
    )


def struct_cases():
    """(name, object) pairs of generated structs."""
    out = []

    def add(name, obj):
        out.append((name, obj))

    # every struct with its defaults (what `Foo()` holds)
    for cls in [Bonk, Bools, Xtruct, Xtruct2, Xtruct3, Insanity, CrazyNesting, SomeUnion,
                Xception, Xception2, EmptyStruct, OneField, VersioningTestV1,
                VersioningTestV2, ListTypeVersioningV1, ListTypeVersioningV2,
                GuessProtocolStruct, LargeDeltas, NestedListsI32x2, NestedListsI32x3,
                NestedMixedx2, ListBonks, NestedListsBonk, BoolTest, StructA, StructB,
                OptionalSetDefaultTest, OptionalBinary]:
        add("%s/defaults" % cls.__name__, cls())

    add("Bonk/typical", Bonk(message="Hello", type=1))
    add("Bools/true_false", Bools(im_true=True, im_false=False))
    add("Bools/false_true", Bools(im_true=False, im_false=True))
    add("Bools/only_second", Bools(im_false=True))

    add("Xtruct/typical", xtruct("Zero", 1, -3, -5))
    for v in I8_EDGES:
        add("Xtruct/byte_thing=%d" % v, Xtruct(byte_thing=v))
    for v in I32_EDGES:
        add("Xtruct/i32_thing=%d" % v, Xtruct(i32_thing=v))
    for v in I64_EDGES:
        add("Xtruct/i64_thing=%d" % v, Xtruct(i64_thing=v))
    for label, s in STRINGS:
        add("Xtruct/string_thing=%s" % label, Xtruct(string_thing=s))
    add("Xtruct/string_thing=control_chars", Xtruct(string_thing=CONTROL_CHARS))

    add("Xtruct2/nested", Xtruct2(byte_thing=1, struct_thing=xtruct("inner", -1, 2, 3),
                                  i32_thing=-2147483648))
    add("Xtruct2/empty_inner", Xtruct2(struct_thing=Xtruct()))
    add("Xtruct3/typical", Xtruct3(string_thing="three", changed=2147483647, i32_thing=-1,
                                   i64_thing=-9223372036854775808))

    add("Insanity/empty_containers", Insanity(userMap={}, xtructs=[]))
    add("Insanity/typical", insanity(1))
    add("Insanity/many", Insanity(
        userMap={n: -n for n in [1, 2, 3, 5, 6, 8, 0, -1, 2147483647, -2147483648]},
        xtructs=[xtruct("x%d" % n, n, n, n) for n in range(20)],
    ))

    crazy_map_key = frozenset([3, 1, 2])
    add("CrazyNesting/deep", CrazyNesting(
        string_field="crazy",
        set_field={hashable_insanity(1), hashable_insanity(2), hashable_insanity(3)},
        list_field=[
            {
                crazy_map_key: {
                    1: {(HashableDict({hashable_insanity(4): "four"}),
                         HashableDict({hashable_insanity(5): "five",
                                       hashable_insanity(6): "six"})),
                        ()},
                    -1: set(),
                },
                frozenset(): {},
            },
            {},
        ],
        binary_field=bytes(range(256)),
    ))
    add("CrazyNesting/required_only", CrazyNesting(list_field=[]))

    add("SomeUnion/map_thing", SomeUnion(map_thing={Numberz.ONE: 1, Numberz.TWO: -2}))
    add("SomeUnion/string_thing", SomeUnion(string_thing="union \U0001f600"))
    add("SomeUnion/i32_thing", SomeUnion(i32_thing=-2147483648))
    add("SomeUnion/xtruct_thing", SomeUnion(xtruct_thing=Xtruct3(string_thing="x3")))
    add("SomeUnion/insanity_thing", SomeUnion(insanity_thing=insanity(2)))

    add("Xception/typical", Xception(errorCode=1001, message="Xception \u00e9"))
    add("Xception/only_code", Xception(errorCode=-1))
    add("Xception2/typical", Xception2(errorCode=2002,
                                       struct_thing=xtruct("This is an Xception2")))

    add("OneField/empty_struct", OneField(field=EmptyStruct()))

    add("VersioningTestV1/typical", VersioningTestV1(begin_in_both=1, old_string="old",
                                                     end_in_both=12))
    add("VersioningTestV2/typical", version2(12345))
    for v in I16_EDGES:
        add("VersioningTestV2/newshort=%d" % v, VersioningTestV2(newshort=v))
    for label, d in DOUBLES:
        add("VersioningTestV2/newdouble=%s" % label, VersioningTestV2(newdouble=d))
    add("VersioningTestV2/empty_containers", VersioningTestV2(newlist=[], newset=set(),
                                                              newmap={}))

    add("ListTypeVersioningV1/i32_edges", ListTypeVersioningV1(myints=I32_EDGES, hello="i32"))
    for n in [14, 15, 16, 300]:
        add("ListTypeVersioningV1/len=%d" % n, ListTypeVersioningV1(myints=list(range(n))))
    add("ListTypeVersioningV2/strings", ListTypeVersioningV2(
        strings=[s for _, s in STRINGS], hello="all"))

    add("GuessProtocolStruct/strings", GuessProtocolStruct(
        map_field={label: s for label, s in STRINGS}))
    add("GuessProtocolStruct/string_keys", GuessProtocolStruct(
        map_field={s: label for label, s in STRINGS}))
    add("GuessProtocolStruct/empty_map", GuessProtocolStruct(map_field={}))

    add("LargeDeltas/full", LargeDeltas(
        b1=Bools(im_true=True, im_false=False), b10=Bools(im_true=True, im_false=False),
        b100=Bools(im_true=True, im_false=False), check_true=True,
        b1000=Bools(im_true=True, im_false=False), check_false=False,
        vertwo2000=version2(2000), a_set2500={"this", "a", "set", "of", "strings"},
        vertwo3000=version2(3000), big_numbers=[1 << 30, -(1 << 31), 2147483647, 0, -1],
    ))
    add("LargeDeltas/only_bools", LargeDeltas(check_true=False, check_false=True))

    add("NestedListsI32x2/typical", NestedListsI32x2(integerlist=[[1, 1, 1], [], [2, 2]]))
    add("NestedListsI32x3/typical", NestedListsI32x3(
        integerlist=[[[2, 2], [2]], [[], [3, 3, 3]], []]))
    add("NestedMixedx2/typical", NestedMixedx2(
        int_set_list=[{1, 2, 3}, set(), {-1}],
        map_int_strset={10: {"a", "b"}, 20: set(), -30: {"\u00e9"}},
        map_int_strset_list=[{10: {"x"}}, {}, {1: set(), 2: {"y", "z"}}],
    ))
    add("ListBonks/typical", ListBonks(bonk=[Bonk(message="one", type=1), Bonk(), Bonk(type=3)]))
    add("NestedListsBonk/typical", NestedListsBonk(
        bonk=[[[Bonk(message="deep", type=-1)], []], [], [[Bonk()]]]))

    add("BoolTest/false_no_string", BoolTest(b=False, s=None))
    add("BoolTest/none", BoolTest(b=None, s=None))
    add("StructA/typical", StructA(s="required"))
    add("StructB/both", StructB(aa=StructA(s="a"), ab=StructA(s="b")))
    add("StructB/required_only", StructB(ab=StructA(s="")))
    add("OptionalSetDefaultTest/empty", OptionalSetDefaultTest(with_default=set()))
    add("OptionalSetDefaultTest/none", OptionalSetDefaultTest(with_default=None))
    add("OptionalSetDefaultTest/several", OptionalSetDefaultTest(
        with_default={s for _, s in STRINGS}))
    add("OptionalBinary/binaries", OptionalBinary(
        bin_set={b for _, b in BINARIES},
        bin_map={b: i for i, (_, b) in enumerate(BINARIES)},
    ))
    return out


def synthetic_cases():
    out = []

    def add(name, obj):
        out.append((name, obj))

    add("SynthContainers/defaults", SynthContainers())
    add("SynthContainers/empty", SynthContainers(**{
        e[2]: [] if e[1] == L else set() if e[1] == ST else {}
        for e in SynthContainers.thrift_spec
    }))
    add("SynthContainers/full", SynthContainers(
        bools=[True, False, False, True],
        bool_set={True, False},
        bool_map={True: False, False: True},
        i32_bool={1: True, -1: False, 2147483647: True},
        doubles=[d for _, d in DOUBLES if math.isfinite(d)],
        double_keys={0.5: "half", -0.0: "negative zero", 1e300: "big", 5e-324: "tiny"},
        i8s=I8_EDGES,
        i16s=I16_EDGES,
        i64s=I64_EDGES,
        i64_double={-9223372036854775808: 1.0, 9223372036854775807: -0.1},
        i16_i8={-32768: -128, 32767: 127, 0: 0},
        binaries=[b for _, b in BINARIES],
        bool_lists=[[], [True], [False, True, False]],
        string_bools={"": [], "t": [True], "tf": [True, False]},
        double_set={0.0, 1.5, -2.25, 1e-300},
        i8_bool_set={1: {True}, 2: {False}, 3: {True, False}, 4: set()},
        strings=[s for _, s in STRINGS],
        binary_binary={b: b[::-1] for _, b in BINARIES},
        structs=[xtruct("s", 1, 2, 3), Xtruct()],
        bool_keys_i32={False: 0, True: 1},
    ))
    for n in [14, 15, 16]:
        add("SynthContainers/bools_len=%d" % n,
            SynthContainers(bools=[i % 3 == 0 for i in range(n)]))
    add("SynthFieldIds/all_true", SynthFieldIds(
        min_id=True, minus300=-300, minus2=-2, minus1=True, zero="zero", one=True,
        fifteen=15, sixteen=True, thirtyone=31, fortyseven=47.0, max_id=True))
    add("SynthFieldIds/all_false", SynthFieldIds(
        min_id=False, minus300=0, minus2=0, minus1=False, zero="", one=False,
        fifteen=0, sixteen=False, thirtyone=0, fortyseven=-0.0, max_id=False))
    add("SynthFieldIds/sparse", SynthFieldIds(minus1=True, sixteen=False, max_id=True))
    add("SynthDescendingIds/full", SynthDescendingIds(
        twenty=20, five=True, four=False, nineteen="19", three=3, minus5=True))
    return out


def message_cases():
    """(name, method, message type, seqid, body object)."""
    CALL, REPLY, EXC, ONEWAY = (TMessageType.CALL, TMessageType.REPLY,
                                TMessageType.EXCEPTION, TMessageType.ONEWAY)
    AE = TApplicationException
    return [
        ("call/testVoid", "testVoid", CALL, 0, Svc.testVoid_args()),
        ("call/testString", "testString", CALL, 1, Svc.testString_args(thing="hello")),
        ("call/testString/seqid=-1", "testString", CALL, -1,
         Svc.testString_args(thing="\u00fcn\u00efc\u00f8d\u00e9 \U0001f600")),
        ("call/testBool", "testBool", CALL, 127, Svc.testBool_args(thing=True)),
        ("call/testByte", "testByte", CALL, 128, Svc.testByte_args(thing=-128)),
        ("call/testI64", "testI64", CALL, 16383, Svc.testI64_args(thing=-9223372036854775808)),
        ("call/testDouble", "testDouble", CALL, 16384, Svc.testDouble_args(thing=-0.0)),
        ("call/testBinary", "testBinary", CALL, 2, Svc.testBinary_args(thing=bytes(range(256)))),
        ("call/testMulti/seqid=max", "testMulti", CALL, 2147483647, Svc.testMulti_args(
            arg0=-128, arg1=-2147483648, arg2=9223372036854775807,
            arg3={1: "one", -32768: "min", 32767: ""}, arg4=Numberz.EIGHT, arg5=-1)),
        ("call/testInsanity/seqid=min", "testInsanity", CALL, -2147483648,
         Svc.testInsanity_args(argument=insanity(3))),
        ("call/testMap", "testMap", CALL, 3, Svc.testMap_args(thing={i: -i for i in range(20)})),
        ("call/testSet", "testSet", CALL, 4, Svc.testSet_args(thing={5, -5, 0})),
        ("call/testEnum", "testEnum", CALL, 5, Svc.testEnum_args(thing=Numberz.SIX)),
        ("call/multiplexed_name", "ThriftTest:testString", CALL, 6,
         Svc.testString_args(thing="multiplexed")),
        ("call/empty_name", "", CALL, 7, Svc.testVoid_args()),
        ("call/unicode_name", "m\u00e9thode_\U0001f600", CALL, 8, Svc.testVoid_args()),
        ("oneway/testOneway", "testOneway", ONEWAY, 42, Svc.testOneway_args(secondsToSleep=1)),
        ("reply/testVoid", "testVoid", REPLY, 0, Svc.testVoid_result()),
        ("reply/testString/seqid=-1", "testString", REPLY, -1, Svc.testString_result(success="")),
        ("reply/testBool", "testBool", REPLY, 9, Svc.testBool_result(success=False)),
        ("reply/testDouble", "testDouble", REPLY, 10, Svc.testDouble_result(success=1e-300)),
        ("reply/testBinary", "testBinary", REPLY, 11,
         Svc.testBinary_result(success=bytes(range(256)))),
        ("reply/testMapMap", "testMapMap", REPLY, 12, Svc.testMapMap_result(
            success={-4: {-4: -4, -3: -3, -2: -2, -1: -1}, 4: {1: 1, 2: 2, 3: 3, 4: 4}})),
        ("reply/testInsanity", "testInsanity", REPLY, 13, Svc.testInsanity_result(success={
            1: {Numberz.TWO: insanity(1), Numberz.THREE: insanity(1)},
            2: {Numberz.SIX: Insanity()},
        })),
        ("reply/testException/declared", "testException", REPLY, 14,
         Svc.testException_result(err1=Xception(errorCode=1001, message="Xception"))),
        ("reply/testMultiException/err2/seqid=max", "testMultiException", REPLY, 2147483647,
         Svc.testMultiException_result(err2=Xception2(
             errorCode=2002, struct_thing=xtruct("This is an Xception2")))),
        ("reply/testMultiException/success", "testMultiException", REPLY, 15,
         Svc.testMultiException_result(success=xtruct("Success", 1, 2, 3))),
        ("exception/internal_error/seqid=min", "testException", EXC, -2147483648,
         AE(AE.INTERNAL_ERROR, "boom")),
        ("exception/unknown_method", "unknownMethod", EXC, 16,
         AE(AE.UNKNOWN_METHOD, "Unknown method unknownMethod")),
        ("exception/no_message", "testVoid", EXC, -1, AE(AE.PROTOCOL_ERROR)),
    ]


def application_exception_cases():
    AE = TApplicationException
    out = [("type=%d" % t, AE(t, "message for type %d" % t)) for t in range(11)]
    out += [
        ("empty_message", AE(AE.INTERNAL_ERROR, "")),
        ("no_message", AE(AE.UNKNOWN_METHOD)),
        ("unicode_message", AE(AE.UNKNOWN, "\u00e9chec \u2713 \U0001f600 \"q\" \\ \n\t")),
        ("long_message", AE(AE.INTERNAL_ERROR, "x" * 300)),
        ("unknown_type=99", AE(99, "future type")),
        ("negative_type", AE(-1, "negative type")),
    ]
    return [("TApplicationException/" + name, e) for name, e in out]


# ---------------------------------------------------------------------------------------

def main():
    with open(os.path.join(GEN_DIR, "ThriftTest.json"), encoding="utf-8") as f:
        schema = Schema(json.load(f))
    schema.add(SynthContainers, SYNTH_CONTAINERS_INFO)
    schema.add(SynthFieldIds, SYNTH_FIELD_IDS_INFO)
    schema.add(SynthDescendingIds, SYNTH_DESCENDING_INFO)
    schema.add(TApplicationExceptionSpec, APP_EXC_INFO)

    problems = []
    cases = []

    def emit(name, obj, message=None, app_exc=None):
        ty = schema.add(TApplicationExceptionSpec if app_exc else type(obj))
        value = tree(schema, ty, obj)

        def write_obj(p):
            if message:
                p.writeMessageBegin(*message)
            obj.write(p)
            if message:
                p.writeMessageEnd()

        def write_value(p):
            if message:
                p.writeMessageBegin(*message)
            write_tree(schema, p, ty, value)
            if message:
                p.writeMessageEnd()

        case = {"name": name, "type": ty, "value": value}
        if message:
            case["message"] = {"name": message[0], "type": message[1], "seqid": message[2]}
        if app_exc:
            case["application_exception"] = app_exc
        case["bytes"] = {}
        for enc in MESSAGE_ENCODINGS if message else VALUE_ENCODINGS:
            data = encode(PURE[enc], write_obj)
            case["bytes"][enc] = data.hex()
            again = encode(PURE[enc], write_value)
            if again != data:
                problems.append("%s [%s]: the printed value encodes to %s, the object to %s"
                                % (name, enc, again.hex(), data.hex()))
            if ACCELERATED and enc in FAST:
                fast = encode(FAST[enc], write_obj)
                if fast != data:
                    problems.append("%s [%s]: accelerated %s, pure Python %s"
                                    % (name, enc, fast.hex(), data.hex()))
            reason = None if enc in WRITE_ONLY else read_back(schema, enc, data, ty, value,
                                                                message)
            if reason:
                case.setdefault("python_cannot_read", {})[enc] = reason
        cases.append(case)

    for name, obj in struct_cases() + synthetic_cases():
        emit(name, obj)
    for name, e in application_exception_cases():
        emit(name, e, app_exc={"type": e.type, "message": e.message})
    for name, method, mtype, seqid, body in message_cases():
        app_exc = None
        if isinstance(body, TApplicationException):
            app_exc = {"type": body.type, "message": body.message}
        emit("message/" + name, body, message=(method, mtype, seqid), app_exc=app_exc)

    missing = sorted(set(schema.info) - set(schema.structs)
                     - {n for n in schema.info if n.endswith(("_args", "_result"))})
    if missing:
        problems.append("no case for these IDL types: %s" % missing)
    names = [c["name"] for c in cases]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append("duplicate case names: %s" % dups)
    if problems:
        sys.exit("vectors.py: inconsistent vectors:\n" + "\n".join(problems))

    json.dump({"accelerated": ACCELERATED, "structs": schema.structs, "cases": cases},
              sys.stdout, ensure_ascii=True, separators=(",", ":"))
    sys.stdout.write("\n")


def read_back(schema, enc, data, ty, value, message):
    """Why Python's own reader does not give back `value` (and `message`), or None."""
    buf = TTransport.TMemoryBuffer(data)
    p = PURE[enc](buf)
    try:
        if message:
            header = p.readMessageBegin()
            if isinstance(header[0], bytes):
                # TBinaryProtocol.readMessageBegin returns the name of an old (unversioned)
                # header as bytes, undecoded; the bytes themselves are right.
                header = (header[0].decode("utf-8"),) + tuple(header[1:])
            if tuple(header) != tuple(message):
                return "message header read back as %r" % (header,)
        got = read_tree(schema, p, ty)
        if message:
            p.readMessageEnd()
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        return "%s: %s" % (type(e).__name__, e)
    if got != value:
        return "read back as a different value: %s" % json.dumps(got)
    rest = buf.read(len(data))
    if rest:
        return "%d bytes left unread" % len(rest)
    return None


if __name__ == "__main__":
    main()
