//! Queries on organizations, their members and their invitations.

use crate::store::{params, DbError, DbResult, OptionalExtension, Row, Tx};
use tseeder_protocol::OrgRole;

/// The personal organization's id is derived from its user's, as the migration that made the
/// first ones did.
pub fn personal_org_id(user_id: &str) -> String {
    format!("org_{user_id}")
}

/// The organization a request works in, and the caller's role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingOrg {
    pub id: String,
    pub role: OrgRole,
}

impl WorkingOrg {
    /// A user's own organization, which they always own.
    pub fn personal(user_id: &str) -> WorkingOrg {
        WorkingOrg {
            id: personal_org_id(user_id),
            role: OrgRole::Owner,
        }
    }

    /// The organization a credential chose, read from its `member_org` and `member_role`
    /// columns (a join on the credential's own membership), if that membership still exists.
    pub(crate) fn from_membership(row: &Row) -> DbResult<Option<WorkingOrg>> {
        let org: Option<String> = row.get("member_org")?;
        let role: Option<String> = row.get("member_role")?;
        Ok(match (org, role) {
            (Some(id), Some(role)) => Some(WorkingOrg {
                id,
                role: role_of(role)?,
            }),
            _ => None,
        })
    }
}

fn role_of(text: String) -> DbResult<OrgRole> {
    OrgRole::parse(&text).ok_or_else(|| DbError::Corrupt(format!("organization role {text}")))
}

pub fn create_org(
    tx: &Tx<'_>,
    id: &str,
    name: &str,
    personal_of: Option<&str>,
    now: i64,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO organizations (id, name, personal_of, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id, name, personal_of, now],
    )?;
    Ok(())
}

/// A new account's own organization, with the account as its owner.
pub fn create_personal_org(tx: &Tx<'_>, user_id: &str, now: i64) -> DbResult<()> {
    let id = personal_org_id(user_id);
    create_org(tx, &id, "Personal", Some(user_id), now)?;
    add_member(tx, &id, user_id, OrgRole::Owner, now)
}

pub fn add_member(
    tx: &Tx<'_>,
    org_id: &str,
    user_id: &str,
    role: OrgRole,
    now: i64,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![org_id, user_id, role.as_str(), now],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub personal: bool,
    pub created_at: i64,
    pub members: u32,
    pub plan_id: String,
}

/// Read from `organizations o`.
fn org_columns() -> String {
    format!(
        "o.id, o.name, CASE WHEN o.personal_of IS NULL THEN 0 ELSE 1 END AS personal, \
         o.created_at, (SELECT COUNT(*) FROM memberships c WHERE c.org_id = o.id) AS members, \
         {} AS org_plan",
        crate::plans::store::org_plan_id("o.id")
    )
}

fn org_from_row(row: &Row) -> DbResult<OrgRow> {
    Ok(OrgRow {
        id: row.get("id")?,
        name: row.get("name")?,
        personal: row.get("personal")?,
        created_at: row.get("created_at")?,
        members: row.get::<_, i64>("members")? as u32,
        plan_id: row.get("org_plan")?,
    })
}

pub fn org(tx: &Tx<'_>, org_id: &str) -> DbResult<Option<OrgRow>> {
    tx.query_row(
        &format!(
            "SELECT {} FROM organizations o WHERE o.id = ?1",
            org_columns()
        ),
        params![org_id],
        org_from_row,
    )
    .optional()
}

/// The user's organizations with their role in each, personal first, then oldest first.
pub fn orgs_of_user(tx: &Tx<'_>, user_id: &str) -> DbResult<Vec<(OrgRow, OrgRole)>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {}, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
         WHERE m.user_id = ?1
         ORDER BY o.personal_of IS NULL, o.created_at, o.id",
        org_columns()
    ))?;
    let rows = stmt
        .query_map(params![user_id], |row| {
            Ok((org_from_row(row)?, role_of(row.get("role")?)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn memberships_of_user(tx: &Tx<'_>, user_id: &str) -> DbResult<u64> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM memberships WHERE user_id = ?1",
        params![user_id],
        |row| row.get::<_, i64>(0),
    )? as u64)
}

pub fn role_in(tx: &Tx<'_>, org_id: &str, user_id: &str) -> DbResult<Option<OrgRole>> {
    let role: Option<String> = tx
        .query_row(
            "SELECT role FROM memberships WHERE org_id = ?1 AND user_id = ?2",
            params![org_id, user_id],
            |row| row.get(0),
        )
        .optional()?;
    role.map(role_of).transpose()
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: OrgRole,
    pub joined_at: i64,
}

/// Members, the owner first, then admins, then members, each by when they joined.
pub fn members(tx: &Tx<'_>, org_id: &str) -> DbResult<Vec<MemberRow>> {
    let mut stmt = tx.prepare(
        "SELECT m.user_id, u.email, u.display_name, m.role, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m.created_at, m.user_id",
    )?;
    let rows = stmt
        .query_map(params![org_id], |row| {
            Ok(MemberRow {
                user_id: row.get(0)?,
                email: row.get(1)?,
                display_name: row.get(2)?,
                role: role_of(row.get(3)?)?,
                joined_at: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn is_member_email(tx: &Tx<'_>, org_id: &str, email: &str) -> DbResult<bool> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 AND u.email = ?2",
        params![org_id, email],
        |row| row.get::<_, i64>(0),
    )? > 0)
}

pub fn rename(tx: &Tx<'_>, org_id: &str, name: &str, now: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE organizations SET name = ?2, updated_at = ?3 WHERE id = ?1",
        params![org_id, name, now],
    )?;
    Ok(())
}

/// Puts a team organization on a plan (a personal one uses its user's).
pub fn set_plan(tx: &Tx<'_>, org_id: &str, plan_id: &str, now: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE organizations SET plan_id = ?2, updated_at = ?3
         WHERE id = ?1 AND personal_of IS NULL",
        params![org_id, plan_id, now],
    )?;
    Ok(())
}

pub fn has_jobs(tx: &Tx<'_>, org_id: &str) -> DbResult<bool> {
    Ok(tx.query_row(
        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE org_id = ?1 LIMIT 1) AS any_job",
        params![org_id],
        |row| row.get::<_, i64>(0),
    )? > 0)
}

pub fn delete_org(tx: &Tx<'_>, org_id: &str) -> DbResult<()> {
    tx.execute("DELETE FROM organizations WHERE id = ?1", params![org_id])?;
    Ok(())
}

pub fn set_role(tx: &Tx<'_>, org_id: &str, user_id: &str, role: OrgRole) -> DbResult<()> {
    tx.execute(
        "UPDATE memberships SET role = ?3 WHERE org_id = ?1 AND user_id = ?2",
        params![org_id, user_id, role.as_str()],
    )?;
    Ok(())
}

pub fn remove_member(tx: &Tx<'_>, org_id: &str, user_id: &str) -> DbResult<usize> {
    tx.execute(
        "DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2",
        params![org_id, user_id],
    )
}

#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const INVITE_COLUMNS: &str =
    "i.id, i.org_id, i.email, i.role, u.email AS invited_by, i.created_at, \
     i.expires_at, i.accepted_at, i.revoked_at";

fn invite_from_row(row: &Row) -> DbResult<InviteRow> {
    Ok(InviteRow {
        id: row.get("id")?,
        org_id: row.get("org_id")?,
        email: row.get("email")?,
        role: role_of(row.get("role")?)?,
        invited_by: row.get("invited_by")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        accepted_at: row.get("accepted_at")?,
        revoked_at: row.get("revoked_at")?,
    })
}

#[derive(Debug)]
pub struct NewInvite<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub email: &'a str,
    pub role: OrgRole,
    pub token_hash: &'a [u8],
    pub invited_by: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub fn insert_invite(tx: &Tx<'_>, invite: &NewInvite<'_>) -> DbResult<()> {
    tx.execute(
        "INSERT INTO org_invites (id, org_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            invite.id,
            invite.org_id,
            invite.email,
            invite.role.as_str(),
            invite.token_hash,
            invite.invited_by,
            invite.now,
            invite.expires_at
        ],
    )?;
    Ok(())
}

/// Withdraws the invitations to `email` still waiting: a new one replaces them.
pub fn revoke_waiting_invites(tx: &Tx<'_>, org_id: &str, email: &str, now: i64) -> DbResult<usize> {
    tx.execute(
        "UPDATE org_invites SET revoked_at = ?3
         WHERE org_id = ?1 AND email = ?2 AND accepted_at IS NULL AND revoked_at IS NULL",
        params![org_id, email, now],
    )
}

pub fn waiting_invites(tx: &Tx<'_>, org_id: &str, now: i64) -> DbResult<Vec<InviteRow>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {INVITE_COLUMNS} FROM org_invites i LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.org_id = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?2
         ORDER BY i.created_at DESC, i.id"
    ))?;
    let rows = stmt
        .query_map(params![org_id, now], invite_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn invite(tx: &Tx<'_>, org_id: &str, invite_id: &str) -> DbResult<Option<InviteRow>> {
    tx.query_row(
        &format!(
            "SELECT {INVITE_COLUMNS} FROM org_invites i LEFT JOIN users u ON u.id = i.invited_by
             WHERE i.org_id = ?1 AND i.id = ?2"
        ),
        params![org_id, invite_id],
        invite_from_row,
    )
    .optional()
}

pub fn invite_by_token(tx: &Tx<'_>, token_hash: &[u8]) -> DbResult<Option<InviteRow>> {
    tx.query_row(
        &format!(
            "SELECT {INVITE_COLUMNS} FROM org_invites i LEFT JOIN users u ON u.id = i.invited_by
             WHERE i.token_hash = ?1"
        ),
        params![token_hash],
        invite_from_row,
    )
    .optional()
}

pub fn revoke_invite(tx: &Tx<'_>, invite_id: &str, now: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE org_invites SET revoked_at = ?2 WHERE id = ?1",
        params![invite_id, now],
    )?;
    Ok(())
}

/// Marks an invitation used; false when it was used or withdrawn meanwhile.
pub fn use_invite(tx: &Tx<'_>, invite_id: &str, now: i64) -> DbResult<bool> {
    Ok(tx.execute(
        "UPDATE org_invites SET accepted_at = ?2
         WHERE id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL",
        params![invite_id, now],
    )? == 1)
}

#[derive(Debug, Clone)]
pub struct AdminOrgRow {
    pub org: OrgRow,
    pub owner_email: String,
}

/// Organizations for operators, newest first, optionally by a piece of their name, id or
/// owner's email; and how many match (up to `cap`).
pub fn list_for_operators(
    tx: &Tx<'_>,
    search: Option<&str>,
    limit: u32,
    offset: u64,
    cap: u64,
) -> DbResult<(Vec<AdminOrgRow>, crate::store::Total)> {
    let joined = "organizations o
         JOIN memberships ow ON ow.org_id = o.id AND ow.role = 'owner'
         JOIN users u ON u.id = ow.user_id";
    // Built per filter, so the list without one reads no predicate at all.
    let (from_where, values) = match search {
        Some(text) => (
            format!("{joined} WHERE LOWER(o.name) LIKE ?1 OR o.id = ?2 OR u.email LIKE ?1"),
            vec![
                crate::store::Value::Text(format!(
                    "%{}%",
                    text.to_lowercase().replace(['%', '_'], "")
                )),
                crate::store::Value::Text(text.to_owned()),
            ],
        ),
        None => (joined.to_owned(), Vec::new()),
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT {}, u.email AS owner_email FROM {from_where}
         ORDER BY o.created_at DESC, o.id DESC LIMIT {limit} OFFSET {offset}",
        org_columns()
    ))?;
    let rows = stmt
        .query_map(&values, |row| {
            Ok(AdminOrgRow {
                org: org_from_row(row)?,
                owner_email: row.get("owner_email")?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let total = tx.query_row(
        &crate::store::capped_count(&from_where, cap),
        &values,
        |row| row.get::<_, i64>(0),
    )? as u64;
    Ok((rows, crate::store::Total::UpTo(total)))
}

/// The user whose personal organization this is, if it is one.
pub fn personal_user(tx: &Tx<'_>, org_id: &str) -> DbResult<Option<String>> {
    Ok(tx
        .query_row(
            "SELECT personal_of FROM organizations WHERE id = ?1",
            params![org_id],
            |row| row.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// The organization's owner: id and email.
pub fn owner(tx: &Tx<'_>, org_id: &str) -> DbResult<Option<(String, String)>> {
    tx.query_row(
        "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 AND m.role = 'owner'",
        params![org_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

pub fn owner_email(tx: &Tx<'_>, org_id: &str) -> DbResult<String> {
    tx.query_row(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = ?1 AND m.role = 'owner'",
        params![org_id],
        |row| row.get(0),
    )
}
