//! Thrift IDL to Rust: types, handler traits, tower servers and clients.
//!
//! Work in progress: the syntax tree ([`ast`]), the parser ([`parse`]) and
//! [`Diagnostic`]s with `file:line:col`, the offending line and a caret.

pub mod ast;
mod diagnostic;
pub mod parser;

pub use crate::diagnostic::Diagnostic;
pub use crate::parser::parse;
mod build;
pub mod emit;
pub mod model;
pub mod naming;
pub mod resolve;

pub use crate::build::{Builder, Error, compile, configure};
