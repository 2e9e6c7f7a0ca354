//! Generates `include/entra_provisioning.h` from the `ffi` module with a pinned cbindgen, and
//! links the cdylib with `-z nodelete` so PHP's `dlclose` at request end cannot unload it (which
//! would reset the per-process runtime and client statics under a live handle).

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    // cbindgen reads the whole crate (doc comments and types come from several modules).
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=ENTRA_HEADER_OUT");

    let crate_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // `make header-check` points this elsewhere to compare a fresh header with the committed one.
    let out = env::var_os("ENTRA_HEADER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("include").join("entra_provisioning.h"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(out);
        }
        // A syntax error in the crate is reported by rustc itself with a far better message.
        Err(err) => println!("cargo:warning=cbindgen did not generate the header: {err}"),
    }
}
