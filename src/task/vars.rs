//! Variables: `variable "NAME" { default = … }` in the `.cw` file, values from `NAME.cwvars`
//! beside it, and `PINCER_TASK_VAR_<name>` environment overrides (strongest last).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use hcl::edit::Span;
use hcl::edit::structure::{Block, Body};
use serde_json::Value;

use super::diag::{Diagnostic, Source};
use super::expr;

/// The environment as a lookup (tests inject one).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub const ENV_PREFIX: &str = "PINCER_TASK_VAR_";

/// A declared variable.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub default: Option<Value>,
    pub span: Option<Range<usize>>,
}

/// A `variable "NAME" { default = …, description = … }` block.
pub fn declare(src: &Source, block: &Block, diags: &mut Vec<Diagnostic>) -> Option<Declared> {
    let name = single_label(src, block, "variable", diags)?;
    let mut default = None;
    for s in block.body.iter() {
        let Some(attr) = s.as_attribute() else {
            diags.push(src.error(
                s.span(),
                "a block inside a variable",
                "a variable takes only `default` and `description`",
            ));
            continue;
        };
        match attr.key.as_str() {
            "default" => match expr::eval(&attr.value, &|_| None) {
                Ok(v) => default = Some(v),
                Err(e) => diags.push(src.error(
                    e.span,
                    format!("variable `{name}`: {}", e.message),
                    "a default is a literal value (no references)",
                )),
            },
            "description" | "type" => {}
            other => diags.push(src.error(
                attr.key.span(),
                format!("unknown attribute `{other}` in variable `{name}`"),
                "a variable takes only `default` and `description`",
            )),
        }
    }
    Some(Declared {
        name,
        default,
        span: block.ident.span(),
    })
}

/// The one label of a block (`KIND "NAME"`).
pub fn single_label(
    src: &Source,
    block: &Block,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match block.labels.as_slice() {
        [one] if valid_name(one.as_str()) => Some(one.as_str().to_string()),
        [one] => {
            diags.push(src.error(
                one.span(),
                format!("`{}` is not a valid {what} name", one.as_str()),
                "names use letters, digits, `_` and `-`, starting with a letter",
            ));
            None
        }
        _ => {
            diags.push(src.error(
                block.ident.span(),
                format!("`{what}` needs exactly one name label"),
                format!("write `{what} \"NAME\" {{ … }}`"),
            ));
            None
        }
    }
}

pub fn valid_name(n: &str) -> bool {
    n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && n.len() <= 64
}

/// Each variable's value: default, then `.cwvars`, then the environment.
pub fn resolve(
    src: &Source,
    declared: &[Declared],
    cwvars: Option<&Source>,
    env: EnvLookup,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Value> {
    let mut values: BTreeMap<String, Value> = declared
        .iter()
        .filter_map(|d| d.default.clone().map(|v| (d.name.clone(), v)))
        .collect();
    if let Some(vars) = cwvars {
        read_cwvars(vars, declared, &mut values, diags);
    }
    for d in declared {
        if let Some(raw) = env(&format!("{ENV_PREFIX}{}", d.name)) {
            values.insert(d.name.clone(), coerce(&raw, values.get(&d.name)));
        }
    }
    for d in declared {
        if !values.contains_key(&d.name) {
            diags.push(src.error(
                d.span.clone(),
                format!("variable `{}` has no value", d.name),
                format!(
                    "give it a default, set `{0} = …` in the .cwvars file, or export {ENV_PREFIX}{0}",
                    d.name
                ),
            ));
        }
    }
    values
}

fn read_cwvars(
    vars: &Source,
    declared: &[Declared],
    values: &mut BTreeMap<String, Value>,
    diags: &mut Vec<Diagnostic>,
) {
    let body: Body = match super::parse::parse(vars) {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    for s in body.iter() {
        let Some(attr) = s.as_attribute() else {
            diags.push(vars.error(
                s.span(),
                "a block in a .cwvars file",
                "a .cwvars file holds only `name = value` lines",
            ));
            continue;
        };
        let name = attr.key.as_str();
        if !declared.iter().any(|d| d.name == name) {
            let names = declared.iter().map(|d| d.name.as_str());
            let hint = super::diag::did_you_mean(name, names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            diags.push(vars.error(
                attr.key.span(),
                format!("`{name}` is not a variable of this task"),
                format!("{hint}declare it with `variable \"{name}\" {{}}` or remove the line"),
            ));
            continue;
        }
        match expr::eval(&attr.value, &|_| None) {
            Ok(v) => {
                values.insert(name.to_string(), v);
            }
            Err(e) => diags.push(vars.error(e.span, e.message, "use a literal value")),
        }
    }
}

/// An environment string as the type of the value it replaces.
fn coerce(raw: &str, like: Option<&Value>) -> Value {
    match like {
        Some(Value::Number(_)) => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.into())),
        Some(Value::Bool(_)) => match raw.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(raw.into()),
        },
        _ => Value::String(raw.into()),
    }
}

/// `web.cw` → `web.cwvars`, when it exists.
pub fn cwvars_path(cw: &Path) -> Option<std::path::PathBuf> {
    let p = cw.with_extension("cwvars");
    p.is_file().then_some(p)
}
