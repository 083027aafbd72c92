//! Agents: tokens operators issue (or users issue for their own devices), registration,
//! heartbeats and the fleet view. Tokens are shown once and stored hashed.

use crate::agents::store as q;
use crate::agents::store::{AgentRow, Vitals};
use crate::agents::units;
use crate::audit::actor::{check_justification, Actor, Why};
use crate::error::{ApiError, ApiResult};
use crate::services::{Principal, RequestMeta, Services};
use crate::store::to_datetime;
use crate::{crypto, store as db};
use tseeder_protocol::{
    AgentKind, AgentRegistered, AgentView, ControlAction, ErrorCode, Heartbeat, HeartbeatReply,
    IssueAgentToken, IssuedAgentToken, JobStatus, Justification, RegisterAgent, RegisterDevice,
    AGENT_TOKEN_PREFIX,
};

/// An authenticated agent.
#[derive(Debug, Clone)]
pub struct AgentPrincipal {
    pub agent: AgentRow,
}

/// The embedded agent keeps one id across restarts so its old leases are recognised.
pub const EMBEDDED_AGENT_ID: &str = "embedded";

const MAX_NAME_CHARS: usize = 100;

fn new_agent_token() -> String {
    format!("{AGENT_TOKEN_PREFIX}{}", crypto::random_token(32))
}

fn token_hash(token: &str) -> String {
    hex::encode(crypto::token_hash(token))
}

fn checked_label(value: &str, what: &'static str) -> ApiResult<String> {
    tseeder_protocol::fields::label(value)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidField,
                format!("{what} must be 1 to {MAX_NAME_CHARS} printable characters"),
            )
        })
}

/// Why the jobs routed to a device that was removed (or signed out) end.
pub(crate) const DEVICE_REMOVED: &str =
    "device_removed: The computer this job was sent to was removed from your account.";

/// What an agent holding a lease on a job in `status` (not running) must do.
pub(crate) fn stop_action(status: JobStatus) -> ControlAction {
    match status {
        JobStatus::Paused => ControlAction::Pause,
        JobStatus::Cancelled => ControlAction::Cancel,
        _ => ControlAction::LeaseLost,
    }
}

/// Agent tokens, registration, heartbeats, devices and the fleet.
#[derive(Debug, Clone, Copy)]
pub struct Agents<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Agents<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Agents { services }
    }
}

impl Agents<'_> {
    pub fn view(&self, agent: &AgentRow) -> AgentView {
        let stale_ms = self.services.runtime().dispatch.stale_after_seconds as i64 * 1000;
        AgentView {
            id: agent.id.clone(),
            name: agent.name.clone(),
            kind: agent.kind,
            owner_email: agent.owner_email.clone(),
            region: agent.region.clone(),
            capacity: agent.capacity,
            active_jobs: agent.active_jobs,
            version: agent.version.clone(),
            cpu_percent: agent.cpu_percent.map(|v| v as f32),
            memory_bytes: agent.memory_bytes.map(|v| v.max(0) as u64),
            disk_free_bytes: agent.disk_free_bytes.map(|v| v.max(0) as u64),
            bandwidth_bps: agent.bandwidth_bps.map(|v| v.max(0) as u64),
            last_heartbeat_at: agent.last_seen_at.map(to_datetime),
            stale: agent
                .last_seen_at
                .is_none_or(|seen| db::now_ms() - seen > stale_ms),
            revoked: agent.revoked_at.is_some(),
            created_at: to_datetime(agent.created_at),
        }
    }

    pub async fn authenticate(&self, token: &str) -> ApiResult<Option<AgentPrincipal>> {
        if !token.starts_with(AGENT_TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let agent = self
            .services
            .db()
            .call(move |conn| q::agent_by_token_hash(conn, &hash))
            .await?;
        Ok(agent.map(|agent| AgentPrincipal { agent }))
    }

    /// A new operator agent; the token is in this answer only.
    pub async fn issue_token(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        req: IssueAgentToken,
    ) -> ApiResult<IssuedAgentToken> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let name = checked_label(&req.name, "name")?;
        let region = checked_label(&req.region, "region")?;
        let audit = (Actor::of(actor, meta), why);
        self.create_agent(AgentKind::Operator, None, name, region, Some(audit))
            .await
    }

    /// Stores a new agent with a fresh token (and the operator's audit row, when given) in one
    /// transaction; the token is returned once.
    async fn create_agent(
        &self,
        kind: AgentKind,
        owner_user_id: Option<String>,
        name: String,
        region: String,
        audit: Option<(Actor, Why)>,
    ) -> ApiResult<IssuedAgentToken> {
        let token = new_agent_token();
        let creation = units::Creation {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            owner_user_id,
            name,
            region,
            token_hash: token_hash(&token),
        };
        let agent = units::create(self.services.db(), creation, audit, db::now_ms())
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok(IssuedAgentToken {
            agent: self.view(&agent),
            token,
        })
    }

    /// Registers one of the user's machines as an agent that only ever gets their jobs.
    pub async fn register_device(
        &self,
        principal: &Principal,
        req: RegisterDevice,
    ) -> ApiResult<IssuedAgentToken> {
        let name = checked_label(&req.name, "name")?;
        let owner = principal.user.id.clone();
        self.create_agent(AgentKind::Device, Some(owner), name, "device".into(), None)
            .await
    }

    pub async fn list_devices(&self, principal: &Principal) -> ApiResult<Vec<AgentView>> {
        let owner = principal.user.id.clone();
        let rows = self
            .services
            .db()
            .call(move |conn| q::list_agents(conn, Some(&owner)))
            .await?;
        Ok(rows.iter().map(|a| self.view(a)).collect())
    }

    /// A user removes one of their own devices; its jobs go back to the queue.
    pub async fn revoke_device(&self, principal: &Principal, device_id: &str) -> ApiResult<()> {
        let found = units::revoke_device(
            self.services.db(),
            principal.user.id.clone(),
            device_id.to_owned(),
            DEVICE_REMOVED,
            db::now_ms(),
        )
        .await?;
        found.then_some(()).ok_or(ApiError::NotFound)
    }

    pub async fn fleet(&self) -> ApiResult<Vec<AgentView>> {
        let rows = self
            .services
            .db()
            .call(|conn| q::list_agents(conn, None))
            .await?;
        Ok(rows.iter().map(|a| self.view(a)).collect())
    }

    /// Revokes an agent's token; its running jobs go back to the queue at once.
    pub async fn revoke(
        &self,
        actor: &Principal,
        meta: &RequestMeta,
        agent_id: &str,
        req: Justification,
    ) -> ApiResult<AgentView> {
        let why = check_justification(&req.reason, &req.ticket_id)?;
        let who = Actor::of(actor, meta);
        let outcome = units::revoke(
            self.services.db(),
            who,
            why,
            agent_id.to_owned(),
            db::now_ms(),
        )
        .await?;
        outcome
            .map(|agent| self.view(&agent))
            .ok_or(ApiError::NotFound)
    }

    pub async fn register(
        &self,
        agent: &AgentPrincipal,
        req: RegisterAgent,
    ) -> ApiResult<AgentRegistered> {
        let name = checked_label(&req.name, "name")?;
        // A device's region is fixed: it only serves jobs routed to it.
        let region = match agent.agent.kind {
            AgentKind::Device => agent.agent.region.clone(),
            AgentKind::Operator => checked_label(&req.region, "region")?,
        };
        let version = req.version.chars().take(64).collect::<String>();
        let registration = units::Registration {
            id: agent.agent.id.clone(),
            name,
            region,
            capacity: req.capacity.min(1000),
            version,
        };
        let released = units::register(self.services.db(), registration, db::now_ms()).await?;
        if released > 0 {
            tracing::info!(agent = %agent.agent.id, released, "restarted agent's old jobs put back in the queue");
        }
        let runtime = self.services.runtime();
        let dispatch = &runtime.dispatch;
        Ok(AgentRegistered {
            agent_id: agent.agent.id.clone(),
            kind: agent.agent.kind,
            lease_seconds: dispatch.lease_seconds,
            heartbeat_seconds: dispatch.heartbeat_seconds,
        })
    }

    /// Records the agent's vitals, renews the leases it still holds and tells it which jobs to
    /// stop.
    pub async fn heartbeat(
        &self,
        agent: &AgentPrincipal,
        beat: Heartbeat,
    ) -> ApiResult<HeartbeatReply> {
        let now = db::now_ms();
        let expires = now + self.services.runtime().dispatch.lease_seconds as i64 * 1000;
        let vitals = Vitals {
            cpu_percent: beat.cpu_percent,
            memory_bytes: beat.memory_bytes,
            disk_free_bytes: beat.disk_free_bytes,
            bandwidth_bps: beat.bandwidth_bps,
        };
        let controls = units::heartbeat(
            self.services.db(),
            agent.agent.id.clone(),
            vitals,
            beat.leases,
            expires,
            now,
        )
        .await?;
        Ok(HeartbeatReply { controls })
    }

    /// The in-process agent's token: a fresh one at every start, stored hashed like any other.
    /// `None` when an operator revoked the embedded agent: a restart must not bring it back.
    pub async fn embedded_agent_token(
        &self,
        name: &str,
        region: &str,
    ) -> ApiResult<Option<String>> {
        let token = new_agent_token();
        let renewed = units::renew_embedded(
            self.services.db(),
            EMBEDDED_AGENT_ID,
            name.to_owned(),
            region.to_owned(),
            token_hash(&token),
            db::now_ms(),
        )
        .await?;
        Ok(renewed.then_some(token))
    }
}
