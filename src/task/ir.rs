//! The validated intermediate representation: variables resolved, references checked,
//! resources in dependency order (ties broken by declaration order), attributes typed.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Body};
use serde_json::Value;

use super::diag::{Diagnostic, Source, did_you_mean};
use super::expr::{self, Ref};
use super::kinds::{self, KindSpec, Ty};
use super::vars::{self, Declared, EnvLookup};

/// A validated task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `task "NAME" {}` or the file's stem.
    pub name: String,
    pub file: PathBuf,
    /// The folder holding the `.cw` file: steps run here.
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Value>,
    /// In dependency order: every resource after the ones it depends on.
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: &'static str,
    pub name: String,
    pub attrs: BTreeMap<String, Value>,
    /// Ids (`KIND.NAME`) of the resources this one references or names in `depends_on`.
    pub depends_on: Vec<String>,
    pub line: usize,
    pub column: usize,
}

impl Resource {
    pub fn id(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }

    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }

    pub fn int_attr(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Value::as_i64)
    }
}

/// A resource block before evaluation.
struct Pending<'a> {
    spec: &'static KindSpec,
    name: String,
    block: &'a Block,
    refs: Vec<(Ref, Option<Range<usize>>)>,
    deps: BTreeSet<usize>,
}

impl Pending<'_> {
    fn id(&self) -> String {
        format!("{}.{}", self.spec.name, self.name)
    }
}

/// Read, parse and validate `file` (with its `.cwvars` and the environment).
pub fn load(file: &Path, env: EnvLookup) -> Result<Task, Vec<Diagnostic>> {
    let src = super::parse::read_source(file).map_err(|d| vec![d])?;
    let vars_src = match vars::cwvars_path(file) {
        Some(p) => Some(super::parse::read_source(&p).map_err(|d| vec![d])?),
        None => None,
    };
    from_source(&src, vars_src.as_ref(), env)
}

/// Validate already-read sources.
pub fn from_source(
    src: &Source,
    cwvars: Option<&Source>,
    env: EnvLookup,
) -> Result<Task, Vec<Diagnostic>> {
    let body = super::parse::parse(src).map_err(|d| vec![d])?;
    let mut diags = Vec::new();
    let (name, declared, mut pending) = collect_blocks(src, &body, &mut diags);
    let variables = vars::resolve(src, &declared, cwvars, env, &mut diags);
    link(src, &declared, &mut pending, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let order =
        match super::graph::order(&pending.iter().map(|p| p.deps.clone()).collect::<Vec<_>>()) {
            Ok(o) => o,
            Err(cycle) => {
                let names: Vec<String> = cycle.iter().map(|&i| pending[i].id()).collect();
                let first = &pending[cycle[0]];
                return Err(vec![src.error(
                    first.block.span(),
                    format!("dependency cycle: {}", names.join(" → ")),
                    "remove one of these references or depends_on entries",
                )]);
            }
        };
    let resources = evaluate(src, &pending, &order, &variables, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let file = src.path.clone();
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = name.unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "task".into())
    });
    Ok(Task {
        name,
        file,
        dir,
        variables,
        resources,
    })
}

type Blocks<'a> = (Option<String>, Vec<Declared>, Vec<Pending<'a>>);

fn collect_blocks<'a>(src: &Source, body: &'a Body, diags: &mut Vec<Diagnostic>) -> Blocks<'a> {
    let mut name = None;
    let mut declared: Vec<Declared> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    for s in body.iter() {
        let Some(block) = s.as_block() else {
            diags.push(src.error(
                s.span(),
                "an attribute outside any block",
                "put it inside a resource block, or declare a `variable`",
            ));
            continue;
        };
        match block.ident.as_str() {
            "task" => {
                name = vars::single_label(src, block, "task", diags);
            }
            "variable" => {
                if let Some(d) = vars::declare(src, block, diags) {
                    if declared.iter().any(|x| x.name == d.name) {
                        diags.push(src.error(
                            d.span.clone(),
                            format!("variable `{}` is declared twice", d.name),
                            "remove or rename one of them",
                        ));
                    } else {
                        declared.push(d);
                    }
                }
            }
            kind => match kinds::kind(kind) {
                Some(spec) => {
                    let Some(n) = vars::single_label(src, block, kind, diags) else {
                        continue;
                    };
                    if pending.iter().any(|p| p.spec.name == kind && p.name == n) {
                        diags.push(src.error(
                            block.span(),
                            format!("{kind}.{n} is declared twice"),
                            "remove or rename one of them",
                        ));
                        continue;
                    }
                    pending.push(Pending {
                        spec,
                        name: n,
                        block,
                        refs: Vec::new(),
                        deps: BTreeSet::new(),
                    });
                }
                None => {
                    let hint = did_you_mean(kind, kinds::kind_names())
                        .map(|k| format!("did you mean `{k}`? "))
                        .unwrap_or_default();
                    diags.push(src.error(
                        block.ident.span(),
                        format!("unknown resource kind `{kind}`"),
                        format!(
                            "{hint}kinds are {}, plus `variable` and `task`",
                            kinds::kind_names().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            },
        }
    }
    (name, declared, pending)
}

/// Check attribute names and references; fill each resource's dependencies.
fn link(src: &Source, declared: &[Declared], pending: &mut [Pending], diags: &mut Vec<Diagnostic>) {
    let ids: Vec<(String, String, &'static KindSpec)> = pending
        .iter()
        .map(|p| (p.spec.name.to_string(), p.name.clone(), p.spec))
        .collect();
    for p in pending.iter_mut() {
        for s in p.block.body.iter() {
            let Some(attr) = s.as_attribute() else {
                diags.push(src.error(
                    s.span(),
                    format!("a nested block in {}", p.id()),
                    "write attributes as `key = value`",
                ));
                continue;
            };
            let key = attr.key.as_str();
            if key != "depends_on" && p.spec.attr(key).is_none() {
                let hint = did_you_mean(key, p.spec.attr_names())
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                diags.push(src.error(
                    attr.key.span(),
                    format!("unknown attribute `{key}` for {}", p.spec.name),
                    format!(
                        "{hint}{} takes {}",
                        p.spec.name,
                        p.spec.attr_names().collect::<Vec<_>>().join(", ")
                    ),
                ));
                continue;
            }
            let mut found = Vec::new();
            if let Err(e) = expr::refs(&attr.value, &mut found) {
                diags.push(src.error(e.span, e.message, e.fix));
                continue;
            }
            if key == "depends_on" && !matches!(attr.value, Expression::Array(_)) {
                diags.push(src.error(
                    attr.value.span(),
                    "depends_on must be a list",
                    "write depends_on = [KIND.NAME, …]",
                ));
            }
            for (r, span) in found {
                check_ref(src, declared, &ids, key, &r, span.clone(), diags)
                    .into_iter()
                    .for_each(|i| {
                        p.deps.insert(i);
                    });
                p.refs.push((r, span));
            }
        }
        for a in p.spec.attrs.iter().filter(|a| a.required) {
            if p.block.body.get_attribute(a.name).is_none() {
                diags.push(src.error(
                    p.block.span(),
                    format!("{} needs `{}`", p.id(), a.name),
                    format!("add `{} = …` ({})", a.name, a.ty.describe()),
                ));
            }
        }
    }
}

/// The index of the resource a reference names, after checking it.
fn check_ref(
    src: &Source,
    declared: &[Declared],
    ids: &[(String, String, &'static KindSpec)],
    key: &str,
    r: &Ref,
    span: Option<Range<usize>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    match r {
        Ref::Var(name) => {
            if !declared.iter().any(|d| &d.name == name) {
                let hint = did_you_mean(name, declared.iter().map(|d| d.name.as_str()))
                    .map(|n| format!("did you mean `var.{n}`? "))
                    .unwrap_or_default();
                diags.push(src.error(
                    span,
                    format!("missing variable `var.{name}`"),
                    format!("{hint}declare it with `variable \"{name}\" {{ default = … }}`"),
                ));
            }
            None
        }
        Ref::Resource { kind, name, attr } => {
            let Some(i) = ids.iter().position(|(k, n, _)| k == kind && n == name) else {
                let why = if kinds::kind(kind).is_some() {
                    format!("bad reference `{}`: no {kind} named `{name}`", r.describe())
                } else {
                    format!(
                        "bad reference `{}`: `{kind}` is not a resource kind",
                        r.describe()
                    )
                };
                diags.push(src.error(span, why, "reference a declared resource as KIND.NAME.ATTR"));
                return None;
            };
            match attr {
                None if key != "depends_on" => {
                    diags.push(src.error(
                        span,
                        format!("`{}` names a resource, not a value", r.describe()),
                        "use KIND.NAME.ATTR for a value, or put KIND.NAME in depends_on",
                    ));
                }
                Some(a) if key == "depends_on" || ids[i].2.attr(a).is_none() => {
                    diags.push(src.error(
                        span,
                        format!("bad reference `{}`", r.describe()),
                        if key == "depends_on" {
                            "depends_on lists resources: KIND.NAME".to_string()
                        } else {
                            format!("{kind} has no attribute `{a}`")
                        },
                    ));
                }
                _ => {}
            }
            Some(i)
        }
    }
}

/// Evaluate every attribute in dependency order.
fn evaluate(
    src: &Source,
    pending: &[Pending],
    order: &[usize],
    variables: &BTreeMap<String, Value>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Resource> {
    let mut done: Vec<Option<Resource>> = vec![None; pending.len()];
    for &i in order {
        let p = &pending[i];
        let lookup = |r: &Ref| -> Option<Value> {
            match r {
                Ref::Var(n) => variables.get(n).cloned(),
                Ref::Resource { kind, name, attr } => {
                    let j = pending
                        .iter()
                        .position(|q| q.spec.name == kind && &q.name == name)?;
                    let res = done[j].as_ref()?;
                    attr.as_ref().and_then(|a| res.attrs.get(a).cloned())
                }
            }
        };
        let mut attrs = BTreeMap::new();
        for s in p.block.body.iter() {
            let Some(attr) = s.as_attribute() else {
                continue;
            };
            let key = attr.key.as_str();
            if key == "depends_on" {
                continue;
            }
            let value = match expr::eval(&attr.value, &lookup) {
                Ok(v) => v,
                Err(mut e) => {
                    if e.message.starts_with("unknown reference") {
                        e.message = format!("{}: that attribute is not set", e.message);
                        e.fix = "set it on the referenced resource".into();
                    }
                    diags.push(src.error(e.span, e.message, e.fix));
                    continue;
                }
            };
            if let Some(spec) = p.spec.attr(key)
                && !type_ok(spec.ty, &value)
            {
                diags.push(src.error(
                    attr.value.span(),
                    format!("`{key}` of {} must be {}", p.id(), spec.ty.describe()),
                    format!("got {value}"),
                ));
                continue;
            }
            attrs.insert(key.to_string(), value);
        }
        let (line, column) = src.line_col(p.block.span().map_or(0, |s| s.start));
        done[i] = Some(Resource {
            kind: p.spec.name,
            name: p.name.clone(),
            attrs,
            depends_on: p.deps.iter().map(|&d| pending[d].id()).collect(),
            line,
            column,
        });
    }
    order.iter().filter_map(|&i| done[i].take()).collect()
}

fn type_ok(ty: Ty, v: &Value) -> bool {
    match ty {
        Ty::Str => v.is_string(),
        Ty::Int => v.is_i64(),
        Ty::Bool => v.is_boolean(),
        Ty::StrList => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
    }
}
