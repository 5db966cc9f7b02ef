//! Redaction of whole records on their way into the store.

use crate::store::AuditRecord;

use super::redact;

impl AuditRecord {
    /// The record with every text field passed through the leak detector (after decoding JSON
    /// escapes, percent-encoding and base64 inside each field).
    pub fn redacted(&self) -> AuditRecord {
        AuditRecord {
            time: self.time,
            session_id: self.session_id.as_deref().map(redact),
            tool: redact(&self.tool),
            arguments: redact(&self.arguments),
            decision: redact(&self.decision),
            decided_by: redact(&self.decided_by),
            status: redact(&self.status),
            exit_code: self.exit_code,
            duration_ms: self.duration_ms,
        }
    }
}
