//! `pincer secrets set|get|list|rm NAME`: the encrypted secrets store from the command line.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use crate::secrets::{SecretError, SecretStore};

/// What `pincer secrets` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the value from standard input (without echo on a terminal) and store it.
    Set(String),
    /// Print the value.
    Get(String),
    /// Print the names, one per line.
    List,
    Rm(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsCliError {
    #[error(transparent)]
    Store(#[from] SecretError),
    #[error(
        "no secret named `{0}`; `pincer secrets list` shows the names, `pincer secrets set {0}` stores one"
    )]
    Missing(String),
    #[error("could not read the value from standard input: {0}")]
    Input(std::io::Error),
    #[error("could not write the output: {0}")]
    Output(std::io::Error),
}

/// Runs `action` on the store in `config_dir`.
pub fn run(action: &Action, config_dir: &Path, out: &mut dyn Write) -> Result<(), SecretsCliError> {
    let store = SecretStore::in_dir(config_dir);
    let say =
        |out: &mut dyn Write, text: &str| writeln!(out, "{text}").map_err(SecretsCliError::Output);
    match action {
        Action::Set(name) => {
            if !crate::secrets::valid_name(name) {
                return Err(SecretError::BadName(name.clone()).into());
            }
            let value = read_value(name).map_err(SecretsCliError::Input)?;
            store.set(name, &value)?;
            say(
                out,
                &format!(
                    "stored `{name}`; use it as api_key = \"secret:{name}\" in a provider profile"
                ),
            )
        }
        Action::Get(name) => match store.get(name)? {
            Some(v) => say(out, &v),
            None => Err(SecretsCliError::Missing(name.clone())),
        },
        Action::List => {
            for name in store.names()? {
                say(out, &name)?;
            }
            Ok(())
        }
        Action::Rm(name) => {
            if store.remove(name)? {
                say(out, &format!("removed `{name}`"))
            } else {
                Err(SecretsCliError::Missing(name.clone()))
            }
        }
    }
}

/// The value from standard input: one line typed without echo on a terminal, or everything
/// piped in (one trailing newline dropped).
fn read_value(name: &str) -> std::io::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut all = String::new();
        stdin.lock().read_to_string(&mut all)?;
        let trimmed = all.strip_suffix('\n').unwrap_or(&all);
        return Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string());
    }
    eprint!("Value for {name} (not shown): ");
    let _ = std::io::stderr().flush();
    let echo = EchoOff::new();
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    drop(echo);
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Terminal echo switched off on standard input until dropped.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed termios they fill in.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            t.c_lflag |= libc::ECHONL;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return EchoOff(None);
            }
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, saved);
            }
        }
    }
}
