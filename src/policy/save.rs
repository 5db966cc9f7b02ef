//! Saving "always" rules into a TOML config file without disturbing the rest of it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::{Rule, RuleError, RuleList};

/// Why a rule could not be saved. The file is left as it was in every case.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}:{line}:{column}: {message} (the file was not changed)", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: `{key}` is not a table (the file was not changed)", path.display())]
    NotATable { path: PathBuf, key: String },
    #[error("{}: `{key}` is not an array of strings (the file was not changed)", path.display())]
    NotAnArray { path: PathBuf, key: String },
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The file is not a regular file, too large or not UTF-8 (it was not changed).
    #[error("{0} (the file was not changed)")]
    Read(crate::fsread::ReadError),
}

/// Add `rule` to `[permissions].LIST` (allow|ask|deny) in the TOML file at `path` (create the
/// file and table if missing), preserving comments, order and formatting of everything else
/// (toml_edit). No duplicate if already present. Write atomically (temp file + rename in the
/// same dir). A file that does not parse is NOT overwritten: return an error with
/// file:line:column and the parser's message.
///
/// The rule is validated and saved in its normalised form. A symlinked file is updated through
/// the link (the link stays).
pub fn save_rule(path: &Path, list: RuleList, rule: &str) -> Result<(), SaveError> {
    let rule = Rule::parse(rule)?;
    edit(path, |doc| add_rule(doc, list, rule.text(), path))
}

/// Add `value` to the top-level string array `key` (e.g. `trusted_projects`) of the TOML file
/// at `path`, keeping everything else as it was; no duplicate. Same guarantees as `save_rule`.
pub fn save_list_entry(path: &Path, key: &str, value: &str) -> Result<(), SaveError> {
    edit(path, |doc| {
        let item = doc
            .as_table_mut()
            .entry(key)
            .or_insert(Item::Value(Value::Array(Array::new())));
        let array = item.as_array_mut().ok_or_else(|| SaveError::NotAnArray {
            path: path.to_path_buf(),
            key: key.to_string(),
        })?;
        if array.iter().any(|v| v.as_str() == Some(value)) {
            return Ok(false);
        }
        array.push(value);
        Ok(true)
    })
}

/// Read the TOML file at `path` (a missing file is empty), let `change` edit the document
/// (`false`: nothing to write), then write it back atomically through any symlink. A file
/// that does not parse is never overwritten.
pub(crate) fn edit(
    path: &Path,
    change: impl FnOnce(&mut DocumentMut) -> Result<bool, SaveError>,
) -> Result<(), SaveError> {
    let target = resolve_link(path);
    // The same reader as the config loader: a FIFO or a huge file cannot hang a save.
    let text = match crate::fsread::read_text(&target, crate::fsread::CONFIG_MAX) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => String::new(),
        Err(e) => return Err(SaveError::Read(e)),
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let (line, column) = line_column(&text, e.span().map_or(0, |s| s.start));
        SaveError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    if !change(&mut doc)? {
        return Ok(());
    }
    write_atomic(&target, doc.to_string().as_bytes()).map_err(|source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Follows symlinks so the rename replaces the real file, not the link.
fn resolve_link(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Adds `rule` to `[permissions].LIST`; `false` when it is already there.
fn add_rule(
    doc: &mut DocumentMut,
    list: RuleList,
    rule: &str,
    path: &Path,
) -> Result<bool, SaveError> {
    let key = list.as_str();
    if !doc.as_table().contains_key("permissions") {
        let mut table = Table::new();
        // Keep trailing comments where they were: before the new table.
        let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
        let has_content = !doc.as_table().is_empty() || !trailing.trim().is_empty();
        doc.set_trailing("");
        let mut prefix = trailing;
        if has_content && !prefix.ends_with("\n\n") {
            prefix.push('\n');
        }
        table.decor_mut().set_prefix(prefix);
        doc.as_table_mut().insert("permissions", Item::Table(table));
    }
    let not_a_table = || SaveError::NotATable {
        path: path.to_path_buf(),
        key: "permissions".to_string(),
    };
    let not_an_array = || SaveError::NotAnArray {
        path: path.to_path_buf(),
        key: format!("permissions.{key}"),
    };
    let permissions = doc
        .as_table_mut()
        .get_mut("permissions")
        .ok_or_else(not_a_table)?;
    if let Item::Table(table) = permissions {
        // `[permissions.x]` alone makes an implicit table; it needs its header now.
        table.set_implicit(false);
    }
    let permissions = permissions.as_table_like_mut().ok_or_else(not_a_table)?;
    if permissions.get(key).is_none() {
        permissions.insert(key, Item::Value(Value::Array(Array::new())));
    }
    let array = permissions
        .get_mut(key)
        .and_then(Item::as_array_mut)
        .ok_or_else(not_an_array)?;
    for value in array.iter() {
        let existing = value.as_str().ok_or_else(not_an_array)?;
        if existing == rule || Rule::parse(existing).is_ok_and(|r| r.text() == rule) {
            return Ok(false);
        }
    }
    push_like_neighbours(array, rule);
    Ok(true)
}

/// Appends `text` formatted like the array's last element (one per line stays one per line).
fn push_like_neighbours(array: &mut Array, text: &str) {
    let mut value = Value::from(text);
    let count = array.len();
    if let Some(last) = count.checked_sub(1).and_then(|i| array.get_mut(i)) {
        let decor = last.decor_mut();
        let prefix = decor.prefix().and_then(|p| p.as_str()).unwrap_or(" ");
        let new_prefix = match prefix.rfind('\n') {
            Some(i) => format!("\n{}", &prefix[i + 1..]),
            None => " ".to_string(),
        };
        let suffix = decor
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        decor.set_suffix("");
        value.decor_mut().set_prefix(new_prefix);
        value.decor_mut().set_suffix(suffix);
    }
    array.push_formatted(value);
}

/// Writes `bytes` to a new file next to `path`, then renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?
        .to_string_lossy();
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entry_goes_to_the_top_level_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(
            &path,
            "# mine\ntheme = \"dark\"\n\n[limits]\nmax_rounds = 3\n",
        )
        .unwrap();
        save_list_entry(&path, "trusted_projects", "/w/p").unwrap();
        save_list_entry(&path, "trusted_projects", "/w/p").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let parsed: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(parsed["trusted_projects"].as_array().unwrap().len(), 1);
        assert_eq!(parsed["limits"]["max_rounds"].as_integer(), Some(3));
        assert!(text.starts_with("# mine"), "{text}");
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn creates_missing_file_and_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pincer/config.toml");
        save_rule(&path, RuleList::Allow, "shell:  git   status*").unwrap();
        assert_eq!(
            read(&path),
            "[permissions]\nallow = [\"shell: git status*\"]\n"
        );
        save_rule(&path, RuleList::Deny, "shell: rm -rf*").unwrap();
        assert_eq!(
            read(&path),
            "[permissions]\nallow = [\"shell: git status*\"]\ndeny = [\"shell: rm -rf*\"]\n"
        );
        let parsed: toml::Table = toml::from_str(&read(&path)).unwrap();
        assert_eq!(
            parsed["permissions"]["deny"][0].as_str(),
            Some("shell: rm -rf*")
        );
        assert_eq!(dir_entries(&tmp.path().join("pincer")), ["config.toml"]);
    }

    #[test]
    fn keeps_everything_else_byte_for_byte() {
        let before = "# pincer config\n\
                      model = \"gpt\"   # trailing comment\n\
                      \n\
                      [permissions]\n\
                      # rules I trust\n\
                      allow = [\n    \"shell: git status*\",  # status is fine\n    \"read_file\",\n";
        let after = "]\n\
                     deny = [ \"shell: rm -rf*\" ]\n\
                     \n\
                     [provider.openai]   # keep me\n\
                     base_url = 'https://api.openai.com/v1'\n\
                     # the end\n";
        let original = format!("{before}{after}");
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        fs::write(&path, &original).unwrap();

        save_rule(&path, RuleList::Allow, "write_file: src/**").unwrap();
        let expected = format!("{before}    \"write_file: src/**\",\n{after}");
        assert_eq!(read(&path), expected);

        save_rule(&path, RuleList::Deny, "shell: sudo *").unwrap();
        let expected = expected.replace(
            "deny = [ \"shell: rm -rf*\" ]",
            "deny = [ \"shell: rm -rf*\", \"shell: sudo *\" ]",
        );
        assert_eq!(read(&path), expected);
        assert_eq!(dir_entries(tmp.path()), ["config.toml"]);
    }

    #[test]
    fn multiline_array_without_trailing_comma() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        fs::write(&path, "[permissions]\nask = [\n  \"shell: git push*\"\n]\n").unwrap();
        save_rule(&path, RuleList::Ask, "shell: npm publish*").unwrap();
        assert_eq!(
            read(&path),
            "[permissions]\nask = [\n  \"shell: git push*\",\n  \"shell: npm publish*\"\n]\n"
        );
    }

    #[test]
    fn adds_table_after_existing_content_and_trailing_comments() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        let original = "mode = \"ask\"\n\n[tui]\ntheme = \"dark\"\n# last words\n";
        fs::write(&path, original).unwrap();
        save_rule(&path, RuleList::Allow, "shell: ls*").unwrap();
        assert_eq!(
            read(&path),
            format!("{original}\n[permissions]\nallow = [\"shell: ls*\"]\n")
        );
    }

    #[test]
    fn dotted_and_inline_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        fs::write(&path, "permissions = { allow = [\"shell: ls*\"] }\n").unwrap();
        save_rule(&path, RuleList::Allow, "shell: pwd*").unwrap();
        assert_eq!(
            read(&path),
            "permissions = { allow = [\"shell: ls*\", \"shell: pwd*\"] }\n"
        );
        fs::write(&path, "[permissions.extra]\nx = 1\n").unwrap();
        save_rule(&path, RuleList::Deny, "shell: rm*").unwrap();
        let parsed: toml::Table = toml::from_str(&read(&path)).unwrap();
        assert_eq!(
            parsed["permissions"]["deny"][0].as_str(),
            Some("shell: rm*")
        );
        assert_eq!(parsed["permissions"]["extra"]["x"].as_integer(), Some(1));
    }

    #[test]
    fn duplicates_are_not_added() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        let original = "[permissions]\nallow = [\"shell:git   status*\"] # mine\n";
        fs::write(&path, original).unwrap();
        save_rule(&path, RuleList::Allow, "shell: git status*").unwrap();
        save_rule(&path, RuleList::Allow, "shell:git   status*").unwrap();
        assert_eq!(read(&path), original);
        // The same rule in another list is not a duplicate.
        save_rule(&path, RuleList::Deny, "shell: git status*").unwrap();
        assert_ne!(read(&path), original);
    }

    #[test]
    fn malformed_file_is_left_alone_with_a_located_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        let original = "# ok\nmodel = \"gpt\"\n[permissions\nallow = []\n";
        fs::write(&path, original).unwrap();
        let err = save_rule(&path, RuleList::Allow, "shell: ls*").unwrap_err();
        match &err {
            SaveError::Parse {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (3, 13), "{message}");
                assert!(!message.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:3:13: ", path.display())),
            "{text}"
        );
        assert_eq!(read(&path), original);
        assert_eq!(dir_entries(tmp.path()), ["c.toml"]);
    }

    #[test]
    fn wrong_shapes_are_errors_and_leave_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        for (original, want_table) in [
            ("permissions = 3\n", true),
            ("[permissions]\nallow = \"shell\"\n", false),
            ("[permissions]\nallow = [1]\n", false),
        ] {
            fs::write(&path, original).unwrap();
            let err = save_rule(&path, RuleList::Allow, "shell: ls*").unwrap_err();
            if want_table {
                assert!(matches!(err, SaveError::NotATable { .. }), "{err}");
            } else {
                assert!(matches!(err, SaveError::NotAnArray { .. }), "{err}");
            }
            assert_eq!(read(&path), original);
        }
        let err = save_rule(&path, RuleList::Allow, "shell:").unwrap_err();
        assert!(matches!(err, SaveError::Rule(_)), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_symlinks_and_permissions() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real.toml");
        let link = tmp.path().join("link.toml");
        fs::write(&real, "# mine\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        symlink(&real, &link).unwrap();
        save_rule(&link, RuleList::Allow, "shell: ls*").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            read(&real),
            "# mine\n\n[permissions]\nallow = [\"shell: ls*\"]\n"
        );
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn line_columns() {
        assert_eq!(line_column("abc", 0), (1, 1));
        assert_eq!(line_column("a\nbc", 3), (2, 2));
        assert_eq!(line_column("é\nü", 4), (2, 1));
        assert_eq!(line_column("é\nü", 5), (2, 2));
        assert_eq!(line_column("x", 99), (1, 2));
    }
}
