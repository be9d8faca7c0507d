//! Parses and checks the embedded rule packs at build time and writes them in a compact binary
//! form (postcard) to `OUT_DIR/packs.postcard`, so that a process starting up (one per hook call)
//! decodes them instead of parsing TOML. The model and the checks are the runtime's own source
//! files, so a pack that a user could not load fails the build, naming the pack.

use std::path::Path;

#[allow(dead_code)]
#[path = "src/paths.rs"]
mod paths;

#[allow(dead_code)]
#[path = "src/model.rs"]
mod model;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let packs_dir = Path::new(&manifest_dir).join("packs");
    println!("cargo:rerun-if-changed=src/model.rs");
    println!("cargo:rerun-if-changed=src/paths.rs");
    // A pack file added or removed changes the directory.
    println!("cargo:rerun-if-changed=packs");

    let mut files = Vec::new();
    for name in model::EMBEDDED_PACKS {
        let path = packs_dir.join(format!("{name}.toml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| fail(&format!("rule pack {}: {e}", path.display())));
        let file = model::PackFile::parse(&text, &format!("(embedded) {name}.toml"))
            .unwrap_or_else(|e| fail(&e.to_string()));
        files.push(file);
    }

    // A pack file not in the list would silently never load.
    let entries = std::fs::read_dir(&packs_dir)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", packs_dir.display())));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| fail(&e.to_string())).path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if path.extension().is_some_and(|e| e == "toml") && !model::EMBEDDED_PACKS.contains(&stem) {
            fail(&format!(
                "rule pack {}: not listed in EMBEDDED_PACKS (src/model.rs)",
                path.display()
            ));
        }
    }

    let bytes = postcard::to_allocvec(&files)
        .unwrap_or_else(|e| fail(&format!("encoding the embedded packs: {e}")));
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("packs.postcard");
    std::fs::write(&out, bytes).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
