//! The names MCP tools are offered under: `mcp__SERVER__TOOL`, made of the characters every
//! provider accepts (`[A-Za-z0-9_-]`), at most 64 characters. A name that had to be changed or
//! cut carries a stable hash of the original, so it does not depend on the order servers or
//! tools arrive in. Two tools that still end up with one name are both refused, with a warning:
//! renaming one of them by arrival order would make a rule or a habit point at the other.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The prefix of every MCP tool name.
pub const PREFIX: &str = "mcp__";
/// Find MCP tools by words (the fallback when every schema would not fit the budget).
pub const SEARCH: &str = "mcp_search";
/// Call an MCP tool found with [`SEARCH`].
pub const CALL: &str = "mcp_call";

/// Whether `name` is an MCP tool name (direct, or one of the two fallback tools).
pub fn is_mcp_tool(name: &str) -> bool {
    name.starts_with(PREFIX) || name == SEARCH || name == CALL
}

/// The longest tool name the providers accept.
pub const MAX_LEN: usize = 64;
const HASH_LEN: usize = 6;

/// `[A-Za-z0-9_-]` only; anything else becomes `_`; empty becomes `_`.
pub fn sanitize(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".to_string() } else { s }
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .take(HASH_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The offered name of `tool` on `server`: `mcp__SERVER__TOOL`, sanitised, and when that
/// changed anything or is too long, cut and suffixed with `_` + a hash of the original.
pub fn offered_name(server: &str, tool: &str) -> String {
    let original = format!("{PREFIX}{server}__{tool}");
    let clean = format!("{PREFIX}{}__{}", sanitize(server), sanitize(tool));
    if clean == original && clean.len() <= MAX_LEN {
        return clean;
    }
    let suffix = format!("_{}", short_hash(&original));
    let keep = MAX_LEN.min(clean.len() + suffix.len()) - suffix.len();
    // `clean` is ASCII, so any byte index is a char boundary.
    format!("{}{suffix}", &clean[..keep.min(clean.len())])
}

/// The server part of an offered name, as sanitised (for rules like `mcp__SERVER__*`).
pub fn server_prefix(server: &str) -> String {
    format!("{PREFIX}{}__", sanitize(server))
}

/// One server tool and the name it would be offered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub server: String,
    pub tool: String,
    pub offered: String,
}

/// Names for every (server, tool): the accepted ones by offered name, and one warning per
/// collision (every tool in a collision is refused).
pub fn assign(
    tools: impl IntoIterator<Item = (String, String)>,
) -> (BTreeMap<String, Named>, Vec<String>) {
    let mut by_name: BTreeMap<String, Vec<Named>> = BTreeMap::new();
    for (server, tool) in tools {
        let offered = offered_name(&server, &tool);
        by_name.entry(offered.clone()).or_default().push(Named {
            server,
            tool,
            offered,
        });
    }
    let mut accepted = BTreeMap::new();
    let mut warnings = Vec::new();
    for (name, mut group) in by_name {
        if group.len() == 1 {
            if let Some(one) = group.pop() {
                accepted.insert(name, one);
            }
            continue;
        }
        group.sort_by(|a, b| (&a.server, &a.tool).cmp(&(&b.server, &b.tool)));
        group.dedup_by(|a, b| a.server == b.server && a.tool == b.tool);
        if group.len() == 1 {
            // The same tool listed twice by one server: one tool.
            if let Some(one) = group.pop() {
                accepted.insert(name, one);
            }
            continue;
        }
        let who: Vec<String> = group
            .iter()
            .map(|n| format!("{:?} on {:?}", n.tool, n.server))
            .collect();
        warnings.push(format!(
            "MCP tools {} all become {name}: none of them is offered; rename one server in \
             [mcp_servers] or disable one with disabled_tools",
            who.join(", ")
        ));
    }
    (accepted, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_through() {
        assert_eq!(offered_name("git", "status"), "mcp__git__status");
        assert_eq!(server_prefix("git"), "mcp__git__");
    }

    #[test]
    fn odd_characters_are_replaced_and_marked_with_a_hash() {
        let n = offered_name("my server", "read.file");
        assert!(n.starts_with("mcp__my_server__read_file_"), "{n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        // Stable: the same input gives the same name.
        assert_eq!(n, offered_name("my server", "read.file"));
    }

    #[test]
    fn long_names_are_cut_to_64_with_a_stable_hash() {
        let tool = "x".repeat(100);
        let a = offered_name("srv", &tool);
        let b = offered_name("srv", &format!("{tool}y"));
        assert_eq!(a.len(), MAX_LEN);
        assert_eq!(b.len(), MAX_LEN);
        assert_ne!(a, b, "different originals keep different names");
    }

    #[test]
    fn unicode_and_empty_parts_are_safe() {
        let n = offered_name("ünï", "");
        assert!(n.is_ascii() && n.len() <= MAX_LEN, "{n}");
    }

    #[test]
    fn a_genuine_collision_refuses_every_tool_in_it_whatever_the_order() {
        // "t." is renamed to `mcp__s__t__HASH`; a tool literally named `t__HASH` is offered
        // under the same name.
        let renamed = offered_name("s", "t.");
        let literal = renamed.trim_start_matches("mcp__s__").to_string();
        assert_eq!(offered_name("s", &literal), renamed);
        let clash = vec![
            ("s".to_string(), "t.".to_string()),
            ("s".to_string(), literal),
            ("s".to_string(), "fine".to_string()),
        ];
        let (ok1, warn1) = assign(clash.clone());
        let (ok2, warn2) = assign(clash.into_iter().rev());
        assert_eq!(ok1, ok2, "order does not matter");
        assert_eq!(warn1, warn2);
        assert_eq!(ok1.keys().collect::<Vec<_>>(), vec!["mcp__s__fine"]);
        assert_eq!(warn1.len(), 1);
        assert!(warn1[0].contains("none of them is offered"), "{}", warn1[0]);
    }

    #[test]
    fn names_that_sanitise_alike_stay_apart() {
        let (ok, warn) = assign(vec![
            ("a b".to_string(), "t".to_string()),
            ("a_b".to_string(), "t".to_string()),
        ]);
        assert_eq!(ok.len(), 2);
        assert!(warn.is_empty());
    }

    #[test]
    fn same_offered_name_from_two_servers_is_refused() {
        // Duplicate server names cannot be configured twice, but a server may list one tool
        // twice (kept once), and two entries can only truly collide through identical parts.
        let dup = vec![
            ("s".to_string(), "t".to_string()),
            ("s".to_string(), "t".to_string()),
        ];
        let (ok, warn) = assign(dup);
        assert_eq!(ok.len(), 1);
        assert!(warn.is_empty());
    }
}
