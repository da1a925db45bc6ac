//! The IDL parser: one `.thrift` file's text to its [`Document`], or a [`Diagnostic`] that
//! points at the first token that cannot be part of the file and says what was expected
//! there.
//!
//! # Grammar
//!
//! The grammar is the one Apache's compiler accepts (`thrifty.yy` and `thriftl.ll`, 0.17 and
//! later), so any file Apache reads is read here:
//!
//! - headers (`include`, `cpp_include`, `namespace <scope>|* <name> (annotations)`) before
//!   the definitions: `const`, `typedef`, `enum`, `struct`, `union`, `exception`, `service`
//!   (with `extends`, `oneway`, `void`, `throws`);
//! - fields with an optional id (`1:`), `required`/`optional`, a default value, the C++ `&`
//!   marker and annotations; the legacy `xsd_all`, `xsd_optional`, `xsd_nillable` and
//!   `xsd_attrs { ... }` are read and dropped;
//! - base types (`byte` is `i8`), `uuid`, containers nested to any depth (up to
//!   [`MAX_NESTING`]), with the legacy `cpp_type "..."` kept as a `cpp_type` annotation;
//! - constants as Apache's scanner reads them: `1`, `-0x1F` and `true` are integers, `1.0`,
//!   `.5` and `1e10` are doubles; strings in `"` or `'` with the escapes `\n \r \t \" \' \\`;
//! - `,` or `;` optional after fields, enum values, functions, list and map elements and
//!   annotations; `//`, `#` and `/* */` comments; a `/** doc */` comment documents the
//!   definition, field, enum value or function after it.
//!
//! Some things older Apache versions had are read too: `senum`, `slist` (as `string`) and
//! `async` (as `oneway`). Annotations are also accepted after a `const` (Apache has none
//! there) and after `namespace *`. Names are not checked against any language's reserved
//! words: the Rust emitter escapes what it must. Apache's own keywords cannot name
//! definitions, functions or enum values, but may name fields, as Apache allows since 0.18.
//!
//! Checks that need more than syntax (field ids in range and unique, enum values fitting
//! `i32`, names resolving) are the resolver's.
//!
//! # How it works
//!
//! Two passes, both with nom: `lexer` splits the text into tokens (keeping the doc comment
//! before each one), then the grammar reads the tokens (`input` has the input type, the
//! error type and the small parsers; `definitions` and `types` have the rules).

use std::path::Path;

use nom::Parser;

use crate::Diagnostic;
use crate::ast::Document;

#[cfg(test)]
mod corpus_tests;
mod definitions;
mod input;
mod lexer;
#[cfg(test)]
mod tests;
mod types;

pub(crate) use input::closest;

/// How deeply containers (`list<list<...>>`), constant lists and maps, and `xsd_attrs` may
/// nest, all counted together (a field type inside two `xsd_attrs` starts at depth 2).
/// Apache has no limit; this one keeps a hostile file from overflowing the stack (a level
/// takes up to ~16 KiB of stack in a debug build, and test threads have 2 MiB) and is far
/// beyond any real IDL, whose containers nest a handful of levels at most.
pub(crate) const MAX_NESTING: usize = 32;

/// Parses one IDL file. `path` is only used in the [`Diagnostic`].
pub(crate) fn parse(path: &Path, source: &str) -> Result<Document, Diagnostic> {
    let tokens = lexer::tokenize(source);
    match definitions::document.parse(input::Tokens::new(&tokens, source)) {
        Ok((_, document)) => Ok(document),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_diagnostic(path, source)),
        // Only streaming parsers ask for more input; these never do.
        Err(nom::Err::Incomplete(_)) => Err(Diagnostic::file(path, "unexpected end of file")),
    }
}
