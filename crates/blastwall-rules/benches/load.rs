//! Start-up cost of the rule packs: loading the embedded packs happens once per process, and the
//! hook door starts one process per agent tool call. `toml_packs` loads the same packs from their
//! TOML text, as user packs are loaded, for comparison.

use criterion::{Criterion, black_box, criterion_group, criterion_main};

fn load(c: &mut Criterion) {
    c.bench_function("embedded", |b| {
        b.iter(|| black_box(blastwall_rules::embedded().expect("embedded packs load")))
    });

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/packs");
    let mut packs: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("packs directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("pack readable");
            (p.display().to_string(), text)
        })
        .collect();
    packs.sort();
    c.bench_function("toml_packs", |b| {
        b.iter(|| {
            let mut set = blastwall_rules::RuleSet::default();
            for (origin, text) in &packs {
                set.add_pack(text, origin).expect("pack valid");
            }
            black_box(set)
        })
    });
}

criterion_group!(benches, load);
criterion_main!(benches);
