//! The Landlock half of the helper: read and execute everywhere, write only
//! beneath the workspace and the temp dir.

use std::path::{Path, PathBuf};

use ::landlock::{
    ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetError, RulesetStatus, make_bitflags,
};

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
/// process) and everything it execs afterwards.
pub(super) fn restrict(
    availability: &Availability,
    workspace: &Path,
    temp_dir: &Path,
) -> Result<(), LandlockError> {
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
    // Beneath `/`: read and execute; connecting to pathname UNIX sockets
    // (handled from ABI 9 on) stays allowed so AF_UNIX keeps working.
    let everywhere = all & make_bitflags!(AccessFs::{ReadFile | ReadDir | Execute | ResolveUnix});
    let dev_null = all & make_bitflags!(AccessFs::{ReadFile | WriteFile | Truncate});

    let status = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)?
        .create()?
        .no_new_privs(true)
        .add_rule(beneath(Path::new("/"), everywhere)?)?
        .add_rule(beneath(Path::new("/dev/null"), dev_null)?)?
        .add_rule(beneath(&workspace, all)?)?
        .add_rule(beneath(&temp_dir, all)?)?
        .restrict_self()?;

    match status.ruleset {
        RulesetStatus::FullyEnforced if status.no_new_privs => Ok(()),
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
