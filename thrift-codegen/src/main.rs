//! `thrift-codegen -o OUT_DIR [-I DIR]... FILE.thrift...`: writes one formatted `.rs` file
//! per IDL module into OUT_DIR, for projects that check generated code in. The command line
//! is clap's (`--help`, `--version`, its error messages); each flag is a builder option.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Generates Rust for each IDL file and every file it includes: OUT_DIR/<module>.rs each,
/// where <module> is the file's `namespace rs`, else its name in snake_case. Warnings go to
/// stderr.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where to write the files (created if missing).
    #[arg(short, long = "out", value_name = "DIR")]
    out: PathBuf,

    /// Where to look for included files, after the including file's folder (repeatable;
    /// `-Iidl` works too).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    include: Vec<PathBuf>,

    /// Put the files each file includes inside it, as child modules (what build.rs output
    /// and `include_idl!` use). Without it, each file names the files it includes as
    /// sibling modules (`super::shared`), to be declared side by side.
    #[arg(long)]
    nest_includes: bool,

    /// Generate no client (only the handler traits and servers).
    #[arg(long, conflicts_with = "no_server")]
    no_client: bool,

    /// Generate no handler trait or server (only the clients).
    #[arg(long)]
    no_server: bool,

    /// Make IDL `string`s `thrift_tower::ByteStr` (inline when short, else sharing the
    /// received message's buffer) instead of `String`.
    #[arg(long)]
    shared_strings: bool,

    /// Add ATTR to the types at PATH (`.module.Type`, `.` for all), as
    /// `PATH=ATTR`, e.g. `.=#[derive(serde::Serialize)]` (repeatable).
    #[arg(long, value_name = "PATH=ATTR", value_parser = pair)]
    type_attribute: Vec<(String, String)>,

    /// Add ATTR to the fields at PATH (`.module.Type.field`), as `PATH=ATTR` (repeatable).
    #[arg(long, value_name = "PATH=ATTR", value_parser = pair)]
    field_attribute: Vec<(String, String)>,

    /// Use the definitions of IDL_PATH (`.module` or `.module.Name`) at RUST_PATH instead
    /// of generating them, as `IDL_PATH=RUST_PATH` (repeatable).
    #[arg(long, value_name = "IDL_PATH=RUST_PATH", value_parser = pair)]
    extern_path: Vec<(String, String)>,

    /// Print no warnings about the IDL (Apache's `-nowarn`).
    #[arg(long)]
    no_warnings: bool,

    /// The IDL files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// `PATH=VALUE`, split at the first `=` (a path has none; an attribute may).
fn pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((path, value)) if !path.is_empty() && !value.is_empty() => {
            Ok((path.to_string(), value.to_string()))
        }
        _ => Err(format!("expected PATH=VALUE, found `{text}`")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = thrift_codegen::configure()
        .out_dir(&args.out)
        .nest_includes(args.nest_includes)
        .build_client(!args.no_client)
        .build_server(!args.no_server)
        .warnings(!args.no_warnings)
        .shared_strings(args.shared_strings)
        .cargo_directives(false);
    for (path, attribute) in args.type_attribute {
        builder = builder.type_attribute(path, attribute);
    }
    for (path, attribute) in args.field_attribute {
        builder = builder.field_attribute(path, attribute);
    }
    for (idl, rust) in args.extern_path {
        builder = builder.extern_path(idl, rust);
    }
    match builder.compile(&args.files, &args.include) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
