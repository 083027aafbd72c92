//! Queries of the global search over the full-text index the migrations keep (SQLite's FTS5,
//! PostgreSQL's tsvector): each query's words become a prefix search in the backend's syntax,
//! and the same words find the same rows on both. Exact matches (an email, an id, a hash) rank
//! first, then each backend's own relevance (bm25, ts_rank).

use crate::store::{params, DbResult, Dialect, Row, Tx};
use tseeder_protocol::{SearchHit, SearchKind};

/// The words of a query: lowercase runs of letters and digits, at most eight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    words: Vec<String>,
    /// The whole query, lowercased, for exact matches.
    pub exact: String,
}

impl Words {
    pub fn parse(query: &str) -> Option<Words> {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then(|| Words {
            words,
            exact: query.trim().to_lowercase(),
        })
    }

    /// Every word as a prefix, all required. Words hold only letters and digits, so nothing
    /// in them is syntax.
    fn expression(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::Sqlite => self
                .words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" "),
            Dialect::Postgres => self
                .words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }
}

/// The index rows of `kind` matching `?1`, as `m` with `m.ref_id`; and the relevance order.
fn matching(dialect: Dialect, kind: SearchKind) -> (String, String, &'static str) {
    let kind = kind.as_str();
    match dialect {
        Dialect::Sqlite => (
            format!(
                "search_index JOIN search_refs m ON m.doc_id = search_index.rowid AND m.kind = '{kind}'"
            ),
            "search_index MATCH ?1".into(),
            "bm25(search_index)",
        ),
        Dialect::Postgres => (
            "search_index m".into(),
            format!("m.kind = '{kind}' AND m.tsv @@ to_tsquery('simple', ?1)"),
            "ts_rank(m.tsv, to_tsquery('simple', ?1)) DESC",
        ),
    }
}

/// What each kind joins to the index, how a hit reads, and what counts as an exact match of
/// `?2`.
struct Shape {
    join: &'static str,
    columns: &'static str,
    exact: &'static str,
    order: &'static str,
    hit: fn(&Row) -> DbResult<SearchHit>,
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn shape(kind: SearchKind) -> Shape {
    match kind {
        SearchKind::User => Shape {
            join: "JOIN users u ON u.id = m.ref_id",
            columns: "u.id, u.email, u.role, u.suspended_at",
            exact: "lower(u.email) = ?2 OR u.id = ?2",
            order: "u.email, u.id",
            hit: |row| {
                let id: String = row.get("id")?;
                let role: String = row.get("role")?;
                let suspended: Option<i64> = row.get("suspended_at")?;
                Ok(SearchHit {
                    kind: SearchKind::User,
                    link: format!("/admin/users/{id}"),
                    title: row.get("email")?,
                    subtitle: if suspended.is_some() {
                        format!("{role} · suspended")
                    } else {
                        role
                    },
                    id,
                })
            },
        },
        SearchKind::Job => Shape {
            join: "JOIN jobs j ON j.id = m.ref_id JOIN users o ON o.id = j.user_id",
            columns: "j.id, j.name, j.status, j.info_hash, j.user_id, o.email AS owner",
            exact: "j.id = ?2 OR lower(j.info_hash) = ?2 OR lower(j.name) = ?2",
            order: "j.name, j.id",
            hit: |row| {
                let name: String = row.get("name")?;
                let owner: String = row.get("owner")?;
                let status: String = row.get("status")?;
                let hash: String = row.get("info_hash")?;
                let user_id: String = row.get("user_id")?;
                Ok(SearchHit {
                    kind: SearchKind::Job,
                    id: row.get("id")?,
                    link: format!(
                        "/admin/jobs?userId={}&q={}",
                        encode(&user_id),
                        encode(&name)
                    ),
                    subtitle: format!("{status} · {owner} · {hash}"),
                    title: name,
                })
            },
        },
        SearchKind::Agent => Shape {
            join: "JOIN agents a ON a.id = m.ref_id",
            columns: "a.id, a.name, a.kind, a.region, a.revoked_at",
            exact: "a.id = ?2 OR lower(a.name) = ?2",
            order: "a.name, a.id",
            hit: |row| {
                let kind: String = row.get("kind")?;
                let region: String = row.get("region")?;
                let revoked: Option<i64> = row.get("revoked_at")?;
                let kind = if kind == "device" { "device" } else { "agent" };
                Ok(SearchHit {
                    kind: SearchKind::Agent,
                    id: row.get("id")?,
                    title: row.get("name")?,
                    subtitle: if revoked.is_some() {
                        format!("{kind} · {region} · revoked")
                    } else {
                        format!("{kind} · {region}")
                    },
                    link: "/admin/agents".into(),
                })
            },
        },
        SearchKind::Audit => Shape {
            join: "JOIN audit_log l ON l.id = CAST(m.ref_id AS BIGINT)",
            columns: "l.id, l.action, l.actor_email, l.target_type, l.target_id",
            exact: "lower(l.action) = ?2 OR l.target_id = ?2",
            order: "l.id DESC",
            hit: |row| {
                let target: String = row.get("target_id")?;
                let target_type: String = row.get("target_type")?;
                let actor: String = row.get("actor_email")?;
                Ok(SearchHit {
                    kind: SearchKind::Audit,
                    id: row.get::<_, i64>("id")?.to_string(),
                    title: row.get("action")?,
                    subtitle: format!("{actor} → {target_type} {target}"),
                    link: format!("/admin/audit?targetId={}", encode(&target)),
                })
            },
        },
    }
}

/// How many rows of `kind` match.
pub fn count(conn: &Tx<'_>, kind: SearchKind, words: &Words) -> DbResult<u64> {
    let dialect = conn.dialect();
    let (from, condition, _) = matching(dialect, kind);
    let join = shape(kind).join;
    conn.query_row(
        &format!("SELECT COUNT(*) FROM {from} {join} WHERE {condition}"),
        params![words.expression(dialect)],
        |row| row.get::<_, i64>(0).map(|n| n.max(0) as u64),
    )
}

/// A page of the rows of `kind` that match, best first.
pub fn hits(
    conn: &Tx<'_>,
    kind: SearchKind,
    words: &Words,
    limit: u32,
    offset: u64,
) -> DbResult<Vec<SearchHit>> {
    let dialect = conn.dialect();
    let (from, condition, relevance) = matching(dialect, kind);
    let shape = shape(kind);
    let (join, columns, exact, order) = (shape.join, shape.columns, shape.exact, shape.order);
    conn.query_map(
        &format!(
            "SELECT {columns} FROM {from} {join} WHERE {condition}
             ORDER BY CASE WHEN {exact} THEN 0 ELSE 1 END, {relevance}, {order}
             LIMIT ?3 OFFSET ?4"
        ),
        params![
            words.expression(dialect),
            words.exact.clone(),
            limit,
            offset as i64
        ],
        shape.hit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_becomes_prefix_words_with_nothing_of_the_syntax() {
        let words = Words::parse("  Alice@Example.org \"OR* NEAR(").expect("words");
        assert_eq!(
            words.expression(Dialect::Sqlite),
            "\"alice\"* \"example\"* \"org\"* \"or\"* \"near\"*"
        );
        assert_eq!(
            words.expression(Dialect::Postgres),
            "alice:* & example:* & org:* & or:* & near:*"
        );
        assert!(Words::parse(" .-_ ").is_none());
        assert_eq!(
            Words::parse(&"a ".repeat(50)).map(|w| w.words.len()),
            Some(8)
        );
    }
}
