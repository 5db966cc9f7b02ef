//! Full-screen terminal UI: one front end of the runtime.
//!
//! The loop waits on three sources only — terminal input, runtime events, signals — plus a
//! spinner tick while a turn runs and a frame deadline while a redraw is pending. Idle, nothing
//! wakes it.

pub mod app;
pub mod approval;
pub mod cells;
pub mod clock;
pub mod complete_path;
pub mod composer;
pub mod context_view;
mod copy;
mod editor;
pub mod effect;
mod exit;
pub mod filter_list;
pub mod fork_picker;
mod fuzzy;
mod help_view;
pub mod input;
mod input_keys;
pub mod input_state;
pub mod keymap;
pub mod layers;
pub mod markdown;
pub mod memory_cell;
pub mod memory_pane;
pub mod memory_ui;
mod model_list;
mod onboarding;
pub mod panes;
mod prompt_edit;
pub mod prompt_search;
pub mod queue_view;
mod quit_arm;
mod reduce_session;
mod reduce_tools;
mod reduce_turn;
pub mod session_pane;
pub mod skill_ui;
pub mod skills_pane;
pub mod slash;
pub mod task_pane;
pub mod terminal;
pub mod theme;
pub mod tool_cell;
pub mod transcript;
pub mod user_cell;
pub mod view;

#[cfg(test)]
mod approval_snapshot_tests;
#[cfg(test)]
mod memory_pane_snapshot_tests;
#[cfg(test)]
mod onboarding_tests;
#[cfg(test)]
mod session_pane_snapshot_tests;
#[cfg(test)]
mod skills_pane_snapshot_tests;
#[cfg(test)]
mod snapshot_tests;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream};
use tokio::signal::unix::{SignalKind, signal};

use crate::protocol::{ErrorKind, Op, SessionScope};
use crate::runtime;
use crate::startup::{Launch, Startup};
use app::App;
use effect::Effect;
use terminal::TerminalGuard;
use theme::Theme;

/// At most 60 frames a second.
const FRAME: Duration = Duration::from_millis(16);
const SPINNER_TICK: Duration = Duration::from_millis(100);
/// How long quitting waits for the runtime to store the last reply.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

pub async fn run(startup: Startup, launch: Launch) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the full-screen mode needs a terminal; for pipes and scripts use: pincer -p \"prompt\""
        );
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (theme, theme_error) =
        match Theme::load(&startup.config.theme, &startup.paths.themes_dir(), no_color) {
            Ok(t) => (t, None),
            Err(e) => (
                Theme::dark(),
                Some(format!(
                    "{e}\n  (using the default dark theme until this is fixed)"
                )),
            ),
        };

    tracing::debug!("start-up: theme loaded");
    let signals = Signals {
        sigterm: signal(SignalKind::terminate())?,
        sighup: signal(SignalKind::hangup())?,
        sigint: signal(SignalKind::interrupt())?,
    };
    terminal::install_panic_hook();
    let mut guard =
        TerminalGuard::enter().context("cannot switch the terminal to full-screen mode")?;
    tracing::debug!("start-up: terminal in full-screen mode");
    let mut app = App::new(theme);
    app.conv.shift_enter = input_keys::terminal_reports_shift_enter(|k| std::env::var(k).ok());
    app.provider = startup.provider.as_ref().ok().map(|p| p.info());
    if let Some(e) = theme_error {
        // Before the first frame: the user sees why the colours are not theirs at once.
        app.push_error(ErrorKind::Config, e);
    }
    guard.terminal.draw(|f| view::render(&mut app, f))?;
    tracing::info!("first frame drawn");
    debug_panic_hook();

    app.home = std::env::var("HOME").ok().filter(|h| !h.is_empty());
    let pick = launch.pick_session.clone();
    let mut rt = runtime::spawn(startup.into_settings(launch));
    if let Some(filter) = pick {
        let scope = if filter.is_empty() {
            SessionScope::ThisDirectory
        } else {
            SessionScope::All
        };
        let ops = app.open_sessions(scope, &filter);
        app.effects.ops(ops);
    }
    let result = event_loop(signals, &mut guard, &mut app, &mut rt).await;

    // Let the runtime stop the turn and store what it has.
    let _ = rt.ops.send(Op::Shutdown);
    if tokio::time::timeout(SHUTDOWN_GRACE, &mut rt.join)
        .await
        .is_err()
    {
        tracing::warn!("runtime did not stop within {SHUTDOWN_GRACE:?}");
        rt.join.abort();
    }
    drop(guard);
    // The conversation stays in the scrollback, and the way back is the last line.
    let farewell = exit::farewell(&app.transcript, app.session_id.as_deref());
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(farewell.as_bytes())
            .and_then(|()| out.flush());
    }
    result
}

/// Installed before the terminal is taken over, so a signal in the first milliseconds still
/// goes through the loop that restores it.
struct Signals {
    sigterm: tokio::signal::unix::Signal,
    sighup: tokio::signal::unix::Signal,
    sigint: tokio::signal::unix::Signal,
}

async fn event_loop(
    signals: Signals,
    guard: &mut TerminalGuard,
    app: &mut App,
    rt: &mut runtime::RuntimeHandle,
) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let Signals {
        mut sigterm,
        mut sighup,
        mut sigint,
    } = signals;
    let mut spinner = tokio::time::interval(SPINNER_TICK);
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_draw = Instant::now();
    let mut dirty = app.transcript.is_empty() && app.provider.is_none();

    loop {
        let deadline = tokio::time::Instant::from_std(last_draw + FRAME);
        let running = app.turn.running();
        // One wake when a Ctrl+C arming runs out (no timer otherwise).
        let arm_deadline = app.conv.quit.deadline();
        let arm_wake = tokio::time::Instant::from_std(arm_deadline.unwrap_or(last_draw));
        tokio::select! {
            maybe = input.next() => match maybe {
                Some(Ok(ev)) => {
                    on_terminal_event(app, ev);
                    dirty = true;
                }
                Some(Err(e)) => return Err(e).context("reading the terminal failed"),
                None => return Ok(()),
            },
            ev = rt.events.recv() => match ev {
                Some(ev) => {
                    app.on_event(ev);
                    while let Ok(more) = rt.events.try_recv() {
                        app.on_event(more);
                    }
                    dirty = true;
                }
                None => {
                    app.runtime_gone = true;
                }
            },
            _ = spinner.tick(), if running => {
                app.tick();
                dirty = true;
            }
            _ = tokio::time::sleep_until(deadline), if dirty => {}
            _ = tokio::time::sleep_until(arm_wake), if arm_deadline.is_some() => {
                app.quit_arming_ran_out();
                dirty = true;
            }
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
        }
        // Handling an effect may queue more (the editor closing asks for fresh previews).
        while !app.effects.is_empty() {
            for effect in app.effects.drain() {
                match effect {
                    Effect::Op(op) => {
                        let _ = rt.ops.send(op);
                    }
                    Effect::Quit => return Ok(()),
                    Effect::Suspend => suspend(guard)?,
                    effect @ (Effect::Edit(_) | Effect::EditAt(..)) => {
                        let (path, line) = match effect {
                            Effect::EditAt(path, line) => (path, Some(line)),
                            Effect::Edit(path) => (path, None),
                            _ => continue,
                        };
                        // The editor owns the terminal meanwhile: stop reading keys.
                        drop(input);
                        let outcome = edit(guard, &path, line);
                        input = EventStream::new();
                        if let Err(e) = outcome? {
                            app.push_error(ErrorKind::Config, e);
                        }
                        app.after_editor();
                    }
                    Effect::EditPrompt(path) => {
                        drop(input);
                        let outcome = edit(guard, &path.display().to_string(), None);
                        input = EventStream::new();
                        if let Err(e) = outcome? {
                            app.push_error(ErrorKind::Config, e);
                        }
                        app.after_prompt_edit(&path);
                    }
                    Effect::Copy(text) => copy(guard, app, &text),
                }
            }
            dirty = true;
            last_draw = Instant::now() - FRAME;
        }
        if app.runtime_gone {
            return Ok(());
        }
        if !running && app.turn.running() {
            spinner.reset();
        }
        if dirty && Instant::now() >= last_draw + FRAME {
            guard.terminal.draw(|f| view::render(app, f))?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
}

/// Open `path` in the user's editor with the screen restored meanwhile. A failing editor is
/// shown in the transcript; only losing the terminal is an error.
fn edit(
    guard: &mut TerminalGuard,
    path: &str,
    line: Option<u32>,
) -> anyhow::Result<Result<(), String>> {
    guard.suspend();
    let outcome = tokio::task::block_in_place(|| editor::open_at(path, line));
    guard
        .resume()
        .context("cannot take the terminal back after the editor")?;
    Ok(outcome)
}

/// Put `text` on the clipboard with OSC 52 and say so.
fn copy(guard: &mut TerminalGuard, app: &mut App, text: &str) {
    use std::io::Write;
    let out = guard.terminal.backend_mut();
    let written = out
        .write_all(effect::osc52(text).as_bytes())
        .and_then(|()| out.flush());
    let lines = text.lines().count();
    match written {
        Ok(()) => app.hint = Some(format!("copied {lines} line(s) to the clipboard (OSC 52)")),
        Err(e) => app.push_error(
            ErrorKind::Config,
            format!("could not write the clipboard sequence to the terminal: {e}"),
        ),
    }
}

/// Ctrl+Z: restore the terminal, stop like any shell job, take the terminal back on `fg`.
fn suspend(guard: &mut TerminalGuard) -> anyhow::Result<()> {
    guard.suspend();
    // SAFETY: raise(3) only sends a signal to this process; SIGTSTP's default action stops it
    // until SIGCONT, after which raise returns.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    guard
        .resume()
        .context("cannot take the terminal back after resuming")?;
    Ok(())
}

/// Debug builds only: `PINCER_DEBUG_PANIC=1` panics after the first frame, so the tests can
/// check that a panic leaves the terminal restored.
#[allow(clippy::panic)]
fn debug_panic_hook() {
    if cfg!(debug_assertions) && std::env::var_os("PINCER_DEBUG_PANIC").is_some() {
        panic!("PINCER_DEBUG_PANIC is set: panicking on purpose");
    }
}

/// Terminal input goes to the top layer (`layers.rs` decides which).
fn on_terminal_event(app: &mut App, ev: TermEvent) {
    match ev {
        TermEvent::Key(key) => {
            layers::key(app, key);
        }
        TermEvent::Paste(text) => {
            layers::paste(app, &text);
        }
        TermEvent::Mouse(mouse) => {
            layers::mouse(app, mouse);
        }
        _ => {} // resize, focus: the next draw adapts
    }
}
