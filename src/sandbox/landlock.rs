//! The Landlock half of the helper: read and execute everywhere, write only
//! beneath the workspace and the temp dir, never create device nodes, and
//! (ABI 6+) no abstract UNIX sockets or signals outside the sandbox; (ABI 9+)
//! pathname UNIX sockets only beneath the workspace and the temp dir.

use std::path::{Path, PathBuf};

use ::landlock::{
    ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetError, RulesetStatus, Scope, make_bitflags,
};

/// The first Landlock ABI that confines connecting to pathname UNIX sockets.
pub(super) const ABI_RESOLVE_UNIX: u32 = 9;

use super::Availability;

/// Why Landlock could not be applied. Displayed after
/// "pincer sandbox: cannot apply Landlock: ".
#[derive(Debug, thiserror::Error)]
pub(super) enum LandlockError {
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "the {what} directory {} is not usable: {source}; create it (or pick an existing directory) and retry",
        path.display()
    )]
    BadPath {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the {what} path {} is not a directory; pick a directory and retry", path.display())]
    NotADirectory { what: &'static str, path: PathBuf },
    #[error("cannot open {} for a rule: {source}", path.display())]
    Open {
        path: PathBuf,
        source: ::landlock::PathFdError,
    },
    #[error("{0}")]
    Ruleset(#[from] RulesetError),
    #[error(
        "the kernel enforced the ruleset only {status} (Landlock ABI {abi}, no_new_privs {nnp})"
    )]
    NotFullyEnforced {
        status: &'static str,
        abi: u32,
        nnp: bool,
    },
}

/// Confine the calling thread (the helper is single-threaded, so the whole
/// process) and everything it execs afterwards. Returns the ABI in force.
pub(super) fn restrict(
    availability: &Availability,
    workspace: &Path,
    temp_dir: &Path,
) -> Result<u32, LandlockError> {
    let version = match availability {
        Availability::Available { abi } => *abi,
        Availability::Unavailable { reason } => {
            return Err(LandlockError::Unavailable(reason.clone()));
        }
    };
    let workspace = existing_dir("workspace", workspace)?;
    let temp_dir = existing_dir("temp", temp_dir)?;

    // The best ABI both the kernel and the crate know (newer kernels clamp to
    // the crate's newest). Handling exactly that ABI's rights means
    // best-effort compatibility has nothing to drop, so anything short of
    // FullyEnforced below is a real failure.
    let abi = ABI::from(i32::try_from(version).unwrap_or(i32::MAX));
    let all = AccessFs::from_all(abi);
    // Beneath `/`: read and execute only. Connecting to pathname UNIX sockets
    // (handled from ABI 9 on) is allowed only in the writable roots, so the
    // sockets of other services (docker.sock, a session bus, tmux) are out of
    // reach; below ABI 9 seccomp refuses UNIX sockets instead (see helper).
    let everywhere = all & make_bitflags!(AccessFs::{ReadFile | ReadDir | Execute});
    let dev_null = all & make_bitflags!(AccessFs::{ReadFile | WriteFile | Truncate});
    // Device nodes are never created, not even in the writable roots (root
    // could otherwise make a node for the raw disk and write through it).
    let writable = all & !make_bitflags!(AccessFs::{MakeChar | MakeBlock});
    // Abstract UNIX sockets and signals stay inside the sandbox's own domain.
    let scopes = Scope::from_all(abi);

    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)?;
    if !scopes.is_empty() {
        ruleset = ruleset.scope(scopes)?;
    }
    let status = ruleset
        .create()?
        .no_new_privs(true)
        .add_rule(beneath(Path::new("/"), everywhere)?)?
        .add_rule(beneath(Path::new("/dev/null"), dev_null)?)?
        .add_rule(beneath(&workspace, writable)?)?
        .add_rule(beneath(&temp_dir, writable)?)?
        .restrict_self()?;

    match status.ruleset {
        RulesetStatus::FullyEnforced if status.no_new_privs => Ok(version),
        other => Err(LandlockError::NotFullyEnforced {
            status: match other {
                RulesetStatus::FullyEnforced => "fully",
                RulesetStatus::PartiallyEnforced => "partially",
                RulesetStatus::NotEnforced => "not at all",
            },
            abi: version,
            nnp: status.no_new_privs,
        }),
    }
}

fn existing_dir(what: &'static str, path: &Path) -> Result<PathBuf, LandlockError> {
    let canonical = std::fs::canonicalize(path).map_err(|source| LandlockError::BadPath {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(LandlockError::NotADirectory {
            what,
            path: path.to_path_buf(),
        })
    }
}

fn beneath(path: &Path, access: BitFlags<AccessFs>) -> Result<PathBeneath<PathFd>, LandlockError> {
    let fd = PathFd::new(path).map_err(|source| LandlockError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(PathBeneath::new(fd, access))
}
