//! The table of named secret patterns and the literal anchors that let the prefilter skip
//! every pattern whose anchor is absent.

/// One kind of credential.
pub(super) struct Pattern {
    /// Shown in the replacement: `[REDACTED name]`.
    pub name: &'static str,
    /// The regex. When it has a group named `s`, only that group is replaced (the name of an
    /// assignment, the user of a connection string stay readable).
    pub regex: &'static str,
    /// Literals (matched ASCII case-insensitively) one of which every match contains.
    pub anchors: &'static [&'static str],
    /// How a captured value must look to count (assignments need a random-looking value).
    pub check: Check,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    None,
    /// A password: anything that is not a placeholder or a variable reference.
    NotPlaceholder,
    /// A key or token value: long and random-looking.
    HighEntropy,
}

pub(super) const PATTERNS: &[Pattern] = &[
    Pattern {
        name: "anthropic key",
        regex: r"sk-ant-[A-Za-z0-9_\-]{20,}",
        anchors: &["sk-ant-"],
        check: Check::None,
    },
    Pattern {
        name: "openai key",
        regex: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
        anchors: &["sk-"],
        check: Check::None,
    },
    Pattern {
        name: "aws access key",
        regex: r"\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[0-9A-Z]{16}\b",
        anchors: &["akia", "asia", "abia", "acca", "aroa", "aida"],
        check: Check::None,
    },
    Pattern {
        name: "github token",
        regex: r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{40,}",
        anchors: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        check: Check::None,
    },
    Pattern {
        name: "gitlab token",
        regex: r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_\-]{20,}",
        anchors: &["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-"],
        check: Check::None,
    },
    Pattern {
        name: "google key",
        regex: r"\bAIza[0-9A-Za-z_\-]{35}|\bya29\.[0-9A-Za-z_\-]{20,}|\bGOCSPX-[0-9A-Za-z_\-]{20,}",
        anchors: &["aiza", "ya29.", "gocspx-"],
        check: Check::None,
    },
    Pattern {
        name: "slack token",
        regex: r"\bxox[abposre]-[A-Za-z0-9\-]{10,}|hooks\.slack\.com/services/[A-Za-z0-9/_\-]{20,}",
        anchors: &["xox", "hooks.slack.com"],
        check: Check::None,
    },
    Pattern {
        name: "stripe key",
        regex: r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|\bwhsec_[0-9A-Za-z]{20,}",
        anchors: &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
        check: Check::None,
    },
    Pattern {
        name: "private key",
        regex: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)",
        anchors: &["private key"],
        check: Check::None,
    },
    Pattern {
        name: "jwt",
        regex: r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        anchors: &["eyj"],
        check: Check::None,
    },
    Pattern {
        name: "authorization header",
        regex: r"(?i)\b(?:bearer|basic|token)\s+(?P<s>[A-Za-z0-9_\-\.=~+/]{16,})",
        anchors: &["bearer", "basic", "token"],
        // "unexpected token src/main.rs" is not a credential.
        check: Check::HighEntropy,
    },
    Pattern {
        name: "connection string password",
        regex: r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@'\x22<>]*:(?P<s>[^\s@/'\x22<>]{1,})@",
        anchors: &["://"],
        check: Check::NotPlaceholder,
    },
    Pattern {
        name: "password",
        regex: r#"(?i)[A-Za-z0-9_.\-]*(?:password|passwd|passphrase|[_.\-]pwd)["']?\s*(?::=|=|:)\s*["']?(?P<s>[^\s"'`,;]{6,})"#,
        anchors: &["password", "passwd", "passphrase", "pwd"],
        check: Check::NotPlaceholder,
    },
    Pattern {
        name: "secret assignment",
        regex: r#"(?i)[A-Za-z0-9_.\-]*(?:key|token|secret|credentials?|auth)["']?\s*(?::=|=|:)\s*["']?(?P<s>[^\s"'`,;]{12,})"#,
        anchors: &["key", "token", "secret", "credential", "auth"],
        check: Check::HighEntropy,
    },
];

/// Whether a captured value passes the pattern's check.
pub(super) fn passes(check: Check, value: &str) -> bool {
    match check {
        Check::None => true,
        Check::NotPlaceholder => !is_placeholder(value),
        Check::HighEntropy => !is_placeholder(value) && looks_random(value),
    }
}

/// `$VAR`, `${VAR}`, `<your-key>`, `***`, `xxxx`, `[REDACTED …]`, `…` and the like.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | '[' | ']'));
    if v.is_empty()
        || v.starts_with(['$', '<', '{', '%', '*'])
        || v.starts_with("REDACTED")
        || v.contains("...")
        || v.contains('…')
    {
        return true;
    }
    let first = v.chars().next().unwrap_or('x');
    v.chars().all(|c| c == first)
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("none")
        || v.eq_ignore_ascii_case("true")
        || v.eq_ignore_ascii_case("false")
}

/// Long, mixed and with enough Shannon entropy to be a generated value rather than a name
/// (`created_at`, `self.api_key`, `os.environ`).
fn looks_random(v: &str) -> bool {
    if v.len() < 12 {
        return false;
    }
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_upper = v.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = v.bytes().any(|b| b.is_ascii_lowercase());
    let classes = [has_digit, has_upper, has_lower]
        .iter()
        .filter(|x| **x)
        .count();
    classes >= 2 && shannon_bits(v) >= 3.0
}

/// Bits per byte.
pub(super) fn shannon_bits(v: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in v.bytes() {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_separates_names_from_keys() {
        assert!(!looks_random("created_at_value"));
        assert!(!looks_random("self.api_key"));
        assert!(looks_random("a8F3kQ9zL2mX7pR4"));
        assert!(is_placeholder("${OPENAI_API_KEY}"));
        assert!(is_placeholder("xxxxxxxx"));
    }
}
