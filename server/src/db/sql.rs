//! A small builder for hand-written SQL whose values are always bound parameters,
//! rendered with the placeholder style of the backend (`?` for SQLite, `$n` for
//! PostgreSQL). Used where sea-query cannot say what we need (the runs filter).

use sea_orm::{DbBackend, Statement, Value};

pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Append SQL text. Never pass values through here: use [`Sql::bind`].
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Append a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Append `(?, ?, …)` for a list of values.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    /// On PostgreSQL, compare the preceding text expression in byte order (`COLLATE
    /// "C"`), as SQLite and Rust strings do.
    pub fn collate_c(&mut self) -> &mut Self {
        if self.is_postgres() {
            self.push(" COLLATE \"C\"");
        }
        self
    }

    /// The regular-expression match operator (`REGEXP` on SQLite, `~` on PostgreSQL).
    pub fn regex_match(&mut self) -> &mut Self {
        if self.is_postgres() {
            self.push(" ~ ")
        } else {
            self.push(" REGEXP ")
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
