//! HCL text → the `hcl-edit` body, which keeps byte spans for file:line:column errors.

use std::path::Path;

use hcl::edit::parser::parse_body;
use hcl::edit::structure::Body;

use super::diag::{Diagnostic, Source};

/// The largest `.cw` / `.cwvars` file read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Read `path` as text.
pub fn read_source(path: &Path) -> Result<Source, Diagnostic> {
    let fail = |message: String, fix: &str| Diagnostic {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message,
        fix: fix.into(),
    };
    let meta = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot read the file: {e}"), "check the path"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(
            format!("the file is {} bytes, over the 4 MiB limit", meta.len()),
            "split it into smaller tasks",
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(
            format!("cannot read the file: {e}"),
            "save it as UTF-8 text",
        )
    })?;
    Ok(Source::new(path, text))
}

/// Parse the source as an HCL body; a syntax error is located.
pub fn parse(source: &Source) -> Result<Body, Diagnostic> {
    parse_body(&source.text).map_err(|e| {
        let loc = e.location();
        Diagnostic {
            file: source.path.clone(),
            line: loc.line(),
            column: loc.column(),
            message: format!("HCL syntax error: {}", e.message()),
            fix: "fix the syntax at this place (blocks are `KIND \"NAME\" { key = value }`)".into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_located() {
        let s = Source::new(Path::new("t.cw"), "file \"a\" {\n  path = \n}\n".into());
        let e = parse(&s)
            .err()
            .map(|d| (d.line, d.message.starts_with("HCL syntax")));
        assert_eq!(e, Some((2, true)));
        let good = Source::new(Path::new("t.cw"), "file \"a\" { path = \"x\" }\n".into());
        assert!(parse(&good).is_ok());
    }
}
