//! THeader's zlib transform (id 1): the payload as a zlib stream (RFC 1950), as Apache's
//! THeaderTransport writes it with `zlib.compress` and reads it with `zlib.decompress`.
//!
//! Inflating is bounded: the output grows as the stream gives bytes, never past the limit
//! it is given (the largest message), so a few kilobytes that would inflate to gigabytes are
//! refused once they pass it, having cost at most the limit.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};

use crate::protocol::{ProtocolError, ProtocolErrorKind};

/// The first room made for the inflated bytes, and the least it grows by.
const FIRST_ROOM: usize = 4 * 1024;

/// `input` inflated, if that makes at most `limit` bytes and `input` is one whole zlib
/// stream.
pub(super) fn inflate(input: &[u8], limit: usize) -> Result<Vec<u8>, ProtocolError> {
    let too_large = || {
        ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "THeader frame: its zlib payload of {} bytes inflates past the message size \
                 limit of {limit} bytes",
                input.len()
            ),
        )
    };
    // One byte past the limit is room enough to tell that the limit is passed.
    let most = limit.saturating_add(1);
    let mut out = Vec::with_capacity(input.len().saturating_mul(4).max(FIRST_ROOM).min(most));
    let mut z = Decompress::new(true);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= most {
                return Err(too_large());
            }
            out.reserve_exact(out.len().max(FIRST_ROOM).min(most - out.len()));
        }
        let (read, made) = (z.total_in(), z.total_out());
        let consumed = read as usize;
        let status = z
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::None)
            .map_err(|e| {
                ProtocolError::invalid(format!("THeader frame: its zlib payload is corrupt: {e}"))
            })?;
        if out.len() > limit {
            return Err(too_large());
        }
        if status == Status::StreamEnd {
            break;
        }
        // No progress with room to write: the input ended before the stream did.
        if z.total_in() == read && z.total_out() == made && out.len() < out.capacity() {
            return Err(ProtocolError::new(
                ProtocolErrorKind::Eof,
                format!(
                    "THeader frame: its zlib payload of {} bytes ends before its stream does",
                    input.len()
                ),
            ));
        }
    }
    let after = input.len() - z.total_in() as usize;
    if after > 0 {
        return Err(ProtocolError::invalid(format!(
            "THeader frame: {after} bytes after the end of its zlib stream"
        )));
    }
    Ok(out)
}

/// `input` as a zlib stream, at zlib's default level (Apache's).
pub(super) fn deflate(input: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let mut z = ZlibEncoder::new(
        Vec::with_capacity(input.len() / 2 + 64),
        Compression::default(),
    );
    z.write_all(input)
        .and_then(|()| z.finish())
        .map_err(|e| ProtocolError::invalid(format!("cannot deflate a THeader payload: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflates_what_it_deflates() {
        for input in [&b""[..], b"x", &[7; 100_000]] {
            let z = deflate(input).unwrap();
            assert_eq!(inflate(&z, input.len()).unwrap(), input);
        }
    }

    #[test]
    fn a_bomb_is_refused_at_the_limit() {
        // 10 MB of zeros deflate to about 10 KB.
        let bomb = deflate(&vec![0; 10_000_000]).unwrap();
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let e = inflate(&bomb, 1_000_000).unwrap_err();
        assert!(e.is_limit(), "{e}");
        assert!(
            e.to_string()
                .contains("inflates past the message size limit of 1000000 bytes"),
            "{e}"
        );
        // Exactly at the limit is fine.
        let z = deflate(&[1; 5000]).unwrap();
        assert_eq!(inflate(&z, 5000).unwrap().len(), 5000);
        assert!(inflate(&z, 4999).unwrap_err().is_limit());
    }

    #[test]
    fn truncated_corrupt_and_trailing_input_is_refused() {
        let z = deflate(b"hello, hello, hello THeader").unwrap();
        for cut in 0..z.len() {
            let e = inflate(&z[..cut], 1000).unwrap_err();
            assert!(
                e.to_string().contains("ends before its stream does")
                    || e.to_string().contains("corrupt"),
                "cut at {cut}: {e}"
            );
        }
        let mut longer = z.clone();
        longer.extend_from_slice(b"xyz");
        assert!(
            inflate(&longer, 1000)
                .unwrap_err()
                .to_string()
                .contains("3 bytes after the end of its zlib stream")
        );
        let mut corrupt = z;
        corrupt[0] = 0x79;
        assert!(
            inflate(&corrupt, 1000)
                .unwrap_err()
                .to_string()
                .contains("corrupt")
        );
    }
}
