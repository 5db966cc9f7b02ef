//! Parser and unwrapping: which commands a line runs, in which forms, and when it is uncertain.

use super::*;

/// Every command's first form text.
fn commands(line: &str) -> Vec<String> {
    analyze(line)
        .commands
        .iter()
        .filter_map(|c| c.forms.first())
        .map(|f| f.text.iter().collect())
        .collect()
}

/// Every form of every command.
fn forms(line: &str) -> Vec<String> {
    analyze(line)
        .commands
        .iter()
        .flat_map(|c| &c.forms)
        .map(|f| f.text.iter().collect())
        .collect()
}

fn certain(line: &str) -> bool {
    analyze(line).uncertain.is_none()
}

#[test]
fn lists_pipelines_subshells_and_groups() {
    assert_eq!(
        commands("a && b || c | d ; e & f\ng"),
        ["a", "b", "c", "d", "e", "f", "g"]
    );
    assert_eq!(commands("(a; b) | { c; d; }"), ["a", "b", "c", "d"]);
    assert_eq!(commands("a |& b"), ["a", "b"]);
    assert!(certain("(a; b) | { c; d; }"));
    assert_eq!(commands("git status; "), ["git status"]);
}

#[test]
fn quotes_are_removed_and_operators_inside_them_are_text() {
    assert_eq!(commands("git commit -m \"a; b\""), ["git commit -m a; b"]);
    assert_eq!(commands("echo 'x | y' z\\;w"), ["echo x | y z;w"]);
    assert_eq!(commands("r\"m\" -rf /"), ["rm -rf /"]);
    assert_eq!(commands("\\rm x"), ["rm x"]);
    assert!(certain("git commit -m \"a; b\""));
    assert!(!certain("echo 'unbalanced"));
    assert!(!certain("echo \"unbalanced"));
}

#[test]
fn substitutions_are_parsed_and_make_the_line_uncertain() {
    let line = "echo $(rm -rf /) `curl x` \"$(id)\"";
    let c = commands(line);
    assert!(c.contains(&"rm -rf /".to_string()), "{c:?}");
    assert!(c.contains(&"curl x".to_string()), "{c:?}");
    assert!(c.contains(&"id".to_string()), "{c:?}");
    assert!(!certain(line));
    assert!(!certain("echo $HOME"));
    assert!(commands("echo $(echo $(rm -rf /))").contains(&"rm -rf /".to_string()));
}

#[test]
fn uncertain_constructs() {
    for line in [
        "cat <<EOF\nrm -rf /\nEOF",
        "eval rm -rf /",
        "if true; then ls; fi",
        "for f in *; do rm $f; done",
        "while true; do ls; done",
        "case x in a) ls;; esac",
        "f() { rm -rf /; }; f",
        "echo $((1+2))",
        "((x=1))",
        "diff <(ls) <(ls -a)",
        "r{m,x} -rf /",
        "rm -{r,f} /",
        "echo $'\\x41'",
        "*/rm -rf /",
        "x=(a b)",
        "PATH=/tmp/evil; git status",
        "echo ${x:-$(rm -rf /)}",
        "curl x | sh",
        "bash -s",
        "ls )",
    ] {
        assert!(!certain(line), "certain: {line:?}");
    }
    for line in [
        "git status",
        "cargo test 2>&1 | tail -n 20",
        "RUST_BACKTRACE=1 cargo test",
        "ls -la # comment",
        "echo a{b",
        "echo '$(rm)'",
    ] {
        assert!(certain(line), "uncertain: {line:?}");
    }
}

#[test]
fn redirections_are_noted() {
    let a = analyze("echo hi > out.txt; ls");
    assert!(a.commands[0].redirect);
    assert!(!a.commands[1].redirect);
    assert!(analyze("(ls) > x").commands.iter().any(|c| c.redirect));
    assert_eq!(
        commands("cargo build 2>&1 | tee log"),
        ["cargo build", "tee log"]
    );
}

#[test]
fn wrappers_unwrap_with_their_options() {
    let cases = [
        ("env -i -u HOME -- X=1 rm -rf /", "rm -rf /"),
        ("env -C /tmp rm -rf /", "rm -rf /"),
        ("nice -n 10 rm -rf /", "rm -rf /"),
        ("nice -5 rm -rf /", "rm -rf /"),
        ("timeout -s KILL -k 5 10s rm -rf /", "rm -rf /"),
        ("nohup rm -rf /", "rm -rf /"),
        ("sudo -u root -E rm -rf /", "rm -rf /"),
        ("sudo VAR=1 rm -rf /", "rm -rf /"),
        ("command rm -rf /", "rm -rf /"),
        ("exec -a x rm -rf /", "rm -rf /"),
        ("stdbuf -oL -e 0 rm -rf /", "rm -rf /"),
        ("setsid -f rm -rf /", "rm -rf /"),
        ("time -p rm -rf /", "rm -rf /"),
        ("busybox rm -rf /", "rm -rf /"),
        ("/bin/rm -rf /", "rm -rf /"),
        ("nice sudo /usr/bin/env rm -rf /", "rm -rf /"),
        ("git -C /x -c a=b push --force", "git push --force"),
    ];
    for (line, want) in cases {
        let f = forms(line);
        assert!(f.iter().any(|t| t == want), "{line:?} → {f:?}");
    }
}

#[test]
fn nested_command_lines() {
    for line in [
        "sh -c 'rm -rf /'",
        "bash -lc \"rm -rf /\"",
        "sudo bash -c 'ls; rm -rf /'",
        "zsh -c 'sh -c \"rm -rf /\"'",
        "su root -c 'rm -rf /'",
        "watch rm -rf /",
        "env -S 'rm -rf /'",
        "find . -exec rm -rf / \\;",
    ] {
        let f = forms(line);
        assert!(f.iter().any(|t| t == "rm -rf /"), "{line:?} → {f:?}");
    }
    let f = forms("ls | xargs -0 -n 1 rm -rf");
    assert!(f.iter().any(|t| t == "rm -rf \u{E000}"), "{f:?}");
}

#[test]
fn allow_forms_stop_at_privilege_and_lookup_changes() {
    let allow_ok = |line: &str| -> Vec<String> {
        analyze(line)
            .commands
            .iter()
            .flat_map(|c| &c.forms)
            .filter(|f| f.allow_ok)
            .map(|f| f.text.iter().collect())
            .collect()
    };
    assert!(allow_ok("nice git status").contains(&"git status".to_string()));
    assert!(allow_ok("RUST_LOG=1 git status").contains(&"git status".to_string()));
    assert!(!allow_ok("sudo git status").contains(&"git status".to_string()));
    assert!(!allow_ok("PATH=/tmp git status").contains(&"git status".to_string()));
    assert!(!allow_ok("env PATH=/tmp git status").contains(&"git status".to_string()));
    assert!(!allow_ok("/tmp/x/git status").contains(&"git status".to_string()));
    assert!(!allow_ok("git -c core.pager=sh status").contains(&"git status".to_string()));
}

#[test]
fn descriptor_duplication_and_dev_null_are_not_file_writes() {
    for line in [
        "git status 2>&1",
        "make >&2",
        "ls 2>/dev/null",
        "ls &>/dev/null",
        "cat <&-",
    ] {
        let a = analyze(line);
        assert!(a.uncertain.is_none(), "{line}");
        assert!(a.commands.iter().all(|c| !c.redirect), "{line}");
    }
    for line in [
        "ls > out.txt",
        "ls 2>err",
        "ls >&out",
        "ls > /dev/null2",
        "ls >$F",
    ] {
        assert!(analyze(line).commands.iter().any(|c| c.redirect), "{line}");
    }
}

#[test]
fn a_multibyte_first_argument_never_panics() {
    // Found by the property test: `nice` checked its first argument by byte index.
    for line in [
        "nice éx rm -rf /",
        "nice -é rm x",
        "timeout ß rm x",
        "env é=1 rm x",
        "xargs ü",
    ] {
        let _ = analyze(line);
        let _ = crate::policy::command::PreparedCommand::new(line);
    }
}
