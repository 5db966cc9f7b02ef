//! Lexical path clean-up before matching.

/// Drops `.` components, empty components (`a//b`) and trailing slashes, and resolves `..`
/// against earlier components. Leading `..` of a relative path are kept; `..` at the root of an
/// absolute path is dropped. No file-system access.
pub(crate) fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn lexical() {
        assert_eq!(normalize("src/main.rs"), "src/main.rs");
        assert_eq!(normalize("./src//a/./b.rs/"), "src/a/b.rs");
        assert_eq!(normalize("src/../Cargo.toml"), "Cargo.toml");
        assert_eq!(normalize("src/../../x"), "../x");
        assert_eq!(normalize("/etc/../../passwd"), "/passwd");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize(""), ".");
    }
}
