//! Input bytes as the JSON protocol's error messages show them: a byte as [`Found`], a run
//! of bytes (a token, a type name) as an [`Excerpt`], so that a message names what was
//! there without pasting untrusted input into it whole.

/// A byte in an error message: the character if it is printable ASCII, its value otherwise.
pub(super) struct Found(pub(super) u8);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_ascii_graphic() || self.0 == b' ' {
            write!(f, "'{}'", char::from(self.0))
        } else {
            write!(f, "byte {:#04x}", self.0)
        }
    }
}

/// Input bytes in an error message: quoted, cut after 32 bytes.
pub(super) struct Excerpt<'a>(pub(super) &'a [u8]);

impl std::fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX: usize = 32;
        let shown = self.0.get(..MAX).unwrap_or(self.0);
        write!(f, "`{}`", String::from_utf8_lossy(shown).escape_debug())?;
        if self.0.len() > MAX {
            write!(f, " ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}
