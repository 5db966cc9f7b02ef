//! The resource kinds a `.cw` file may declare and the attributes each one takes.

/// The type an attribute's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Bool,
    StrList,
}

impl Ty {
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "a whole number",
            Ty::Bool => "true or false",
            Ty::StrList => "a list of strings",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct AttrSpec {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

#[derive(Debug)]
pub struct KindSpec {
    pub name: &'static str,
    /// What the kind keeps true, for `plan` and the forge prompt.
    pub doc: &'static str,
    pub attrs: &'static [AttrSpec],
}

const fn req(name: &'static str, ty: Ty) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: true,
    }
}

const fn opt(name: &'static str, ty: Ty) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
    }
}

/// Attributes every kind takes (besides its own); `depends_on` is handled by the IR.
pub const COMMON: &[AttrSpec] = &[opt("description", Ty::Str)];

pub const KINDS: &[KindSpec] = &[
    KindSpec {
        name: "file",
        doc: "a file with the given content and mode",
        attrs: &[
            req("path", Ty::Str),
            opt("content", Ty::Str),
            opt("mode", Ty::Str),
        ],
    },
    KindSpec {
        name: "directory",
        doc: "a directory (parents created)",
        attrs: &[req("path", Ty::Str), opt("mode", Ty::Str)],
    },
    KindSpec {
        name: "git_repo",
        doc: "a git clone at path, on branch, optionally with its tests passing",
        attrs: &[
            req("url", Ty::Str),
            req("path", Ty::Str),
            opt("branch", Ty::Str),
            opt("test_command", Ty::Str),
        ],
    },
    KindSpec {
        name: "command",
        doc: "a command run once (again when its attributes change)",
        attrs: &[
            req("run", Ty::Str),
            opt("workdir", Ty::Str),
            opt("creates", Ty::Str),
            opt("timeout_secs", Ty::Int),
            opt("network", Ty::Bool),
        ],
    },
    KindSpec {
        name: "service",
        doc: "a local long-running process with a start command and a health check",
        attrs: &[
            req("start", Ty::Str),
            opt("workdir", Ty::Str),
            opt("health_url", Ty::Str),
            opt("health_retries", Ty::Int),
            opt("health_interval_secs", Ty::Int),
            opt("log_file", Ty::Str),
        ],
    },
    KindSpec {
        name: "http_check",
        doc: "an HTTP URL answering with the expected status",
        attrs: &[
            req("url", Ty::Str),
            opt("expect_status", Ty::Int),
            opt("retries", Ty::Int),
            opt("interval_secs", Ty::Int),
            opt("timeout_secs", Ty::Int),
        ],
    },
    KindSpec {
        name: "schedule",
        doc: "a cron entry that runs a command (written as a crontab line for the user)",
        attrs: &[req("cron", Ty::Str), req("run", Ty::Str)],
    },
];

pub fn kind(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}

impl KindSpec {
    pub fn attr(&self, name: &str) -> Option<&'static AttrSpec> {
        self.attrs
            .iter()
            .chain(COMMON.iter())
            .find(|a| a.name == name)
    }

    pub fn attr_names(&self) -> impl Iterator<Item = &'static str> {
        self.attrs
            .iter()
            .chain(COMMON.iter())
            .map(|a| a.name)
            .chain(std::iter::once("depends_on"))
    }
}

/// The kind names, for "did you mean" and error messages.
pub fn kind_names() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|k| k.name)
}
