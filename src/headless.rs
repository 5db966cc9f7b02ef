//! `pincer -p "prompt"`: one turn, reply on stdout, errors on stderr, never waits for input.
//!
//! Stdout carries only the reply the user finally gets. A stream that breaks after partial
//! output is retried by the runtime (`Event::Retrying(Retrying { discard_partial: true })`), so:
//! - text mode, stdout a terminal: text streams as it arrives; a discarded partial reply is
//!   ended with a newline and marked on stderr (a screen cannot be unwritten);
//! - text mode, stdout a pipe or file: each reply is written once it is final
//!   (`AssistantMessageDone` carries the final attempt's text only);
//! - `--json`: every event as it comes; a reader drops the deltas before a `retrying` event
//!   with `discard_partial` and can take `assistant_message_done.text` as the reply.
//!
//! When the reader of stdout goes away (`pincer -p … | head`) the turn is interrupted, nothing
//! more is printed (no error message, no panic) and the exit status is 141, as after SIGPIPE.
//! The closed pipe is noticed on the next write, or at once through the fd's error readiness.
//! SIGINT, SIGTERM and SIGHUP interrupt the turn too (its partial reply is stored as
//! interrupted) and exit 130, 143, 129; a second signal ends the process at once.

use crate::protocol::{Retrying, ToolCallFinished, ToolCallStarted, TurnFinished};
mod memory_line;
mod output;

use std::io::Write;

use crate::protocol::{Event, Op, TurnOutcome};
use crate::runtime::{self, RuntimeSettings};
use crate::text::sanitize;
use output::{Output, Written};
use tokio::signal::unix::{Signal, SignalKind};

/// Exit status when stdout was closed under us: what a shell reports after SIGPIPE.
pub const EXIT_OUTPUT_CLOSED: i32 = 141;

/// Run one prompt and return the process exit code (0 ok, 1 failed, 130 interrupted, 141
/// stdout closed).
pub async fn run(settings: RuntimeSettings, prompt: String, json: bool) -> i32 {
    if let Err(e) = &settings.provider {
        let _ = writeln!(std::io::stderr(), "pincer: {e}");
        return 1;
    }
    let mut rt = runtime::spawn(settings);
    let mut out = Output::new(json);
    let closed = output::stdout_closed();
    tokio::pin!(closed);
    let mut run = Run::default();
    let mut term = signal(SignalKind::terminate());
    let mut hangup = signal(SignalKind::hangup());
    // One listener for the whole run, like the other two: `tokio::signal::ctrl_c()` made anew
    // each pass would miss a SIGINT that arrives while an event is being written.
    let mut interrupt = signal(SignalKind::interrupt());
    loop {
        let event = tokio::select! {
            ev = rt.events.recv() => ev,
            () = received(&mut interrupt) => {
                run.signalled(130, &rt.ops);
                continue;
            }
            () = received(&mut term) => {
                run.signalled(143, &rt.ops);
                continue;
            }
            () = received(&mut hangup) => {
                run.signalled(129, &rt.ops);
                continue;
            }
            () = &mut closed, if !out.is_closed() => {
                out.mark_closed();
                run.stop(&rt.ops);
                continue;
            }
        };
        let Some(event) = event else { break };
        if out.show(&event) == Written::Closed {
            run.stop(&rt.ops);
        }
        if !out.is_closed() {
            report_on_stderr(&event, json);
        }
        match event {
            Event::SessionConfigured(_) if !run.sent => {
                run.sent = true;
                let op = if out.is_closed() || run.signalled {
                    Op::Shutdown
                } else {
                    Op::UserMessage {
                        text: prompt.clone(),
                    }
                };
                let _ = rt.ops.send(op);
            }
            Event::TurnFinished(TurnFinished { outcome, .. }) => {
                out.end_line();
                run.code.get_or_insert(match outcome {
                    TurnOutcome::Completed => 0,
                    TurnOutcome::Interrupted | TurnOutcome::Failed => 1,
                });
                let _ = rt.ops.send(Op::Shutdown);
            }
            Event::ShutdownComplete => break,
            _ => {}
        }
    }
    let _ = rt.join.await;
    match out.closed_code() {
        Some(code) => code,
        None => run.code.unwrap_or(1),
    }
}

fn signal(kind: SignalKind) -> Option<Signal> {
    tokio::signal::unix::signal(kind)
        .inspect_err(|e| tracing::warn!(%e, "cannot handle a signal"))
        .ok()
}

async fn received(signal: &mut Option<Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[derive(Default)]
struct Run {
    /// The prompt was sent (the session is configured).
    sent: bool,
    /// Set by the first thing that decides it (a signal, the turn's outcome).
    code: Option<i32>,
    stopping: bool,
    signalled: bool,
}

impl Run {
    /// A signal asks pincer to stop: interrupt the turn, exit with `code`; a second one ends
    /// the process at once.
    fn signalled(&mut self, code: i32, ops: &tokio::sync::mpsc::UnboundedSender<Op>) {
        if self.signalled {
            std::process::exit(code);
        }
        self.signalled = true;
        self.code.get_or_insert(code);
        if self.sent {
            let _ = ops.send(Op::Interrupt);
        } else {
            let _ = ops.send(Op::Shutdown);
        }
    }

    /// Stdout is gone: stop the turn (or never start it) and shut down.
    fn stop(&mut self, ops: &tokio::sync::mpsc::UnboundedSender<Op>) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        tracing::info!("stdout was closed: stopping the turn");
        if self.sent {
            let _ = ops.send(Op::Interrupt);
        }
    }
}

/// Text mode: what is not the reply goes to stderr.
fn report_on_stderr(event: &Event, json: bool) {
    if json {
        return;
    }
    let mut stderr = std::io::stderr();
    let _ = match event {
        Event::Error { kind, message, .. } => {
            writeln!(stderr, "pincer: {}: {}", kind.label(), sanitize(message))
        }
        Event::ToolCallStarted(ToolCallStarted { summary, .. }) => {
            writeln!(stderr, "pincer: ⚙ {}", sanitize(summary))
        }
        Event::ToolCallFinished(ToolCallFinished {
            tool,
            status,
            decided_by,
            output,
            ..
        }) => {
            let first = output.lines().next().unwrap_or("");
            writeln!(
                stderr,
                "pincer: {tool}: {} ({}){}",
                crate::runtime::status_label(*status),
                sanitize(decided_by),
                if *status == crate::protocol::ToolStatus::Ok {
                    String::new()
                } else {
                    format!(" — {}", sanitize(first))
                }
            )
        }
        Event::Notice { message, .. } => writeln!(stderr, "pincer: {}", sanitize(message)),
        Event::MemoryChanged(change) => {
            writeln!(
                stderr,
                "pincer: {}",
                memory_line::memory_change_line(change)
            )
        }
        Event::ProviderHealth(h) => writeln!(stderr, "pincer: {}", sanitize(&h.message)),
        Event::Retrying(Retrying {
            attempt,
            max_attempts,
            delay_ms,
            reason,
            discard_partial,
            ..
        }) => writeln!(
            stderr,
            "pincer: {} — retry {attempt}/{max_attempts} in {:.1} s{}",
            sanitize(reason),
            *delay_ms as f64 / 1000.0,
            if *discard_partial {
                " (the partial reply is discarded; the retry starts over)"
            } else {
                ""
            }
        ),
        _ => Ok(()),
    };
}
