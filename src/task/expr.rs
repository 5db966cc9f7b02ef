//! The expression subset of `.cw` files: literals, lists, objects, `"${…}"` templates, and
//! references `var.NAME` and `KIND.NAME.ATTR` (`KIND.NAME` in `depends_on`).

use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::template::{Element, Template};
use serde_json::Value;

/// A reference found in an expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    Var(String),
    /// `KIND.NAME` or `KIND.NAME.ATTR`.
    Resource {
        kind: String,
        name: String,
        attr: Option<String>,
    },
}

impl Ref {
    pub fn describe(&self) -> String {
        match self {
            Ref::Var(n) => format!("var.{n}"),
            Ref::Resource { kind, name, attr } => match attr {
                Some(a) => format!("{kind}.{name}.{a}"),
                None => format!("{kind}.{name}"),
            },
        }
    }
}

/// An expression that cannot be used: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub span: Option<Range<usize>>,
    pub message: String,
    pub fix: String,
}

fn unsupported(e: &Expression, what: &str) -> ExprError {
    ExprError {
        span: e.span(),
        message: format!("{what} is not supported in .cw files"),
        fix: "use literals, lists, objects, \"${...}\" templates and references (var.NAME, KIND.NAME.ATTR)".into(),
    }
}

/// The reference an expression is, if it is one (`var.x`, `file.a`, `file.a.path`).
pub fn as_ref(e: &Expression) -> Result<Option<Ref>, ExprError> {
    let Expression::Traversal(t) = e else {
        if let Expression::Variable(v) = e {
            return Err(ExprError {
                span: e.span(),
                message: format!("bare name `{}`", v.as_str()),
                fix: format!(
                    "write var.{0} for a variable, or KIND.{0} for a resource",
                    v.as_str()
                ),
            });
        }
        return Ok(None);
    };
    let Expression::Variable(root) = &t.expr else {
        return Err(unsupported(e, "this traversal"));
    };
    let mut parts = Vec::new();
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(id) => parts.push(id.as_str().to_string()),
            _ => return Err(unsupported(e, "indexing and splats")),
        }
    }
    let root = root.as_str();
    let bad = |fix: &str| ExprError {
        span: e.span(),
        message: format!("`{root}.{}` is not a reference", parts.join(".")),
        fix: fix.into(),
    };
    match (root, parts.as_slice()) {
        ("var", [name]) => Ok(Some(Ref::Var(name.clone()))),
        ("var", _) => Err(bad("a variable is referenced as var.NAME")),
        (kind, [name]) => Ok(Some(Ref::Resource {
            kind: kind.into(),
            name: name.clone(),
            attr: None,
        })),
        (kind, [name, attr]) => Ok(Some(Ref::Resource {
            kind: kind.into(),
            name: name.clone(),
            attr: Some(attr.clone()),
        })),
        _ => Err(bad("a resource attribute is referenced as KIND.NAME.ATTR")),
    }
}

/// Every reference in `e`, with its span.
pub fn refs(e: &Expression, out: &mut Vec<(Ref, Option<Range<usize>>)>) -> Result<(), ExprError> {
    if let Some(r) = as_ref(e)? {
        out.push((r, e.span()));
        return Ok(());
    }
    match e {
        Expression::Array(a) => a.iter().try_for_each(|x| refs(x, out)),
        Expression::Object(o) => o.iter().try_for_each(|(_, v)| refs(v.expr(), out)),
        Expression::StringTemplate(t) => template_refs(t, out),
        Expression::HeredocTemplate(h) => template_refs(&h.template, out),
        Expression::Parenthesis(p) => refs(p.inner(), out),
        _ => Ok(()),
    }
}

fn template_refs(
    t: &Template,
    out: &mut Vec<(Ref, Option<Range<usize>>)>,
) -> Result<(), ExprError> {
    for el in t.iter() {
        if let Element::Interpolation(i) = el {
            refs(&i.expr, out)?;
        }
    }
    Ok(())
}

/// Evaluate `e`, asking `lookup` for each reference's value (`None`: unknown reference).
pub fn eval(e: &Expression, lookup: &dyn Fn(&Ref) -> Option<Value>) -> Result<Value, ExprError> {
    if let Some(r) = as_ref(e)? {
        return lookup(&r).ok_or_else(|| ExprError {
            span: e.span(),
            message: format!("unknown reference `{}`", r.describe()),
            fix: "declare it, or fix the name".into(),
        });
    }
    Ok(match e {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => {
            let n = n.value();
            match n.as_i64() {
                Some(i) => Value::from(i),
                None => n
                    .as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
            }
        }
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Array(a) => Value::Array(
            a.iter()
                .map(|x| eval(x, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(o) => {
            let mut map = serde_json::Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    hcl::edit::expr::ObjectKey::Ident(id) => id.as_str().to_string(),
                    hcl::edit::expr::ObjectKey::Expression(x) => text(&eval(x, lookup)?),
                };
                map.insert(key, eval(v.expr(), lookup)?);
            }
            Value::Object(map)
        }
        Expression::StringTemplate(t) => Value::String(render(t, e, lookup)?),
        Expression::HeredocTemplate(h) => Value::String(render(&h.template, e, lookup)?),
        Expression::Parenthesis(p) => eval(p.inner(), lookup)?,
        Expression::Conditional(_) => return Err(unsupported(e, "a conditional")),
        Expression::FuncCall(_) => return Err(unsupported(e, "a function call")),
        Expression::ForExpr(_) => return Err(unsupported(e, "a for expression")),
        Expression::UnaryOp(_) | Expression::BinaryOp(_) => {
            return Err(unsupported(e, "an operator"));
        }
        Expression::Variable(_) | Expression::Traversal(_) => {
            return Err(unsupported(e, "this expression"));
        }
    })
}

fn render(
    t: &Template,
    whole: &Expression,
    lookup: &dyn Fn(&Ref) -> Option<Value>,
) -> Result<String, ExprError> {
    let mut s = String::new();
    for el in t.iter() {
        match el {
            Element::Literal(l) => s.push_str(l.value()),
            Element::Interpolation(i) => s.push_str(&text(&eval(&i.expr, lookup)?)),
            Element::Directive(_) => return Err(unsupported(whole, "a template directive")),
        }
    }
    Ok(s)
}

/// A value as it reads inside a string.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
