//! [`encode`] and [`decode`]: one value to and from its bytes in a protocol chosen at run
//! time, with no message header around it.

use bytes::{Bytes, BytesMut};

use super::binary::{BinaryReader, BinaryWriter};
use super::compact::{CompactReader, CompactWriter};
use super::error::ProtocolError;
use super::json::{JsonReader, JsonWriter};
use super::limits::Limits;
use super::traits::Thrift;
use super::wire::Protocol;

/// Encodes `value` alone (no message header) with `protocol`.
pub fn encode<T: Thrift>(protocol: Protocol, value: &T) -> Result<Bytes, ProtocolError> {
    // Most messages fit: one allocation, where growing from empty takes five or six
    // (8, 16, 32... bytes) for a typical call.
    let mut buf = BytesMut::with_capacity(ENCODE_START_CAPACITY);
    match protocol {
        Protocol::Binary => value.write(&mut BinaryWriter::new(&mut buf))?,
        Protocol::Compact => value.write(&mut CompactWriter::new(&mut buf))?,
        Protocol::Json => value.write(&mut JsonWriter::new(&mut buf))?,
    }
    Ok(buf.freeze())
}

/// What [`encode`] allocates first.
const ENCODE_START_CAPACITY: usize = 256;

/// Decodes one value (no message header) encoded with `protocol`, within `limits`.
/// Bytes after the value are ignored.
pub fn decode<T: Thrift>(
    protocol: Protocol,
    bytes: Bytes,
    limits: Limits,
) -> Result<T, ProtocolError> {
    match protocol {
        Protocol::Binary => T::read(&mut BinaryReader::new(bytes, limits)),
        Protocol::Compact => T::read(&mut CompactReader::new(bytes, limits)),
        Protocol::Json => T::read(&mut JsonReader::new(bytes, limits)),
    }
}
