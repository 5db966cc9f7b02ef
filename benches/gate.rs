//! The approval gate's hot path: `decide` against a realistic 200-rule set, and rule parsing.

use divan::{Bencher, black_box};
use pincer::policy::{CallFacts, CallSubject, Rule, RuleList, RuleSet, SubjectKind, decide};
use pincer::protocol::{ApprovalMode, RiskLevel};

fn main() {
    divan::main();
}

/// 200 rules: 20 deny, 30 ask, 150 allow over shell, path, url, `*` and MCP-style tools. The
/// last allow rule is `shell: just deploy-staging*`.
fn rule_texts() -> Vec<(RuleList, String)> {
    let mut out = Vec::with_capacity(200);
    let deny = [
        "shell: rm -rf /*",
        "shell: rm -rf ~*",
        "shell: sudo *",
        "shell: mkfs*",
        "shell: dd if=*",
        "shell: curl * | sh",
        "shell: chmod -R 777*",
        "shell: git push --force*",
        "read_file: **/.env",
        "read_file: **/*.pem",
        "read_file: /etc/shadow",
        "write_file: .git/**",
        "edit_file: .git/**",
        "write_file: /etc/**",
        "web_fetch: domain:evil.example",
        "web_fetch: domain:pastebin.com",
        "web_fetch: http://169.254.169.254/**",
        "*: /root/**",
        "shell: shutdown*",
        "shell: reboot*",
    ];
    out.extend(deny.iter().map(|t| (RuleList::Deny, t.to_string())));
    let ask = [
        "shell: git push*",
        "shell: git reset --hard*",
        "shell: npm publish*",
        "shell: cargo publish*",
        "shell: docker run*",
        "shell: kubectl apply*",
        "shell: kubectl delete*",
        "shell: terraform apply*",
        "write_file: Cargo.toml",
        "write_file: Cargo.lock",
        "write_file: package.json",
        "write_file: .github/**",
        "edit_file: .github/**",
        "write_file: migrations/**",
        "web_fetch: domain:api.github.com",
        "mcp__github__create_issue",
        "mcp__github__merge_pr",
        "mcp__slack__post_message",
    ];
    out.extend(ask.iter().map(|t| (RuleList::Ask, t.to_string())));
    for i in 0..12 {
        out.push((RuleList::Ask, format!("write_file: vendor/crate{i}/**")));
    }
    let programs = [
        "git", "cargo", "npm", "pnpm", "make", "go", "pytest", "docker",
    ];
    let subs = [
        "status", "log", "diff", "build", "test", "check", "fmt", "show", "list",
    ];
    for p in programs {
        for s in subs {
            out.push((RuleList::Allow, format!("shell: {p} {s}*")));
        }
    }
    for dir in ["src", "tests", "benches", "docs", "examples", "scripts"] {
        for tool in ["write_file", "edit_file"] {
            out.push((RuleList::Allow, format!("{tool}: {dir}/**")));
        }
    }
    for (i, host) in ["docs.rs", "crates.io", "doc.rust-lang.org", "github.com"]
        .iter()
        .enumerate()
    {
        out.push((RuleList::Allow, format!("web_fetch: domain:{host}")));
        out.push((
            RuleList::Allow,
            format!("web_fetch: https://mirror{i}.example.org/**"),
        ));
    }
    out.push((RuleList::Allow, "read_file: /usr/share/doc/**".to_string()));
    out.push((RuleList::Allow, "read_file: /etc/hosts".to_string()));
    out.push((RuleList::Allow, "mcp__github__list_issues".to_string()));
    out.push((RuleList::Allow, "*: docs/**/*.md".to_string()));
    let mut i = 0;
    while out.len() < 199 {
        out.push((RuleList::Allow, format!("shell: ./scripts/task{i}.sh*")));
        i += 1;
    }
    out.push((RuleList::Allow, "shell: just deploy-staging*".to_string()));
    out
}

fn rule_set() -> RuleSet {
    let mut rules = RuleSet::new();
    for (list, text) in rule_texts() {
        if let Ok(rule) = Rule::parse(&text) {
            rules.add(list, rule, "user config");
        }
    }
    assert_eq!(rules.len(), 200);
    rules
}

fn bench_decide(bencher: Bencher, subject: CallSubject, risk: RiskLevel) {
    let rules = rule_set();
    let facts = CallFacts {
        subject: &subject,
        risk,
        inside_workspace: true,
        sandbox_available: true,
    };
    bencher.bench(|| decide(black_box(&rules), ApprovalMode::Ask, black_box(&facts)));
}

#[divan::bench(sample_count = 2000)]
fn decide_shell_no_match(bencher: Bencher) {
    let subject = CallSubject::new(
        "shell",
        SubjectKind::Command,
        "terraform plan -out=tf.plan -var-file=staging.tfvars",
    );
    bench_decide(bencher, subject, RiskLevel::Exec);
}

#[divan::bench(sample_count = 2000)]
fn decide_shell_compound_no_match(bencher: Bencher) {
    let subject = CallSubject::new(
        "shell",
        SubjectKind::Command,
        "cargo build --release 2>&1 | tee build.log && ./target/release/app --check",
    );
    bench_decide(bencher, subject, RiskLevel::Exec);
}

#[divan::bench(sample_count = 2000)]
fn decide_shell_last_allow_rule(bencher: Bencher) {
    let subject = CallSubject::new(
        "shell",
        SubjectKind::Command,
        "just deploy-staging --dry-run",
    );
    bench_decide(bencher, subject, RiskLevel::Exec);
}

#[divan::bench(sample_count = 2000)]
fn decide_shell_wrapped_nested(bencher: Bencher) {
    let subject = CallSubject::new(
        "shell",
        SubjectKind::Command,
        "nice -n 5 timeout 60 env RUST_LOG=1 bash -c 'cargo test -q 2>&1 | tail -n 20' && git status --short; (cd docs && ls -la)",
    );
    bench_decide(bencher, subject, RiskLevel::Exec);
}

#[divan::bench(sample_count = 2000)]
fn decide_path(bencher: Bencher) {
    let subject = CallSubject::new("write_file", SubjectKind::Path, "tests/policy/decide.rs");
    bench_decide(bencher, subject, RiskLevel::Write);
}

#[divan::bench]
fn parse_200_rules(bencher: Bencher) {
    let texts = rule_texts();
    bencher.bench(|| {
        texts
            .iter()
            .filter_map(|(_, t)| Rule::parse(black_box(t)).ok())
            .count()
    });
}
