//! Server-sent events decoder working on raw bytes.
//!
//! Lines end in LF, CRLF or CR (a CR at the end of one chunk and the LF at the start of the next
//! count as one line end). Bytes are collected per line and decoded only when the line is
//! complete, so a UTF-8 character split across chunks survives; invalid UTF-8 becomes U+FFFD.
//! A byte-order mark at the start of the stream is dropped (also when split across chunks);
//! lines with unknown fields and comment lines (`: ping`) are skipped.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// All `data:` lines joined with `\n`.
    pub data: String,
}

/// A single line longer than this is refused rather than buffered without end.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the provider sent a single event line over {MAX_LINE_BYTES} bytes")]
pub struct LineTooLong;

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Past the start of the stream, where a byte-order mark may be.
    started: bool,
    /// How many bytes of a byte-order mark were seen so far (held back).
    bom_bytes: usize,
    line: Vec<u8>,
    skip_lf: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed a chunk; complete events are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), LineTooLong> {
        if self.started {
            return self.push_lines(chunk, out);
        }
        let matched = chunk
            .iter()
            .zip(&BOM[self.bom_bytes..])
            .take_while(|(a, b)| a == b)
            .count();
        if self.bom_bytes + matched == BOM.len() {
            self.started = true;
            return self.push_lines(&chunk[matched..], out);
        }
        if matched == chunk.len() {
            self.bom_bytes += matched; // maybe a BOM split across chunks: wait for more
            return Ok(());
        }
        // Not a BOM: the bytes held back were data.
        self.started = true;
        let held = BOM[..self.bom_bytes].to_vec();
        self.push_lines(&held, out)?;
        self.push_lines(chunk, out)
    }

    fn push_lines(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), LineTooLong> {
        if self.skip_lf {
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
            if !chunk.is_empty() {
                self.skip_lf = false;
            }
        }
        while let Some(end) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = chunk.split_at(end);
            if self.line.is_empty() {
                self.process_line(head, out);
            } else {
                self.line.extend_from_slice(head);
                let line = std::mem::take(&mut self.line);
                self.process_line(&line, out);
            }
            let was_cr = tail.first() == Some(&b'\r');
            chunk = &tail[1..];
            if was_cr {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        if self.line.len() + chunk.len() > MAX_LINE_BYTES {
            self.line.clear();
            return Err(LineTooLong);
        }
        self.line.extend_from_slice(chunk);
        Ok(())
    }

    /// End of stream: a last event without its blank line is still delivered.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.started {
            self.started = true;
            let held = BOM[..self.bom_bytes].to_vec();
            self.line.extend_from_slice(&held);
        }
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
        }
        self.dispatch(out);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment / keep-alive
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"id" | b"retry" => {} // do not matter for a one-shot POST
            _ => {
                let start: String = String::from_utf8_lossy(line).chars().take(80).collect();
                tracing::debug!(line = %start, "skipped an SSE line with an unknown field");
            }
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            out.push(SseEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.event = None;
        self.has_data = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], sizes: &[usize]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        let mut rest = bytes;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            d.push(&rest[..n], &mut out).unwrap();
            rest = &rest[n..];
            i += 1;
        }
        d.finish(&mut out);
        out
    }

    const STREAM: &str =
        "event: a\ndata: héllo 🦀\n\n: keep-alive\n\ndata: one\ndata: two\n\ndata:nospace\n\n";

    fn expected() -> Vec<SseEvent> {
        vec![
            SseEvent {
                event: Some("a".into()),
                data: "héllo 🦀".into(),
            },
            SseEvent {
                event: None,
                data: "one\ntwo".into(),
            },
            SseEvent {
                event: None,
                data: "nospace".into(),
            },
        ]
    }

    #[test]
    fn every_split_gives_same_events() {
        for sizes in [&[1usize][..], &[2], &[3, 1], &[5, 7, 11], &[1000]] {
            assert_eq!(
                decode_in_pieces(STREAM.as_bytes(), sizes),
                expected(),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn crlf_and_cr_line_ends_split_anywhere() {
        let crlf = STREAM.replace('\n', "\r\n");
        let cr = STREAM.replace('\n', "\r");
        for text in [&crlf, &cr] {
            for sizes in [&[1usize][..], &[2], &[3], &[4, 1]] {
                assert_eq!(
                    decode_in_pieces(text.as_bytes(), sizes),
                    expected(),
                    "{sizes:?}"
                );
            }
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let out = decode_in_pieces(b"data: a\xffb\n\n", &[1]);
        assert_eq!(out[0].data, "a\u{fffd}b");
    }

    #[test]
    fn last_event_without_blank_line_is_delivered() {
        assert_eq!(decode_in_pieces(b"data: [DONE]", &[4])[0].data, "[DONE]");
    }

    #[test]
    fn garbage_without_fields_yields_nothing() {
        assert!(decode_in_pieces(b"<html>oops</html>\n\n", &[3]).is_empty());
    }

    #[test]
    fn byte_order_mark_is_dropped_however_split() {
        let with_bom = [BOM, STREAM.as_bytes()].concat();
        for sizes in [&[1usize][..], &[2], &[3], &[4], &[5, 1], &[1000]] {
            assert_eq!(decode_in_pieces(&with_bom, sizes), expected(), "{sizes:?}");
        }
        // Only a leading BOM is special; bytes that start like one are data.
        let out = decode_in_pieces(b"\xEF\xBBdata: x\n\n", &[1]);
        assert!(
            out.is_empty(),
            "a broken BOM glued to the field name is an unknown field"
        );
        assert_eq!(decode_in_pieces(b"\xEF", &[1]), vec![]);
        assert_eq!(decode_in_pieces(b"data: a\n\n", &[1])[0].data, "a");
    }

    #[test]
    fn over_long_line_is_refused() {
        let mut d = SseDecoder::new();
        let big = vec![b'x'; MAX_LINE_BYTES + 1];
        assert_eq!(d.push(&big, &mut Vec::new()), Err(LineTooLong));
    }
}
