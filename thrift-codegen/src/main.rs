//! `thrift-codegen -o OUT_DIR [-I DIR]... FILE.thrift...`: writes one formatted `.rs` file
//! per IDL module into OUT_DIR, for projects that check generated code in.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: thrift-codegen -o OUT_DIR [-I DIR]... FILE.thrift...

Generates Rust for each IDL file and every file it includes, one OUT_DIR/<module>.rs each.
  -o, --out DIR       where to write the files (created if missing)
  -I, --include DIR   where to look for included files, after the including file's folder
      --nest-includes put the files each file includes inside it (as build.rs output is)
  -h, --help          this text";

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut includes = Vec::new();
    let mut files = Vec::new();
    let mut wrap = false;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        let mut value = |flag: &str| match args.next() {
            Some(v) => Ok(PathBuf::from(v)),
            None => Err(format!("{flag} needs a value")),
        };
        let result = match text.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "-o" | "--out" => value(&text).map(|v| out = Some(v)),
            "-I" | "--include" => value(&text).map(|v| includes.push(v)),
            "--nest-includes" => {
                wrap = true;
                Ok(())
            }
            s if s.starts_with("-I") && s.len() > 2 => {
                includes.push(PathBuf::from(&s[2..]));
                Ok(())
            }
            s if s.starts_with('-') => Err(format!("unknown option `{s}`")),
            _ => {
                files.push(PathBuf::from(arg));
                Ok(())
            }
        };
        if let Err(message) = result {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("error: -o OUT_DIR is required\n\n{USAGE}");
        return ExitCode::from(2);
    };
    if files.is_empty() {
        eprintln!("error: no IDL file given\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let builder = thrift_codegen::configure()
        .out_dir(&out)
        .nest_includes(wrap)
        .cargo_directives(false);
    match builder.compile(&files, &includes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
