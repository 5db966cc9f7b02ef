//! Headless stdout: what is written for each event, and noticing that the reader went away.

use crate::protocol::{AssistantDelta, AssistantMessageDone, Retrying};
use std::io::{ErrorKind, IsTerminal, Write};

use super::EXIT_OUTPUT_CLOSED;
use crate::protocol::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Ok,
    /// Stdout is closed (now or before): nothing more will be written.
    Closed,
}

pub struct Output {
    stdout: std::io::Stdout,
    json: bool,
    /// Text streams delta by delta (stdout is a terminal) instead of reply by reply.
    live: bool,
    ends_with_newline: bool,
    /// A reply of an earlier model round was written: the next one starts on a new line.
    reply_written: bool,
    /// Live mode: the current reply has not written its first delta yet.
    reply_fresh: bool,
    closed: Option<std::io::Error>,
}

impl Output {
    pub fn new(json: bool) -> Output {
        let stdout = std::io::stdout();
        let live = stdout.is_terminal();
        Output {
            stdout,
            json,
            live,
            ends_with_newline: true,
            reply_written: false,
            reply_fresh: true,
            closed: None,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// The reader went away (seen without a write).
    pub fn mark_closed(&mut self) {
        if self.closed.is_none() {
            self.closed = Some(ErrorKind::BrokenPipe.into());
        }
    }

    /// The exit code when stdout failed: 141 when its reader went away (quietly); any other
    /// write error is reported here and is a failure.
    pub fn closed_code(&self) -> Option<i32> {
        let e = self.closed.as_ref()?;
        if e.kind() == ErrorKind::BrokenPipe {
            return Some(EXIT_OUTPUT_CLOSED);
        }
        let _ = writeln!(
            std::io::stderr(),
            "pincer: cannot write the reply to stdout: {e}; check the disk or the file it goes to"
        );
        Some(1)
    }

    /// Write what `event` puts on stdout.
    pub fn show(&mut self, event: &Event) -> Written {
        if self.json {
            return match serde_json::to_string(event) {
                Ok(line) => self.write(&format!("{line}\n")),
                Err(e) => {
                    tracing::error!("cannot serialise event: {e}");
                    Written::Ok
                }
            };
        }
        match event {
            Event::AssistantDelta(AssistantDelta { text, .. }) if self.live => {
                if self.reply_fresh && !text.is_empty() {
                    self.reply_fresh = false;
                    if self.separate_from_earlier_reply() == Written::Closed {
                        return Written::Closed;
                    }
                }
                self.write(text)
            }
            Event::AssistantMessageDone(_) if self.live => {
                self.reply_written |= !self.reply_fresh;
                self.reply_fresh = true;
                Written::Ok
            }
            Event::AssistantMessageDone(AssistantMessageDone { text, .. }) if !text.is_empty() => {
                if self.separate_from_earlier_reply() == Written::Closed {
                    return Written::Closed;
                }
                self.reply_written = true;
                self.write(text)
            }
            Event::Retrying(Retrying {
                discard_partial: true,
                ..
            }) if self.live => self.end_line(),
            Event::ProviderHealth(h) if h.discard_partial && self.live => self.end_line(),
            _ => Written::Ok,
        }
    }

    /// The text of separate model rounds (text, tool calls, more text) never runs together.
    fn separate_from_earlier_reply(&mut self) -> Written {
        if self.reply_written {
            self.end_line()
        } else {
            Written::Ok
        }
    }

    /// Text mode: end the reply's last line.
    pub fn end_line(&mut self) -> Written {
        if self.json || self.ends_with_newline {
            return Written::Ok;
        }
        self.write("\n")
    }

    fn write(&mut self, text: &str) -> Written {
        if self.closed.is_some() {
            return Written::Closed;
        }
        if text.is_empty() {
            return Written::Ok;
        }
        let mut lock = self.stdout.lock();
        match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
            Ok(()) => {
                self.ends_with_newline = text.ends_with('\n');
                Written::Ok
            }
            Err(e) => {
                tracing::info!(%e, "writing to stdout failed");
                self.closed = Some(e);
                Written::Closed
            }
        }
    }
}

/// Resolves when the reader of stdout (a pipe or socket) goes away, without writing: the
/// descriptor's error readiness, from epoll. Never resolves for a terminal, a file, or when
/// that cannot be watched.
pub async fn stdout_closed() {
    use std::os::fd::AsFd;
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        return std::future::pending().await;
    }
    let watched = stdout.as_fd().try_clone_to_owned().and_then(|fd| {
        // SAFETY: the AsyncFd owns `fd` (a duplicate of stdout made for it), so it stays open
        // and refers to the same description for the AsyncFd's whole lifetime.
        unsafe { AsyncFd::register_with_interest(fd, Interest::ERROR) }.map_err(Into::into)
    });
    let fd = match watched {
        Ok(fd) => fd,
        Err(e) => {
            tracing::debug!(%e, "stdout cannot be watched for its reader going away");
            return std::future::pending().await;
        }
    };
    loop {
        match fd.ready(Interest::ERROR).await {
            Ok(guard) if guard.ready().is_error() => return,
            Ok(mut guard) => guard.clear_ready(),
            Err(_) => return std::future::pending().await,
        }
    }
}
