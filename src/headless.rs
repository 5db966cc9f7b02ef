//! `pincer -p "prompt"`: one turn, reply on stdout, errors on stderr, never waits for input.

use std::io::Write;

use crate::protocol::{Event, Op, TurnOutcome};
use crate::runtime::{self, RuntimeSettings};
use crate::text::sanitize;

/// Run one prompt and return the process exit code (0 ok, 1 failed, 130 interrupted).
pub async fn run(settings: RuntimeSettings, prompt: String, json: bool) -> i32 {
    if let Err(e) = &settings.provider {
        eprintln!("pincer: {e}");
        return 1;
    }
    let mut rt = runtime::spawn(settings);
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let mut sent = false;
    let mut code = 1;
    let mut ends_with_newline = true;
    loop {
        let event = tokio::select! {
            ev = rt.events.recv() => ev,
            _ = tokio::signal::ctrl_c() => {
                let _ = rt.ops.send(Op::Interrupt);
                code = 130;
                continue;
            }
        };
        let Some(event) = event else { break };
        if json {
            match serde_json::to_string(&event) {
                Ok(line) => {
                    if writeln!(stdout, "{line}")
                        .and_then(|_| stdout.flush())
                        .is_err()
                    {
                        break; // stdout closed (e.g. piped into head)
                    }
                }
                Err(e) => tracing::error!("cannot serialise event: {e}"),
            }
        }
        match event {
            Event::SessionConfigured { .. } if !sent => {
                sent = true;
                let _ = rt.ops.send(Op::UserMessage {
                    text: prompt.clone(),
                });
            }
            Event::AssistantDelta { text, .. } if !json => {
                ends_with_newline = text.ends_with('\n');
                if write!(stdout, "{text}")
                    .and_then(|_| stdout.flush())
                    .is_err()
                {
                    let _ = rt.ops.send(Op::Interrupt);
                }
            }
            Event::Error { kind, message, .. } if !json => {
                let _ = writeln!(stderr, "pincer: {}: {}", kind.label(), sanitize(&message));
            }
            Event::ToolCallStarted { summary, .. } if !json => {
                let _ = writeln!(stderr, "pincer: ⚙ {}", sanitize(&summary));
            }
            Event::ToolCallFinished {
                tool,
                status,
                decided_by,
                output,
                ..
            } if !json => {
                let first = output.lines().next().unwrap_or("");
                let _ = writeln!(
                    stderr,
                    "pincer: {tool}: {} ({}){}",
                    crate::runtime::status_label(status),
                    sanitize(&decided_by),
                    if status == crate::protocol::ToolStatus::Ok {
                        String::new()
                    } else {
                        format!(" — {}", sanitize(first))
                    }
                );
            }
            Event::Notice { message, .. } if !json => {
                let _ = writeln!(stderr, "pincer: {}", sanitize(&message));
            }
            Event::Retrying {
                attempt,
                max_attempts,
                delay_ms,
                reason,
                ..
            } if !json => {
                let _ = writeln!(
                    stderr,
                    "pincer: {} — retry {attempt}/{max_attempts} in {:.1} s",
                    sanitize(&reason),
                    delay_ms as f64 / 1000.0
                );
            }
            Event::TurnFinished { outcome, .. } => {
                if !json && !ends_with_newline {
                    let _ = writeln!(stdout);
                }
                if code != 130 {
                    code = match outcome {
                        TurnOutcome::Completed => 0,
                        TurnOutcome::Interrupted | TurnOutcome::Failed => 1,
                    };
                }
                let _ = rt.ops.send(Op::Shutdown);
            }
            Event::ShutdownComplete => break,
            _ => {}
        }
    }
    let _ = rt.join.await;
    code
}
