//! The second pass reads [`Tokens`] with nom: this module has the input type, the error type
//! that becomes a [`Diagnostic`], and the small parsers the grammar is built from.
//!
//! Errors follow nom's convention: `Err::Error` means "this rule does not start here, try
//! another", `Err::Failure` means "this rule started and is broken here". Every rule fails
//! softly only at its first token and commits after it ([`expect`], [`block`]), so the error
//! that reaches the user is at the first token that cannot be part of the file.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::lexer::{Kind, Token};
use crate::Diagnostic;
use crate::ast::{Ident, Span};

/// Apache's keywords (`thriftl.ll`, 0.17 and HEAD), plus `senum` and `slist`, which older
/// versions had. A keyword cannot name a definition, a function or an enum value, nor be a
/// named type; since Apache 0.18 (THRIFT-5626) it may name a field, except those in
/// [`NOT_FIELD_NAMES`].
const KEYWORDS: &[&str] = &[
    "namespace",
    "cpp_include",
    "cpp_type",
    "include",
    "xsd_all",
    "xsd_optional",
    "xsd_nillable",
    "xsd_attrs",
    "void",
    "bool",
    "byte",
    "i8",
    "i16",
    "i32",
    "i64",
    "double",
    "string",
    "binary",
    "uuid",
    "slist",
    "map",
    "list",
    "set",
    "oneway",
    "async",
    "typedef",
    "struct",
    "union",
    "exception",
    "extends",
    "throws",
    "service",
    "enum",
    "senum",
    "const",
    "required",
    "optional",
    // Integer literals in Apache's scanner.
    "true",
    "false",
];

/// Keywords that cannot name a field: they may follow the name, or are literals.
const NOT_FIELD_NAMES: &[&str] = &[
    "xsd_all",
    "xsd_optional",
    "xsd_nillable",
    "xsd_attrs",
    "cpp_type",
    "true",
    "false",
];

pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The tokens still to read. The lexer ends every list with an `Eof` or `Invalid` token,
/// which no rule consumes, so [`Tokens::peek`] always has a token to show in an error.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tokens<'a> {
    tokens: &'a [Token<'a>],
    /// Where the last token read ended: the end of the construct just parsed.
    prev_end: usize,
    source: &'a str,
}

/// Stands in for the end when a slice ran out (it never does: see [`Tokens`]).
static END: Token<'static> = Token {
    kind: Kind::Eof,
    text: "",
    span: Span::new(usize::MAX, usize::MAX),
    doc: None,
};

impl<'a> Tokens<'a> {
    pub(super) fn new(tokens: &'a [Token<'a>], source: &'a str) -> Self {
        Tokens {
            tokens,
            prev_end: 0,
            source,
        }
    }

    /// The next token.
    pub(super) fn peek(&self) -> &'a Token<'a> {
        self.tokens.first().unwrap_or(&END)
    }

    /// The token after the next one.
    pub(super) fn peek_second(&self) -> &'a Token<'a> {
        self.tokens.get(1).unwrap_or(&END)
    }

    /// The input after the next token.
    pub(super) fn next(self) -> Self {
        match self.tokens.split_first() {
            Some((first, rest)) => Tokens {
                tokens: rest,
                prev_end: first.span.end,
                source: self.source,
            },
            None => self,
        }
    }

    /// The source text of `span`, for messages.
    pub(super) fn source_text(&self, span: Span) -> &'a str {
        self.source.get(span.start..span.end).unwrap_or("")
    }

    /// The end of the last token read.
    pub(super) fn prev_end(&self) -> usize {
        self.prev_end
    }

    /// The 1-based line of a byte offset.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        self.source.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
}

/// A parser over [`Tokens`].
pub(super) type PResult<'a, T> = IResult<Tokens<'a>, T, Error<'a>>;

/// A syntax error at a token.
#[derive(Debug)]
pub(super) struct Error<'a> {
    token: &'a Token<'a>,
    what: What,
}

#[derive(Debug)]
enum What {
    /// Rendered "expected A, B or C, found X".
    Expected(Vec<Expectation>),
    /// A complete message.
    Message(String),
}

/// One thing that was expected. Symbols and keywords are kept apart from text so that the
/// many soft errors of optional parts cost no allocation.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expectation {
    /// A symbol, shown as `` `c` ``.
    Sym(char),
    /// A keyword, shown as `` `word` ``.
    Keyword(&'static str),
    /// Any description, e.g. "a field name".
    Text(Cow<'static, str>),
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Sym(c) => write!(f, "`{c}`"),
            Expectation::Keyword(word) => write!(f, "`{word}`"),
            Expectation::Text(text) => f.write_str(text),
        }
    }
}

impl From<&'static str> for Expectation {
    fn from(text: &'static str) -> Self {
        Expectation::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Expectation {
    fn from(text: String) -> Self {
        Expectation::Text(Cow::Owned(text))
    }
}

impl<'a> Error<'a> {
    /// "expected `what`, found <the next token>".
    pub(super) fn expected(i: Tokens<'a>, what: impl Into<Expectation>) -> Self {
        Error {
            token: i.peek(),
            what: What::Expected(vec![what.into()]),
        }
    }

    /// A complete message about the next token.
    pub(super) fn message(i: Tokens<'a>, message: impl Into<String>) -> Self {
        Error {
            token: i.peek(),
            what: What::Message(message.into()),
        }
    }

    /// Whether the error is at the next token of `i` (the rule failed before reading).
    pub(super) fn is_at(&self, i: Tokens<'a>) -> bool {
        std::ptr::eq(self.token, i.peek())
    }

    /// The error as the user sees it.
    pub(super) fn into_diagnostic(self, path: &Path, source: &str) -> Diagnostic {
        let token = self.token;
        let message = match (&token.kind, self.what) {
            // A lexical error is always the first problem at its place.
            (Kind::Invalid(message), _) => message.clone(),
            (_, What::Message(message)) => message,
            (_, What::Expected(expected)) => expected_found(&one_of(&expected), token),
        };
        Diagnostic::at(path, source, token.span, message)
    }
}

impl<'a> ParseError<Tokens<'a>> for Error<'a> {
    fn from_error_kind(input: Tokens<'a>, _: ErrorKind) -> Self {
        Error {
            token: input.peek(),
            what: What::Expected(Vec::new()),
        }
    }

    fn append(_: Tokens<'a>, _: ErrorKind, other: Self) -> Self {
        other
    }

    /// Alternatives that failed at the same token add up ("expected A or B"); otherwise the
    /// one that got further wins.
    fn or(self, other: Self) -> Self {
        if !std::ptr::eq(self.token, other.token) {
            return if other.token.span.start > self.token.span.start {
                other
            } else {
                self
            };
        }
        match (self.what, other.what) {
            (What::Expected(mut mine), What::Expected(theirs)) => {
                for what in theirs {
                    if !mine.contains(&what) {
                        mine.push(what);
                    }
                }
                Error {
                    token: self.token,
                    what: What::Expected(mine),
                }
            }
            (What::Message(m), _) | (_, What::Message(m)) => Error {
                token: self.token,
                what: What::Message(m),
            },
        }
    }
}

/// "A", "A or B", "A, B or C".
fn one_of(expected: &[Expectation]) -> String {
    let mut out = String::new();
    for (n, what) in expected.iter().enumerate() {
        if n > 0 {
            out.push_str(if n + 1 == expected.len() {
                " or "
            } else {
                ", "
            });
        }
        out.push_str(&what.to_string());
    }
    out
}

/// "expected `what`, found X", or "unexpected end of file, expected `what`".
pub(super) fn expected_found(what: &str, token: &Token<'_>) -> String {
    match (token.kind == Kind::Eof, what.is_empty()) {
        (true, true) => "unexpected end of file".to_string(),
        (true, false) => format!("unexpected end of file, expected {what}"),
        (false, true) => format!("unexpected {}", describe(token)),
        (false, false) => format!("expected {what}, found {}", describe(token)),
    }
}

/// A token as a message names it.
pub(super) fn describe(token: &Token<'_>) -> String {
    match &token.kind {
        Kind::Eof => "end of file".to_string(),
        Kind::Word if is_keyword(token.text) => format!("keyword `{}`", token.text),
        Kind::Str(_) => {
            let text: String = token.text.chars().take(40).collect();
            if text.len() < token.text.len() {
                format!("string {text}...")
            } else {
                format!("string {text}")
            }
        }
        _ => format!("`{}`", token.text),
    }
}

/// Fails softly with "expected `what`".
pub(super) fn soft<'a, T>(i: Tokens<'a>, what: impl Into<Expectation>) -> PResult<'a, T> {
    Err(nom::Err::Error(Error::expected(i, what)))
}

/// Fails hard with "expected `what`".
pub(super) fn hard<'a, T>(i: Tokens<'a>, what: impl Into<Expectation>) -> PResult<'a, T> {
    Err(nom::Err::Failure(Error::expected(i, what)))
}

/// Fails hard with a complete message.
pub(super) fn fail<'a, T>(i: Tokens<'a>, message: impl Into<String>) -> PResult<'a, T> {
    Err(nom::Err::Failure(Error::message(i, message)))
}

/// `p`, committed: if it does not start at the next token, that is an error saying that
/// `what()` was expected there. Like nom's `cut`, with a message for the user, which is only
/// written when needed.
pub(super) fn expect<'a, O, W: Into<Expectation>>(
    mut p: impl Parser<Tokens<'a>, Output = O, Error = Error<'a>>,
    what: impl Fn() -> W,
) -> impl FnMut(Tokens<'a>) -> PResult<'a, O> {
    move |i| match p.parse(i) {
        Err(nom::Err::Error(e)) if e.is_at(i) => hard(i, what()),
        Err(nom::Err::Error(e)) => Err(nom::Err::Failure(e)),
        other => other,
    }
}

/// The symbol `c`.
pub(super) fn sym<'a>(c: char) -> impl Fn(Tokens<'a>) -> PResult<'a, Span> {
    move |i| {
        let token = i.peek();
        if token.kind == Kind::Sym(c) {
            Ok((i.next(), token.span))
        } else {
            soft(i, Expectation::Sym(c))
        }
    }
}

/// The keyword `word`.
pub(super) fn keyword<'a>(word: &'static str) -> impl Fn(Tokens<'a>) -> PResult<'a, Span> {
    move |i| {
        let token = i.peek();
        if token.kind == Kind::Word && token.text == word {
            Ok((i.next(), token.span))
        } else {
            soft(i, Expectation::Keyword(word))
        }
    }
}

/// An identifier that is not a keyword: the name of a definition, function or enum value,
/// a named type, a namespace.
pub(super) fn name(i: Tokens<'_>) -> PResult<'_, Ident> {
    let token = i.peek();
    if token.kind == Kind::Word && !is_keyword(token.text) {
        Ok((i.next(), ident(token)))
    } else {
        soft(i, "a name")
    }
}

/// A field name: any identifier, keywords included, as Apache allows since THRIFT-5626.
pub(super) fn field_name(i: Tokens<'_>) -> PResult<'_, Ident> {
    let token = i.peek();
    if token.kind == Kind::Word && !NOT_FIELD_NAMES.contains(&token.text) {
        Ok((i.next(), ident(token)))
    } else {
        soft(i, "a field name")
    }
}

/// Any identifier, keywords included (annotation keys).
pub(super) fn any_word(i: Tokens<'_>) -> PResult<'_, Ident> {
    let token = i.peek();
    if token.kind == Kind::Word {
        Ok((i.next(), ident(token)))
    } else {
        soft(i, "a name")
    }
}

fn ident(token: &Token<'_>) -> Ident {
    Ident {
        name: token.text.to_string(),
        span: token.span,
    }
}

/// A string literal.
pub(super) fn literal(i: Tokens<'_>) -> PResult<'_, (String, Span)> {
    let token = i.peek();
    match &token.kind {
        Kind::Str(s) => Ok((i.next(), (s.clone(), token.span))),
        _ => soft(i, "a string"),
    }
}

/// An integer literal.
pub(super) fn int(i: Tokens<'_>) -> PResult<'_, (i64, Span)> {
    let token = i.peek();
    match token.kind {
        Kind::Int(v) => Ok((i.next(), (v, token.span))),
        _ => soft(i, "an integer"),
    }
}

/// An optional `,` or `;` (Apache's `CommaOrSemicolonOptional`).
pub(super) fn separator(i: Tokens<'_>) -> PResult<'_, ()> {
    match i.peek().kind {
        Kind::Sym(',' | ';') => Ok((i.next(), ())),
        _ => Ok((i, ())),
    }
}

/// The items of a block up to its `close` symbol, the block having been opened at `open`:
/// a struct's fields, a service's functions, a const list... The error when neither an item
/// nor `close` comes is "expected `}` or <item>", and at the end of the file it names
/// `owner` and where it was opened.
pub(super) fn block<'a, T>(
    mut i: Tokens<'a>,
    open: Span,
    close: char,
    item_name: &'static str,
    owner: impl Fn() -> String,
    mut item: impl Parser<Tokens<'a>, Output = T, Error = Error<'a>>,
) -> PResult<'a, Vec<T>> {
    let mut items = Vec::new();
    loop {
        let token = i.peek();
        match token.kind {
            Kind::Sym(c) if c == close => return Ok((i.next(), items)),
            Kind::Eof => {
                let line = i.line_of(open.start);
                return fail(
                    i,
                    format!(
                        "unexpected end of file, expected `{close}` to close {} opened at line \
                         {line}",
                        owner()
                    ),
                );
            }
            _ => {}
        }
        match item.parse(i) {
            Ok((rest, value)) => {
                items.push(value);
                i = rest;
            }
            Err(nom::Err::Error(e)) if e.is_at(i) => {
                return hard(i, format!("`{close}` or {item_name}"));
            }
            Err(nom::Err::Error(e)) => return Err(nom::Err::Failure(e)),
            Err(e) => return Err(e),
        }
    }
}

/// The edit distance between `a` and `b` (insertions, deletions, substitutions and swaps
/// of two neighbours, as in `strcut`), for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (previous[j] + 1)
                .min(row[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous[b.len()]
}

/// The candidate closest to `name` (letter case aside), if it is close enough to be what
/// was meant: at most one edit per three letters of `name`, so that `Foo` suggests nothing
/// rather than `bool`, and a name of one or two letters only a name that differs in case.
pub(crate) fn closest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lower = name.to_lowercase();
    let limit = name.chars().count() / 3;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_expectations() {
        let e = |v: &[&'static str]| one_of(&v.iter().map(|&s| s.into()).collect::<Vec<_>>());
        assert_eq!(e(&["a"]), "a");
        assert_eq!(e(&["a", "b"]), "a or b");
        assert_eq!(e(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("strcut", "struct"), 1);
        assert_eq!(edit_distance("enmu", "enum"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("service", "service"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn only_close_names_are_suggested() {
        let types = ["bool", "byte", "i8", "string", "binary", "Color"];
        assert_eq!(closest("Foo", types), None);
        assert_eq!(closest("Strin", types), Some("string"));
        assert_eq!(closest("colour", types), Some("Color"));
        assert_eq!(closest("bol", types), Some("bool"));
        assert_eq!(closest("x", types), None);
    }
}
