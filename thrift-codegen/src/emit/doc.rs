//! Doc attributes from IDL doc comments.
//!
//! An IDL doc comment is plain text, written for Thrift's own documentation generators, but
//! the generated code is compiled in a user's crate, where rustdoc reads it as Markdown and
//! `cargo test` runs every Rust code block in it. A comment with an example indented by four
//! spaces, or fenced by three backticks with no language, would become a doctest that fails
//! in the user's crate. [`rustdoc_text`] keeps the comment's text and keeps rustdoc from
//! taking any of it for Rust code.

use proc_macro2::TokenStream;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use quote::quote;

/// Doc attributes from an IDL doc comment, or from `fallback` where the IDL has none (every
/// public item is documented, so generated code passes `missing_docs`).
pub(crate) fn doc_or(doc: &Option<String>, fallback: String) -> TokenStream {
    match doc {
        Some(_) => doc_attrs(doc),
        None => doc_attrs(&Some(fallback)),
    }
}

/// Doc attributes from an IDL doc comment.
pub(crate) fn doc_attrs(doc: &Option<String>) -> TokenStream {
    let Some(text) = doc else {
        return TokenStream::new();
    };
    let text = rustdoc_text(text);
    let lines = text.lines().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    // An IDL comment is plain text, kept as its author wrote it; where a line reads as a
    // Markdown list item, the lines around it rarely have the indentation Markdown wants
    // there.
    let allow = if text.lines().any(is_list_item) {
        quote!(#[allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)])
    } else {
        TokenStream::new()
    };
    quote!(#(#lines)* #allow)
}

/// `text` as rustdoc should read it: the author's words, with no doctest and nothing that
/// rustdoc warns about.
///
/// - A fenced block with no language, or with one rustdoc takes for Rust (`rust`, `ignore`,
///   `no_run`...), is marked `text`.
/// - A comment with an indented code block (rustdoc tests those too, and there is no way to
///   mark one) is shown whole as preformatted text, as its author laid it out.
/// - Brackets are escaped (`[i]` is an index, not an intra-doc link), and so is a `<` that
///   would open an HTML tag (`list<i32>`); bare URLs get the angle brackets that make them
///   links.
///
/// Blocks, text and HTML are found with pulldown-cmark, the parser rustdoc uses, so this
/// sees what rustdoc would see, inside lists and quotes too.
pub(crate) fn rustdoc_text(text: &str) -> String {
    // (start, end, replacement) in `text`, in order.
    let mut edits: Vec<(usize, usize, &'static str)> = Vec::new();
    // Consecutive text events (the parser splits text at characters that might be markup)
    // are scanned as one, so a URL is seen whole.
    let mut run: Option<Range<usize>> = None;
    let mut in_code = false;
    // Inside a link a URL is already one.
    let mut in_link = 0usize;
    for (event, range) in Parser::new(text).into_offset_iter() {
        if let Event::Text(_) = event {
            if !in_code {
                run = match run {
                    Some(r) if r.end == range.start => Some(r.start..range.end),
                    Some(r) => {
                        escape_text(text, r, in_link > 0, &mut edits);
                        Some(range)
                    }
                    None => Some(range),
                };
            }
            continue;
        }
        if let Some(r) = run.take() {
            escape_text(text, r, in_link > 0, &mut edits);
        }
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => return preformatted(text),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                in_code = true;
                if is_rust(&info) {
                    match fence_info(text, range.start) {
                        Some(info) => edits.push((info.start, info.end, "text")),
                        // Not where a fence should be: leave nothing to chance.
                        None => return preformatted(text),
                    }
                }
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Link { .. }) => in_link += 1,
            Event::End(TagEnd::Link) => in_link = in_link.saturating_sub(1),
            Event::Html(_) | Event::InlineHtml(_) => {
                for (i, b) in text[range.clone()].bytes().enumerate() {
                    let at = range.start + i;
                    if b == b'<' && !escaped(text, at) {
                        edits.push((at, at, "\\"));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(r) = run {
        escape_text(text, r, in_link > 0, &mut edits);
    }
    edits.sort_by_key(|&(start, end, _)| (start, end));
    let mut out = String::with_capacity(text.len() + edits.len() * 2);
    let mut at = 0;
    for (start, end, replacement) in edits {
        out.push_str(&text[at..start]);
        out.push_str(replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Escapes brackets and wraps bare URLs (unless `in_link`) in the plain text at `range`.
fn escape_text(
    text: &str,
    range: Range<usize>,
    in_link: bool,
    edits: &mut Vec<(usize, usize, &'static str)>,
) {
    let run = &text[range.clone()];
    for (i, b) in run.bytes().enumerate() {
        let at = range.start + i;
        if (b == b'[' || b == b']') && !escaped(text, at) {
            edits.push((at, at, "\\"));
        }
    }
    if in_link {
        return;
    }
    let mut from = 0;
    while let Some(found) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| run[from..].find(scheme))
        .min()
    {
        let start = from + found;
        let len = run[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(run.len() - start);
        // Sentence punctuation after a URL is not part of it.
        let url = run[start..start + len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let end = start + url.len();
        if url.len() > "https://".len() {
            edits.push((range.start + start, range.start + start, "<"));
            edits.push((range.start + end, range.start + end, ">"));
        }
        from = end.max(start + 1);
    }
}

/// Whether the character at `at` is escaped by a backslash.
fn escaped(text: &str, at: usize) -> bool {
    let backslashes = text[..at].len() - text[..at].trim_end_matches('\\').len();
    backslashes % 2 == 1
}

/// Whether rustdoc compiles a fenced block with this info string: when it is empty, or
/// names nothing but rustdoc's own attributes.
fn is_rust(info: &str) -> bool {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .all(|word| {
            matches!(
                word,
                "rust"
                    | "ignore"
                    | "should_panic"
                    | "no_run"
                    | "compile_fail"
                    | "test_harness"
                    | "standalone_crate"
            ) || word.starts_with("edition")
                || word.starts_with("ignore-")
                || (word.len() == 5 && word.starts_with('E'))
        })
}

/// The byte range of the info string of the fence that opens at `start` (after any
/// indentation): from the end of the backticks or tildes to the end of the line.
fn fence_info(text: &str, start: usize) -> Option<std::ops::Range<usize>> {
    let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    let line = &text[start..line_end];
    let indent = line.len() - line.trim_start_matches(' ').len();
    let fence = &line[indent..];
    let ch = fence.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = fence.len() - fence.trim_start_matches(ch).len();
    (run >= 3).then_some(start + indent + run..line_end)
}

/// `text` as one fenced block of plain text, the fence longer than any run of backticks in
/// it so that nothing inside can close it.
fn preformatted(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}", text.trim_end())
}

/// Whether Markdown reads `line` as a list item: `- x`, `* x`, `+ x`, `1. x`, `1) x`.
fn is_list_item(line: &str) -> bool {
    let line = line.trim_start();
    let rest = match line.strip_prefix(['-', '*', '+']) {
        Some(rest) => rest,
        None => {
            let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match line[digits..].strip_prefix(['.', ')']) {
                Some(rest) if digits > 0 => rest,
                _ => return false,
            }
        }
    };
    rest.is_empty() || rest.starts_with([' ', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code blocks rustdoc would test in `text`.
    fn doctests(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut inside = None;
        for event in Parser::new(text) {
            match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let tested = match &kind {
                        CodeBlockKind::Indented => true,
                        CodeBlockKind::Fenced(info) => is_rust(info),
                    };
                    inside = Some((tested, String::new()));
                }
                Event::Text(t) => {
                    if let Some((_, code)) = &mut inside {
                        code.push_str(&t);
                    }
                }
                Event::End(_) => {
                    if let Some((true, code)) = inside.take() {
                        found.push(code);
                    }
                }
                _ => {}
            }
        }
        found
    }

    #[test]
    fn plain_text_is_kept_as_it_is() {
        for text in [
            "Says hello.",
            "A list:\n- one\n- two\n\nAnd `code`.",
            "Marked code:\n\n```json\n{\"a\": 1}\n```",
            "  two spaces are not code",
        ] {
            assert_eq!(rustdoc_text(text), text);
            assert!(doctests(text).is_empty());
        }
    }

    #[test]
    fn brackets_tags_and_bare_urls_are_escaped() {
        let cases = [
            ("the set<i32> to print", "the set\\<i32> to print"),
            ("<b>bold</b> stays", "\\<b>bold\\</b> stays"),
            ("values[i] and [1]", "values\\[i\\] and \\[1\\]"),
            (
                "See http://www.apache.org/licenses/LICENSE-2.0.",
                "See <http://www.apache.org/licenses/LICENSE-2.0>.",
            ),
            ("(https://x.io/a_b_c)", "(<https://x.io/a_b_c>)"),
            // Already escaped, already links, or code: left alone.
            (
                "\\[x\\] and <https://a.b/c> and `a<b>[c]` and [a link](https://a.b)",
                "",
            ),
        ];
        for (text, expected) in cases {
            let expected = if expected.is_empty() { text } else { expected };
            assert_eq!(rustdoc_text(text), expected, "{text}");
        }
    }

    #[test]
    fn unmarked_and_rust_fences_become_text() {
        let text = "Example:\n\n```\nlet x = 1;\n```\n\n  ~~~~ rust,no_run\nfoo()\n  ~~~~\nend";
        assert_eq!(doctests(text).len(), 2);
        let safe = rustdoc_text(text);
        assert_eq!(
            safe,
            "Example:\n\n```text\nlet x = 1;\n```\n\n  ~~~~text\nfoo()\n  ~~~~\nend"
        );
        assert!(doctests(&safe).is_empty());
    }

    #[test]
    fn indented_code_makes_the_comment_preformatted() {
        // As in Parquet's IDL: an example indented under a sentence.
        let text = "Encodes as follows:\n\n    bit-packed-run-len = varint\n    ```\nDone.";
        assert_eq!(doctests(text).len(), 1);
        let safe = rustdoc_text(text);
        assert_eq!(
            safe,
            "````text\nEncodes as follows:\n\n    bit-packed-run-len = varint\n    ```\nDone.\n````"
        );
        assert!(doctests(&safe).is_empty());
        // Inside a list item the same lines are a code block as well.
        let listed = "- item\n\n      code in the item";
        assert_eq!(doctests(listed).len(), 1);
        assert!(doctests(&rustdoc_text(listed)).is_empty());
    }
}
