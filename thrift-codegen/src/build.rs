//! The build-script API: [`configure`] returns a [`Builder`]; [`Builder::compile`] writes one
//! `.rs` file per IDL module into `OUT_DIR`, for `thrift_tower::include_idl!`: the module's
//! items, then a child module per file it includes.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Diagnostic;
use crate::emit::{self, GeneratedFile};

/// Starts configuring code generation.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     thrift_codegen::configure().compile(&["idl/hello.thrift"], &["idl"])?;
///     Ok(())
/// }
/// ```
pub fn configure() -> Builder {
    Builder {
        out_dir: None,
        nest_includes: true,
        cargo_directives: true,
        warnings: true,
        build_server: true,
        build_client: true,
        shared_strings: false,
        type_attributes: Vec::new(),
        field_attributes: Vec::new(),
        extern_paths: Vec::new(),
    }
}

/// Generates code from `files` (searching includes in `include_dirs`) into `OUT_DIR`:
/// `configure().compile(files, include_dirs)`.
pub fn compile(files: &[impl AsRef<Path>], include_dirs: &[impl AsRef<Path>]) -> Result<(), Error> {
    configure().compile(files, include_dirs)
}

/// Code generation settings.
#[derive(Debug, Clone)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    nest_includes: bool,
    cargo_directives: bool,
    warnings: bool,
    build_server: bool,
    build_client: bool,
    shared_strings: bool,
    type_attributes: Vec<(String, String)>,
    field_attributes: Vec<(String, String)>,
    extern_paths: Vec<(String, String)>,
}

impl Builder {
    /// Where to write the files (default: the `OUT_DIR` Cargo gives build scripts). A
    /// relative path is taken from the current folder, which for a build script is the
    /// crate's: `out_dir("src/generated")` goes with
    /// `thrift_tower::include_idl!("hello", "src/generated")`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Whether each file holds, after its own items, the files its IDL includes (directly
    /// or through others) as child modules: `hello.rs` defines `shared::SharedStruct` when
    /// `hello.thrift` includes `shared.thrift`. On by default: it is what `include_idl!`
    /// expects, one include bringing an IDL file with everything it needs.
    ///
    /// Off, each file holds its own items only and names an included file's items as a
    /// sibling module's (`super::shared::SharedStruct`): for checking code in as one file
    /// per IDL module, declared side by side (`mod hello; mod shared;`), with no file's
    /// items twice.
    pub fn nest_includes(mut self, nest: bool) -> Self {
        self.nest_includes = nest;
        self
    }

    /// Whether to print `cargo:rerun-if-changed` for every IDL file read, and IDL warnings
    /// as `cargo:warning` (default: on, for build scripts). Off, [`compile`](Self::compile)
    /// prints the warnings on stderr.
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.cargo_directives = on;
        self
    }

    /// Whether [`compile`](Self::compile) reports IDL warnings (default: on): a field
    /// without an id, a field id that is not positive, `optional` on an argument, the old
    /// type name `byte`, `list<i8>` where `binary` would do. Off is Apache's `-nowarn`,
    /// for IDL you cannot change. [`generate`](Self::generate) returns them either way, in
    /// [`GeneratedFile::warnings`].
    pub fn warnings(mut self, on: bool) -> Self {
        self.warnings = on;
        self
    }

    /// Whether to generate each service's handler trait and server (default: on). Off for
    /// a crate that only calls the service.
    pub fn build_server(mut self, on: bool) -> Self {
        self.build_server = on;
        self
    }

    /// Whether to generate each service's client (default: on). Off for a crate that only
    /// serves it. Types, argument and result types and error enums are generated either
    /// way.
    pub fn build_client(mut self, on: bool) -> Self {
        self.build_client = on;
        self
    }

    /// Whether IDL `string`s become [`thrift_tower::ByteStr`] instead of `String`
    /// (default: off).
    ///
    /// A `ByteStr` read from a binary or compact message is, up to 30 bytes, copied inline,
    /// and longer, a slice of the buffer the message came in: decoding a string costs no
    /// allocation either way, where a `String` costs one and a copy. A constant or default
    /// is a `&'static str` and allocates nothing. That is most of the decoding cost of
    /// messages with many strings. The price: a long string that outlives its message
    /// keeps the whole message's buffer alive (copy it with `String::from(&*s)` to let the
    /// buffer go), and the types take
    /// `ByteStr`, which is made from a `String` or a `&'static str` with `.into()`, where
    /// they took `String`. The wire format is the same either way.
    ///
    /// [`thrift_tower::ByteStr`]: https://docs.rs/thrift-tower/latest/thrift_tower/struct.ByteStr.html
    pub fn shared_strings(mut self, on: bool) -> Self {
        self.shared_strings = on;
        self
    }

    /// Adds `attribute` (one or more, like `#[derive(serde::Serialize)]`) to the types at
    /// `path`: structs, unions, exceptions and enums, after the derives thrift-codegen
    /// writes.
    ///
    /// A path names IDL items as `.module.Type`, where `module` is the name `include_idl!`
    /// takes (the file's `namespace rs`, else its name in `snake_case`) and `Type` is the
    /// IDL's name. `.` is every type, `.module` every type of the module; a path without
    /// the leading dot matches the end of a type's path (`Point` is every type named so).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// thrift_codegen::configure()
    ///     .type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")
    ///     .type_attribute(".geo.Point", "#[serde(rename_all = \"camelCase\")]")
    ///     .field_attribute(".geo.Point.label", "#[serde(default)]")
    ///     .compile(&["idl/geo.thrift"], &["idl"])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn type_attribute(mut self, path: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.type_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds `attribute` to the fields at `path` (`.module.Type.field`, with the IDL's
    /// names; matched as in [`type_attribute`](Self::type_attribute), so `.module.Type`
    /// is every field of the type): struct and exception fields, and union variants.
    pub fn field_attribute(
        mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Self {
        self.field_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Uses definitions that another crate generated instead of generating them again:
    /// `.module` for every definition of an IDL module (its `include_idl!` name) under the
    /// Rust module `rust_path`, or `.module.Name` for one definition at `rust_path`. The
    /// other crate must have generated them from the same IDL. A module taken from
    /// elsewhere is not nested in the files that include it.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `shared.thrift` is compiled by the `common` crate, into `common::shared`.
    /// thrift_codegen::configure()
    ///     .extern_path(".shared", "::common::shared")
    ///     .compile(&["idl/hello.thrift"], &["idl"])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn extern_path(
        mut self,
        idl_path: impl Into<String>,
        rust_path: impl Into<String>,
    ) -> Self {
        self.extern_paths.push((idl_path.into(), rust_path.into()));
        self
    }

    /// The options as the emitter takes them, or why one is invalid.
    fn options(&self) -> Result<emit::Options, Error> {
        let path = |p: &str| {
            emit::IdlPath::parse(p).map_err(|e| Error::Config(format!("invalid path: {e}")))
        };
        let attributes = |list: &[(String, String)]| {
            list.iter()
                .map(|(p, a)| Ok((path(p)?, emit::parse_attributes(a).map_err(Error::Config)?)))
                .collect::<Result<Vec<_>, Error>>()
        };
        let mut extern_paths = Vec::new();
        for (idl, rust) in &self.extern_paths {
            let idl_path = path(idl)?;
            if !idl_path.extern_form() {
                return Err(Error::Config(format!(
                    "extern_path takes `.module` or `.module.Name`, not `{idl}`"
                )));
            }
            let rust_path = emit::RustPath::parse(rust)
                .map_err(|e| Error::Config(format!("extern_path: {e}")))?;
            extern_paths.push((idl_path, rust_path));
        }
        Ok(emit::Options {
            server: self.build_server,
            client: self.build_client,
            shared_strings: self.shared_strings,
            type_attributes: attributes(&self.type_attributes)?,
            field_attributes: attributes(&self.field_attributes)?,
            extern_paths,
        })
    }

    /// Generates the code of `files` and of everything they include, without writing it: one
    /// [`GeneratedFile`] per IDL file, included files before the files that include them.
    pub fn generate(
        &self,
        files: &[impl AsRef<Path>],
        include_dirs: &[impl AsRef<Path>],
    ) -> Result<Vec<GeneratedFile>, Error> {
        let roots: Vec<PathBuf> = files.iter().map(|f| f.as_ref().to_path_buf()).collect();
        let dirs: Vec<PathBuf> = include_dirs
            .iter()
            .map(|d| d.as_ref().to_path_buf())
            .collect();
        let (program, _) = crate::resolve::load(&roots, &dirs).map_err(Error::Idl)?;
        if self.cargo_directives {
            for file in &program.files {
                println!("cargo:rerun-if-changed={}", file.path.display());
            }
        }
        // Each file becomes `<module>.rs`: two files with one module name would overwrite
        // each other, leaving code that names items of the one that lost.
        let mut modules: std::collections::HashMap<String, usize> = Default::default();
        for file in 0..program.files.len() {
            let module = emit::module_name(&program, file);
            if let Some(&first) = modules.get(&module) {
                return Err(Error::Emit {
                    file: program.files[file].path.clone(),
                    message: format!(
                        "this file and {} would both be the Rust module `{module}`; give one \
                         of them a `namespace rs <name>` to tell them apart",
                        program.files[first].path.display()
                    ),
                });
            }
            modules.insert(module, file);
        }
        let options = self.options()?;
        let emit = |file: usize, includes_inside: bool| {
            emit::emit_file(&program, file, includes_inside, &options).map_err(|e| Error::Emit {
                file: program.files[file].path.clone(),
                message: e.message,
            })
        };
        let alone = (0..program.files.len())
            .map(|file| emit(file, false))
            .collect::<Result<Vec<_>, _>>()?;
        if !self.nest_includes {
            return Ok(alone);
        }
        let mut out = Vec::new();
        for (file, generated) in alone.iter().enumerate() {
            let mut includes = program.all_includes(file);
            includes.retain(|&i| !options.module_is_extern(&alone[i].module));
            if includes.is_empty() {
                out.push(generated.clone());
                continue;
            }
            let mut root = emit(file, true)?;
            let children: Vec<(&GeneratedFile, String)> = includes
                .iter()
                .map(|&i| (&alone[i], file_name(&program.files[i].path)))
                .collect();
            root.code = nest(&root.code, &children, &file_name(&program.files[file].path));
            out.push(root);
        }
        Ok(out)
    }

    /// Generates and writes `<module>.rs` for `files` and everything they include.
    pub fn compile(
        self,
        files: &[impl AsRef<Path>],
        include_dirs: &[impl AsRef<Path>],
    ) -> Result<(), Error> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::Io(std::io::Error::other(
                        "OUT_DIR is not set: call compile from a build script, or set out_dir",
                    ))
                })?,
        };
        let generated = self.generate(files, include_dirs)?;
        if self.warnings {
            for warning in generated.iter().flat_map(|g| &g.warnings) {
                self.report(warning);
            }
        }
        std::fs::create_dir_all(&out_dir).map_err(Error::Io)?;
        for g in generated {
            let path = out_dir.join(format!("{}.rs", g.module));
            // Leave an unchanged file alone so Cargo does not rebuild for nothing.
            if std::fs::read_to_string(&path).ok().as_deref() != Some(g.code.as_str()) {
                std::fs::write(&path, &g.code).map_err(Error::Io)?;
            }
        }
        Ok(())
    }
}

impl Builder {
    /// Shows `warning` to the user: to cargo, which shows it with the crate's name, from a
    /// build script; on stderr otherwise.
    fn report(&self, warning: &Diagnostic) {
        let text = warning.to_string();
        if self.cargo_directives {
            // Cargo puts `warning: <crate>: ` before each line.
            let text = text.strip_prefix("warning: ").unwrap_or(&text);
            for line in text.lines() {
                println!("cargo:warning={line}");
            }
        } else {
            eprintln!("{text}\n");
        }
    }
}

/// The file name of `path`, for comments.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `code` (the items of `root`), then each of `children` (the included files' code and file
/// names) as a child module, so that `include!` of the result brings everything it names.
fn nest(code: &str, children: &[(&GeneratedFile, String)], root: &str) -> String {
    let mut out = code.trim_end().to_string();
    out.push('\n');
    for (child, name) in children {
        let body = match child.code.split_once("\n\n") {
            Some((header, body)) if header.starts_with("//") => body,
            _ => &child.code,
        };
        out.push_str(&format!(
            "\n/// Generated from `{name}`, which `{root}` includes.\npub mod {} {{\n",
            child.module
        ));
        for line in body.lines() {
            if !line.is_empty() {
                out.push_str("    ");
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("}\n");
    }
    out
}

/// Why code generation failed.
///
/// Its `Debug` output is its `Display` output (less the leading `error: `), so that a build
/// script whose `main` returns this error through `?` shows the file, line and caret, not a
/// struct: Rust prints an error returned from `main` as `Error: {:?}`.
#[non_exhaustive]
pub enum Error {
    /// The IDL is invalid: the diagnostic shows where and why.
    Idl(Diagnostic),
    /// The IDL is valid but Rust cannot express something in it.
    Emit {
        /// The IDL file.
        file: PathBuf,
        /// What cannot be generated, and why.
        message: String,
    },
    /// Writing the output failed.
    Io(std::io::Error),
    /// An option of the [`Builder`] is invalid: a path or an attribute that does not parse.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Idl(d) => fmt::Display::fmt(d, f),
            Error::Emit { file, message } => {
                write!(f, "error: {message}\n  --> {}", file.display())
            }
            Error::Io(e) => write!(f, "error: {e}"),
            Error::Config(message) => write!(f, "error: {message}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.to_string();
        f.write_str(shown.strip_prefix("error: ").unwrap_or(&shown))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Idl(d) => Some(d),
            Error::Emit { .. } | Error::Config(_) => None,
            Error::Io(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_what_display_shows() {
        let dir = std::env::temp_dir().join(format!("thrift-codegen-debug-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.thrift");
        std::fs::write(&path, "struct A {\n  1: strin x\n}\n").unwrap();
        let error = configure()
            .cargo_directives(false)
            .generate(&[&path], &[&dir])
            .unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        let display = error.to_string();
        assert!(
            display.starts_with("error: unknown type `strin`"),
            "{display}"
        );
        assert_eq!(format!("{error:?}"), display["error: ".len()..]);
    }

    /// The golden service IDL, generated with `builder`.
    fn generate_service(builder: Builder) -> Result<String, Error> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let files = builder
            .cargo_directives(false)
            .generate(&[dir.join("service.thrift")], &[&dir])?;
        Ok(files.into_iter().map(|f| f.code).collect())
    }

    #[test]
    fn a_server_without_a_client_and_a_client_without_a_server() {
        let server = generate_service(configure().build_client(false)).unwrap();
        assert!(server.contains("pub struct StoreServer<H>"), "{server}");
        assert!(server.contains("pub trait Store:"), "{server}");
        assert!(!server.contains("StoreClient"), "{server}");
        let client = generate_service(configure().build_server(false)).unwrap();
        assert!(client.contains("pub struct StoreClient<S>"), "{client}");
        assert!(!client.contains("StoreServer") && !client.contains("pub trait Store"));
        // What both need stays.
        for code in [&server, &client] {
            assert!(code.contains("pub enum GetError") && code.contains("pub mod store_messages"));
        }
    }

    #[test]
    fn invalid_options_are_errors() {
        let error = |b: Builder| generate_service(b).unwrap_err().to_string();
        assert_eq!(
            error(configure().type_attribute(".", "derive(Hash)")),
            "error: `derive(Hash)` is not an attribute like `#[derive(Hash)]`"
        );
        assert_eq!(
            error(configure().field_attribute("", "#[serde(default)]")),
            "error: invalid path: an empty path (write `.` for every item)"
        );
        assert_eq!(
            error(configure().extern_path(".service.Store.get", "crate::Get")),
            "error: extern_path takes `.module` or `.module.Name`, not `.service.Store.get`"
        );
        assert!(
            error(configure().extern_path(".service", "not a path"))
                .starts_with("error: extern_path: `not a path` is not a Rust path"),
        );
    }

    #[test]
    fn extern_path_of_one_definition_or_of_a_module() {
        let one =
            generate_service(configure().extern_path(".service.NotFound", "::errors::Missing"))
                .unwrap();
        assert!(!one.contains("pub struct NotFound"), "{one}");
        assert!(one.contains("Missing(::errors::Missing)"), "{one}");
        // A service from elsewhere: its trait, messages and errors are the other crate's.
        let dir =
            std::env::temp_dir().join(format!("thrift-codegen-extern-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        std::fs::copy(golden.join("service.thrift"), dir.join("service.thrift")).unwrap();
        let child = dir.join("child.thrift");
        std::fs::write(
            &child,
            "include \"service.thrift\"\nservice Child extends service.Store {}\n",
        )
        .unwrap();
        let files = configure()
            .cargo_directives(false)
            .extern_path(".service", "::store_api")
            .generate(&[&child], &[&dir])
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let code = &files.iter().find(|f| f.module == "child").unwrap().code;
        assert!(
            code.contains("pub trait Child: ::store_api::Store"),
            "{code}"
        );
        assert!(
            code.contains("::store_api::store_messages::GetArgs"),
            "{code}"
        );
        assert!(code.contains("::store_api::GetError::Missing"), "{code}");
        assert!(!code.contains("pub mod service"), "not nested: {code}");
    }

    #[test]
    fn two_files_with_one_module_name_are_an_error_until_a_namespace_parts_them() {
        let dir =
            std::env::temp_dir().join(format!("thrift-codegen-modules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        };
        write("a/common.thrift", "struct A { 1: i32 x }\n");
        write("b/common.thrift", "struct B { 1: string y }\n");
        let one = write(
            "one.thrift",
            "include \"a/common.thrift\"\nstruct UA { 1: common.A a }\n",
        );
        let two = write(
            "two.thrift",
            "include \"b/common.thrift\"\nstruct UB { 1: common.B b }\n",
        );
        let builder = configure().cargo_directives(false);
        let error = builder
            .generate(&[&one, &two], &[&dir])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("would both be the Rust module `common`")
                && error.contains("namespace rs")
                && error.contains("common.thrift"),
            "{error}"
        );

        write(
            "b/common.thrift",
            "namespace rs b_common\nstruct B { 1: string y }\n",
        );
        let generated = builder.generate(&[&one, &two], &[&dir]).unwrap();
        let modules: Vec<&str> = generated.iter().map(|g| g.module.as_str()).collect();
        assert!(
            modules.contains(&"common") && modules.contains(&"b_common"),
            "{modules:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
