//! Generates `include/smtpc.h` with cbindgen.
//!
//! The header is written to OUT_DIR first and copied to `include/` only when its
//! text changed, so a clean tree stays clean and `cargo publish` stays happy. The
//! version macros come from Cargo.toml, never from hand-written numbers.

use std::env;
use std::fs;
use std::path::PathBuf;

/// Put after the includes: how the functions are declared. Every function is
/// `SMTPC_API <type> SMTPC_CALL name(...)` and every callback type
/// `(SMTPC_CALL *name)`, so that on 32-bit Windows a program compiled with another
/// default calling convention (/Gz, /Gr, /Gv) still calls the library, and is
/// called back by it, as C (`__cdecl`, what Rust's `extern "C"` is there).
const PORTABILITY_MACROS: &str = "
/* Types at the boundary: bool is C99's (<stdbool.h>), one byte and the same as
   C++'s bool with gcc, clang and MSVC; size_t is pointer-sized (8 bytes on 64-bit
   platforms); uint64_t and uint32_t are exact. The callbacks take and return them
   as declared. Handles are opaque and every enumeration is a uint32_t with
   #defined values, so no structure layout or enum size is part of the ABI. */

/* SMTPC_API goes before every function: __declspec(dllimport) when the program
   defines SMTPC_DLL on Windows (it links smtpc.dll through its import library;
   slightly faster calls), otherwise nothing (the static library, or any other
   platform). A program may define SMTPC_API itself. */
#ifndef SMTPC_API
#  if defined(_WIN32) && defined(SMTPC_DLL)
#    define SMTPC_API __declspec(dllimport)
#  else
#    define SMTPC_API
#  endif
#endif

/* The calling convention of the functions and callbacks: C's (__cdecl) on
   Windows, whatever the compiler's default; nothing elsewhere. */
#ifndef SMTPC_CALL
#  if defined(_WIN32)
#    define SMTPC_CALL __cdecl
#  else
#    define SMTPC_CALL
#  endif
#endif
";

/// Adds SMTPC_CALL to cbindgen's output (it can prefix a declaration, not name
/// a calling convention), and turns its `//` comments into C89 ones.
fn with_calling_convention(header: &str) -> String {
    const CALL: &str = "SMTPC_CALL ";
    let mut out = String::with_capacity(header.len() + 4096);
    let mut declaration = false;
    // Inside a declaration that cbindgen wrapped: its lines are aligned to the
    // opening parenthesis, which moved right by CALL.
    let mut wrapped = false;
    for line in header.lines() {
        let mut line = line.to_string();
        if wrapped {
            line.insert_str(0, &" ".repeat(CALL.len()));
            wrapped = !line.ends_with(';');
        } else if line == "SMTPC_API" {
            declaration = true;
        } else if declaration || line.starts_with("SMTPC_API ") {
            // The first "smtpc_...(" of a declaration is the function's name.
            let name = line
                .match_indices("smtpc_")
                .map(|(i, _)| i)
                .find(|&i| {
                    let rest = &line[i..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    rest[end..].starts_with('(')
                })
                .unwrap_or_else(|| panic!("no function name in: {line}"));
            line.insert_str(name, CALL);
            declaration = false;
            wrapped = !line.ends_with(';');
        } else if line.starts_with("typedef ") && line.contains("(*smtpc_") {
            line = line.replacen("(*smtpc_", &format!("({CALL}*smtpc_"), 1);
            wrapped = !line.ends_with(';');
        }
        if let Some(at) = line.find("  // ").or_else(|| line.find(" // ")) {
            let comment = line[at..]
                .trim_start()
                .trim_start_matches("// ")
                .to_string();
            line.truncate(at);
            line.push_str(&format!(" /* {comment} */"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR")
        .unwrap()
        .parse()
        .unwrap();
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR")
        .unwrap()
        .parse()
        .unwrap();
    let patch: u32 = env::var("CARGO_PKG_VERSION_PATCH")
        .unwrap()
        .parse()
        .unwrap();

    // SONAME of the shared library on Linux (the target's OS, not the host's). The
    // rule, from docs/install.md: an incompatible change bumps MAJOR, or MINOR while
    // MAJOR is 0, so 0.x releases are named libsmtpc.so.0.MINOR and 1.0 and later
    // libsmtpc.so.MAJOR. Only for `make install` (which sets SMTPC_SONAME=1 and
    // installs the library under this name with its links): a plain cargo build
    // has no SONAME, so programs linked with -Ltarget/release -lsmtpc find the
    // libsmtpc.so that cargo writes.
    println!("cargo:rerun-if-env-changed=SMTPC_SONAME");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("SMTPC_SONAME").as_deref() == Ok("1")
    {
        let soname = if major == 0 {
            format!("libsmtpc.so.0.{minor}")
        } else {
            format!("libsmtpc.so.{major}")
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }

    let version_macros = format!(
        "\n/* Version of the header, generated from Cargo.toml. Compare with smtpc_version_number()\n   at run time to detect a header/library mismatch. */\n\
         #define SMTPC_VERSION_MAJOR {major}\n\
         #define SMTPC_VERSION_MINOR {minor}\n\
         #define SMTPC_VERSION_PATCH {patch}\n\
         #define SMTPC_VERSION_NUMBER {number}\n\
         #define SMTPC_VERSION_STRING \"{major}.{minor}.{patch}\"\n{PORTABILITY_MACROS}",
        number = major * 1_000_000 + minor * 1_000 + patch
    );

    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    config.after_includes = Some(version_macros);

    let generated = out_dir.join("smtpc.h");
    // Only the ffi module is parsed: the header holds the C boundary and nothing else.
    let mut builder = cbindgen::Builder::new().with_config(config);
    let mut ffi_files: Vec<PathBuf> = fs::read_dir(crate_dir.join("src").join("ffi"))
        .expect("read src/ffi")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    ffi_files.sort();
    for file in ffi_files {
        builder = builder.with_src(file);
    }
    match builder.generate() {
        Ok(bindings) => {
            bindings.write_to_file(&generated);
        }
        Err(e) => panic!("cbindgen failed: {e}"),
    }

    let target = crate_dir.join("include").join("smtpc.h");
    let new_text = fs::read_to_string(&generated).expect("read generated header");
    let new_text = with_calling_convention(&new_text).into_bytes();
    if fs::read(&target).ok().as_deref() != Some(new_text.as_slice()) {
        fs::create_dir_all(target.parent().unwrap()).expect("create include/");
        fs::write(&target, new_text).expect("write include/smtpc.h");
    }
}
