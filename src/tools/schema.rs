//! Check tool arguments against the tool's JSON Schema before anything runs.
//!
//! Covers the subset pincer's own schemas use: `type` (object, string, integer, number,
//! boolean, array), `properties`, `required`, `additionalProperties: false`, `enum`,
//! `minimum`/`maximum`, `items`. Unknown keywords are ignored. (A full validator crate would
//! pull in a regex engine and a network resolver for remote `$ref`s we never use.)

use serde_json::Value;

/// Every problem found, as sentences the model can act on; empty when valid.
pub fn validate(value: &Value, schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(value, schema, "arguments", &mut problems);
    problems
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(v: &Value, wanted: &str) -> bool {
    match wanted {
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => type_name(v) == other,
    }
}

fn check(value: &Value, schema: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(wanted) = schema.get("type") {
        let ok = match wanted {
            Value::String(t) => type_matches(value, t),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(value, t)),
            _ => true,
        };
        if !ok {
            problems.push(format!(
                "{at} must be {}, not {}",
                describe_type(wanted),
                type_name(value)
            ));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let list: Vec<String> = options.iter().map(Value::to_string).collect();
        problems.push(format!("{at} must be one of {}", list.join(", ")));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            problems.push(format!("{at} must be at least {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            problems.push(format!("{at} must be at most {max}"));
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            check(item, items, &format!("{at}[{i}]"), problems);
        }
    }
    let Some(obj) = value.as_object() else {
        return;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                problems.push(format!("{at}.{name} is required"));
            }
        }
    }
    for (key, v) in obj {
        match props.and_then(|p| p.get(key)) {
            Some(sub) => check(v, sub, &format!("{at}.{key}"), problems),
            None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                let known: Vec<&str> = props
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                problems.push(format!(
                    "{at}.{key} is not a known argument (known: {})",
                    known.join(", ")
                ));
            }
            None => {}
        }
    }
}

fn describe_type(t: &Value) -> String {
    match t {
        Value::String(s) => format!(
            "a{} {s}",
            if s.starts_with(['a', 'i', 'o']) {
                "n"
            } else {
                ""
            }
        ),
        Value::Array(ts) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            format!("one of {}", names.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "start_line": {"type": "integer", "minimum": 1},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["path"],
            "additionalProperties": false
        })
    }

    #[test]
    fn valid_arguments_pass() {
        assert!(
            validate(
                &json!({"path": "a", "start_line": 3, "tags": ["x"]}),
                &schema()
            )
            .is_empty()
        );
    }

    #[test]
    fn problems_are_named() {
        let p = validate(
            &json!({"start_line": 0, "mode": "c", "extra": 1, "tags": [1]}),
            &schema(),
        );
        let text = p.join("\n");
        for needle in [
            "arguments.path is required",
            "at least 1",
            "one of \"a\", \"b\"",
            "extra is not a known argument",
            "tags[0] must be a string",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert_eq!(
            validate(&json!("x"), &schema()),
            vec!["arguments must be an object, not string"]
        );
        assert_eq!(
            validate(&json!({"path": 5}), &schema()),
            vec!["arguments.path must be a string, not integer"]
        );
    }
}
