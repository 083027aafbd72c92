//! The route table: every endpoint with its method, path, least role and documentation. The
//! router, the access guard, the OpenAPI document and the RBAC tests are all built from it.

use super::guard::Access;
use super::handlers::{accounts, admin, agent, console, devices, files, jobs, live, system};
use crate::config::Settings;
use crate::service::Services;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use std::sync::{Arc, OnceLock};
use tseeder_protocol::*;

pub const API: &str = "/api/v1";

/// A post of `fields::MAX_BODY_CHARS` characters, each as a JSON escape of up to 12 bytes.
const BLOG_POST_BODY_BYTES: usize = tseeder_protocol::fields::MAX_BODY_CHARS * 12 + 64 * 1024;

/// Produces the JSON Schema of a type, registering it under `components/schemas`.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

#[derive(Debug, Clone, Copy)]
pub enum BodyDoc {
    None,
    Json(SchemaFn),
    /// `multipart/form-data` carrying a .torrent file.
    TorrentUpload,
}

pub struct ApiRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub tag: &'static str,
    pub summary: &'static str,
    pub body: BodyDoc,
    pub query: Option<SchemaFn>,
    pub status: u16,
    pub response: Option<SchemaFn>,
    /// The answer is `text/event-stream`; `response` describes each event's data.
    pub streams: bool,
    pub(super) handler: MethodRouter<Services>,
}

impl std::fmt::Debug for ApiRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.access.label())
    }
}

impl ApiRoute {
    fn new<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, Services>,
        T: 'static,
    {
        let filter = match method {
            Method::GET => MethodFilter::GET,
            Method::POST => MethodFilter::POST,
            Method::PUT => MethodFilter::PUT,
            Method::PATCH => MethodFilter::PATCH,
            _ => MethodFilter::DELETE,
        };
        ApiRoute {
            method,
            path,
            access,
            tag: "",
            summary: "",
            body: BodyDoc::None,
            query: None,
            status: 200,
            response: None,
            streams: false,
            handler: on(filter, handler),
        }
    }

    fn doc(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.tag = tag;
        self.summary = summary;
        self
    }

    fn json<T: JsonSchema>(mut self) -> Self {
        self.body = BodyDoc::Json(schema_of::<T>);
        self
    }

    fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }

    fn returns<T: JsonSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.response = Some(schema_of::<T>);
        self
    }

    /// Server-Sent Events whose `data` is a `T` (snapshots carry a list of them).
    fn streams<T: JsonSchema>(mut self) -> Self {
        self.response = Some(schema_of::<T>);
        self.streams = true;
        self
    }

    fn no_content(mut self) -> Self {
        self.status = 204;
        self.response = None;
        self
    }

    /// A body larger than the JSON default: agent reports that may list every file of a
    /// torrent, blog posts.
    fn body_limit(mut self, limit: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(limit));
        self
    }

    fn torrent_upload(mut self, limit: usize) -> Self {
        self.body = BodyDoc::TorrentUpload;
        self.handler = self.handler.layer(DefaultBodyLimit::max(limit));
        self
    }
}

/// Every route of the API. `openapi` is filled with the finished document once the table exists.
pub fn api_routes(settings: &Settings, openapi: Arc<OnceLock<serde_json::Value>>) -> Vec<ApiRoute> {
    use tseeder_protocol::Role::{Admin, Support, User as Member};
    use Access::{Agent, AtLeast, Public};
    let upload_limit = settings.limits.max_torrent_bytes + 64 * 1024;
    // A file list's paths come from a .torrent no larger than max_torrent_bytes (JSON escaping
    // may double them), plus each entry's own fields.
    let report_limit = settings.limits.max_json_body_bytes
        + settings.limits.max_torrent_bytes * 2
        + settings.limits.max_torrent_files * 256;
    vec![
        ApiRoute::new(Method::GET, "/health", Public, system::health)
            .doc("system", "Liveness and database check")
            .returns::<Health>(200),
        ApiRoute::new(Method::GET, "/api/v1/openapi.json", Public, move || {
            let doc = openapi.get().cloned().unwrap_or_default();
            async move { axum::Json(doc) }
        })
        .doc("system", "This OpenAPI document"),
        ApiRoute::new(Method::GET, "/api/v1/config", Public, console::site_config)
            .doc("system", "Public settings the sign-up page needs")
            .returns::<SiteConfig>(200),
        ApiRoute::new(Method::GET, "/api/v1/status", Public, console::status)
            .doc("system", "Current state of the API, the queue and the agents")
            .returns::<StatusReport>(200),
        ApiRoute::new(Method::GET, "/api/v1/blog", Public, console::blog_posts)
            .doc("blog", "Published posts, newest first")
            .query::<console::PageQuery>()
            .returns::<Page<BlogPostSummary>>(200),
        ApiRoute::new(Method::GET, "/api/v1/blog/{slug}", Public, console::blog_post)
            .doc("blog", "One published post")
            .returns::<BlogPost>(200),
        // Accounts
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/register",
            Public,
            accounts::register,
        )
        .doc(
            "accounts",
            "Create an account and mail a verification link (the same answer for an address that has one)",
        )
        .json::<RegisterRequest>()
        .returns::<Ack>(202),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/verify-email",
            Public,
            accounts::verify_email,
        )
        .doc("accounts", "Confirm an email address with the mailed token")
        .json::<TokenRequest>()
        .returns::<Ack>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/verify-email/resend",
            Public,
            accounts::resend_verification,
        )
        .doc("accounts", "Mail a new verification link")
        .json::<EmailRequest>()
        .returns::<Ack>(202),
        ApiRoute::new(Method::POST, "/api/v1/auth/login", Public, accounts::login)
            .doc(
                "accounts",
                "Sign in; sets the session cookie and returns the CSRF token",
            )
            .json::<LoginRequest>()
            .returns::<SessionInfo>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/logout",
            AtLeast(Member),
            accounts::logout,
        )
        .doc("accounts", "End the current session")
        .returns::<Ack>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/auth/me",
            AtLeast(Member),
            accounts::me,
        )
        .doc(
            "accounts",
            "The signed-in user (and the CSRF token for cookie sessions)",
        )
        .returns::<SessionInfo>(200),
        ApiRoute::new(
            Method::PATCH,
            "/api/v1/auth/me",
            AtLeast(Member),
            console::update_profile,
        )
        .doc(
            "accounts",
            "Change the display name or the default destination of new jobs",
        )
        .json::<UpdateProfile>()
        .returns::<User>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/password",
            AtLeast(Member),
            console::change_password,
        )
        .doc(
            "accounts",
            "Change the password; every other session is signed out",
        )
        .json::<ChangePassword>()
        .returns::<Ack>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            Public,
            accounts::request_password_reset,
        )
        .doc("accounts", "Mail a password reset link")
        .json::<EmailRequest>()
        .returns::<Ack>(202),
        ApiRoute::new(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            Public,
            accounts::confirm_password_reset,
        )
        .doc(
            "accounts",
            "Set a new password with a reset token; ends all sessions",
        )
        .json::<PasswordResetConfirm>()
        .returns::<Ack>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/auth/sessions",
            AtLeast(Member),
            accounts::list_sessions,
        )
        .doc("accounts", "The user's live sessions")
        .returns::<Vec<SessionView>>(200),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/auth/sessions/{id}",
            AtLeast(Member),
            accounts::revoke_session,
        )
        .doc("accounts", "End one of the user's sessions")
        .no_content(),
        ApiRoute::new(
            Method::GET,
            "/api/v1/api-keys",
            AtLeast(Member),
            accounts::list_api_keys,
        )
        .doc("api-keys", "The user's API keys (prefixes only)")
        .returns::<Vec<ApiKeyView>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/api-keys",
            AtLeast(Member),
            accounts::create_api_key,
        )
        .doc(
            "api-keys",
            "Create an API key; the secret is shown only in this answer",
        )
        .json::<CreateApiKey>()
        .returns::<CreatedApiKey>(201),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/api-keys/{id}",
            AtLeast(Member),
            accounts::revoke_api_key,
        )
        .doc("api-keys", "Revoke an API key")
        .no_content(),
        // Jobs, plans, usage
        ApiRoute::new(Method::GET, "/api/v1/plans", Public, jobs::plans)
            .doc("plans", "Available plans and their limits")
            .returns::<Vec<Plan>>(200),
        ApiRoute::new(Method::GET, "/api/v1/usage", AtLeast(Member), jobs::usage)
            .doc("plans", "The user's plan and what they use of it")
            .returns::<Usage>(200),
        ApiRoute::new(Method::GET, "/api/v1/jobs", AtLeast(Member), jobs::list)
            .doc("jobs", "The user's jobs, newest first")
            .query::<jobs::ListJobsQuery>()
            .returns::<Page<Job>>(200),
        ApiRoute::new(Method::POST, "/api/v1/jobs", AtLeast(Member), jobs::create)
            .doc("jobs", "Add a job from a magnet link or a .torrent URL")
            .json::<CreateJob>()
            .returns::<JobDetail>(201),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/torrent",
            AtLeast(Member),
            jobs::upload,
        )
        .doc("jobs", "Add a job from an uploaded .torrent file")
        .torrent_upload(upload_limit)
        .returns::<JobDetail>(201),
        ApiRoute::new(Method::GET, "/api/v1/jobs/{id}", AtLeast(Member), jobs::get)
            .doc("jobs", "One job with its files")
            .returns::<JobDetail>(200),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/jobs/{id}",
            AtLeast(Member),
            jobs::delete,
        )
        .doc("jobs", "Delete a job and its history")
        .no_content(),
        ApiRoute::new(
            Method::GET,
            "/api/v1/jobs/{id}/events",
            AtLeast(Member),
            jobs::events,
        )
        .doc("jobs", "The job's event history, oldest first")
        .returns::<Vec<JobEvent>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/{id}/pause",
            AtLeast(Member),
            jobs::pause,
        )
        .doc("jobs", "Pause a job")
        .returns::<Job>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/{id}/resume",
            AtLeast(Member),
            jobs::resume,
        )
        .doc("jobs", "Resume a paused job")
        .returns::<Job>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/{id}/cancel",
            AtLeast(Member),
            jobs::cancel,
        )
        .doc("jobs", "Cancel a job")
        .returns::<Job>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/{id}/retry",
            AtLeast(Member),
            jobs::retry,
        )
        .doc("jobs", "Queue a failed or cancelled job again")
        .returns::<Job>(200),
        ApiRoute::new(Method::GET, "/api/v1/jobs/live", AtLeast(Member), live::user_stream)
            .doc(
                "live",
                "Server-Sent Events: a snapshot of the user's jobs, then every change",
            )
            .streams::<JobLive>(),
        ApiRoute::new(
            Method::GET,
            "/api/v1/jobs/{id}/live",
            AtLeast(Member),
            live::job_stream,
        )
        .doc(
            "live",
            "Server-Sent Events: one job's snapshot, then its changes and progress",
        )
        .streams::<JobLive>(),
        // Files
        ApiRoute::new(
            Method::GET,
            "/api/v1/jobs/{id}/files",
            AtLeast(Member),
            files::list,
        )
        .doc("files", "The job's stored files")
        .returns::<Vec<StoredFile>>(200),
        ApiRoute::new(Method::GET, "/api/v1/jobs/{id}/zip", AtLeast(Member), files::zip).doc(
            "files",
            "Every stored file of the job as one ZIP (stored, ZIP64), streamed",
        ),
        ApiRoute::new(
            Method::POST,
            "/api/v1/jobs/{id}/files/{index}/link",
            AtLeast(Member),
            files::link,
        )
        .doc(
            "files",
            "A short-lived download link for one file (supports HTTP Range)",
        )
        .returns::<FileLink>(200),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/jobs/{id}/files/{index}",
            AtLeast(Member),
            files::delete,
        )
        .doc("files", "Delete one stored file")
        .no_content(),
        ApiRoute::new(Method::GET, "/api/v1/files/{*key}", Public, files::download)
            .doc(
                "files",
                "Download through a signed link of the local store (the signature is the credential)",
            )
            .query::<files::LinkQuery>(),
        // Devices
        ApiRoute::new(Method::GET, "/api/v1/devices", AtLeast(Member), devices::list)
            .doc("devices", "The user's own machines registered as agents")
            .returns::<Vec<AgentView>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/devices",
            AtLeast(Member),
            devices::register,
        )
        .doc(
            "devices",
            "Register this machine as an agent for the user's own jobs; the token is shown once",
        )
        .json::<RegisterDevice>()
        .returns::<IssuedAgentToken>(201),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/devices/{id}",
            AtLeast(Member),
            devices::revoke,
        )
        .doc("devices", "Remove a device; its running jobs go back to the queue")
        .no_content(),
        // Agent protocol
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/register",
            Agent,
            agent::register,
        )
        .doc("agent", "Say who the agent is (at every start)")
        .json::<RegisterAgent>()
        .returns::<AgentRegistered>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/heartbeat",
            Agent,
            agent::heartbeat,
        )
        .doc(
            "agent",
            "Report vitals, renew held leases, learn which jobs to stop",
        )
        .json::<Heartbeat>()
        .returns::<HeartbeatReply>(200),
        ApiRoute::new(Method::POST, "/api/v1/agent/claim", Agent, agent::claim)
            .doc("agent", "Take the next job under a lease, if any")
            .returns::<ClaimReply>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/jobs/{id}/progress",
            Agent,
            agent::progress,
        )
        .doc("agent", "Report progress under the lease")
        .json::<ProgressReport>()
        .body_limit(report_limit)
        .returns::<ProgressReply>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/jobs/{id}/complete",
            Agent,
            agent::complete,
        )
        .doc("agent", "Report the stored files of a finished job")
        .json::<CompleteReport>()
        .body_limit(report_limit)
        .returns::<Job>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/jobs/{id}/fail",
            Agent,
            agent::fail,
        )
        .doc("agent", "Report a failed try (retryable or not)")
        .json::<FailReport>()
        .returns::<Job>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/agent/jobs/{id}/release",
            Agent,
            agent::release,
        )
        .doc("agent", "Hand an unfinished job back")
        .json::<ReleaseLease>()
        .returns::<Job>(200),
        // Operators
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/users",
            AtLeast(Support),
            admin::users,
        )
        .doc("admin", "Search users")
        .query::<admin::UserQuery>()
        .returns::<Page<User>>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/users/{id}",
            AtLeast(Support),
            admin::user,
        )
        .doc("admin", "One user with session and job counts")
        .returns::<AdminUser>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/users/{id}/role",
            AtLeast(Admin),
            admin::change_role,
        )
        .doc(
            "admin",
            "Change a user's role (admin and superadmin only by a superadmin)",
        )
        .json::<ChangeRole>()
        .returns::<AdminUser>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/users/{id}/suspend",
            AtLeast(Admin),
            admin::suspend,
        )
        .doc("admin", "Suspend a user and end their sessions")
        .json::<Justification>()
        .returns::<AdminUser>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/users/{id}/unsuspend",
            AtLeast(Admin),
            admin::unsuspend,
        )
        .doc("admin", "Lift a suspension")
        .json::<Justification>()
        .returns::<AdminUser>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/users/{id}/force-logout",
            AtLeast(Admin),
            admin::force_logout,
        )
        .doc("admin", "End every session of a user")
        .json::<Justification>()
        .returns::<AdminUser>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/jobs",
            AtLeast(Support),
            admin::jobs,
        )
        .doc("admin", "All jobs")
        .query::<admin::AdminJobQuery>()
        .returns::<Page<AdminJob>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/jobs/{id}/terminate",
            AtLeast(Admin),
            admin::terminate_job,
        )
        .doc("admin", "Stop any live job")
        .json::<Justification>()
        .returns::<Job>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/audit",
            AtLeast(Support),
            admin::audit,
        )
        .doc("admin", "The audit log of operator actions")
        .query::<admin::AuditQuery>()
        .returns::<Page<AuditEntry>>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/security-events",
            AtLeast(Support),
            admin::security_events,
        )
        .doc("admin", "Failed logins, rate-limit hits, bad tokens")
        .query::<admin::SecurityQuery>()
        .returns::<Page<SecurityEvent>>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/agents",
            AtLeast(Support),
            admin::agents,
        )
        .doc(
            "admin",
            "The fleet: every agent with region, load, vitals and a stale flag",
        )
        .returns::<Vec<AgentView>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/agents",
            AtLeast(Admin),
            admin::issue_agent,
        )
        .doc(
            "admin",
            "Issue a token for a new operator agent; shown only in this answer",
        )
        .json::<IssueAgentToken>()
        .returns::<IssuedAgentToken>(201),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/agents/{id}/revoke",
            AtLeast(Admin),
            admin::revoke_agent,
        )
        .doc(
            "admin",
            "Revoke an agent's token; its running jobs go back to the queue",
        )
        .json::<Justification>()
        .returns::<AgentView>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/dead-letters",
            AtLeast(Support),
            admin::dead_letters,
        )
        .doc("admin", "Jobs that failed their last try, with their errors")
        .returns::<Vec<AdminJob>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/dead-letters/{id}/replay",
            AtLeast(Admin),
            admin::replay_dead_letter,
        )
        .doc("admin", "Send a dead-lettered job through the queue again")
        .json::<Justification>()
        .returns::<Job>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/overview",
            AtLeast(Support),
            console::admin_overview,
        )
        .doc("admin", "System health, alerts computed from the data, and totals")
        .returns::<AdminOverview>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/storage",
            AtLeast(Support),
            console::admin_storage,
        )
        .doc("admin", "Stored bytes in all and by the heaviest users")
        .returns::<StorageReport>(200),
        ApiRoute::new(
            Method::GET,
            "/api/v1/admin/blog",
            AtLeast(Admin),
            console::admin_blog_posts,
        )
        .doc("admin", "Every blog post, drafts included")
        .query::<console::PageQuery>()
        .returns::<Page<BlogPost>>(200),
        ApiRoute::new(
            Method::POST,
            "/api/v1/admin/blog",
            AtLeast(Admin),
            console::create_blog_post,
        )
        .doc("admin", "Write a blog post (published or draft)")
        .json::<SaveBlogPost>()
        .body_limit(BLOG_POST_BODY_BYTES)
        .returns::<BlogPost>(201),
        ApiRoute::new(
            Method::PUT,
            "/api/v1/admin/blog/{id}",
            AtLeast(Admin),
            console::update_blog_post,
        )
        .doc("admin", "Replace a blog post")
        .json::<SaveBlogPost>()
        .body_limit(BLOG_POST_BODY_BYTES)
        .returns::<BlogPost>(200),
        ApiRoute::new(
            Method::DELETE,
            "/api/v1/admin/blog/{id}",
            AtLeast(Admin),
            console::delete_blog_post,
        )
        .doc("admin", "Delete a blog post, with a justification")
        .json::<Justification>()
        .no_content(),
    ]
}
