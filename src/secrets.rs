//! The encrypted secrets store: provider keys live here instead of the environment.
//!
//! Two files in the config directory, both created readable by the user only (0600):
//! `secrets.key` holds a random 256-bit key; `secrets.enc` holds the name → value map as JSON,
//! sealed with AES-256-GCM under a fresh random nonce on every write, written to a temporary
//! file beside it and renamed into place. There is no OS keyring on headless machines, so the
//! key file's permissions are the protection (checked on every read: a key readable by others
//! is refused). `api_key = "secret:NAME"` in a provider profile resolves through [`SecretStore`].

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// First line of the sealed file.
const MAGIC: &str = "pincer-secrets v1";
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "`{0}` is not a valid secret name: use 1–64 letters, digits, `_`, `-` or `.` (e.g. OPENAI_API_KEY)"
    )]
    BadName(String),
    #[error("{path}: {source}; check that the config directory exists and is writable")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} can be read by other users (mode {mode:o}); run `chmod 600 {path}` and try again"
    )]
    KeyExposed { path: PathBuf, mode: u32 },
    #[error(
        "{path} is not a valid key file ({reason}); if it is lost the secrets cannot be read: \
         move {path} and secrets.enc aside and set the secrets again with `pincer secrets set NAME`"
    )]
    BadKey { path: PathBuf, reason: String },
    #[error(
        "{path} cannot be decrypted ({reason}): it was damaged or sealed with another key; move \
         it aside and set the secrets again with `pincer secrets set NAME`"
    )]
    Sealed { path: PathBuf, reason: String },
    #[error("the secret value is empty; pass a value on standard input")]
    EmptyValue,
}

/// The store in one directory.
pub struct SecretStore {
    key_path: PathBuf,
    data_path: PathBuf,
}

/// The prefix of a secret reference in a provider profile.
pub const REFERENCE_PREFIX: &str = "secret:";

/// Checks `api_key = "secret:NAME"` and returns it normalised; a literal key is refused (keys
/// never live in config.toml).
pub fn parse_reference(value: &str) -> Result<String, String> {
    let Some(name) = value.trim().strip_prefix(REFERENCE_PREFIX) else {
        return Err("api_key only takes a reference to the secrets store, not a key".into());
    };
    if !valid_name(name) {
        return Err(format!("`{name}` is not a valid secret name"));
    }
    Ok(format!("{REFERENCE_PREFIX}{name}"))
}

/// Whether `name` may name a secret.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl SecretStore {
    /// The store kept in `dir` (the config directory).
    pub fn in_dir(dir: &Path) -> SecretStore {
        SecretStore {
            key_path: dir.join("secrets.key"),
            data_path: dir.join("secrets.enc"),
        }
    }

    /// The value of `name`, `None` when it was never set.
    pub fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        check_name(name)?;
        Ok(self.load()?.remove(name))
    }

    /// Names only, sorted.
    pub fn names(&self) -> Result<Vec<String>, SecretError> {
        Ok(self.load()?.into_keys().collect())
    }

    /// Stores `value` under `name` (replacing an old value).
    pub fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        check_name(name)?;
        if value.is_empty() {
            return Err(SecretError::EmptyValue);
        }
        let mut map = self.load()?;
        map.insert(name.to_string(), value.to_string());
        self.save(&map)
    }

    /// Removes `name`; false when it was not there.
    pub fn remove(&self, name: &str) -> Result<bool, SecretError> {
        check_name(name)?;
        let mut map = self.load()?;
        if map.remove(name).is_none() {
            return Ok(false);
        }
        self.save(&map)?;
        Ok(true)
    }

    fn load(&self) -> Result<BTreeMap<String, String>, SecretError> {
        let text = match fs::read_to_string(&self.data_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.io(&self.data_path, e)),
        };
        let sealed_err = |reason: &str| SecretError::Sealed {
            path: self.data_path.clone(),
            reason: reason.to_string(),
        };
        let body = text
            .strip_prefix(MAGIC)
            .ok_or_else(|| sealed_err("unknown format"))?;
        let blob = STANDARD
            .decode(body.trim())
            .map_err(|_| sealed_err("not base64"))?;
        if blob.len() < NONCE_LEN {
            return Err(sealed_err("too short"));
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let cipher = self.cipher(false)?;
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| sealed_err("authentication failed"))?;
        serde_json::from_slice(&plain).map_err(|_| sealed_err("not a name → value map"))
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let cipher = self.cipher(true)?;
        let plain = serde_json::to_vec(map).map_err(|e| SecretError::Sealed {
            path: self.data_path.clone(),
            reason: e.to_string(),
        })?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext =
            cipher
                .encrypt(&nonce, plain.as_slice())
                .map_err(|_| SecretError::Sealed {
                    path: self.data_path.clone(),
                    reason: "encryption failed".into(),
                })?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        let text = format!("{MAGIC}\n{}\n", STANDARD.encode(blob));
        write_private(&self.data_path, text.as_bytes()).map_err(|e| self.io(&self.data_path, e))
    }

    /// The cipher from the key file; `create` makes the key file when there is none.
    fn cipher(&self, create: bool) -> Result<Aes256Gcm, SecretError> {
        let bytes = match fs::read(&self.key_path) {
            Ok(b) => {
                let mode = fs::metadata(&self.key_path)
                    .map_err(|e| self.io(&self.key_path, e))?
                    .permissions()
                    .mode()
                    & 0o777;
                if mode & 0o077 != 0 {
                    return Err(SecretError::KeyExposed {
                        path: self.key_path.clone(),
                        mode,
                    });
                }
                b
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = Aes256Gcm::generate_key(OsRng);
                if let Some(dir) = self.key_path.parent() {
                    fs::create_dir_all(dir).map_err(|e| self.io(dir, e))?;
                }
                write_private(&self.key_path, key.as_slice())
                    .map_err(|e| self.io(&self.key_path, e))?;
                key.to_vec()
            }
            Err(e) => return Err(self.io(&self.key_path, e)),
        };
        if bytes.len() != KEY_LEN {
            return Err(SecretError::BadKey {
                path: self.key_path.clone(),
                reason: format!("{} bytes instead of {KEY_LEN}", bytes.len()),
            });
        }
        Ok(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    fn io(&self, path: &Path, source: std::io::Error) -> SecretError {
        SecretError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn check_name(name: &str) -> Result<(), SecretError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(SecretError::BadName(name.to_string()))
    }
}

/// Writes `bytes` to a 0600 temporary file beside `path`, then renames it over `path`.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::in_dir(dir.path());
        assert_eq!(store.get("OPENAI").unwrap(), None);
        store.set("OPENAI", "sk-test-value").unwrap();
        store.set("OTHER", "x1").unwrap();
        assert_eq!(
            store.get("OPENAI").unwrap().as_deref(),
            Some("sk-test-value")
        );
        assert_eq!(store.names().unwrap(), vec!["OPENAI", "OTHER"]);
        for f in ["secrets.key", "secrets.enc"] {
            let mode = fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        let sealed = fs::read_to_string(dir.path().join("secrets.enc")).unwrap();
        assert!(!sealed.contains("sk-test-value") && !sealed.contains("OPENAI"));
        assert!(store.remove("OTHER").unwrap());
        assert!(!store.remove("OTHER").unwrap());
        assert_eq!(store.names().unwrap(), vec!["OPENAI"]);
    }

    #[test]
    fn nonce_changes_per_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::in_dir(dir.path());
        store.set("A", "same").unwrap();
        let one = fs::read_to_string(dir.path().join("secrets.enc")).unwrap();
        store.set("A", "same").unwrap();
        let two = fs::read_to_string(dir.path().join("secrets.enc")).unwrap();
        assert_ne!(one, two);
    }

    #[test]
    fn exposed_key_and_tampering_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::in_dir(dir.path());
        store.set("A", "v").unwrap();
        let key = dir.path().join("secrets.key");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.names().unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        let data = dir.path().join("secrets.enc");
        let mut text = fs::read_to_string(&data).unwrap();
        text.insert(MAGIC.len() + 3, 'A');
        fs::write(&data, text).unwrap();
        assert!(matches!(store.get("A"), Err(SecretError::Sealed { .. })));
        assert!(matches!(
            store.get("bad name"),
            Err(SecretError::BadName(_))
        ));
    }
}
