//! Links pincer's binaries with packed relative relocations (`-z pack-relative-relocs`, DT_RELR)
//! when this machine's linker and C library support them.
//!
//! A position-independent Rust binary carries one 24-byte relocation per pointer in its data
//! (about 29,000 in pincer); DT_RELR stores them as a bitmap instead. That takes about 0.7 MB
//! off the binary and off what the loader reads at every start. It needs binutils 2.38 or
//! lld 15, and glibc 2.36 to run. So a tiny program is linked with the flag and run first; when
//! either step fails, the flag is left out and nothing else changes. `PINCER_NO_RELR=1` skips it.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PINCER_NO_RELR");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if !native || !linux_gnu || env::var_os("PINCER_NO_RELR").is_some() {
        return;
    }
    let Some(out) = env::var_os("OUT_DIR") else {
        return;
    };
    if relr_links_and_runs(Path::new(&out)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether a C program linked with `-z pack-relative-relocs` (warnings fatal: GNU ld only warns
/// about options it does not know) links and runs here.
fn relr_links_and_runs(out: &Path) -> bool {
    let source = out.join("relr_probe.c");
    let program = out.join("relr_probe");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let linker = env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    let linked = Command::new(linker)
        .arg("-fPIE")
        .arg("-pie")
        .arg("-Wl,-z,pack-relative-relocs")
        .arg("-Wl,--fatal-warnings")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .output()
        .is_ok_and(|o| o.status.success());
    linked && Command::new(&program).status().is_ok_and(|s| s.success())
}
