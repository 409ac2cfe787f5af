//! Generates `include/smtpc.h` with cbindgen.
//!
//! The header is written to OUT_DIR first and copied to `include/` only when its
//! text changed, so a clean tree stays clean and `cargo publish` stays happy. The
//! version macros come from Cargo.toml, never from hand-written numbers.

use std::env;
use std::fs;
use std::path::PathBuf;

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
    let version_macros = format!(
        "\n/* Version of the header, generated from Cargo.toml. Compare with smtpc_version_number()\n   at run time to detect a header/library mismatch. */\n\
         #define SMTPC_VERSION_MAJOR {major}\n\
         #define SMTPC_VERSION_MINOR {minor}\n\
         #define SMTPC_VERSION_PATCH {patch}\n\
         #define SMTPC_VERSION_NUMBER {number}\n\
         #define SMTPC_VERSION_STRING \"{major}.{minor}.{patch}\"\n",
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
    let new_text = fs::read(&generated).expect("read generated header");
    if fs::read(&target).ok().as_deref() != Some(new_text.as_slice()) {
        fs::create_dir_all(target.parent().unwrap()).expect("create include/");
        fs::write(&target, new_text).expect("write include/smtpc.h");
    }
}
