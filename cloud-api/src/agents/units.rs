//! Agents' units of work: an agent created or revoked (with what it held put back in the
//! queue and the operator's audit row), a registration, a heartbeat renewing the leases the
//! agent still holds. Each is one store operation, so a service never holds a transaction.

use crate::agents::store as q;
use crate::agents::store::{AgentRow, NewAgent, Vitals};
use crate::audit::actor::{Actor, Why};
use crate::dispatch::store as dispatch;
use crate::error::{ApiError, ApiResult};
use crate::ids::{AgentId, JobId, LeaseId};
use crate::store::{DbResult, Store};
use tseeder_protocol::{AgentKind, AuditAction, ControlAction, ErrorCode, HeldLease, JobControl};

use super::service::stop_action;

/// An agent to create, as the service checked it.
#[derive(Debug)]
pub struct Creation {
    pub id: String,
    pub kind: AgentKind,
    pub owner_user_id: Option<String>,
    pub name: String,
    pub region: String,
    pub token_hash: String,
}

/// Stores a new agent with the operator's audit row when one issued it; answers it as stored.
pub(crate) async fn create(
    store: &Store,
    agent: Creation,
    audit: Option<(Actor, Why)>,
    now: i64,
) -> DbResult<Option<AgentRow>> {
    store
        .transaction(move |tx| {
            q::insert_agent(
                tx,
                &NewAgent {
                    id: &agent.id,
                    name: &agent.name,
                    kind: agent.kind,
                    owner_user_id: agent.owner_user_id.as_deref(),
                    region: &agent.region,
                    token_hash: &agent.token_hash,
                    now,
                },
            )?;
            if let Some((who, why)) = &audit {
                who.audit(
                    tx,
                    AuditAction::AgentIssue,
                    &agent.id,
                    why,
                    serde_json::json!({ "name": agent.name, "region": agent.region }),
                )?;
            }
            q::agent_by_id(tx, &agent.id)
        })
        .await
}

/// Revokes one of the user's devices: its leases go back to the queue and the jobs kept for it
/// fail with `reason`. False when the user has no such device.
pub async fn revoke_device(
    store: &Store,
    owner: String,
    device_id: String,
    reason: &'static str,
    now: i64,
) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let id = &device_id;
            let Some(agent) = q::agent_by_id(tx, id)? else {
                return Ok(false);
            };
            if agent.owner_user_id.as_deref() != Some(owner.as_str()) {
                return Ok(false);
            }
            q::revoke_agent(tx, id, now)?;
            dispatch::release_agent_leases(tx, id, now)?;
            dispatch::fail_jobs_of_device(tx, id, reason, now)?;
            Ok(true)
        })
        .await
}

/// An operator revokes an agent: its leases go back to the queue, with the audit row.
pub(crate) async fn revoke(
    store: &Store,
    who: Actor,
    why: Why,
    agent_id: String,
    now: i64,
) -> ApiResult<Option<AgentRow>> {
    store
        .transaction_with(move |tx| -> ApiResult<_> {
            let id = &agent_id;
            if q::agent_by_id(tx, id)?.is_none() {
                return Err(ApiError::NotFound);
            }
            if !q::revoke_agent(tx, id, now)? {
                return Err(ApiError::conflict(
                    ErrorCode::AlreadyRevoked,
                    "this agent's token is already revoked",
                ));
            }
            let requeued = dispatch::release_agent_leases(tx, id, now)?;
            who.audit(
                tx,
                AuditAction::AgentRevoke,
                id,
                &why,
                serde_json::json!({ "requeuedJobs": requeued }),
            )?;
            Ok(q::agent_by_id(tx, id)?)
        })
        .await
}

/// What an agent says of itself when it starts.
#[derive(Debug)]
pub struct Registration {
    pub id: String,
    pub name: String,
    pub region: String,
    pub capacity: u32,
    pub version: String,
}

/// Records an agent's start and puts back in the queue what it held before (work it lost);
/// answers how many jobs that was. Every write names the agent's own rows, so agents
/// reconnecting all at once (after a control-plane restart) never fail each other as
/// SERIALIZABLE would make them.
pub async fn register(store: &Store, agent: Registration, now: i64) -> DbResult<usize> {
    store
        .locking_transaction(move |tx| {
            let a = &agent;
            q::register_agent(tx, &a.id, &a.name, &a.region, a.capacity, &a.version, now)?;
            dispatch::release_agent_leases(tx, &a.id, now)
        })
        .await
}

/// Records an agent's vitals and renews the leases it still holds on running jobs until
/// `expires`; answers what it must do about the others (stop, or forget a lost lease). Each
/// write names the agent and its leases, as a claim's do.
pub async fn heartbeat(
    store: &Store,
    agent_id: String,
    vitals: Vitals,
    leases: Vec<HeldLease>,
    expires: i64,
    now: i64,
) -> DbResult<Vec<JobControl>> {
    store
        .locking_transaction(move |tx| {
            let id = &agent_id;
            q::record_heartbeat(tx, id, vitals, now)?;
            let mut controls = Vec::new();
            for held in leases.iter().take(1000) {
                let (job_id, lease_id) = (JobId(&held.job_id), LeaseId(&held.lease_id));
                let job = dispatch::job_under_lease(tx, job_id, lease_id, AgentId(id))?;
                let action = match job {
                    Some(job) if job.status.is_running() => {
                        dispatch::renew_lease(tx, job_id, lease_id, AgentId(id), expires)?;
                        ControlAction::Continue
                    }
                    Some(job) => stop_action(job.status),
                    None => ControlAction::LeaseLost,
                };
                if action != ControlAction::Continue {
                    controls.push(JobControl {
                        job_id: held.job_id.clone(),
                        lease_id: Some(held.lease_id.clone()),
                        action,
                    });
                }
            }
            Ok(controls)
        })
        .await
}

/// Gives the in-process agent a new token hash, creating it on first start; false, changing
/// nothing, when an operator revoked it (a restart must not bring it back).
pub async fn renew_embedded(
    store: &Store,
    id: &'static str,
    name: String,
    region: String,
    token_hash: String,
    now: i64,
) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            if let Some(agent) = q::agent_by_id(tx, id)? {
                if agent.revoked_at.is_some() {
                    return Ok(false);
                }
                q::set_agent_token(tx, id, &token_hash)?;
            } else {
                q::insert_agent(
                    tx,
                    &NewAgent {
                        id,
                        name: &name,
                        kind: AgentKind::Operator,
                        owner_user_id: None,
                        region: &region,
                        token_hash: &token_hash,
                        now,
                    },
                )?;
            }
            Ok(true)
        })
        .await
}
