//! Declarative tasks: intake + assembly of a generated 200-resource `.cw` file (target
//! ≤ 50 ms together), and validation of a 100-artifact bundle.

use std::fmt::Write as _;
use std::path::Path;

use divan::{Bencher, black_box};
use pincer::task::bundle::{Artifact, Bundle, Step};
use pincer::task::diag::Source;
use pincer::task::ir::from_source;
use pincer::task::state::State;
use pincer::task::{Facts, plan, validate};

fn main() {
    divan::main();
}

/// 200 resources in chains of four (directory → file → command → http_check) plus variables.
fn generated_task() -> String {
    let mut s = String::from("task \"big\" {}\nvariable \"port\" { default = 8000 }\n");
    for i in 0..50 {
        let _ = write!(
            s,
            "directory \"d{i}\" {{ path = \"data/d{i}\" }}\n\
             file \"f{i}\" {{\n  path = \"${{directory.d{i}.path}}/index.html\"\n  content = \"page {i}\"\n}}\n\
             command \"c{i}\" {{\n  run = \"echo built ${{file.f{i}.path}}\"\n  depends_on = [file.f{i}]\n}}\n\
             http_check \"h{i}\" {{\n  url = \"http://127.0.0.1:${{var.port}}/{i}\"\n  depends_on = [command.c{i}]\n}}\n"
        );
    }
    s
}

#[divan::bench]
fn intake_and_assembly_200_resources(bencher: Bencher) {
    let source = Source::new(Path::new("big.cw"), generated_task());
    let state = State::default();
    bencher.bench_local(|| {
        let task = from_source(black_box(&source), None, &|_| None).ok();
        black_box(task.map(|t| plan::assemble(&t, &state)))
    });
}

#[divan::bench]
fn validate_100_artifact_bundle(bencher: Bencher) {
    let source = Source::new(Path::new("big.cw"), generated_task());
    let Ok(task) = from_source(&source, None, &|_| None) else {
        return;
    };
    let p = plan::assemble(&task, &State::default());
    let mut bundle = Bundle::default();
    for (i, a) in p.actions.iter().enumerate() {
        if i < 100 {
            bundle.files.push(Artifact {
                path: format!("{i:03}.sh"),
                mode: "0755".into(),
                purpose: a.purpose(),
                language: "sh".into(),
                content: format!("#!/bin/sh\nset -eu\nmkdir -p data/{i}\necho step {i}\n")
                    .repeat(4),
            });
        }
        bundle.steps.push(Step {
            purpose: a.purpose(),
            command: format!("sh .pincer/tasks/big/build/{:03}.sh", i % 100),
            timeout_secs: None,
            network: false,
            detach: false,
        });
    }
    let dir = std::env::temp_dir();
    let facts = Facts::all("linux");
    bencher.bench_local(|| black_box(validate::validate(&bundle, &p, "big", &dir, &facts)));
}
