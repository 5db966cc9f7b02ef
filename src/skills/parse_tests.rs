use std::path::Path;

use super::*;

fn parse(text: &str) -> Parsed {
    parse_skill_md(text, Path::new("/s/demo/SKILL.md"), "demo")
}

#[test]
fn valid_skill_loads_without_warnings() {
    let p = parse(
        "---\nname: demo\ndescription: Does the demo.\nlicense: MIT\ncompatibility: needs git\n\
         allowed-tools: Bash(git:*) Read\n---\n\n# Demo\n\nStep one.\n",
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let s = p.skill().unwrap();
    assert_eq!(s.name, "demo");
    assert_eq!(s.description, "Does the demo.");
    assert_eq!(s.license.as_deref(), Some("MIT"));
    assert_eq!(s.compatibility.as_deref(), Some("needs git"));
    assert_eq!(s.allowed_tools, vec!["Bash(git:*)", "Read"]);
    assert_eq!(s.body, "# Demo\n\nStep one.");
    assert_eq!(s.body_line, 9);
}

#[test]
fn unknown_keys_are_ignored() {
    let p = parse("---\nname: demo\ndescription: d\nversion: 3\nwhatever:\n  - a\n---\nbody");
    assert!(p.warnings.is_empty());
    assert_eq!(p.skill().unwrap().body, "body");
}

#[test]
fn unquoted_colon_loads_with_a_warning_on_its_line() {
    let p = parse("---\nname: demo\ndescription: Use this: when the user asks\n---\nbody");
    let s = p.skill().unwrap();
    assert_eq!(s.description, "Use this: when the user asks");
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].line, 3);
    assert!(p.warnings[0].message.contains("quote"));
}

#[test]
fn unquoted_colon_keeps_nested_metadata() {
    let p =
        parse("---\nname: demo\ndescription: a: b\nmetadata:\n  requires:\n    bins: [rg]\n---\n");
    assert_eq!(p.skill().unwrap().requires.bins, vec!["rg"]);
}

#[test]
fn missing_description_is_an_error_at_line_one() {
    let p = parse("---\nname: demo\n---\nbody");
    let e = p.result.unwrap_err();
    assert!(e.is_error());
    assert_eq!(e.line, 1);
    assert!(e.message.contains("description missing"), "{}", e.message);
}

#[test]
fn empty_description_is_an_error_at_its_line() {
    let p = parse("---\nname: demo\ndescription: \"  \"\n---\nbody");
    let e = p.result.unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("description is empty"));
}

#[test]
fn broken_yaml_names_the_file_line() {
    let p = parse("---\nname: demo\ndescription: fine\ntags: [a, b\nlicense: MIT\n---\nbody");
    let e = p.result.unwrap_err();
    assert!(e.message.contains("not valid YAML"), "{}", e.message);
    assert!((4..=6).contains(&e.line), "line {}", e.line);
    assert!(!e.message.contains(" at line "), "{}", e.message);
}

#[test]
fn bad_indentation_is_reported_at_its_line() {
    let p = parse("---\nname: demo\ndescription: fine\n  bad: indent\n---\n");
    let e = p.result.unwrap_err();
    assert_eq!(e.line, 4, "{e}");
}

#[test]
fn oversize_description_and_compatibility_warn() {
    let long = "x".repeat(1100);
    let compat = "y".repeat(600);
    let p = parse(&format!(
        "---\nname: demo\ndescription: {long}\ncompatibility: {compat}\n---\n"
    ));
    let s = p.skill().unwrap();
    assert_eq!(s.description.chars().count(), MAX_DESCRIPTION);
    assert_eq!(p.warnings.len(), 2);
    assert_eq!(p.warnings[0].line, 3);
    assert_eq!(p.warnings[1].line, 4);
    assert!(p.warnings[1].message.contains("compatibility"));
}

#[test]
fn name_mismatch_warns_and_loads() {
    let p = parse("---\nname: other\ndescription: d\n---\n");
    assert_eq!(p.skill().unwrap().name, "other");
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].message.contains("does not match its folder"));
    assert_eq!(p.warnings[0].line, 2);
}

#[test]
fn bad_name_warns_and_missing_name_uses_folder() {
    let p = parse("---\nname: Demo_X\ndescription: d\n---\n");
    assert_eq!(p.skill().unwrap().name, "Demo_X");
    assert!(p.warnings.iter().any(|w| w.message.contains("naming rule")));
    let p = parse("---\ndescription: d\n---\n");
    assert_eq!(p.skill().unwrap().name, "demo");
    assert!(p.warnings[0].message.contains("name missing"));
}

#[test]
fn missing_frontmatter_is_an_error() {
    let p = parse("# Just markdown\n");
    let e = p.result.unwrap_err();
    assert_eq!(e.line, 1);
    assert!(
        e.message
            .contains("must start with a --- frontmatter block")
    );
    let p = parse("---\nname: demo\ndescription: d\n");
    assert!(p.result.unwrap_err().message.contains("never closed"));
}

#[test]
fn frontmatter_that_is_not_a_mapping_is_an_error() {
    let p = parse("---\n- a\n- b\n---\n");
    assert!(p.result.unwrap_err().message.contains("key: value"));
}

#[test]
fn bom_and_crlf_are_accepted() {
    let p = parse("\u{feff}---\r\nname: demo\r\ndescription: d\r\n---\r\nbody\r\n");
    assert_eq!(p.skill().unwrap().description, "d");
}

#[test]
fn requirements_from_both_shapes() {
    let p = parse(
        "---\nname: demo\ndescription: d\nmetadata:\n  requires:\n    bins: [rg]\n    env: TOKEN\n---\n",
    );
    let r = &p.skill().unwrap().requires;
    assert_eq!(r.bins, vec!["rg"]);
    assert_eq!(r.env, vec!["TOKEN"]);
    let p = parse(
        "---\nname: demo\ndescription: d\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"gh\"], \"env\": [\"GITHUB_TOKEN\"]}}}\n---\n",
    );
    let r = &p.skill().unwrap().requires;
    assert_eq!(r.bins, vec!["gh"]);
    assert_eq!(r.env, vec!["GITHUB_TOKEN"]);
}

#[test]
fn name_rule() {
    assert!(validate_name("code-review").is_ok());
    assert!(validate_name("a1").is_ok());
    for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", &"a".repeat(65)] {
        assert!(validate_name(bad).is_err(), "{bad}");
    }
}
