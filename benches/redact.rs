//! The leak detector on a 10 MB tool output: clean build-log-like text (the common case: the
//! prefilter finds no anchor for most patterns), the same with a few secrets sprinkled in, and
//! the full tool-result path (redact → compress → neutralise → envelope is measured in
//! `envelope` on the capped output only).

use divan::{Bencher, black_box};
use pincer::redact::redact;

fn main() {
    divan::main();
}

const SIZE: usize = 10 * 1024 * 1024;

/// Compiler- and test-log-like lines, with paths, hashes and key-ish words.
fn clean_output() -> String {
    let lines = [
        "   Compiling serde_json v1.0.140 (/home/user/.cargo/registry/src/index.crates.io/serde_json-1.0.140)\n",
        "test tools::compress::tests::keeps_head_and_tail ... ok\n",
        "warning: unused variable: `primary_key` --> src/store/items.rs:42:9\n",
        "commit 3f2a9c1e7b2d84f06a5c3e1b9d7f2a4c8e6b0d13 Author: A Dev <a@example.com>\n",
        "  let token_count = tokenizer.count(&text); // max_tokens = 4096\n",
        "GET https://docs.rs/regex/latest/regex/struct.Regex.html 200 OK 12.3 ms\n",
        "drwxr-xr-x  5 user user  4096 Nov 30 06:26 target/debug/build/ring-5d7c1a0e9f\n",
    ];
    let mut out = String::with_capacity(SIZE + 200);
    let mut i = 0;
    while out.len() < SIZE {
        out.push_str(lines[i % lines.len()]);
        i += 1;
    }
    out
}

fn with_secrets() -> String {
    let mut text = clean_output();
    for (i, secret) in [
        "OPENAI_API_KEY=sk-proj-Z9y8X7w6V5u4T3s2R1q0PpOoNnMm\n",
        "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n",
        "postgres://admin:Pa55w0rdXyz@db.internal:5432/app\n",
        "c2stYW50LWFwaTAzLUVuQ29EZWRrRXkwMTIzNDU2Nzg5YWJjZGVm\n",
    ]
    .iter()
    .enumerate()
    {
        let at = (i + 1) * SIZE / 5;
        let at = text[..at].rfind('\n').map(|n| n + 1).unwrap_or(0);
        text.insert_str(at, secret);
    }
    text
}

#[divan::bench(sample_count = 10)]
fn clean_10mb(bencher: Bencher) {
    let text = clean_output();
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| black_box(redact(black_box(&text))));
}

#[divan::bench(sample_count = 10)]
fn four_secrets_10mb(bencher: Bencher) {
    let text = with_secrets();
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| black_box(redact(black_box(&text))));
}
