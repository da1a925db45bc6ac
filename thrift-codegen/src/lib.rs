//! Thrift IDL to Rust: types, handler traits, and servers and clients that are
//! `tower::Service`s, for the [`thrift_tower`](https://docs.rs/thrift-tower) runtime.
//!
//! # Getting started
//!
//! In `build.rs` (add `thrift-codegen` to `[build-dependencies]`):
//!
//! ```no_run
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     thrift_codegen::configure().compile(&["idl/hello.thrift"], &["idl"])?;
//!     Ok(())
//! }
//! ```
//!
//! and in the crate, a module of your own for each IDL file you use, named and made
//! visible as you like; `include_idl!` takes the file's `namespace rs`, else its name in
//! `snake_case`:
//!
//! ```ignore
//! pub mod hello {
//!     thrift_tower::include_idl!("hello");
//! }
//! use hello::{HelloService, HelloServiceClient, HelloServiceServer, SayError};
//! ```
//!
//! One include brings the file with every file it includes, directly or not, as child
//! modules: if `hello.thrift` includes `shared.thrift`, its types are `hello::shared::*`.
//!
//! # Where the files go
//!
//! [`Builder::compile`] writes `<module>.rs` for each IDL file into the build script's
//! `OUT_DIR` (`target/<profile>/build/<crate>-<hash>/out/`: `find target -name hello.rs`
//! finds it). To read them more easily, write them into the crate with
//! [`Builder::out_dir`] and name that folder in the include:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! thrift_codegen::configure()
//!     .out_dir("src/generated")
//!     .compile(&["idl/hello.thrift"], &["idl"])?;
//! # Ok(())
//! # }
//! // and in the crate: pub mod hello { thrift_tower::include_idl!("hello", "src/generated"); }
//! ```
//!
//! To check generated code in and build without a build script, the `thrift-codegen`
//! binary writes the same code as files, one per IDL file, each naming what it includes as
//! a sibling module: `thrift-codegen -o src/generated -I idl idl/hello.thrift`, then
//! `mod hello; mod shared;` in `src/generated/mod.rs`. `thrift-codegen --help` lists its
//! flags, which mirror the builder's options (`--no-server`, `--type-attribute
//! PATH=ATTR`, `--extern-path IDL_PATH=RUST_PATH`...); it prints IDL warnings on stderr.
//! The binary is the default feature `cli` (it brings clap): a build-dependency can do
//! without it, with `default-features = false`.
//!
//! # Options
//!
//! The [`Builder`] has what a prost-build or tonic-build user reaches for:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! thrift_codegen::configure()
//!     // Only the client (or only the server, with build_client(false)).
//!     .build_server(false)
//!     // Attributes on types and fields: `.module.Type`, `.module.Type.field`, `.` for all.
//!     .type_attribute(".hello.Greeting", "#[derive(serde::Serialize, serde::Deserialize)]")
//!     .field_attribute(".hello.Greeting.note", "#[serde(default)]")
//!     // Types another crate generated from `shared.thrift`, used instead of new ones.
//!     .extern_path(".shared", "::common::shared")
//!     // `string` as `thrift_tower::ByteStr`, sharing the received buffer.
//!     .shared_strings(true)
//!     // Where the files go (default: OUT_DIR).
//!     .out_dir("src/generated")
//!     .compile(&["idl/hello.thrift"], &["idl"])?;
//! # Ok(())
//! # }
//! ```
//!
//! A path names IDL items by the module `include_idl!` takes and their IDL names; without
//! the leading `.` it matches the end of an item's path ([`Builder::type_attribute`]).
//!
//! # What is generated
//!
//! | IDL | Rust |
//! |---|---|
//! | `bool`, `i8`/`byte`, `i16`, `i32`, `i64`, `double` | `bool`, `i8`, `i16`, `i32`, `i64`, `f64` (`OrderedF64` as a set element or map key) |
//! | `string`, `binary`, `uuid` | `String` (`thrift_tower::ByteStr` with [`Builder::shared_strings`]), `Bytes` (shared with the received buffer), `thrift_tower::Uuid` |
//! | `list<T>`, `set<T>`, `map<K, V>` | `Vec<T>`, `BTreeSet<T>`, `BTreeMap<K, V>` (deterministic order on the wire) |
//! | `struct`, `exception` | a struct deriving `Debug, Clone, PartialEq` (and `Eq, Hash, Ord, Default` where they hold); exceptions also implement `std::error::Error` |
//! | `union` | an enum with one variant per field |
//! | `enum` | an `i32` newtype with an associated constant per value, which keeps values the IDL does not name |
//! | `typedef`, `const` | `type` aliases; `const` items (`LazyLock` statics for containers and structs) |
//! | `required` / `optional` / neither | `T`, checked on decode / `Option<T>` / `T`, always written, its default when absent |
//! | `service Foo` | a `Foo` handler trait of `async` methods, `FooServer<H>` (a `tower::Service`), `FooClient<S>` (over any `tower::Service`), and a `FooError`-style error enum per method holding the declared exceptions and `Other`, which `?` fills from a `std::io::Error`, a `Box<dyn Error + Send + Sync>` or an `anyhow::Error` (thrift-tower's `anyhow` feature) |
//!
//! Names follow Rust's conventions (`testString` becomes `test_string`); the wire keeps the
//! IDL's names. A field whose type contains its own struct without a container between is
//! boxed (and optional: no finite value could fill it).
//!
//! # Errors and warnings
//!
//! Invalid IDL is reported as rustc reports code: the file, line and column, the line, a
//! caret under the place, and what was expected ([`Diagnostic`]). Malformed IDL never
//! panics. A build script's `main` that returns the [`Error`] through `?` prints the same.
//!
//! Where Apache's compiler warns, so does this one, in the same form: a field or argument
//! without an id (it gets an implicit negative id, which changes as fields are added), a
//! field id that is not positive (ignored, as Apache ignores it), `optional` in an argument
//! list (ignored: arguments are always sent), the old type name `byte`, and `list<i8>`
//! where `binary` would do. From a build script they are `cargo:warning` lines, which cargo
//! shows with the crate's name; the binary prints them on stderr.
//! [`Builder::warnings`]`(false)` silences them, as Apache's `-nowarn` does.
//!
//! # Layout
//!
//! The public API is what a build script needs: [`configure`] and its [`Builder`],
//! [`compile`], the [`GeneratedFile`]s of [`Builder::generate`], and the [`Error`] with its
//! [`Diagnostic`]. The `thrift-codegen` binary uses nothing else.
//!
//! Inside, private modules, one step each: `parser` turns one file's text into its syntax
//! tree (`ast`); `resolve` loads the includes and binds every name, giving the `model` of
//! the whole program; `emit` writes Rust for each of its files, with Rust names from
//! `naming`; `build` ties the steps together behind the public API.

mod ast;
mod build;
mod diagnostic;
mod emit;
mod model;
mod naming;
mod parser;
mod resolve;

pub use crate::build::{Builder, Error, compile, configure};
pub use crate::diagnostic::Diagnostic;
pub use crate::emit::GeneratedFile;
