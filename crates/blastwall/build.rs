//! Link the `blastwall` binary with packed relative relocations (DT_RELR) where the linker and
//! C library support them: a hook process is started for every agent action, and applying
//! tens of thousands of relocations one by one is a large part of its start-up.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" && linker_supports_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether `cc` links a program with `-z pack-relative-relocs` (GNU ld 2.38+, glibc 2.36+).
fn linker_supports_relr() -> bool {
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return false;
    };
    let dir = std::path::Path::new(&out_dir);
    let source = dir.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    std::process::Command::new("cc")
        .arg(&source)
        .arg("-o")
        .arg(dir.join("relr_probe"))
        .arg("-Wl,-z,pack-relative-relocs")
        .output()
        .is_ok_and(|o| o.status.success() && o.stderr.is_empty())
}
