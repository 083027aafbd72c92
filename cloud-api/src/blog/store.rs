//! Queries on blog posts.

use crate::store::DbResult;
use crate::store::{params, OptionalExtension, Row, Tx};

#[derive(Debug, Clone)]
pub struct PostRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author_email: Option<String>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

const POST_COLUMNS: &str = "p.id, p.slug, p.title, p.summary, p.body, u.email AS author_email, \
     p.published_at, p.updated_at";

fn post_from_row(row: &Row) -> DbResult<PostRow> {
    Ok(PostRow {
        id: row.get("id")?,
        slug: row.get("slug")?,
        title: row.get("title")?,
        summary: row.get("summary")?,
        body: row.get("body")?,
        author_email: row.get("author_email")?,
        published_at: row.get("published_at")?,
        updated_at: row.get("updated_at")?,
    })
}

#[derive(Debug)]
pub struct NewPost<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub author_id: &'a str,
    pub published_at: Option<i64>,
    pub now: i64,
}

pub fn insert_post(conn: &Tx<'_>, post: &NewPost<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO blog_posts
             (id, slug, title, summary, body, author_id, published_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            post.id,
            post.slug,
            post.title,
            post.summary,
            post.body,
            post.author_id,
            post.published_at,
            post.now
        ],
    )?;
    Ok(())
}

/// Replaces a post's content; a post keeps its first publication time while it stays published.
pub fn update_post(conn: &Tx<'_>, post: &NewPost<'_>) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE blog_posts
         SET slug = ?2, title = ?3, summary = ?4, body = ?5,
             published_at = CASE WHEN CAST(?6 AS BIGINT) IS NULL THEN NULL ELSE COALESCE(published_at, ?6) END,
             updated_at = ?7
         WHERE id = ?1",
        params![
            post.id,
            post.slug,
            post.title,
            post.summary,
            post.body,
            post.published_at,
            post.now
        ],
    )?;
    Ok(changed == 1)
}

pub fn delete_post(conn: &Tx<'_>, id: &str) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM blog_posts WHERE id = ?1", params![id])? == 1)
}

pub fn post_by_id(conn: &Tx<'_>, id: &str) -> DbResult<Option<PostRow>> {
    conn.query_row(
        &format!(
            "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
                 WHERE p.id = ?1"
        ),
        params![id],
        post_from_row,
    )
    .optional()
}

pub fn published_post_by_slug(conn: &Tx<'_>, slug: &str) -> DbResult<Option<PostRow>> {
    conn.query_row(
        &format!(
            "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
                 WHERE p.slug = ?1 AND p.published_at IS NOT NULL"
        ),
        params![slug],
        post_from_row,
    )
    .optional()
}

/// Newest first; drafts only when `include_drafts`.
pub fn list_posts(
    conn: &Tx<'_>,
    include_drafts: bool,
    limit: u32,
    offset: u64,
) -> DbResult<(Vec<PostRow>, u64)> {
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM blog_posts WHERE ?1 OR published_at IS NOT NULL",
        params![include_drafts],
        |row| row.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {POST_COLUMNS} FROM blog_posts p LEFT JOIN users u ON u.id = p.author_id
         WHERE ?1 OR p.published_at IS NOT NULL
         ORDER BY COALESCE(p.published_at, p.updated_at) DESC, p.id
         LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt
        .query_map(params![include_drafts, limit, offset as i64], post_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total.max(0) as u64))
}
