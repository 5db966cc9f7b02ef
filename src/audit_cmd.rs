//! `pincer audit [--json] [--limit N]` and `pincer audit verify`: the tool-call audit log and its
//! hash chain, printed from the binary (anyhow lives here, at the edge).

use std::io::Write;
use std::process::ExitCode;

use pincer::paths::Paths;

pub(crate) fn list(paths: &Paths, json: bool, limit: usize) -> anyhow::Result<ExitCode> {
    let db = paths.database_file();
    if !db.exists() {
        out!("no audit log yet ({} does not exist)", db.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = pincer::store::Store::open(&db)?;
    let rows = store.list_audit(limit)?;
    if json {
        for r in &rows {
            out!("{}", serde_json::to_string(r)?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        out!("the audit log is empty")?;
    }
    for r in &rows {
        let when = pincer::time::utc_seconds(r.time);
        let exit = r.exit_code.map(|c| format!("exit {c}")).unwrap_or_default();
        out!(
            "{when} UTC  {tool:<10} {decision:<8} {status:<11} {exit:<8} {ms:>6} ms  by {by}\n    {args}",
            tool = r.tool,
            decision = r.decision,
            status = r.status,
            ms = r.duration_ms,
            by = r.decided_by,
            args = pincer::text::sanitize(&r.arguments)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify(paths: &Paths) -> anyhow::Result<ExitCode> {
    let db = paths.database_file();
    if !db.exists() {
        println!("no audit log yet ({} does not exist)", db.display());
        return Ok(ExitCode::SUCCESS);
    }
    let store = pincer::store::Store::open(&db)?;
    let v = store.verify_audit()?;
    let before = if v.unchained_before > 0 {
        format!(
            "; {} older row(s) were written before the chain started (schema version {}) and are not covered",
            v.unchained_before,
            pincer::store::CHAIN_SINCE_VERSION
        )
    } else {
        String::new()
    };
    match v.broken {
        None => {
            println!("audit log OK: {} row(s) verified{before}", v.chained);
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!(
                "audit log BROKEN at row {id} ({when} UTC, {tool}): {why}.\n{ok} row(s) before it verified{before}. The log in {db} was changed outside pincer: keep a copy of the file and find out who changed it.",
                id = b.id,
                when = pincer::time::utc_seconds(b.time),
                tool = b.tool,
                why = b.why,
                ok = v.chained,
                db = db.display(),
            );
            Ok(ExitCode::from(1))
        }
    }
}
