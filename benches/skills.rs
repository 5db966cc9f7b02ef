//! Skills: `catalog_scan_200` builds the catalog from 200 skill folders (parse, gate, shadow);
//! `prompt_section_200` renders the prompt's catalog. Before the divan runs, `main` measures
//! save → catalog updated through the real watcher 40 times (write SKILL.md by rename, wait for
//! the watcher's wake-up, rescan) and prints the median and p95.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::black_box;
use pincer::skills::{Catalog, SkillRoots, SkillWatcher};

struct Fixture {
    _dir: tempfile::TempDir,
    roots: SkillRoots,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("user");
    let installed = dir.path().join("installed");
    for i in 0..200 {
        write(&user, &format!("skill-{i:03}"), &format!("body {i}"));
    }
    std::fs::create_dir_all(&installed).unwrap();
    let roots = SkillRoots {
        project: None,
        include_claude: false,
        user_dir: user,
        user_agents_dir: None,
        installed_dir: installed,
        bundled: true,
    };
    Fixture { _dir: dir, roots }
});

fn write(root: &Path, name: &str, body: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let text = format!(
        "---\nname: {name}\ndescription: Does task {name} when the user asks for it; covers the usual cases.\nlicense: MIT\nmetadata:\n  requires:\n    bins: [sh]\n---\n# {name}\n\n{body}\n\n1. Read the files.\n2. Do the thing.\n3. Report.\n"
    );
    let tmp = d.join(".SKILL.md.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, d.join("SKILL.md")).unwrap();
    d
}

fn scan(roots: &SkillRoots) -> Catalog {
    Catalog::scan(roots, &|_| None, &|_| true)
}

fn save_to_update() {
    let roots = &FIXTURE.roots;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = SkillWatcher::start(roots.watch_paths(), tx).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    let mut samples = Vec::new();
    for i in 0..40 {
        let started = Instant::now();
        write(&roots.user_dir, "skill-007", &format!("edit {i}"));
        // Wait for the watcher, then rescan, as the runtime does.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if rx.try_recv().is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "no wake-up");
            std::thread::sleep(Duration::from_micros(200));
        }
        let catalog = scan(roots);
        assert!(catalog.get("skill-007").is_some());
        samples.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(150));
        while rx.try_recv().is_ok() {}
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let p95 = samples[samples.len() * 95 / 100];
    println!(
        "save → catalog updated (200 skills, {} runs): median {:.1} ms, p95 {:.1} ms",
        samples.len(),
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
}

fn main() {
    LazyLock::force(&FIXTURE);
    save_to_update();
    divan::main();
}

#[divan::bench(sample_count = 30)]
fn catalog_scan_200() {
    let catalog = scan(&FIXTURE.roots);
    assert!(catalog.entries().len() >= 200);
    black_box(catalog);
}

#[divan::bench(sample_count = 50)]
fn prompt_section_200(bencher: divan::Bencher) {
    let catalog = scan(&FIXTURE.roots);
    bencher.bench_local(|| black_box(catalog.prompt_section(2_000)));
}
