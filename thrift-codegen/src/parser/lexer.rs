//! The first pass: source text to [`Token`]s, with the rules of Apache's flex scanner
//! (`thriftl.ll`): which characters make an identifier, when a number is an integer or a
//! double, the escapes of string literals, the three kinds of comment.
//!
//! Lexing never fails: a lexical error becomes an [`Kind::Invalid`] token that ends the list.
//! No grammar rule accepts it, so the parser reports it exactly when it reaches it, and the
//! first problem in the file is the one shown, whichever pass finds it.

use nom::bytes::complete::{tag, take_till, take_until, take_while};
use nom::character::complete::{char, digit0, digit1, hex_digit1, one_of, satisfy};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};

use crate::ast::Span;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// An identifier or a keyword. Apache's scanner makes each keyword a token of its own;
    /// here the grammar tells them apart by text, because some positions (field names)
    /// accept keywords.
    Word,
    /// An integer literal (decimal or `0x` hex, with its sign).
    Int(i64),
    /// A double literal: digits with a fraction or an exponent (`1.5`, `.5`, `1e10`).
    Double(f64),
    /// A string literal, its escapes replaced.
    Str(String),
    /// One of `: ; , { } ( ) = < > [ ] * &`.
    Sym(char),
    /// The end of the file.
    Eof,
    /// A lexical error, with its message. Always the last token.
    Invalid(String),
}

/// A token and where it was written.
#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    /// What it is.
    pub(super) kind: Kind,
    /// The text as written.
    pub(super) text: &'a str,
    /// Where.
    pub(super) span: Span,
    /// The last doc comment (`/** ... */`) between the previous token and this one, cleaned.
    pub(super) doc: Option<String>,
}

/// The lexer's nom error: where it happened, how many bytes to underline, and a message
/// (empty while nom backtracks between alternatives).
#[derive(Debug)]
struct LexError<'a> {
    at: &'a str,
    len: usize,
    message: String,
}

impl<'a> LexError<'a> {
    fn failure(at: &'a str, len: usize, message: impl Into<String>) -> nom::Err<Self> {
        nom::Err::Failure(LexError {
            at,
            len,
            message: message.into(),
        })
    }
}

impl<'a> ParseError<&'a str> for LexError<'a> {
    fn from_error_kind(input: &'a str, _: ErrorKind) -> Self {
        LexError {
            at: input,
            len: 0,
            message: String::new(),
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type LResult<'a, T> = IResult<&'a str, T, LexError<'a>>;

/// Splits `source` into tokens. The list always ends with [`Kind::Eof`] or [`Kind::Invalid`].
pub(super) fn tokenize(source: &str) -> Vec<Token<'_>> {
    let offset = |rest: &str| source.len() - rest.len();
    // A UTF-8 byte order mark is not part of the text (Apache's scanner would reject it).
    let mut rest = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut tokens = Vec::new();
    loop {
        let doc = match trivia(rest) {
            Ok((after, doc)) => {
                rest = after;
                doc
            }
            Err(e) => {
                tokens.push(invalid(source, e));
                return tokens;
            }
        };
        if rest.is_empty() {
            // End-of-file errors point just after the last visible character: the place
            // where something is missing, not an empty line below it.
            let end = source.trim_end_matches([' ', '\t', '\r', '\n']).len();
            tokens.push(Token {
                kind: Kind::Eof,
                text: "",
                span: Span::new(end, end),
                doc: None,
            });
            return tokens;
        }
        match token(rest) {
            Ok((after, kind)) => {
                let (start, end) = (offset(rest), offset(after));
                tokens.push(Token {
                    kind,
                    text: &source[start..end],
                    span: Span::new(start, end),
                    doc: doc.and_then(clean_doc),
                });
                rest = after;
            }
            Err(e) => {
                tokens.push(invalid(source, e));
                return tokens;
            }
        }
    }
}

/// The [`Kind::Invalid`] token for a lexer error.
fn invalid<'a>(source: &'a str, e: nom::Err<LexError<'a>>) -> Token<'a> {
    let e = match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        // `complete` parsers never ask for more input.
        nom::Err::Incomplete(_) => LexError {
            at: "",
            len: 0,
            message: "unexpected end of file".into(),
        },
    };
    let start = source.len() - e.at.len();
    let (len, message) = match e.at.chars().next() {
        Some(c) if e.message.is_empty() => (
            // No rule matched: Apache's "Unexpected token in input".
            c.len_utf8(),
            format!("unexpected character {}", show_char(c)),
        ),
        None if e.message.is_empty() => (0, "unexpected end of file".to_string()),
        _ => (e.len, e.message),
    };
    let text = source.get(start..start + len).unwrap_or("");
    Token {
        kind: Kind::Invalid(message),
        text,
        span: Span::new(start, start + text.len()),
        doc: None,
    }
}

/// `c` for a message: in backticks when it prints, escaped when it does not.
fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("{:?}", c)
    } else {
        format!("`{c}`")
    }
}

/// Whitespace and comments. The output is the last doc comment among them, uncleaned.
fn trivia(mut i: &str) -> LResult<'_, Option<&str>> {
    let mut doc = None;
    loop {
        let (rest, _) = take_while(|c| matches!(c, ' ' | '\t' | '\r' | '\n')).parse(i)?;
        i = rest;
        if i.starts_with("//") || i.starts_with('#') {
            (i, _) = take_till(|c| c == '\n').parse(i)?;
        } else if i.starts_with("/*") {
            let (rest, comment) = block_comment(i)?;
            i = rest;
            doc = comment.or(doc);
        } else {
            return Ok((i, doc));
        }
    }
}

/// `/* ... */`; the output is the body of a doc comment `/** ... */`.
fn block_comment(i: &str) -> LResult<'_, Option<&str>> {
    let (body, _) = tag("/*").parse(i)?;
    let closed: LResult<'_, &str> = terminated(take_until("*/"), tag("*/")).parse(body);
    let Ok((rest, content)) = closed else {
        return Err(LexError::failure(i, 2, "unterminated comment"));
    };
    // `/**/` and `/***/` are plain comments for Apache ("sillycomm"), `/** x */` is a doc.
    let doc = content
        .strip_prefix('*')
        .filter(|_| !content.bytes().all(|b| b == b'*'));
    Ok((rest, doc))
}

fn token(i: &str) -> LResult<'_, Kind> {
    match i.chars().next() {
        Some(c) if is_word_start(c) => word(i),
        Some('0'..='9' | '+' | '-' | '.') => number(i),
        Some('"' | '\'') => string(i),
        _ => symbol(i),
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `[a-zA-Z_](\.[a-zA-Z_0-9]|[a-zA-Z_0-9])*`: a dot only inside, before a letter or digit.
fn word(i: &str) -> LResult<'_, Kind> {
    let (_, candidate) = recognize((
        satisfy(is_word_start),
        take_while(|c| is_word_char(c) || c == '.'),
    ))
    .parse(i)?;
    // Stop before the first dot that no word character follows: `a.b..c` is `a.b`.
    let bytes = candidate.as_bytes();
    let dangling_dot = |n: usize| {
        bytes[n] == b'.'
            && !bytes
                .get(n + 1)
                .is_some_and(|&b| is_word_char(char::from(b)))
    };
    let end = (0..bytes.len())
        .find(|&n| dangling_dot(n))
        .unwrap_or(bytes.len());
    Ok((&i[end..], Kind::Word))
}

/// An integer (`12`, `-3`, `+0x1F`) or a double (`1.5`, `.5`, `-2E-3`, `1e10`). A digit
/// sequence without fraction or exponent is an integer, as in Apache's scanner, where the
/// integer rule wins the tie with the double rule.
fn number(i: &str) -> LResult<'_, Kind> {
    // Apache's hex rule is `[+-]?"0x"[0-9A-Fa-f]+`: a lowercase `x` only.
    let unsigned = i.strip_prefix(['+', '-']).unwrap_or(i);
    let hex: LResult<'_, _> = if unsigned.starts_with("0x") {
        (opt(one_of("+-")), preceded(tag("0x"), hex_digit1)).parse(i)
    } else {
        Err(nom::Err::Error(LexError::from_error_kind(
            i,
            ErrorKind::HexDigit,
        )))
    };
    if let Ok((rest, (sign, digits))) = hex {
        let magnitude = u64::from_str_radix(digits, 16)
            .ok()
            .and_then(|m| i64::try_from(m).ok());
        let Some(magnitude) = magnitude else {
            return Err(out_of_range(i, rest));
        };
        let v = if sign == Some('-') {
            -magnitude
        } else {
            magnitude
        };
        return Ok((rest, Kind::Int(v)));
    }
    let (rest, (sign, whole, fraction, exponent)) = (
        opt(one_of("+-")),
        digit0,
        opt(recognize((char('.'), digit1))),
        opt(recognize((one_of("eE"), opt(one_of("+-")), digit1))),
    )
        .parse(i)?;
    if whole.is_empty() && fraction.is_none() {
        return match sign {
            // Apache would read a lone sign as the double 0.0; that is never what was meant.
            Some(sign) => Err(LexError::failure(
                i,
                1,
                format!("expected a number after `{sign}`"),
            )),
            None => Err(nom::Err::Error(LexError::from_error_kind(
                i,
                ErrorKind::Digit,
            ))),
        };
    }
    let text = &i[..i.len() - rest.len()];
    if fraction.is_none() && exponent.is_none() && rest.starts_with('.') {
        // `1.` or `1.e5`: Apache's scanner stops before the dot and fails on it.
        return Err(LexError::failure(
            rest,
            1,
            format!("expected a digit after `{text}.` (write `{text}.0`)"),
        ));
    }
    if fraction.is_none() && exponent.is_none() {
        return match text.parse::<i64>() {
            Ok(v) => Ok((rest, Kind::Int(v))),
            Err(_) => Err(out_of_range(i, rest)),
        };
    }
    match text.parse::<f64>() {
        Ok(v) => Ok((rest, Kind::Double(v))),
        Err(_) => Err(LexError::failure(
            i,
            text.len(),
            "invalid floating-point literal",
        )),
    }
}

fn out_of_range<'a>(i: &'a str, rest: &'a str) -> nom::Err<LexError<'a>> {
    LexError::failure(
        i,
        i.len() - rest.len(),
        "integer literal out of range (Thrift integers are signed 64-bit)",
    )
}

/// `"..."` or `'...'` on one line, with the escapes `\n \r \t \" \' \\` (Apache's set).
fn string(i: &str) -> LResult<'_, Kind> {
    let (body, quote) = one_of("\"'").parse(i)?;
    let unterminated = || {
        let line = i.find('\n').unwrap_or(i.len());
        LexError::failure(i, line, "unterminated string literal")
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\n' => return Err(unterminated()),
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, 'n')) => '\n',
                    Some((_, 'r')) => '\r',
                    Some((_, 't')) => '\t',
                    Some((_, '"')) => '"',
                    Some((_, '\'')) => '\'',
                    Some((_, '\\')) => '\\',
                    None | Some((_, '\n')) => return Err(unterminated()),
                    Some((_, other)) => {
                        return Err(LexError::failure(
                            &body[at..],
                            1 + other.len_utf8(),
                            format!(
                                "unknown escape `\\{other}` in string literal (the escapes are \
                                 `\\n`, `\\r`, `\\t`, `\\\"`, `\\'` and `\\\\`)"
                            ),
                        ));
                    }
                };
                out.push(escaped);
            }
            // The quote is one byte, so `at + 1` is the next character.
            c if c == quote => return Ok((&body[at + 1..], Kind::Str(out))),
            c => out.push(c),
        }
    }
    Err(unterminated())
}

fn symbol(i: &str) -> LResult<'_, Kind> {
    one_of(":;,{}()=<>[]*&").map(Kind::Sym).parse(i)
}

/// The text of a doc comment without `/**`, `*/`, the ` * ` that starts its lines and the
/// whitespace around it; `None` if nothing is left.
///
/// When every line after the first starts with `*` (the usual style), the `*` and one space
/// after it go; otherwise the indentation the lines share goes. Indentation beyond that is
/// kept, for code examples. Extra stars at the ends (`/*** title ***/`) are decoration.
pub(super) fn clean_doc(body: &str) -> Option<String> {
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let lines: Vec<&str> = body
        .trim_end_matches('*')
        .lines()
        .map(str::trim_end)
        .collect();
    let rest = lines.iter().skip(1).filter(|l| !l.trim().is_empty());
    let starred = rest.clone().all(|l| l.trim_start().starts_with('*'));
    let common = rest.map(|l| indent(l)).min().unwrap_or(0);
    let cleaned: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            if n == 0 {
                line.trim_start().trim_start_matches('*')
            } else if starred {
                let line = line.trim_start();
                let line = line.strip_prefix('*').unwrap_or(line);
                line.strip_prefix(' ').unwrap_or(line)
            } else {
                // Blank lines may be shorter than the common indentation.
                &line[indent(line).min(common)..]
            }
        })
        .collect();
    let text = cleaned.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Kind> {
        tokenize(source).into_iter().map(|t| t.kind).collect()
    }

    fn int(v: i64) -> Kind {
        Kind::Int(v)
    }

    #[test]
    fn integers_and_doubles_as_apache_tells_them_apart() {
        assert_eq!(
            kinds("1 -2 +3 0x1F -0x10 0 1.5 .5 -2E-3 1e10 +1.0e+2"),
            vec![
                int(1),
                int(-2),
                int(3),
                int(31),
                int(-16),
                int(0),
                Kind::Double(1.5),
                Kind::Double(0.5),
                Kind::Double(-2e-3),
                Kind::Double(1e10),
                Kind::Double(100.0),
                Kind::Eof,
            ]
        );
        // `0X1F` is not hex for Apache (`0`, then the identifier `X1F`); `e10` is a name.
        assert_eq!(kinds("0X1F"), vec![int(0), Kind::Word, Kind::Eof]);
        assert_eq!(kinds("e10"), vec![Kind::Word, Kind::Eof]);
        assert_eq!(kinds("1e"), vec![int(1), Kind::Word, Kind::Eof]);
    }

    #[test]
    fn integer_limits() {
        assert_eq!(
            kinds("9223372036854775807 -9223372036854775808 0x7fffffffffffffff"),
            vec![int(i64::MAX), int(i64::MIN), int(i64::MAX), Kind::Eof]
        );
        for text in [
            "9223372036854775808",
            "0x8000000000000000",
            "-0x8000000000000000",
        ] {
            let tokens = tokenize(text);
            assert_eq!(tokens.len(), 1, "{text}");
            assert_eq!(
                tokens[0].kind,
                Kind::Invalid(
                    "integer literal out of range (Thrift integers are signed 64-bit)".into()
                )
            );
            assert_eq!(tokens[0].span, Span::new(0, text.len()));
        }
    }

    #[test]
    fn words_symbols_and_lone_signs() {
        let tokens = tokenize("a.b_c1 _x i8 x.1 map<a,b>");
        let texts: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        assert_eq!(
            texts,
            vec![
                "a.b_c1", "_x", "i8", "x.1", "map", "<", "a", ",", "b", ">", ""
            ]
        );
        let tokens = tokenize("x = -");
        assert_eq!(
            tokens[2].kind,
            Kind::Invalid("expected a number after `-`".into())
        );
        // A trailing dot is not part of a name.
        let tokens = tokenize("a.");
        assert_eq!(
            tokens[1].kind,
            Kind::Invalid("unexpected character `.`".into())
        );
        assert_eq!(tokens[1].span, Span::new(1, 2));
    }

    #[test]
    fn strings_with_either_quote_and_escapes() {
        assert_eq!(
            kinds(r#""a\"b" 'c\'d' "it's" 'say "hi"' "\n\r\t\\""#),
            vec![
                Kind::Str("a\"b".into()),
                Kind::Str("c'd".into()),
                Kind::Str("it's".into()),
                Kind::Str("say \"hi\"".into()),
                Kind::Str("\n\r\t\\".into()),
                Kind::Eof,
            ]
        );
        let tokens = tokenize("x \"abc\ny\"");
        assert_eq!(
            tokens[1].kind,
            Kind::Invalid("unterminated string literal".into())
        );
        assert_eq!(tokens[1].span, Span::new(2, 6));
        let tokens = tokenize(r#" "a\qb" "#);
        assert!(
            matches!(&tokens[0].kind, Kind::Invalid(m) if m.starts_with("unknown escape `\\q`")),
            "{tokens:?}"
        );
        assert_eq!(tokens[0].span, Span::new(3, 5));
    }

    #[test]
    fn comments_and_doc_comments() {
        let tokens = tokenize("// a\n# b\n/* c */ /**/ /***/ x /** d */ /* e */ y /** f");
        assert_eq!(tokens[0].text, "x");
        assert_eq!(tokens[0].doc, None);
        assert_eq!(tokens[1].text, "y");
        assert_eq!(tokens[1].doc.as_deref(), Some("d"));
        assert_eq!(tokens[2].kind, Kind::Invalid("unterminated comment".into()));
        let start = "// a\n# b\n/* c */ /**/ /***/ x /** d */ /* e */ y ".len();
        assert_eq!(tokens[2].span, Span::new(start, start + 2));
    }

    #[test]
    fn doc_comment_cleaning() {
        assert_eq!(clean_doc(" One line "), Some("One line".into()));
        assert_eq!(
            clean_doc("\n * Title\n *\n * Body:\n *     code\n "),
            Some("Title\n\nBody:\n    code".into())
        );
        assert_eq!(
            clean_doc(" First\n    second\n      indented\n"),
            Some("First\nsecond\n  indented".into())
        );
        assert_eq!(clean_doc("\r\n * crlf\r\n "), Some("crlf".into()));
        assert_eq!(clean_doc(" \n * \n "), None);
        assert_eq!(clean_doc("* Stars ***"), Some("Stars".into()));
        assert_eq!(
            clean_doc("\n *    Indented title\n * text\n "),
            Some("Indented title\ntext".into())
        );
    }

    #[test]
    fn end_of_file_points_after_the_last_visible_character() {
        let tokens = tokenize("x\n\n  \n");
        assert_eq!(tokens[1].kind, Kind::Eof);
        assert_eq!(tokens[1].span, Span::new(1, 1));
        let tokens = tokenize("\u{feff}x");
        assert_eq!(tokens[0].span, Span::new(3, 4));
    }

    #[test]
    fn unexpected_characters() {
        let tokens = tokenize("a @");
        assert_eq!(
            tokens[1].kind,
            Kind::Invalid("unexpected character `@`".into())
        );
        let tokens = tokenize("é");
        assert_eq!(tokens[0].span, Span::new(0, 2));
        let tokens = tokenize("\u{c}");
        assert_eq!(
            tokens[0].kind,
            Kind::Invalid("unexpected character '\\u{c}'".into())
        );
    }
}
