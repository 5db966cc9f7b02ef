//! Helpers shared by the policy tests.

use super::*;

pub fn rule(text: &str) -> Rule {
    match Rule::parse(text) {
        Ok(rule) => rule,
        Err(e) => panic!("{text}: {e}"),
    }
}

pub fn shell(command: &str) -> CallSubject {
    CallSubject::new("shell", SubjectKind::Command, command)
}

pub fn file(tool: &str, path: &str) -> CallSubject {
    CallSubject::new(tool, SubjectKind::Path, path)
}

pub fn fetch(url: &str) -> CallSubject {
    CallSubject::new("web_fetch", SubjectKind::Url, url)
}

pub fn allows(rule_text: &str, subject: &CallSubject) -> bool {
    rule(rule_text).matches_allow(subject)
}

pub fn denies(rule_text: &str, subject: &CallSubject) -> bool {
    rule(rule_text).matches_deny(subject)
}
