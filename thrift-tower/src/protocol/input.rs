//! What readers read from: a complete message held in [`Bytes`] (binary values are shared
//! slices of it), or a borrowed `&[u8]` (binary values are copied; used to scan for the end
//! of a message while it is still arriving).

use bytes::Bytes;

use super::error::{ProtocolError, ProtocolErrorKind};
use super::limits::Limits;
use crate::bytestr::ByteStr;

/// A buffer a reader can decode from. Implemented for [`Bytes`] and `&[u8]`.
pub trait Input: sealed::Sealed {
    /// All bytes of the input.
    fn as_slice(&self) -> &[u8];
    /// `self[start..end]` as `Bytes`: shared with the input where it is `Bytes`, copied
    /// otherwise. The range is always within bounds.
    fn share(&self, start: usize, end: usize) -> Bytes;
}

impl Input for Bytes {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        self
    }
    #[inline]
    fn share(&self, start: usize, end: usize) -> Bytes {
        self.slice(start..end)
    }
}

impl Input for &[u8] {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        self
    }
    #[inline]
    fn share(&self, start: usize, end: usize) -> Bytes {
        Bytes::copy_from_slice(&self[start..end])
    }
}

/// Borrowed bytes read only to find where values end: what would be shared is not kept, so
/// a method name comes back empty, with no copy and no allocation. The message scanner
/// reads headers this way, and the message is read for real once it is whole.
///
/// Bytes that are not UTF-8 come back as one byte that is not either, so that a reader
/// taking them as a name fails as it would on the real bytes, at the same place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Skim<'a>(pub(crate) &'a [u8]);

impl Input for Skim<'_> {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        self.0
    }
    #[inline]
    fn share(&self, start: usize, end: usize) -> Bytes {
        if simdutf8::basic::from_utf8(&self.0[start..end]).is_ok() {
            Bytes::new()
        } else {
            Bytes::from_static(b"\xff")
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for &[u8] {}
    impl Sealed for super::Skim<'_> {}
}

/// A position in an input, with the reads every byte-oriented protocol needs; each read
/// checks what remains first and fails with [`ProtocolErrorKind::Eof`].
#[derive(Debug)]
pub(crate) struct Cursor<I> {
    input: I,
    pos: usize,
}

impl<I: Input> Cursor<I> {
    pub(crate) fn new(input: I) -> Self {
        Cursor { input, pos: 0 }
    }

    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.input.as_slice().len() - self.pos
    }

    #[inline]
    pub(crate) fn rest(&self) -> &[u8] {
        // `pos` never passes the end: every advance is checked.
        self.input.as_slice().get(self.pos..).unwrap_or_default()
    }

    #[inline]
    pub(crate) fn peek_u8(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    #[inline]
    pub(crate) fn read_u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        match self.rest().first() {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(ProtocolError::eof(what)),
        }
    }

    #[cold]
    fn short(&self, needed: usize, what: &'static str) -> ProtocolError {
        ProtocolError::incomplete(
            format!("input ended while reading {what}"),
            needed.saturating_sub(self.remaining()),
        )
    }

    #[inline]
    pub(crate) fn read_array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], ProtocolError> {
        match self.rest().first_chunk::<N>() {
            Some(&a) => {
                self.pos += N;
                Ok(a)
            }
            None => Err(self.short(N, what)),
        }
    }

    /// The next `len` bytes, borrowed.
    #[inline]
    pub(crate) fn read_slice(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<&[u8], ProtocolError> {
        if len > self.remaining() {
            return Err(self.short(len, what));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.input.as_slice()[start..start + len])
    }

    /// The next `len` bytes as a string: copied inline when short (no reference to the
    /// input), shared with the input where possible otherwise. `len` has been checked
    /// against the limits.
    #[inline]
    pub(crate) fn read_byte_str(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<ByteStr, ProtocolError> {
        let string = if len <= ByteStr::INLINE {
            ByteStr::utf8_inline(self.read_slice(len, what)?)
        } else {
            ByteStr::utf8_bytes(self.read_shared(len, what)?)
        };
        string.ok_or_else(bad_utf8)
    }

    /// The next `len` bytes, shared with the input where possible.
    #[inline]
    pub(crate) fn read_shared(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<Bytes, ProtocolError> {
        if len > self.remaining() {
            return Err(self.short(len, what));
        }
        let start = self.pos;
        self.pos += len;
        Ok(self.input.share(start, start + len))
    }

    #[inline]
    pub(crate) fn skip(&mut self, len: usize, what: &'static str) -> Result<(), ProtocolError> {
        if len > self.remaining() {
            return Err(self.short(len, what));
        }
        self.pos += len;
        Ok(())
    }
}

/// The error for a string that is not UTF-8, in the binary and compact protocols.
#[cold]
pub(crate) fn bad_utf8() -> ProtocolError {
    ProtocolError::invalid("string is not valid UTF-8")
}

/// Checks a declared string or binary length before anything is allocated: against the
/// configured limit and against the bytes that remain.
#[inline]
pub(crate) fn check_string_len(
    len: usize,
    remaining: usize,
    limits: &Limits,
) -> Result<(), ProtocolError> {
    check_string_limit(len, limits)?;
    if len > remaining {
        return Err(ProtocolError::incomplete(
            format!("string or binary of {len} bytes declared, but only {remaining} bytes remain"),
            len - remaining,
        ));
    }
    Ok(())
}

/// Checks a string or binary length against [`Limits::string_limit`] alone, for a length
/// the input does not declare (JSON's strings, measured once escapes or base64 are decoded).
#[inline]
pub(crate) fn check_string_limit(len: usize, limits: &Limits) -> Result<(), ProtocolError> {
    if len > limits.string_limit() {
        return Err(string_too_long(len, limits.string_limit()));
    }
    Ok(())
}

#[cold]
fn string_too_long(len: usize, limit: usize) -> ProtocolError {
    ProtocolError::new(
        ProtocolErrorKind::SizeLimit,
        format!("string or binary of {len} bytes exceeds the limit of {limit}"),
    )
}

/// Checks a declared container size before anything is allocated: against the configured
/// limit, and against the bytes that remain given that each element takes at least
/// `min_element_size` bytes.
#[inline]
pub(crate) fn check_container_len(
    len: usize,
    min_element_size: usize,
    remaining: usize,
    limits: &Limits,
) -> Result<(), ProtocolError> {
    if len > limits.container_limit() {
        return Err(ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "container of {len} elements exceeds the limit of {}",
                limits.container_limit()
            ),
        ));
    }
    let needed = len.saturating_mul(min_element_size);
    if needed > remaining {
        return Err(ProtocolError::incomplete(
            format!(
                "container of {len} elements declared, but only {remaining} bytes remain \
                 (each element takes at least {min_element_size})"
            ),
            needed - remaining,
        ));
    }
    Ok(())
}

/// Counts nesting of structs and containers against [`Limits::recursion_limit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Depth {
    depth: u16,
    limit: u16,
}

impl Depth {
    pub(crate) fn new(limit: u16) -> Self {
        Depth { depth: 0, limit }
    }

    #[inline]
    pub(crate) fn enter(&mut self) -> Result<(), ProtocolError> {
        if self.depth >= self.limit {
            return Err(depth_exceeded(self.limit));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

#[cold]
fn depth_exceeded(limit: u16) -> ProtocolError {
    ProtocolError::new(
        ProtocolErrorKind::DepthLimit,
        format!("structs and containers nested deeper than the limit of {limit}"),
    )
}

/// Checks the whole input against [`Limits::max_message_size`].
pub(crate) fn check_message_size(len: usize, limits: &Limits) -> Result<(), ProtocolError> {
    if len > limits.max_message_size() {
        return Err(ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "message of {len} bytes exceeds the limit of {}",
                limits.max_message_size()
            ),
        ));
    }
    Ok(())
}

/// A length as the i32 every Apache protocol puts on the wire.
#[inline]
pub(crate) fn wire_len(len: usize) -> Result<i32, ProtocolError> {
    match i32::try_from(len) {
        Ok(len) => Ok(len),
        Err(_) => Err(len_too_large(len)),
    }
}

/// Kept out of line so that `wire_len` stays small enough to inline into every writer.
#[cold]
#[inline(never)]
fn len_too_large(len: usize) -> ProtocolError {
    ProtocolError::new(
        ProtocolErrorKind::SizeLimit,
        format!("length {len} does not fit the wire's i32"),
    )
}
