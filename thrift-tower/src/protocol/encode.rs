//! [`encode`] and [`decode`]: one value to and from its bytes in a protocol chosen at run
//! time, with no message header around it.

use std::cell::Cell;

use bytes::{Bytes, BytesMut};

use super::binary::{BinaryReader, BinaryWriter};
use super::compact::{CompactReader, CompactWriter};
use super::error::ProtocolError;
use super::json::{JsonReader, JsonWriter};
use super::limits::Limits;
use super::traits::Thrift;
use super::wire::Protocol;

/// Encodes `value` alone (no message header) with `protocol`.
///
/// The bytes are carved from a buffer this thread keeps for encoding: a call or a reply
/// costs no allocation of its own (one in about a hundred small messages starts a new
/// buffer). The returned `Bytes` shares that buffer until it is dropped, which is why a
/// new one starts when the old is still partly held.
pub fn encode<T: Thrift>(protocol: Protocol, value: &T) -> Result<Bytes, ProtocolError> {
    // Taken out of the slot, not borrowed: a `Thrift` impl that encodes another value
    // inside its own `write` gets an empty buffer of its own, not a double borrow. After
    // the thread's locals are gone (a value encoded in a thread-local's destructor), a
    // fresh buffer does.
    let mut buf = ENCODE_BUFFER.try_with(Cell::take).unwrap_or_default();
    if buf.capacity() - buf.len() < ENCODE_MIN_ROOM {
        // Takes the old buffer back whole when nothing holds a part of it any more.
        buf.reserve(ENCODE_CHUNK);
    }
    let written = match protocol {
        Protocol::Binary => value.write(&mut BinaryWriter::new(&mut buf)),
        Protocol::Compact => value.write(&mut CompactWriter::new(&mut buf)),
        Protocol::Json => value.write(&mut JsonWriter::new(&mut buf)),
    };
    let encoded = buf.split();
    let _ = ENCODE_BUFFER.try_with(|slot| slot.set(buf));
    written.map(|()| encoded.freeze())
}

thread_local! {
    /// The buffer [`encode`] carves its results from, one per thread: no lock, and the
    /// server encodes a reply on the thread that runs its call.
    static ENCODE_BUFFER: Cell<BytesMut> = Cell::new(BytesMut::new());
}

/// What a new encode buffer holds: about a hundred typical calls or replies.
const ENCODE_CHUNK: usize = 8 * 1024;

/// Below this much room a new encode buffer starts (or the old one is taken back whole),
/// so that a typical message does not outgrow the room and get copied to a larger one.
const ENCODE_MIN_ROOM: usize = 512;

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
