//! Queries on agents: issued tokens, registration, heartbeats and the fleet list.

use crate::store::DbResult;
use crate::store::{params, OptionalExtension, Row, Tx};
use tseeder_protocol::AgentKind;

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub kind: AgentKind,
    pub owner_user_id: Option<String>,
    pub owner_email: Option<String>,
    pub region: String,
    pub capacity: u32,
    pub version: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub cpu_percent: Option<f64>,
    pub memory_bytes: Option<i64>,
    pub disk_free_bytes: Option<i64>,
    pub bandwidth_bps: Option<i64>,
    /// Jobs it holds a lease on now.
    pub active_jobs: u32,
    /// Of those, jobs still fetching metadata (or waiting for a download slot).
    pub resolving_jobs: u32,
}

impl AgentRow {
    /// Whether it may take one more job: a download slot of `capacity`, or a metadata slot, is
    /// free (see `tseeder_protocol::metadata_slots`).
    pub fn has_room(&self) -> bool {
        let transferring = self.active_jobs.saturating_sub(self.resolving_jobs);
        transferring < self.capacity
            && self.resolving_jobs < tseeder_protocol::metadata_slots(self.capacity)
    }
}

const AGENT_COLUMNS: &str = "a.id, a.name, a.kind, a.owner_user_id, u.email AS owner_email, \
     a.region, a.capacity, a.version, a.created_at, a.revoked_at, a.last_seen_at, a.cpu_percent, \
     a.memory_bytes, a.disk_free_bytes, a.bandwidth_bps, \
     (SELECT COUNT(*) FROM jobs j WHERE j.agent_id = a.id AND j.lease_id IS NOT NULL) AS active_jobs, \
     (SELECT COALESCE(SUM(CASE WHEN j.status = 'metadata' THEN 1 ELSE 0 END), 0) FROM jobs j \
        WHERE j.agent_id = a.id AND j.lease_id IS NOT NULL) AS resolving_jobs";

const AGENT_FROM: &str = "agents a LEFT JOIN users u ON u.id = a.owner_user_id";

fn kind_str(kind: AgentKind) -> &'static str {
    match kind {
        AgentKind::Operator => "operator",
        AgentKind::Device => "device",
    }
}

fn agent_from_row(row: &Row) -> DbResult<AgentRow> {
    let kind: String = row.get("kind")?;
    Ok(AgentRow {
        id: row.get("id")?,
        name: row.get("name")?,
        kind: if kind == "device" {
            AgentKind::Device
        } else {
            AgentKind::Operator
        },
        owner_user_id: row.get("owner_user_id")?,
        owner_email: row.get("owner_email")?,
        region: row.get("region")?,
        capacity: row.get("capacity")?,
        version: row.get("version")?,
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
        last_seen_at: row.get("last_seen_at")?,
        cpu_percent: row.get("cpu_percent")?,
        memory_bytes: row.get("memory_bytes")?,
        disk_free_bytes: row.get("disk_free_bytes")?,
        bandwidth_bps: row.get("bandwidth_bps")?,
        active_jobs: row.get("active_jobs")?,
        resolving_jobs: row.get("resolving_jobs")?,
    })
}

#[derive(Debug)]
pub struct NewAgent<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: AgentKind,
    pub owner_user_id: Option<&'a str>,
    pub region: &'a str,
    pub token_hash: &'a str,
    pub now: i64,
}

pub fn insert_agent(conn: &Tx<'_>, agent: &NewAgent<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO agents (id, name, kind, owner_user_id, region, token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            agent.id,
            agent.name,
            kind_str(agent.kind),
            agent.owner_user_id,
            agent.region,
            agent.token_hash,
            agent.now
        ],
    )?;
    Ok(())
}

/// The live (not revoked) agent holding this token.
pub fn agent_by_token_hash(conn: &Tx<'_>, token_hash: &str) -> DbResult<Option<AgentRow>> {
    conn.query_row(
        &format!(
            "SELECT {AGENT_COLUMNS} FROM {AGENT_FROM}
                 WHERE a.token_hash = ?1 AND a.revoked_at IS NULL"
        ),
        params![token_hash],
        agent_from_row,
    )
    .optional()
}

/// [`agent_by_id`]'s query (`?1` the agent). Every claim and report looks its agent up, so its
/// counts of the agent's jobs must read the agent's leased jobs (`jobs_leased_by_agent`) and
/// nothing else: a status test in their `WHERE` could make SQLite, which plans without
/// statistics, walk every job in that status instead. The status is tested in the sum.
pub fn agent_by_id_sql() -> String {
    format!("SELECT {AGENT_COLUMNS} FROM {AGENT_FROM} WHERE a.id = ?1")
}

pub fn agent_by_id(conn: &Tx<'_>, agent_id: &str) -> DbResult<Option<AgentRow>> {
    conn.query_row(&agent_by_id_sql(), params![agent_id], agent_from_row)
        .optional()
}

/// A device keeps the region its owner's account implies; operator agents report theirs.
pub fn register_agent(
    conn: &Tx<'_>,
    agent_id: &str,
    name: &str,
    region: &str,
    capacity: u32,
    version: &str,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE agents SET name = ?2, region = ?3, capacity = ?4, version = ?5, last_seen_at = ?6
         WHERE id = ?1",
        params![agent_id, name, region, capacity, version, now],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Vitals {
    pub cpu_percent: Option<f32>,
    pub memory_bytes: Option<u64>,
    pub disk_free_bytes: Option<u64>,
    pub bandwidth_bps: Option<u64>,
}

pub fn record_heartbeat(conn: &Tx<'_>, agent_id: &str, vitals: Vitals, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE agents SET last_seen_at = ?2, cpu_percent = ?3, memory_bytes = ?4,
                           disk_free_bytes = ?5, bandwidth_bps = ?6
         WHERE id = ?1",
        params![
            agent_id,
            now,
            vitals.cpu_percent,
            vitals.memory_bytes.map(|v| v as i64),
            vitals.disk_free_bytes.map(|v| v as i64),
            vitals.bandwidth_bps.map(|v| v as i64)
        ],
    )?;
    Ok(())
}

pub fn touch_agent(conn: &Tx<'_>, agent_id: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE agents SET last_seen_at = ?2 WHERE id = ?1",
        params![agent_id, now],
    )?;
    Ok(())
}

/// Revokes and hands back the agent's leases at once, so its jobs go to other agents.
pub fn revoke_agent(conn: &Tx<'_>, agent_id: &str, now: i64) -> DbResult<bool> {
    let changed = conn.execute(
        "UPDATE agents SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![agent_id, now],
    )?;
    Ok(changed == 1)
}

/// Replaces the token of an agent (the embedded agent gets a fresh one at every start).
pub fn set_agent_token(conn: &Tx<'_>, agent_id: &str, token_hash: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE agents SET token_hash = ?2 WHERE id = ?1",
        params![agent_id, token_hash],
    )?;
    Ok(())
}

/// All agents, or only one user's devices.
pub fn list_agents(conn: &Tx<'_>, owner_user_id: Option<&str>) -> DbResult<Vec<AgentRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {AGENT_COLUMNS} FROM {AGENT_FROM}
         WHERE (CAST(?1 AS TEXT) IS NULL OR a.owner_user_id = ?1)
         ORDER BY a.region, a.name, a.id"
    ))?;
    let rows = stmt
        .query_map(params![owner_user_id], agent_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A live agent other than `except` in `region` (any region when `None`) that may take operator
/// work, has heard from us since `fresh_since` and has a free slot, with its load (active ÷
/// capacity); the least loaded first.
pub fn least_loaded_free_agent(
    conn: &Tx<'_>,
    region: Option<&str>,
    except: &str,
    fresh_since: i64,
) -> DbResult<Option<(String, f64)>> {
    conn.query_row(
        "SELECT a.id, CAST(
                 (SELECT COUNT(*) FROM jobs j WHERE j.agent_id = a.id AND j.lease_id IS NOT NULL)
                 AS REAL) / a.capacity AS load
             FROM agents a
             WHERE a.kind = 'operator' AND a.revoked_at IS NULL AND a.capacity > 0
               AND a.id != ?2 AND a.last_seen_at >= ?3
               AND (CAST(?1 AS TEXT) IS NULL OR a.region = ?1)
               AND (SELECT COUNT(*) FROM jobs j WHERE j.agent_id = a.id AND j.lease_id IS NOT NULL)
                   < a.capacity
             ORDER BY load, a.id LIMIT 1",
        params![region, except, fresh_since],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}
