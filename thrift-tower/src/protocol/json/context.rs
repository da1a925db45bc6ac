//! Where the next JSON value goes. The reader and the writer each keep a stack of the
//! arrays and objects they are inside; the innermost decides the separator before the next
//! value (none, `,` or `:`) and whether that value is an object key, which the JSON
//! protocol writes in quotes even when it is a number.

use crate::protocol::error::ProtocolError;

/// How many enclosing JSON contexts a reader or writer keeps without allocating: a struct
/// takes two levels (its object and a field's), so this covers 64 nested structs.
const INLINE_CONTEXTS: usize = 128;

/// Where the next JSON value goes, which decides the separator before it and whether a
/// number must be quoted (Apache's `JSONListContext` and `JSONPairContext`, as one state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    /// Outside any array or object.
    Top,
    /// The first element of an array.
    ListFirst,
    /// A later element of an array, after a comma.
    List,
    /// The first key of an object.
    PairFirst,
    /// A value of an object, after a colon.
    PairValue,
    /// A later key of an object, after a comma.
    PairKey,
}

impl Ctx {
    /// Moves past one value: the separator that precedes it (0 for none) and whether it is
    /// an object key.
    #[inline]
    fn advance(&mut self) -> (u8, bool) {
        match *self {
            Ctx::Top => (0, false),
            Ctx::ListFirst => {
                *self = Ctx::List;
                (0, false)
            }
            Ctx::List => (b',', false),
            Ctx::PairFirst => {
                *self = Ctx::PairValue;
                (0, true)
            }
            Ctx::PairValue => {
                *self = Ctx::PairKey;
                (b':', false)
            }
            Ctx::PairKey => {
                *self = Ctx::PairValue;
                (b',', true)
            }
        }
    }
}

/// The stack of enclosing contexts: inline for the first [`INLINE_CONTEXTS`] levels, so the
/// common case never allocates. Its depth is bounded by the recursion limit on reads (each
/// struct or container enters at most two levels).
pub(super) struct Contexts {
    current: Ctx,
    len: usize,
    inline: [Ctx; INLINE_CONTEXTS],
    spill: Vec<Ctx>,
}

impl Contexts {
    pub(super) fn new() -> Self {
        Contexts {
            current: Ctx::Top,
            len: 0,
            inline: [Ctx::Top; INLINE_CONTEXTS],
            spill: Vec::new(),
        }
    }

    pub(super) fn reset(&mut self) {
        self.current = Ctx::Top;
        self.len = 0;
        self.spill.clear();
    }

    #[inline]
    pub(super) fn advance(&mut self) -> (u8, bool) {
        self.current.advance()
    }

    /// Whether a value is inside an array or object, so that more bytes must follow it.
    #[inline]
    pub(super) fn is_nested(&self) -> bool {
        self.len > 0
    }

    #[inline]
    pub(super) fn push(&mut self, ctx: Ctx) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = self.current,
            None => self.spill.push(self.current),
        }
        self.len += 1;
        self.current = ctx;
    }

    #[inline]
    pub(super) fn pop(&mut self) -> Result<(), ProtocolError> {
        if self.len == 0 {
            return Err(unbalanced());
        }
        self.len -= 1;
        self.current = match self.inline.get(self.len) {
            Some(&ctx) => ctx,
            None => self.spill.pop().unwrap_or(Ctx::Top),
        };
        Ok(())
    }
}

impl std::fmt::Debug for Contexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contexts")
            .field("current", &self.current)
            .field("enclosing", &self.len)
            .finish()
    }
}

#[cold]
fn unbalanced() -> ProtocolError {
    ProtocolError::invalid("a struct, container or message ended that was never begun")
}

#[cfg(test)]
mod tests {
    use crate::protocol::json::reader::JsonReader;
    use crate::protocol::json::test_support::{V, json};
    use crate::protocol::limits::Limits;
    use crate::protocol::wire::WireType;

    #[test]
    fn nesting_beyond_the_inline_contexts_spills() {
        // 200 nested lists need 200 contexts: past the inline ones.
        let mut v = V::List(WireType::I32, vec![V::I32(1)]);
        for _ in 0..199 {
            v = V::List(WireType::List, vec![v.clone(), v]);
            if let V::List(_, items) = &mut v {
                items.truncate(1);
            }
        }
        let bytes = json(&v);
        assert!(bytes.starts_with(br#"["lst",1,["lst",1,"#));
        let limits = Limits::default().with_recursion_limit(200);
        let mut r = JsonReader::new(&bytes[..], limits);
        assert_eq!(v.read_like(&mut r).unwrap(), v);
        assert_eq!(r.remaining(), 0);
    }
}
