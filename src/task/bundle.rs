//! The artifact bundle the forge (model or templates) produces: files written beneath the
//! task's build folder, steps that perform the plan's actions, and variables for the steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    #[serde(default)]
    pub files: Vec<Artifact>,
    pub steps: Vec<Step>,
    /// Exported to every step's environment.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Relative to the build folder.
    pub path: String,
    /// Octal, e.g. "0755".
    pub mode: String,
    /// The action it serves (`create file.index`).
    pub purpose: String,
    /// sh, bash, python3, node, or a data format (text, json, html, …).
    pub language: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The action it performs (`create file.index`).
    pub purpose: String,
    /// One shell line, run in the task's folder.
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// The step needs the network (an HTTP check, a git clone, a service that listens).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub network: bool,
    /// Start and leave running (a service): not waited for, its output goes to a log file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub detach: bool,
}

/// `.pincer/tasks/NAME/build`, relative to the task's folder.
pub fn build_dir(task: &str) -> String {
    format!(".pincer/tasks/{task}/build")
}

/// The JSON the model is asked to produce, parsed leniently about code fences around it.
pub fn parse(text: &str) -> Result<Bundle, String> {
    let t = text.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .map_or(t, |rest| rest.trim_end().trim_end_matches("```"));
    let start = t.find('{').unwrap_or(0);
    let end = t.rfind('}').map_or(t.len(), |e| e + 1);
    let body = t.get(start..end).unwrap_or(t);
    serde_json::from_str(body).map_err(|e| format!("the reply is not a valid bundle: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_with_fences_or_prose_around_the_json_parse() {
        let json = r#"{"files": [], "steps": [{"purpose": "create file.a", "command": "sh x"}]}"#;
        for reply in [
            json.to_string(),
            format!("```json\n{json}\n```"),
            format!("Here it is:\n{json}\nDone."),
        ] {
            let b = parse(&reply).unwrap_or_default();
            assert_eq!(b.steps.len(), 1, "{reply}");
        }
        assert!(parse("{\"steps\": [], \"extra\": 1}").is_err());
        assert!(parse("no json").is_err());
    }
}
