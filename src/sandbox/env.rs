//! Which environment variables a shell command inherits: everything except
//! pincer's provider keys and variables whose name looks secret, unless the
//! user passes them explicitly (`[tools.shell] pass_env`).

use std::ffi::OsStr;

use tokio::process::Command;

/// What to keep out of (and let into) a shell command's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFilter {
    /// Extra names that are always secret here: the `api_key_env` of every
    /// configured provider profile.
    pub secret_names: Vec<String>,
    /// Names passed through even though they look secret (`pass_env`).
    pub pass: Vec<String>,
}

/// Well-known secret names that do not follow the suffix patterns.
const KNOWN_SECRETS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "NPM_TOKEN",
    "CARGO_REGISTRY_TOKEN",
    "HF_TOKEN",
    "DATABASE_URL",
    "PGPASSWORD",
    "MYSQL_PWD",
    "SSH_AUTH_SOCK",
    "GPG_AGENT_INFO",
    "VAULT_TOKEN",
    "DOCKER_AUTH_CONFIG",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

/// Name parts (between `_`) that mark a variable as secret wherever they occur.
const SECRET_PARTS: &[&str] = &[
    "KEY",
    "APIKEY",
    "TOKEN",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "COOKIE",
    "SESSION",
    "PRIVATE",
];

/// Variables that contain a secret-looking part but are not secrets.
const NOT_SECRET: &[&str] = &["PWD", "OLDPWD", "KEYTIMEOUT", "XAUTHORITY_NAME"];

impl EnvFilter {
    /// True when `name` must not reach the shell.
    pub fn is_secret(&self, name: &str) -> bool {
        if self.pass.iter().any(|p| p == name) {
            return false;
        }
        if self.secret_names.iter().any(|s| s == name) {
            return true;
        }
        looks_secret(name)
    }

    /// Removes every secret variable of pincer's own environment from `cmd`.
    pub fn apply(&self, cmd: &mut Command) {
        for (name, _) in std::env::vars_os() {
            if self.is_secret_os(&name) {
                cmd.env_remove(&name);
            }
        }
    }

    fn is_secret_os(&self, name: &OsStr) -> bool {
        match name.to_str() {
            Some(name) => self.is_secret(name),
            // A name that is not UTF-8 cannot be vetted: keep it out.
            None => true,
        }
    }
}

/// The name-based half of the filter (no configuration involved).
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NOT_SECRET.contains(&upper.as_str()) {
        return false;
    }
    if KNOWN_SECRETS.contains(&upper.as_str()) || upper.starts_with("AWS_SECRET") {
        return true;
    }
    upper
        .split(['_', '-', '.'])
        .any(|part| SECRET_PARTS.contains(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "OPENAI_API_KEY",
            "MY_SERVICE_TOKEN",
            "DB_PASSWORD",
            "aws_secret_access_key",
            "AWS_SESSION_TOKEN",
            "GITHUB_TOKEN",
            "SMTP_PASSWD",
            "GCP_CREDENTIALS",
            "STRIPE_SECRET",
            "SSH_AUTH_SOCK",
            "X_API_KEY_2",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "PWD",
            "OLDPWD",
            "LANG",
            "TERM",
            "CARGO_HOME",
            "KEYBOARD",
            "EDITOR",
            "MONKEY",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn profile_keys_and_pass_list() {
        let filter = EnvFilter {
            secret_names: vec!["MYLLM".into()],
            pass: vec!["NPM_TOKEN".into()],
        };
        assert!(filter.is_secret("MYLLM"));
        assert!(!filter.is_secret("NPM_TOKEN"));
        assert!(filter.is_secret("OTHER_TOKEN"));
        assert!(!filter.is_secret("PATH"));
    }
}
