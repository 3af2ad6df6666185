//! Copying a whole install's rows into another database: how a team that started on
//! the default SQLite moves to PostgreSQL (`cairn db copy --to postgres://…`).
//!
//! Both databases are migrated to the same schema first. The target must hold no rows
//! yet. Tables are copied parents first (in the order their foreign keys give), each
//! in primary-key order, in one transaction on the target: a copy that fails part-way
//! leaves the target empty, so running it again is safe. Every value is read as the
//! type the target's column has, so an integer stored as text in SQLite is an error
//! naming the table and column, not a silently changed value. At the end PostgreSQL's
//! id sequences are moved past the copied ids, and every table's row count is
//! compared between the two databases.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, StreamTrait,
    TransactionTrait, Value,
};

/// How a column's values are read and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    BigInt,
    Float,
    Text,
    Bytes,
    Bool,
}

impl Kind {
    /// The kind for a column's declared type (SQLite's declaration, or PostgreSQL's
    /// `information_schema` data type).
    fn of(declared: &str) -> Option<Kind> {
        let t = declared.to_ascii_lowercase();
        Some(match t.as_str() {
            "integer" | "int" | "int4" | "smallint" | "int2" => Kind::Int,
            "bigint" | "int8" => Kind::BigInt,
            "double" | "double precision" | "real" | "float" | "float8" | "float4" => Kind::Float,
            "text" | "character varying" | "varchar" | "character" => Kind::Text,
            "blob" | "bytea" => Kind::Bytes,
            "boolean" | "bool" => Kind::Bool,
            _ if t.starts_with("varchar") || t.starts_with("character varying") => Kind::Text,
            _ => return None,
        })
    }

    fn read(self, row: &QueryResult, i: usize) -> Result<Value, DbErr> {
        Ok(match self {
            // SQLite has one integer type; PostgreSQL's `integer` needs a 32-bit value.
            Kind::Int => {
                let v: Option<i64> = row.try_get_by_index(i)?;
                Value::Int(
                    v.map(|v| {
                        i32::try_from(v)
                            .map_err(|_| DbErr::Custom(format!("{v} does not fit an integer")))
                    })
                    .transpose()?,
                )
            }
            Kind::BigInt => Value::BigInt(row.try_get_by_index(i)?),
            Kind::Float => Value::Double(row.try_get_by_index(i)?),
            Kind::Text => Value::String(row.try_get_by_index(i)?),
            Kind::Bytes => Value::Bytes(row.try_get_by_index(i)?),
            Kind::Bool => Value::Bool(row.try_get_by_index(i)?),
        })
    }
}

/// One table's columns, as the target declares them.
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// The primary key's columns: rows are read in this order, so that a row that
    /// points at an older row of its own table comes after it.
    key: Vec<String>,
}

/// A table's rows in the source and, after the copy, in the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub source: u64,
    pub target: u64,
}

/// What went wrong, in words for the person running the copy.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Db(#[from] DbErr),
    #[error("the two databases are not at the same schema version (source {from}, target {to}); run `cairn migrate` with the newer binary on both")]
    Schema { from: String, to: String },
    #[error("the target database already holds data ({0}); copy into a new, empty database")]
    NotEmpty(String),
    #[error("table {table}, column {column}: {message}")]
    Value {
        table: String,
        column: String,
        message: String,
    },
    #[error(
        "table {table}: the source has {in_source} rows but the target {in_target} after the copy"
    )]
    Count {
        table: String,
        in_source: u64,
        in_target: u64,
    },
    #[error("table {0} has a column type the copy does not know: {1}")]
    UnknownType(String, String),
}

/// The migration bookkeeping table: filled by `migrate` on both sides, never copied.
const MIGRATIONS: &str = "seaql_migrations";

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

async fn strings(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<String>, DbErr> {
    db.query_all_raw(stmt(db, sql, values))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

async fn pairs(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<(String, String)>, DbErr> {
    db.query_all_raw(stmt(db, sql, values))
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

async fn migrations(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    let versions = strings(
        db,
        &format!("SELECT version FROM {MIGRATIONS} ORDER BY version"),
        vec![],
    )
    .await?;
    Ok(versions.last().cloned().unwrap_or_else(|| "none".into()))
}

async fn table_names(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    Ok(strings(db, sql, vec![])
        .await?
        .into_iter()
        .filter(|t| t != MIGRATIONS)
        .collect())
}

/// `(child, parent)` for every foreign key between two different tables.
async fn foreign_keys(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT DISTINCT tc.table_name::text, ccu.table_name::text \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
        }
        _ => {
            "SELECT DISTINCT m.name, p.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) p \
             WHERE m.type = 'table'"
        }
    };
    Ok(pairs(db, sql, vec![])
        .await?
        .into_iter()
        .filter(|(child, parent)| child != parent)
        .collect())
}

/// The tables in an order where every table comes after the tables it points at.
fn parents_first(tables: &[String], keys: &[(String, String)]) -> Vec<String> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in keys {
        if let Some(set) = parents.get_mut(child.as_str()) {
            // A table pointing at itself is ordered by its rows' keys, not here.
            if child != parent && tables.contains(parent) {
                set.insert(parent.as_str());
            }
        }
    }
    let mut order = Vec::with_capacity(tables.len());
    while !parents.is_empty() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(_, p)| p.is_empty())
            .map(|(t, _)| *t)
            .collect();
        // A cycle (there is none in Cairn's schema): take the rest alphabetically and
        // let the target's constraints say what is wrong.
        let ready = if ready.is_empty() {
            parents.keys().copied().collect()
        } else {
            ready
        };
        for t in ready {
            parents.remove(t);
            for set in parents.values_mut() {
                set.remove(t);
            }
            order.push(t.to_owned());
        }
    }
    order
}

async fn describe(db: &impl ConnectionTrait, name: &str) -> Result<Table, CopyError> {
    let (columns_sql, key_sql) = match db.get_database_backend() {
        DbBackend::Postgres => (
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_name = c.constraint_name AND k.constraint_schema = c.constraint_schema \
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
               AND c.table_name = $1 ORDER BY k.ordinal_position",
        ),
        _ => (
            "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
        ),
    };
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let mut columns = Vec::new();
    for (column, declared) in pairs(db, columns_sql, vec![name.into()]).await? {
        let kind = match Kind::of(&declared) {
            // SQLite's integers are all 64-bit, whatever the declaration says.
            Some(Kind::Int) if sqlite => Kind::BigInt,
            Some(kind) => kind,
            None => {
                return Err(CopyError::UnknownType(
                    name.to_owned(),
                    format!("{column} {declared}"),
                ))
            }
        };
        columns.push((column, kind));
    }
    let key = strings(db, key_sql, vec![name.into()]).await?;
    Ok(Table {
        name: name.to_owned(),
        columns,
        key,
    })
}

async fn count(db: &impl ConnectionTrait, table: &str) -> Result<u64, DbErr> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT COUNT(*) FROM {}", quote(table)),
            vec![],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0) as u64)
}

/// Values per INSERT: PostgreSQL takes at most 65,535 parameters, SQLite 32,766.
const MAX_PARAMS: usize = 30_000;

async fn insert(
    db: &impl ConnectionTrait,
    table: &Table,
    rows: &mut Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let columns: Vec<String> = table.columns.iter().map(|(c, _)| quote(c)).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(&table.name),
        columns.join(", ")
    );
    let mut values = Vec::with_capacity(rows.len() * columns.len());
    for (r, row) in rows.drain(..).enumerate() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (c, v) in row.into_iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            values.push(v);
            match backend {
                DbBackend::Postgres => sql.push_str(&format!("${}", values.len())),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Move PostgreSQL's id sequences (of `serial` and identity columns) past the copied ids, so that the next row a server
/// inserts does not collide with a copied one.
async fn advance_sequences(db: &impl ConnectionTrait, tables: &[Table]) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        // SQLite takes the next id from the largest one present.
        return Ok(());
    }
    for t in tables {
        let serial = strings(
            db,
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
               AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
            vec![t.name.clone().into()],
        )
        .await?;
        for column in serial {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({c}), 0) + 1, false) FROM {t}",
                c = quote(&column),
                t = quote(&t.name)
            );
            db.query_one_raw(stmt(db, &sql, vec![quote(&t.name).into(), column.into()]))
                .await?;
        }
    }
    Ok(())
}

/// Copy every row of `source` into `target`, which must be migrated to the same schema
/// version and hold no rows. `progress(table, rows copied so far, rows in the table)`
/// is called as the copy goes. Returns every table's counts, checked equal.
pub async fn copy_database(
    source: &DatabaseConnection,
    target: &DatabaseConnection,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Vec<TableCount>, CopyError> {
    let (from, to) = (migrations(source).await?, migrations(target).await?);
    if from != to {
        return Err(CopyError::Schema { from, to });
    }
    let names = table_names(target).await?;
    let mut busy = Vec::new();
    for t in &names {
        let n = count(target, t).await?;
        if n > 0 {
            busy.push(format!("{n} rows in {t}"));
        }
    }
    if !busy.is_empty() {
        return Err(CopyError::NotEmpty(busy.join(", ")));
    }
    let order = parents_first(&names, &foreign_keys(target).await?);
    let mut tables = Vec::with_capacity(order.len());
    for name in &order {
        tables.push(describe(target, name).await?);
    }

    // One read transaction on the source (a consistent snapshot) and one write
    // transaction on the target (all or nothing).
    let reader = source.begin().await?;
    let writer = target.begin().await?;
    let mut expected = Vec::with_capacity(tables.len());
    for table in &tables {
        let total = count(&reader, &table.name).await?;
        expected.push(total);
        progress(&table.name, 0, total);
        let columns: Vec<String> = table.columns.iter().map(|(c, _)| quote(c)).collect();
        let order_by = if table.key.is_empty() {
            String::new()
        } else {
            let key: Vec<String> = table.key.iter().map(|k| quote(k)).collect();
            format!(" ORDER BY {}", key.join(", "))
        };
        let select = format!(
            "SELECT {} FROM {}{order_by}",
            columns.join(", "),
            quote(&table.name)
        );
        let per_insert = (MAX_PARAMS / table.columns.len().max(1)).clamp(1, 1000);
        let mut batch = Vec::with_capacity(per_insert);
        let mut done = 0u64;
        let mut rows = reader.stream_raw(stmt(&reader, &select, vec![])).await?;
        while let Some(row) = rows.next().await {
            let row = row?;
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (column, kind)) in table.columns.iter().enumerate() {
                values.push(kind.read(&row, i).map_err(|e| CopyError::Value {
                    table: table.name.clone(),
                    column: column.clone(),
                    message: e.to_string(),
                })?);
            }
            batch.push(values);
            if batch.len() == per_insert {
                insert(&writer, table, &mut batch).await?;
                done += per_insert as u64;
                progress(&table.name, done, total);
            }
        }
        drop(rows);
        done += batch.len() as u64;
        insert(&writer, table, &mut batch).await?;
        progress(&table.name, done, total);
    }
    advance_sequences(&writer, &tables).await?;
    writer.commit().await?;
    reader.commit().await?;

    let mut counts = Vec::with_capacity(tables.len());
    for (table, source_rows) in tables.iter().zip(expected) {
        let target_rows = count(target, &table.name).await?;
        if target_rows != source_rows {
            return Err(CopyError::Count {
                table: table.name.clone(),
                in_source: source_rows,
                in_target: target_rows,
            });
        }
        counts.push(TableCount {
            table: table.name.clone(),
            source: source_rows,
            target: target_rows,
        });
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first() {
        let tables: Vec<String> = [
            "runs",
            "projects",
            "metric_chunks",
            "metric_series",
            "entities",
        ]
        .map(String::from)
        .to_vec();
        let keys = [
            ("runs", "projects"),
            ("projects", "entities"),
            ("metric_chunks", "metric_series"),
            ("metric_series", "runs"),
            ("runs", "runs"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()));
        let order = parents_first(&tables, &keys);
        let at = |t: &str| order.iter().position(|x| x == t).unwrap_or(usize::MAX);
        assert_eq!(order.len(), 5);
        assert!(at("entities") < at("projects"));
        assert!(at("projects") < at("runs"));
        assert!(at("runs") < at("metric_series"));
        assert!(at("metric_series") < at("metric_chunks"));
    }

    #[test]
    fn column_kinds() {
        assert_eq!(Kind::of("bigint"), Some(Kind::BigInt));
        assert_eq!(Kind::of("integer"), Some(Kind::Int));
        assert_eq!(Kind::of("character varying"), Some(Kind::Text));
        assert_eq!(Kind::of("varchar(255)"), Some(Kind::Text));
        assert_eq!(Kind::of("double precision"), Some(Kind::Float));
        assert_eq!(Kind::of("bytea"), Some(Kind::Bytes));
        assert_eq!(Kind::of("boolean"), Some(Kind::Bool));
        assert_eq!(Kind::of("tsvector"), None);
    }
}
