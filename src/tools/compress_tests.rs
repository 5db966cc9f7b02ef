use super::*;
use crate::tools::compress_parse::{compiler_errors, strip_ansi, test_summary};

/// Pads `sample` with noise in the middle so it must be compressed.
fn padded(head: &str, tail: &str) -> String {
    let noise: String = (0..2000)
        .map(|i| format!("   Compiling crate-{i} v0.1.{i}\n"))
        .collect();
    format!("{head}{noise}{tail}")
}

const CARGO_FAIL: &str = "\
running 4 tests
test parser::tests::parses_empty ... ok
test parser::tests::parses_nested ... FAILED
test lexer::tests::unicode ... ignored
test lexer::tests::idents ... FAILED

failures:

---- parser::tests::parses_nested stdout ----

thread 'parser::tests::parses_nested' panicked at src/parser.rs:88:9:
assertion `left == right` failed
  left: 3
 right: 4
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- lexer::tests::idents stdout ----
thread 'lexer::tests::idents' panicked at src/lexer.rs:12:30:
called `Option::unwrap()` on a `None` value


failures:
    lexer::tests::idents
    parser::tests::parses_nested

test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

error: test failed, to rerun pass `--lib`
";

const CARGO_OK: &str = "\
     Running unittests src/lib.rs (target/debug/deps/pincer-0f3c)

running 12 tests
test a ... ok
test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s

     Running tests/tools.rs (target/debug/deps/tools-9a1b)

running 30 tests
test result: ok. 29 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.20s

   Doc-tests pincer

running 0 tests
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

#[test]
fn cargo_test_failures() {
    let s = test_summary(CARGO_FAIL, TestTool::Cargo).unwrap();
    assert!(
        s.starts_with("[cargo test: FAILED — 1 passed, 2 failed, 1 ignored in 1 test binary]"),
        "{s}"
    );
    assert!(s.contains("FAILED parser::tests::parses_nested — assertion `left == right` failed; left: 3; right: 4 (src/parser.rs:88:9)"), "{s}");
    assert!(s.contains("FAILED lexer::tests::idents — called `Option::unwrap()` on a `None` value (src/lexer.rs:12:30)"), "{s}");
}

#[test]
fn cargo_test_passing() {
    let s = test_summary(CARGO_OK, TestTool::Any).unwrap();
    assert_eq!(
        s,
        "[cargo test: ok — 41 passed, 0 failed, 1 ignored in 3 test binaries]\n"
    );
    let out = for_model(
        "shell",
        Some("cargo test --all"),
        &padded(CARGO_OK, CARGO_OK),
        4000,
    );
    assert!(out.len() <= 4000);
    assert!(out.starts_with("[cargo test: ok — 82 passed"), "{out}");
    assert!(out.contains(" lines (") && out.contains("bytes) omitted …]"));
    assert!(out.trim_end().ends_with("finished in 0.00s"));
}

const CARGO_OLD_PANIC: &str = "\
---- tests::old stdout ----
thread 'tests::old' panicked at 'boom: bad input', src/lib.rs:5:5
test tests::old ... FAILED
test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out
";

#[test]
fn cargo_test_old_panic_format() {
    let s = test_summary(CARGO_OLD_PANIC, TestTool::Any).unwrap();
    assert!(
        s.contains("FAILED tests::old — boom: bad input (src/lib.rs:5:5)"),
        "{s}"
    );
}

const PYTEST_FAIL: &str = "\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.2.0, pluggy-1.5.0
rootdir: /home/u/proj
collected 13 items

tests/test_api.py ..F.......                                             [ 76%]
tests/test_db.py .sF                                                     [100%]

=================================== FAILURES ===================================
_________________________________ test_create __________________________________

    def test_create():
>       assert create(1) == 2
E       assert 1 == 2

tests/test_api.py:14: AssertionError
=========================== short test summary info ============================
FAILED tests/test_api.py::test_create - assert 1 == 2
FAILED tests/test_db.py::test_conn - ConnectionError: refused
=================== 2 failed, 10 passed, 1 skipped in 0.52s ====================
";

#[test]
fn pytest_runs() {
    let s = test_summary(PYTEST_FAIL, TestTool::Any).unwrap();
    assert!(
        s.starts_with("[pytest: 2 failed, 10 passed, 1 skipped in 0.52s]\n"),
        "{s}"
    );
    assert!(s.contains("FAILED tests/test_api.py::test_create — assert 1 == 2"));
    assert!(s.contains("FAILED tests/test_db.py::test_conn — ConnectionError: refused"));
    let ok = "collected 3 items\n\ntests/test_x.py ...\n\n============================== 3 passed in 0.04s ===============================\n";
    assert_eq!(
        test_summary(ok, TestTool::Pytest).unwrap(),
        "[pytest: 3 passed in 0.04s]\n"
    );
}

const GO_FAIL: &str = "\
--- FAIL: TestAdd (0.00s)
    math_test.go:12: Add(1, 2) = 4; want 3
--- FAIL: TestSub (0.00s)
    math_test.go:20: Sub(3, 1) = 1; want 2
FAIL
FAIL\texample.com/calc/math\t0.002s
ok  \texample.com/calc/util\t0.004s
?   \texample.com/calc/cmd\t[no test files]
FAIL
";

const GO_VERBOSE: &str = "\
=== RUN   TestParse
    parse_test.go:31: unexpected token \"}\"
--- FAIL: TestParse (0.01s)
=== RUN   TestOK
--- PASS: TestOK (0.00s)
FAIL
FAIL\texample.com/p\t0.011s
";

#[test]
fn go_test_runs() {
    let s = test_summary(GO_FAIL, TestTool::Go).unwrap();
    assert!(
        s.starts_with("[go test: FAIL — 1 packages ok, 1 failed (example.com/calc/math)]"),
        "{s}"
    );
    assert!(
        s.contains("--- FAIL: TestAdd — math_test.go:12: Add(1, 2) = 4; want 3"),
        "{s}"
    );
    assert!(
        s.contains("--- FAIL: TestSub — math_test.go:20: Sub(3, 1) = 1; want 2"),
        "{s}"
    );
    let v = test_summary(GO_VERBOSE, TestTool::Any).unwrap();
    assert!(
        v.contains("--- FAIL: TestParse — parse_test.go:31: unexpected token"),
        "{v}"
    );
    let ok = "ok  \texample.com/a\t0.010s\nok  \texample.com/b\t(cached)\n";
    assert_eq!(
        test_summary(ok, TestTool::Go).unwrap(),
        "[go test: ok — 2 packages ok, 0 failed]\n"
    );
}

const RUSTC: &str = "\
   Compiling pincer v0.1.0 (/home/u/pincer)
error[E0308]: mismatched types
  --> src/main.rs:4:18
   |
 4 |     let x: u32 = \"five\";
   |            ---   ^^^^^^ expected `u32`, found `&str`
   |            |
   |            expected due to this

error: cannot find macro `prinln` in this scope
 --> src/lib.rs:10:5
  |
10 |     prinln!(\"hi\");
  |     ^^^^^^ help: a macro with a similar name exists: `println`

warning: unused variable: `y`
 --> src/lib.rs:3:9

error[E0308]: mismatched types
  --> src/main.rs:4:18

error: aborting due to 2 previous errors

Some errors have detailed explanations: E0308.
error: could not compile `pincer` (bin \"pincer\") due to 2 previous errors
";

#[test]
fn rustc_errors() {
    let s = compiler_errors(RUSTC).unwrap();
    assert_eq!(
        s,
        "[compiler: 2 errors in 2 files]\n\
         src/main.rs:4: error[E0308]: mismatched types\n\
         src/lib.rs:10: error: cannot find macro `prinln` in this scope\n"
    );
    let out = for_model("shell", Some("cargo build"), &padded(RUSTC, ""), 3000);
    assert!(out.starts_with("[compiler: 2 errors"), "{out}");
    assert!(out.len() <= 3000);
}

#[test]
fn gcc_tsc_go_errors() {
    let gcc = "\
src/foo.c: In function 'main':
src/foo.c:12:5: error: expected ';' before 'return'
   12 |     return 0
      |     ^~~~~~
src/bar.c:3:10: fatal error: missing.h: No such file or directory
src/foo.c:20:1: warning: control reaches end of non-void function
compilation terminated.
";
    let s = compiler_errors(gcc).unwrap();
    assert!(s.starts_with("[compiler: 2 errors in 2 files]"), "{s}");
    assert!(s.contains("src/foo.c:12: error: expected ';' before 'return'"));
    assert!(s.contains("src/bar.c:3: error: missing.h: No such file or directory"));

    let tsc = "\
src/app.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.
src/util.ts:3:1 - error TS2304: Cannot find name 'foo'.

3 foo();
  ~~~
Found 2 errors in 2 files.
";
    let s = compiler_errors(tsc).unwrap();
    assert!(
        s.contains("src/app.ts:12: TS2322: Type 'string' is not assignable"),
        "{s}"
    );
    assert!(
        s.contains("src/util.ts:3: TS2304: Cannot find name 'foo'."),
        "{s}"
    );

    let go = "# example.com/app\n./main.go:12:5: undefined: foo\n./main.go:14:2: declared and not used: x\n";
    let s = compiler_errors(go).unwrap();
    assert!(s.starts_with("[compiler: 2 errors in 1 file]"), "{s}");
    assert!(s.contains("./main.go:12: undefined: foo"));
    assert!(compiler_errors("all good\nnothing to see\n").is_none());
}

#[test]
fn error_list_is_capped() {
    let many: String = (0..50)
        .map(|i| format!("src/f{i}.c:{i}:1: error: bad thing {i}\n"))
        .collect();
    let s = compiler_errors(&many).unwrap();
    assert!(s.starts_with("[compiler: 50 errors in 50 files]"));
    assert!(s.ends_with("… and 20 more\n"), "{s}");
}

#[test]
fn listings_count_extensions() {
    let mut out = String::from("2000 matches for `**/*`\n");
    for i in 0..1500 {
        out.push_str(&format!("src/mod{i}.rs\n"));
    }
    for i in 0..400 {
        out.push_str(&format!("docs/page{i}.md\n"));
    }
    for i in 0..100 {
        out.push_str(&format!("dir{i}/\n"));
    }
    out.push_str("… 35 more\n");
    let c = for_model("glob", None, &out, 2000);
    assert!(c.len() <= 2000);
    assert!(
        c.starts_with("[glob: 2000 entries (+35 more not listed) — 100 dirs, 1500 .rs, 400 .md]\n"),
        "{c}"
    );
    assert!(c.contains("src/mod0.rs\nsrc/mod1.rs\n"));

    let listing = "src/ — 1 directory, 3 files\n  tools/\n  Makefile  (1.0 KB)\n  lib.rs  (4.1 KB)\n  link.rs → ../x.rs  (10 B)\n";
    let s = listing_summary("list_dir", listing).unwrap();
    assert_eq!(s, "[list_dir: 4 entries — 1 dirs, 2 .rs, 1 (no extension)]");
}

#[test]
fn unknown_output_is_head_and_tail() {
    let text: String = (0..1000).map(|i| format!("log line {i}\n")).collect();
    let out = for_model("shell", None, &text, 1000);
    assert!(out.len() <= 1000, "{}", out.len());
    assert!(out.starts_with("log line 0\n"));
    assert!(out.ends_with("log line 999\n"));
    assert!(out.contains("lines (") && out.contains("omitted …]"));
    assert_eq!(for_model("shell", None, "short", 1000), "short");
}

#[test]
fn cuts_are_utf8_safe_and_bounded() {
    let text = "ünïcødé 🎉 ".repeat(5000);
    for max in [0, 5, 50, 81, 100, 333, 1000, 4096] {
        let out = for_model("shell", None, &text, max);
        assert!(out.len() <= max, "{max}: {}", out.len());
    }
    let head = head_tail(&text, 500, 50);
    assert!(head.contains("omitted"));
}

#[test]
fn ansi_is_ignored_when_parsing() {
    let colored = "\x1b[0m\x1b[1m\x1b[31merror[E0425]\x1b[0m: cannot find value `x`\n  \x1b[34m--> \x1b[0msrc/a.rs:1:5\n";
    let s = compiler_errors(&strip_ansi(colored)).unwrap();
    assert!(
        s.contains("src/a.rs:1: error[E0425]: cannot find value `x`"),
        "{s}"
    );
}
