//! The seccomp half of the helper: refuse network sockets.

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

/// Build the filter: default Allow; `socket(AF_INET | AF_INET6 | AF_PACKET,
/// …)` and `io_uring_setup` fail with EACCES. io_uring is refused because
/// `IORING_OP_SOCKET` would create sockets without calling `socket(2)`.
/// System calls of another arch (e.g. 32-bit x86) kill the process, as
/// seccompiler's arch check does.
pub(super) fn network_filter() -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| format!("unsupported architecture: {e}"))?;
    let socket_rules = DENIED_DOMAINS
        .iter()
        .map(|&domain| {
            let domain = u64::try_from(domain).map_err(|e| e.to_string())?;
            let cond = SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, domain)
                .map_err(|e| e.to_string())?;
            SeccompRule::new(vec![cond]).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;

    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    #[cfg(target_arch = "x86_64")]
    rules.insert(X32_SYSCALL_BIT | libc::SYS_socket, socket_rules.clone());
    rules.insert(libc::SYS_socket, socket_rules);
    rules.insert(libc::SYS_io_uring_setup, Vec::new());

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

/// Install [`network_filter`] on the calling thread (sets no_new_privs).
pub(super) fn deny_network() -> Result<(), String> {
    let program = network_filter()?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_compiles_for_this_arch() {
        let program = network_filter().expect("filter");
        assert!(program.len() > 4);
    }
}
