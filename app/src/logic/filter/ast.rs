//! The filter syntax tree.

use serde::{Deserialize, Serialize};

/// A column of the runs table. Config and summary keys are flattened with `.`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Builtin(Builtin),
    Config(String),
    Summary(String),
}

/// The columns every run has.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    Name,
    Id,
    State,
    Created,
    Runtime,
    User,
    Tags,
    Notes,
    Group,
    JobType,
    /// The sweep the run belongs to (its id).
    Sweep,
}

impl Builtin {
    pub const ALL: [Builtin; 11] = [
        Builtin::Name,
        Builtin::State,
        Builtin::Created,
        Builtin::Runtime,
        Builtin::User,
        Builtin::Tags,
        Builtin::Notes,
        Builtin::Group,
        Builtin::JobType,
        Builtin::Sweep,
        Builtin::Id,
    ];

    /// The name written in filters and used as the column id.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Name => "name",
            Builtin::Id => "id",
            Builtin::State => "state",
            Builtin::Created => "created",
            Builtin::Runtime => "runtime",
            Builtin::User => "user",
            Builtin::Tags => "tags",
            Builtin::Notes => "notes",
            Builtin::Group => "group",
            Builtin::JobType => "job_type",
            Builtin::Sweep => "sweep",
        }
    }

    /// The header a table shows.
    pub fn title(self) -> &'static str {
        match self {
            Builtin::Name => "Name",
            Builtin::Id => "ID",
            Builtin::State => "State",
            Builtin::Created => "Created",
            Builtin::Runtime => "Runtime",
            Builtin::User => "User",
            Builtin::Tags => "Tags",
            Builtin::Notes => "Notes",
            Builtin::Group => "Group",
            Builtin::JobType => "Job type",
            Builtin::Sweep => "Sweep",
        }
    }

    /// Whether values are numbers (created is Unix milliseconds, runtime seconds).
    pub fn is_numeric(self) -> bool {
        matches!(self, Builtin::Created | Builtin::Runtime)
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        let lower = name.to_ascii_lowercase();
        let lower = match lower.as_str() {
            "jobtype" | "job-type" => "job_type",
            "display_name" => "name",
            other => other,
        };
        Builtin::ALL.into_iter().find(|b| b.name() == lower)
    }
}

impl Column {
    /// Resolve a written column name: `config.` and `summary.` prefixes, else a builtin.
    pub fn from_name(name: &str) -> Option<Column> {
        if let Some(rest) = name.strip_prefix("config.") {
            return (!rest.is_empty()).then(|| Column::Config(rest.to_owned()));
        }
        if let Some(rest) = name.strip_prefix("summary.") {
            return (!rest.is_empty()).then(|| Column::Summary(rest.to_owned()));
        }
        Builtin::from_name(name).map(Column::Builtin)
    }

    /// The column's id: its name as a filter writes it (`config.lr`, `state`).
    pub fn id(&self) -> String {
        match self {
            Column::Builtin(b) => b.name().to_owned(),
            Column::Config(k) => format!("config.{k}"),
            Column::Summary(k) => format!("summary.{k}"),
        }
    }

    /// The header a table shows.
    pub fn title(&self) -> String {
        match self {
            Column::Builtin(b) => b.title().to_owned(),
            Column::Config(k) => k.clone(),
            Column::Summary(k) => k.clone(),
        }
    }

    /// The key under which a run's stored fields keep this column (config and summary
    /// values, and tags), or `None` for columns stored on the run row itself.
    pub fn field_key(&self) -> Option<String> {
        match self {
            Column::Builtin(Builtin::Tags) => Some("tags".to_owned()),
            Column::Builtin(_) => None,
            other => Some(other.id()),
        }
    }
}

/// A literal value.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Str(String),
    /// Unix milliseconds, written as an ISO date or date-time.
    Time(i64),
    Bool(bool),
    Null,
}

impl Literal {
    /// The number this literal compares as, if it is one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Literal::Int(i) => Some(*i as f64),
            Literal::Float(f) => Some(*f),
            Literal::Time(ms) => Some(*ms as f64),
            _ => None,
        }
    }

    /// The text this literal compares as, if it is text (booleans are stored as text).
    pub fn as_text(&self) -> Option<String> {
        match self {
            Literal::Str(s) => Some(s.clone()),
            Literal::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// A comparison operator.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A filter expression. `And`/`Or` hold two or more operands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp {
        column: Column,
        op: CmpOp,
        value: Literal,
    },
    In {
        column: Column,
        values: Vec<Literal>,
        negated: bool,
    },
    Match {
        column: Column,
        pattern: String,
    },
    IsNull {
        column: Column,
        negated: bool,
    },
}

impl Expr {
    /// `a and b`, flattening when either side already is an `and`.
    pub fn and(self, other: Expr) -> Expr {
        let mut parts = match self {
            Expr::And(v) => v,
            e => vec![e],
        };
        match other {
            Expr::And(v) => parts.extend(v),
            e => parts.push(e),
        }
        Expr::And(parts)
    }

    /// Every column the expression mentions, in order of appearance.
    pub fn columns(&self) -> Vec<&Column> {
        let mut out = Vec::new();
        self.walk_columns(&mut out);
        out
    }

    fn walk_columns<'a>(&'a self, out: &mut Vec<&'a Column>) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.walk_columns(out)),
            Expr::Not(e) => e.walk_columns(out),
            Expr::Cmp { column, .. }
            | Expr::In { column, .. }
            | Expr::Match { column, .. }
            | Expr::IsNull { column, .. } => out.push(column),
        }
    }
}
