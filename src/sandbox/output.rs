//! Bounded capture of a command's output: the first half and the last half
//! of the byte budget, with a count of what was dropped in between.

use std::collections::VecDeque;

pub(super) struct OutputBuf {
    head: Vec<u8>,
    head_cap: usize,
    tail: VecDeque<u8>,
    tail_cap: usize,
    omitted: u64,
}

impl OutputBuf {
    /// Keep at most `max` bytes: `max / 2` from the start, the rest from the end.
    pub(super) fn new(max: usize) -> Self {
        let head_cap = max / 2;
        let tail_cap = max - head_cap;
        Self {
            head: Vec::with_capacity(head_cap.min(64 * 1024)),
            head_cap,
            tail: VecDeque::with_capacity(tail_cap.min(64 * 1024)),
            tail_cap,
            omitted: 0,
        }
    }

    pub(super) fn push(&mut self, data: &[u8]) {
        let take = (self.head_cap - self.head.len()).min(data.len());
        let (to_head, rest) = data.split_at(take);
        self.head.extend_from_slice(to_head);
        if rest.is_empty() {
            return;
        }
        // Only the last `tail_cap` bytes of `rest` can survive.
        let skip = rest.len().saturating_sub(self.tail_cap);
        let rest = &rest[skip..];
        let overflow = (self.tail.len() + rest.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(rest);
        self.omitted += to_u64(skip) + to_u64(overflow);
    }

    /// The captured text (lossy UTF-8), with a marker line where bytes were
    /// dropped.
    pub(super) fn finish(self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        let tail = Vec::from(self.tail);
        if self.omitted > 0 {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let unit = if self.omitted == 1 { "byte" } else { "bytes" };
            text.push_str(&format!(
                "[… {} {unit} omitted …]\n",
                group_thousands(self.omitted)
            ));
        }
        text.push_str(&String::from_utf8_lossy(&tail));
        text
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// `12345` → `"12,345"`.
pub(super) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(max: usize, chunks: &[&[u8]]) -> String {
        let mut buf = OutputBuf::new(max);
        for chunk in chunks {
            buf.push(chunk);
        }
        buf.finish()
    }

    #[test]
    fn under_the_limit_is_verbatim() {
        assert_eq!(capture(10, &[b"abc", b"def"]), "abcdef");
        assert_eq!(capture(6, &[b"abc", b"def"]), "abcdef");
    }

    #[test]
    fn over_the_limit_keeps_head_and_tail() {
        assert_eq!(
            capture(6, &[b"abc", b"defg"]),
            "abc\n[… 1 byte omitted …]\nefg"
        );
        let many: Vec<&[u8]> = vec![b"0123456789"; 100];
        let out = capture(8, &many);
        assert_eq!(out, "0123\n[… 992 bytes omitted …]\n6789");
    }

    #[test]
    fn one_huge_chunk() {
        let big = vec![b'x'; 1_000_000];
        let out = capture(4, &[b"ab", &big, b"cd"]);
        assert_eq!(out, "ab\n[… 1,000,000 bytes omitted …]\ncd");
    }

    #[test]
    fn zero_budget() {
        assert_eq!(capture(0, &[b"abc"]), "[… 3 bytes omitted …]\n");
    }

    #[test]
    fn lossy_utf8() {
        assert_eq!(capture(100, &[b"a\xffb"]), "a\u{fffd}b");
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(12_345), "12,345");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
