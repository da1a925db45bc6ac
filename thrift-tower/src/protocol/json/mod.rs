//! The JSON protocol, Apache's `TJSONProtocol`: every value a JSON token, containers
//! self-describing with type names and counts, struct fields keyed by id.
//!
//! ```text
//! message     | [1,"name",type,seqid,body] |               (1 is the protocol version)
//! struct      | {"id":{"tag":value},"id":{"tag":value}} |  (no field: {})
//! list, set   | ["tag",count,elem,elem] |
//! map         | ["ktag","vtag",count,{key:value,key:value}] |
//! bool        | 1 or 0 |
//! i8 ... i64  | decimal |
//! double      | 17 significant digits, C's %.17g: 0.10000000000000001, 1e+17, -0 |
//!             | "NaN", "Infinity", "-Infinity", always quoted |
//! string      | "..." UTF-8; only " \ \b \f \n \r \t are escaped |
//! binary      | "..." standard base64, padded |
//! uuid        | "00112233-4455-6677-8899-aabbccddeeff" |
//!
//! type tags   | tf i8 i16 i32 i64 dbl str rec map set lst uid |
//! ```
//!
//! A JSON object's keys must be strings, so a number in key position (a field id, a map
//! key) is written in quotes: `{"1":{"i32":-5}}`, `["i32","dbl",1,{"7":0.5}]`. A struct, list
//! or map used as a map key is written as it is, as Apache's libraries do.
//!
//! The writer's bytes are those of Apache's Python library (`python3-thrift` 0.17) with
//! one exception: Python writes a non-finite double as a bare `nan`, `inf` or `-inf`,
//! which no JSON parser or Apache reader (Python's own included) accepts; this writer
//! sends the quoted names Apache's C++ and Java libraries send.
//!
//! [`simple`] is Apache's other JSON, `TSimpleJSONProtocol`: fields keyed by name, values
//! without types, written for people and scripts and never read.
//!
//! The reader accepts what every Apache implementation writes: Java's doubles (`1.0`,
//! `1.0E10`, `-0.0`), unpadded base64, `\uXXXX` escapes in either case (UTF-16 surrogate
//! pairs joined; a lone surrogate is an error), `\/`, Python's bare `nan`, `inf` and `-inf`,
//! and JSON whitespace between tokens. It is otherwise strict: bad tags, bad escapes, bad
//! base64, integers out of their type's range and invalid UTF-8 are errors.

mod base64;
mod context;
mod excerpt;
mod number;
mod reader;
pub mod simple;
mod string;
mod tags;
mod writer;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use self::reader::JsonReader;
pub use self::simple::SimpleJsonWriter;
pub use self::writer::JsonWriter;
