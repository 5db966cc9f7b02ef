//! Just enough URL parsing for the gate: the host (for `domain:` rules) and a canonical form
//! (for URL globs), following the WHATWG rules that HTTP clients use where it matters for
//! security: the authority ends at the first `/`, `\`, `?` or `#`; userinfo ends at the last
//! `@`; tabs and newlines are dropped; the host is percent-decoded and lowercased.

/// A URL reduced to the parts the gate looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedUrl {
    /// Lowercased, percent-decoded host without userinfo, port or trailing dot.
    pub(crate) host: String,
    /// `scheme://host[:port]/path?query#fragment` without userinfo; backslashes in the path of
    /// http(s)-like URLs become `/`.
    pub(crate) canonical: String,
}

const SPECIAL_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

/// Parses `url`; `None` when no plausible host can be found (an empty host, a bad port).
pub(crate) fn parse(url: &str) -> Option<ParsedUrl> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|&c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, rest) = split_scheme(&cleaned);
    let special = scheme
        .as_deref()
        .is_some_and(|s| SPECIAL_SCHEMES.contains(&s));
    let rest = if special {
        rest.trim_start_matches(['/', '\\'])
    } else {
        rest.strip_prefix("//").unwrap_or(rest)
    };
    let is_end = |c: char| matches!(c, '/' | '?' | '#') || (special && c == '\\');
    let authority_end = rest.find(is_end).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let (host, port) = split_port(host_port)?;
    let host = normalize_host(host)?;
    let mut canonical = String::with_capacity(cleaned.len());
    if let Some(scheme) = &scheme {
        canonical.push_str(scheme);
        canonical.push_str("://");
    }
    canonical.push_str(&host);
    if let Some(port) = port {
        canonical.push(':');
        canonical.push_str(port);
    }
    if special && !tail.starts_with(['/', '\\']) {
        canonical.push('/');
    }
    if special {
        // Only the path turns `\` into `/`; the query and fragment keep it.
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        canonical.push_str(&tail[..path_end].replace('\\', "/"));
        canonical.push_str(&tail[path_end..]);
    } else {
        canonical.push_str(tail);
    }
    Some(ParsedUrl { host, canonical })
}

/// `("https", rest)` for `https:…`; no scheme when the text does not start with one followed by
/// `:` and then `/` or `\` (so `docs.rs:443/x` is a host with a port, not a scheme).
fn split_scheme(url: &str) -> (Option<String>, &str) {
    let Some(colon) = url.find(':') else {
        return (None, url);
    };
    let scheme = &url[..colon];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let lower = scheme.to_ascii_lowercase();
    let rest = &url[colon + 1..];
    if valid && (SPECIAL_SCHEMES.contains(&lower.as_str()) || rest.starts_with(['/', '\\'])) {
        (Some(lower), rest)
    } else {
        (None, url)
    }
}

fn split_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port.find(']')?;
        let after = &host_port[close + 1..];
        match after.strip_prefix(':') {
            Some(port) => (&host_port[..=close], Some(port)),
            None if after.is_empty() => (host_port, None),
            None => return None,
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    match port {
        Some(p) if !p.chars().all(|c| c.is_ascii_digit()) => None,
        Some("") => Some((host, None)),
        _ => Some((host, port)),
    }
}

fn normalize_host(host: &str) -> Option<String> {
    let decoded = percent_decode(host)?;
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            // Dots that IDNA maps to `.`.
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => out.push('.'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    let trimmed = out.trim_end_matches('.');
    if trimmed.is_empty() {
        return None;
    }
    Some(trimmed.to_string())
}

fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Whether `host` is `domain` or one of its subdomains. Both are lowercase, no trailing dot.
pub(crate) fn host_in_domain(host: &str, domain: &str) -> bool {
    match host.strip_suffix(domain) {
        Some("") => true,
        Some(prefix) => prefix.ends_with('.'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(url: &str) -> Option<String> {
        parse(url).map(|p| p.host)
    }

    fn canon(url: &str) -> Option<String> {
        parse(url).map(|p| p.canonical)
    }

    #[test]
    fn hosts() {
        assert_eq!(host("https://docs.rs/serde").as_deref(), Some("docs.rs"));
        assert_eq!(host("https://DOCS.RS.:443/x").as_deref(), Some("docs.rs"));
        assert_eq!(
            host("https://docs.rs@evil.com/").as_deref(),
            Some("evil.com")
        );
        assert_eq!(host("https://a@b@evil.com").as_deref(), Some("evil.com"));
        assert_eq!(
            host("https://evil.com/?docs.rs").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            host("https://evil.com#@docs.rs").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            host("https://evil.com\\@docs.rs").as_deref(),
            Some("evil.com")
        );
        assert_eq!(host("https:evil.com").as_deref(), Some("evil.com"));
        assert_eq!(host("https:\\\\evil.com").as_deref(), Some("evil.com"));
        assert_eq!(host("docs.rs:8080/x").as_deref(), Some("docs.rs"));
        assert_eq!(host("//docs.rs/x").as_deref(), Some("docs.rs"));
        assert_eq!(host("https://ev%69l.com").as_deref(), Some("evil.com"));
        assert_eq!(host("https://evil\u{3002}com").as_deref(), Some("evil.com"));
        assert_eq!(host("https://[::1]:8080/").as_deref(), Some("[::1]"));
        assert_eq!(host("https://e\tvil.com").as_deref(), Some("evil.com"));
        assert_eq!(host("https://"), None);
        assert_eq!(host("https://evil.com:1.docs.rs/"), None);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            canon("HTTPS://Docs.rs").as_deref(),
            Some("https://docs.rs/")
        );
        assert_eq!(
            canon("https://user:pw@docs.rs:8443/a\\b?q=\\#f").as_deref(),
            Some("https://docs.rs:8443/a/b?q=\\#f")
        );
        assert_eq!(
            canon("https://evil.com?x").as_deref(),
            Some("https://evil.com/?x")
        );
    }

    #[test]
    fn domains() {
        assert!(host_in_domain("docs.rs", "docs.rs"));
        assert!(host_in_domain("api.docs.rs", "docs.rs"));
        assert!(!host_in_domain("docs.rs.evil.com", "docs.rs"));
        assert!(!host_in_domain("evildocs.rs", "docs.rs"));
    }
}
