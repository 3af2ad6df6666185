//! Reports: the report rows with their working draft, published revisions, stars,
//! view-only links and comments (migration m0009). Plain SQL that reads the same
//! on SQLite and PostgreSQL.

use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use crate::db::sql::Sql;

/// A report's row.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub id: i32,
    pub project_id: i32,
    pub created_by: Option<i32>,
    pub author: String,
    pub title: String,
    pub description: String,
    pub draft: String,
    pub draft_version: i32,
    pub draft_by: Option<i32>,
    pub draft_by_name: String,
    pub draft_at: i64,
    pub published_revision: Option<i32>,
    pub wandb_name: Option<String>,
    pub wandb_spec: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

const COLUMNS: &str =
    "SELECT r.id, r.project_id, r.created_by, COALESCE(a.username, '') AS author, \
     r.title, r.description, r.draft, r.draft_version, r.draft_by, \
     COALESCE(d.username, '') AS draft_by_name, r.draft_at, r.published_revision, \
     r.wandb_name, r.wandb_spec, r.created_at, r.updated_at, r.deleted_at FROM reports r \
     LEFT JOIN users a ON a.id = r.created_by LEFT JOIN users d ON d.id = r.draft_by";

fn row(r: &QueryResult) -> Result<ReportRow, DbErr> {
    Ok(ReportRow {
        id: r.try_get("", "id")?,
        project_id: r.try_get("", "project_id")?,
        created_by: r.try_get("", "created_by")?,
        author: r.try_get("", "author")?,
        title: r.try_get("", "title")?,
        description: r.try_get("", "description")?,
        draft: r.try_get("", "draft")?,
        draft_version: r.try_get("", "draft_version")?,
        draft_by: r.try_get("", "draft_by")?,
        draft_by_name: r.try_get("", "draft_by_name")?,
        draft_at: r.try_get("", "draft_at")?,
        published_revision: r.try_get("", "published_revision")?,
        wandb_name: r.try_get("", "wandb_name")?,
        wandb_spec: r.try_get("", "wandb_spec")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        deleted_at: r.try_get("", "deleted_at")?,
    })
}

/// A report of a project by id, deleted or not.
pub async fn find(
    db: &impl ConnectionTrait,
    project_id: i32,
    id: i32,
) -> Result<Option<ReportRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE r.id = ")
        .bind(id)
        .push(" AND r.project_id = ")
        .bind(project_id);
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// A report by id alone (view-only links name the report, not the project).
pub async fn find_any(db: &impl ConnectionTrait, id: i32) -> Result<Option<ReportRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS).push(" WHERE r.id = ").bind(id);
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// A project's reports, newest edit first; deleted ones only when asked.
pub async fn list(
    db: &impl ConnectionTrait,
    project_id: i32,
    deleted: bool,
) -> Result<Vec<ReportRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE r.project_id = ")
        .bind(project_id)
        .push(if deleted {
            " AND r.deleted_at IS NOT NULL"
        } else {
            " AND r.deleted_at IS NULL"
        })
        .push(" ORDER BY r.updated_at DESC, r.id DESC");
    db.query_all_raw(q.build()).await?.iter().map(row).collect()
}

/// A report the wandb client named (upsertView's `name`).
pub async fn find_by_wandb_name(
    db: &impl ConnectionTrait,
    project_id: i32,
    name: &str,
) -> Result<Option<ReportRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(COLUMNS)
        .push(" WHERE r.project_id = ")
        .bind(project_id)
        .push(" AND r.wandb_name = ")
        .bind(name.to_owned())
        .push(" AND r.deleted_at IS NULL");
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// What a new report starts with.
pub struct NewReport<'a> {
    pub project_id: i32,
    pub user_id: i32,
    pub title: &'a str,
    pub description: &'a str,
    pub draft: &'a str,
    pub wandb_name: Option<&'a str>,
    pub wandb_spec: Option<&'a str>,
    pub now: i64,
}

/// Insert a report (draft version 1, unpublished); its id.
pub async fn insert(db: &impl ConnectionTrait, r: NewReport<'_>) -> Result<i32, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO reports (project_id, created_by, title, description, draft, draft_version, \
         draft_by, draft_at, published_revision, wandb_name, wandb_spec, created_at, updated_at) \
         VALUES (",
    )
    .bind(r.project_id)
    .push(", ")
    .bind(r.user_id)
    .push(", ")
    .bind(r.title.to_owned())
    .push(", ")
    .bind(r.description.to_owned())
    .push(", ")
    .bind(r.draft.to_owned())
    .push(", 1, ")
    .bind(r.user_id)
    .push(", ")
    .bind(r.now)
    .push(", NULL, ")
    .bind(r.wandb_name.map(str::to_owned))
    .push(", ")
    .bind(r.wandb_spec.map(str::to_owned))
    .push(", ")
    .bind(r.now)
    .push(", ")
    .bind(r.now)
    .push(") RETURNING id");
    let got = db
        .query_one_raw(q.build())
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    got.try_get("", "id")
}

/// Save the draft (with its title and description) if it is still at
/// `base_version`; the new version, or `None` when someone saved in between.
pub async fn save_draft(
    db: &impl ConnectionTrait,
    id: i32,
    base_version: i32,
    draft: &str,
    (title, description): (&str, &str),
    user_id: i32,
    now: i64,
) -> Result<Option<i32>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE reports SET draft = ")
        .bind(draft.to_owned())
        .push(", draft_version = draft_version + 1, draft_by = ")
        .bind(user_id)
        .push(", draft_at = ")
        .bind(now)
        .push(", updated_at = ")
        .bind(now)
        .push(", title = CASE WHEN published_revision IS NULL THEN ")
        .bind(title.to_owned())
        .push(" ELSE title END, description = CASE WHEN published_revision IS NULL THEN ")
        .bind(description.to_owned())
        .push(" ELSE description END WHERE id = ")
        .bind(id)
        .push(" AND draft_version = ")
        .bind(base_version);
    let done = db.execute_raw(q.build()).await?;
    Ok((done.rows_affected() == 1).then_some(base_version + 1))
}

/// Record that revision `number` (with this title and description) is what readers
/// see, with the wandb client's spec when it was the client that published.
pub async fn set_published(
    db: &impl ConnectionTrait,
    id: i32,
    number: i32,
    title: &str,
    description: &str,
    wandb_spec: Option<&str>,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE reports SET published_revision = ")
        .bind(number)
        .push(", wandb_spec = ")
        .bind(wandb_spec.map(str::to_owned))
        .push(", title = ")
        .bind(title.to_owned())
        .push(", description = ")
        .bind(description.to_owned())
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id);
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// Soft-delete (`Some(time)`) or bring back (`None`) a report.
pub async fn set_deleted(
    db: &impl ConnectionTrait,
    id: i32,
    at: Option<i64>,
    by: Option<i32>,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE reports SET deleted_at = ")
        .bind(at)
        .push(", deleted_by = ")
        .bind(by)
        .push(" WHERE id = ")
        .bind(id);
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// A kept revision.
#[derive(Clone, Debug)]
pub struct RevisionRow {
    pub number: i32,
    pub doc: String,
    pub author: String,
    pub note: String,
    pub at: i64,
}

/// Append revision `number` (the caller holds the next number).
pub async fn insert_revision(
    db: &impl ConnectionTrait,
    report_id: i32,
    number: i32,
    doc: &str,
    author: Option<i32>,
    note: &str,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("INSERT INTO report_revisions (report_id, number, doc, author_id, note, at) VALUES (")
        .bind(report_id)
        .push(", ")
        .bind(number)
        .push(", ")
        .bind(doc.to_owned())
        .push(", ")
        .bind(author)
        .push(", ")
        .bind(note.to_owned())
        .push(", ")
        .bind(now)
        .push(")");
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// The highest revision number of a report (0 when none).
pub async fn last_revision(db: &impl ConnectionTrait, report_id: i32) -> Result<i32, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT COALESCE(MAX(number), 0) AS n FROM report_revisions WHERE report_id = ")
        .bind(report_id);
    match db.query_one_raw(q.build()).await? {
        Some(r) => r.try_get("", "n"),
        None => Ok(0),
    }
}

const REVISION_COLUMNS: &str = "SELECT v.number, v.doc, COALESCE(u.username, '') AS author, \
     v.note, v.at FROM report_revisions v LEFT JOIN users u ON u.id = v.author_id";

fn revision_row(r: &QueryResult) -> Result<RevisionRow, DbErr> {
    Ok(RevisionRow {
        number: r.try_get("", "number")?,
        doc: r.try_get("", "doc")?,
        author: r.try_get("", "author")?,
        note: r.try_get("", "note")?,
        at: r.try_get("", "at")?,
    })
}

/// One revision.
pub async fn revision(
    db: &impl ConnectionTrait,
    report_id: i32,
    number: i32,
) -> Result<Option<RevisionRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(REVISION_COLUMNS)
        .push(" WHERE v.report_id = ")
        .bind(report_id)
        .push(" AND v.number = ")
        .bind(number);
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(revision_row)
        .transpose()
}

/// Every revision, newest first.
pub async fn revisions(
    db: &impl ConnectionTrait,
    report_id: i32,
) -> Result<Vec<RevisionRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(REVISION_COLUMNS)
        .push(" WHERE v.report_id = ")
        .bind(report_id)
        .push(" ORDER BY v.number DESC");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(revision_row)
        .collect()
}

/// Star counts of a project's reports, and which of them the user starred.
pub async fn stars(
    db: &impl ConnectionTrait,
    project_id: i32,
    user_id: Option<i32>,
) -> Result<Vec<(i32, u32, bool)>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT s.report_id, COUNT(*) AS n, SUM(CASE WHEN s.user_id = ")
        .bind(user_id.unwrap_or(-1))
        .push(
            " THEN 1 ELSE 0 END) AS mine FROM report_stars s JOIN reports r ON r.id = s.report_id \
         WHERE r.project_id = ",
        )
        .bind(project_id)
        .push(" GROUP BY s.report_id");
    let mut out = Vec::new();
    for r in db.query_all_raw(q.build()).await? {
        let id: i32 = r.try_get("", "report_id")?;
        let n: i64 = r.try_get("", "n")?;
        let mine: i64 = r.try_get("", "mine")?;
        out.push((id, n as u32, mine > 0));
    }
    Ok(out)
}

/// Star or unstar (idempotent).
pub async fn set_star(
    db: &impl ConnectionTrait,
    report_id: i32,
    user_id: i32,
    on: bool,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    if on {
        q.push("INSERT INTO report_stars (report_id, user_id, at) VALUES (")
            .bind(report_id)
            .push(", ")
            .bind(user_id)
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT (report_id, user_id) DO NOTHING");
    } else {
        q.push("DELETE FROM report_stars WHERE report_id = ")
            .bind(report_id)
            .push(" AND user_id = ")
            .bind(user_id);
    }
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// A view-only link.
#[derive(Clone, Debug)]
pub struct LinkRow {
    pub id: i32,
    pub report_id: i32,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

fn link_row(r: &QueryResult) -> Result<LinkRow, DbErr> {
    Ok(LinkRow {
        id: r.try_get("", "id")?,
        report_id: r.try_get("", "report_id")?,
        label: r.try_get("", "label")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        revoked_at: r.try_get("", "revoked_at")?,
    })
}

const LINK_COLUMNS: &str = "SELECT l.id, l.report_id, l.label, COALESCE(u.username, '') AS \
     created_by, l.created_at, l.revoked_at FROM report_links l LEFT JOIN users u ON u.id = l.created_by";

pub async fn insert_link(
    db: &impl ConnectionTrait,
    report_id: i32,
    token_hash: &str,
    label: &str,
    user_id: i32,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO report_links (report_id, token_hash, label, created_by, created_at) VALUES (",
    )
    .bind(report_id)
    .push(", ")
    .bind(token_hash.to_owned())
    .push(", ")
    .bind(label.to_owned())
    .push(", ")
    .bind(user_id)
    .push(", ")
    .bind(now)
    .push(")");
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// The live (unrevoked) link with this token hash.
pub async fn live_link(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<LinkRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(LINK_COLUMNS)
        .push(" WHERE l.token_hash = ")
        .bind(token_hash.to_owned())
        .push(" AND l.revoked_at IS NULL");
    db.query_one_raw(q.build())
        .await?
        .as_ref()
        .map(link_row)
        .transpose()
}

/// A report's links, newest first.
pub async fn links(db: &impl ConnectionTrait, report_id: i32) -> Result<Vec<LinkRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(LINK_COLUMNS)
        .push(" WHERE l.report_id = ")
        .bind(report_id)
        .push(" ORDER BY l.id DESC");
    db.query_all_raw(q.build())
        .await?
        .iter()
        .map(link_row)
        .collect()
}

/// Revoke a link of the report (idempotent); whether it exists.
pub async fn revoke_link(
    db: &impl ConnectionTrait,
    report_id: i32,
    id: i32,
    now: i64,
) -> Result<bool, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE report_links SET revoked_at = COALESCE(revoked_at, ")
        .bind(now)
        .push(") WHERE id = ")
        .bind(id)
        .push(" AND report_id = ")
        .bind(report_id);
    Ok(db.execute_raw(q.build()).await?.rows_affected() == 1)
}

/// A comment.
#[derive(Clone, Debug)]
pub struct CommentRow {
    pub id: i32,
    pub block_id: Option<i64>,
    pub panel_id: Option<i64>,
    pub user_id: i32,
    pub author: String,
    pub body: String,
    pub at: i64,
}

pub async fn insert_comment(
    db: &impl ConnectionTrait,
    report_id: i32,
    block_id: Option<i64>,
    panel_id: Option<i64>,
    user_id: i32,
    body: &str,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO report_comments (report_id, block_id, panel_id, user_id, body, at) VALUES (",
    )
    .bind(report_id)
    .push(", ")
    .bind(block_id)
    .push(", ")
    .bind(panel_id)
    .push(", ")
    .bind(user_id)
    .push(", ")
    .bind(body.to_owned())
    .push(", ")
    .bind(now)
    .push(")");
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// A report's live comments, oldest first.
pub async fn comments(db: &impl ConnectionTrait, report_id: i32) -> Result<Vec<CommentRow>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "SELECT c.id, c.block_id, c.panel_id, c.user_id, COALESCE(u.username, '') AS author, \
         c.body, c.at FROM report_comments c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.deleted_at IS NULL AND c.report_id = ",
    )
    .bind(report_id)
    .push(" ORDER BY c.id");
    let mut out = Vec::new();
    for r in db.query_all_raw(q.build()).await? {
        out.push(CommentRow {
            id: r.try_get("", "id")?,
            block_id: r.try_get("", "block_id")?,
            panel_id: r.try_get("", "panel_id")?,
            user_id: r.try_get("", "user_id")?,
            author: r.try_get("", "author")?,
            body: r.try_get("", "body")?,
            at: r.try_get("", "at")?,
        });
    }
    Ok(out)
}

/// Mark a comment deleted; whether it was there.
pub async fn delete_comment(
    db: &impl ConnectionTrait,
    report_id: i32,
    id: i32,
    now: i64,
) -> Result<bool, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE report_comments SET deleted_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND report_id = ")
        .bind(report_id)
        .push(" AND deleted_at IS NULL");
    Ok(db.execute_raw(q.build()).await?.rows_affected() == 1)
}

/// Record an image uploaded into a report (idempotent for the same bytes).
pub async fn insert_image(
    db: &impl ConnectionTrait,
    report_id: i32,
    sha256: &str,
    content_type: &str,
    bytes: i64,
    user_id: i32,
    now: i64,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push(
        "INSERT INTO report_images (report_id, sha256, content_type, bytes, created_by, created_at) \
         VALUES (",
    )
    .bind(report_id)
    .push(", ")
    .bind(sha256.to_owned())
    .push(", ")
    .bind(content_type.to_owned())
    .push(", ")
    .bind(bytes)
    .push(", ")
    .bind(user_id)
    .push(", ")
    .bind(now)
    .push(") ON CONFLICT (report_id, sha256) DO NOTHING");
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// The content type of an image uploaded into the report, if it was.
pub async fn image_type(
    db: &impl ConnectionTrait,
    report_id: i32,
    sha256: &str,
) -> Result<Option<String>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT content_type FROM report_images WHERE report_id = ")
        .bind(report_id)
        .push(" AND sha256 = ")
        .bind(sha256.to_owned());
    match db.query_one_raw(q.build()).await? {
        Some(r) => Ok(Some(r.try_get("", "content_type")?)),
        None => Ok(None),
    }
}

/// Whether any report holds an image with these bytes (the blob store keeps them).
pub async fn image_in_use(db: &impl ConnectionTrait, sha256: &str) -> Result<bool, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT 1 AS one FROM report_images WHERE sha256 = ")
        .bind(sha256.to_owned())
        .push(" LIMIT 1");
    Ok(db.query_one_raw(q.build()).await?.is_some())
}
