//! The seccomp half of the helper: refuse network sockets and device nodes.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Socket domains refused without `--allow-network`. AF_UNIX (and netlink)
/// stay allowed: many tools need them. AF_PACKET is refused too because the
/// helper may run as root, where raw packet sockets would bypass the rest.
const DENIED_DOMAINS: [libc::c_int; 3] = [libc::AF_INET, libc::AF_INET6, libc::AF_PACKET];

/// x32 system calls on x86_64 carry this bit in their number but the same
/// audit arch, so the filter has to name them separately.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// What the filter refuses besides device nodes (always refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FilterOptions {
    /// Refuse IPv4/IPv6/packet sockets and io_uring.
    pub deny_network: bool,
    /// Refuse `socket(AF_UNIX, …)` too (`socketpair` stays allowed): used
    /// where Landlock cannot confine connecting to pathname sockets.
    pub deny_unix_sockets: bool,
}

/// Build the filter: default Allow; `mknod`/`mknodat` of character or block
/// devices fail with EPERM; with `deny_network`, `socket(AF_INET | AF_INET6 |
/// AF_PACKET, …)` and `io_uring_setup` fail with EACCES (io_uring is refused
/// because `IORING_OP_SOCKET` would create sockets without calling
/// `socket(2)`); with `deny_unix_sockets`, `socket(AF_UNIX, …)` too. System
/// calls of another arch (e.g. 32-bit x86) kill the process, as seccompiler's
/// arch check does.
///
/// Not expressible here: which path a UNIX socket connects to and which
/// process a signal goes to (seccomp sees pointers and pids, not the tree);
/// Landlock's scopes cover those where the kernel has them (ABI 6 and 9).
pub(super) fn filter(options: FilterOptions) -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| format!("unsupported architecture: {e}"))?;
    let mut domains: Vec<libc::c_int> = Vec::new();
    if options.deny_network {
        domains.extend(DENIED_DOMAINS);
    }
    if options.deny_unix_sockets {
        domains.push(libc::AF_UNIX);
    }
    let socket_rules = domains
        .iter()
        .map(|&domain| {
            let domain = u64::try_from(domain).map_err(|e| e.to_string())?;
            rule(0, SeccompCmpOp::Eq, domain)
        })
        .collect::<Result<Vec<_>, String>>()?;

    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let mut add = |nr: i64, list: Vec<SeccompRule>| {
        #[cfg(target_arch = "x86_64")]
        rules.insert(X32_SYSCALL_BIT | nr, list.clone());
        rules.insert(nr, list);
    };
    if !socket_rules.is_empty() {
        add(libc::SYS_socket, socket_rules);
    }
    if options.deny_network {
        add(libc::SYS_io_uring_setup, Vec::new());
    }
    #[cfg(target_arch = "x86_64")]
    add(libc::SYS_mknod, device_rules(1)?);
    add(libc::SYS_mknodat, device_rules(2)?);

    let errno = u32::try_from(libc::EACCES).map_err(|e| e.to_string())?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno),
        arch,
    )
    .map_err(|e| e.to_string())?;
    BpfProgram::try_from(filter).map_err(|e| e.to_string())
}

/// Rules matching a `mode` argument (at `index`) that creates a character or
/// block device.
fn device_rules(index: u8) -> Result<Vec<SeccompRule>, String> {
    let kind = u64::from(libc::S_IFMT);
    [libc::S_IFCHR, libc::S_IFBLK]
        .into_iter()
        .map(|t| rule(index, SeccompCmpOp::MaskedEq(kind), u64::from(t)))
        .collect()
}

fn rule(index: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompRule, String> {
    let cond = SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value)
        .map_err(|e| e.to_string())?;
    SeccompRule::new(vec![cond]).map_err(|e| e.to_string())
}

/// Install [`filter`] on the calling thread (sets no_new_privs).
pub(super) fn apply(options: FilterOptions) -> Result<(), String> {
    let program = filter(options)?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_compiles_for_this_arch() {
        for (deny_network, deny_unix_sockets) in [(true, true), (true, false), (false, false)] {
            let program = filter(FilterOptions {
                deny_network,
                deny_unix_sockets,
            })
            .expect("filter");
            assert!(program.len() > 4);
        }
    }
}
