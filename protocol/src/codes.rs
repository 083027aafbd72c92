//! Every name the server writes for machines to read (error codes, audit actions, security-event
//! kinds, alert codes, job actions) as an enum, so a typo is a compile error and clients learn the full list from the
//! OpenAPI document instead of from reading the server.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An enum of unit variants, each with its one wire name, `as_str`, `ALL` and `parse`.
macro_rules! wire_names {
    (
        $(#[$meta:meta])*
        pub enum $type:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $type {
            $( $(#[$variant_meta])* #[serde(rename = $name)] $variant, )+
        }

        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name,)+
                }
            }

            pub fn parse(text: &str) -> Option<$type> {
                match text {
                    $($name => Some($type::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use wire_names;

wire_names! {
    /// Why a request failed, in `{"error": {"code", "message"}}`. The code is stable; the message
    /// is for people and may change.
    pub enum ErrorCode {
        /// The account is suspended.
        AccountSuspended = "account_suspended",
        /// The credential was already revoked.
        AlreadyRevoked = "already_revoked",
        /// The acceptable-use policy was not accepted.
        AupNotAccepted = "aup_not_accepted",
        /// The body could not be read as the endpoint expects.
        BadBody = "bad_body",
        /// The captcha answer was refused by the captcha service.
        CaptchaFailed = "captcha_failed",
        /// This request needs a captcha answer.
        CaptchaRequired = "captcha_required",
        /// The captcha service could not be reached.
        CaptchaUnavailable = "captcha_unavailable",
        /// Something with the same unique value already exists.
        Conflict = "conflict",
        /// The CSRF token is missing or does not match the session.
        CsrfFailed = "csrf_failed",
        /// An account with this email address already exists.
        EmailTaken = "email_taken",
        /// The email address has not been verified yet.
        EmailNotVerified = "email_not_verified",
        /// The `.torrent` URL could not be fetched.
        FetchFailed = "fetch_failed",
        /// The caller's role does not allow this.
        InsufficientRole = "insufficient_role",
        /// The agent token is unknown or revoked.
        InvalidAgentToken = "invalid_agent_token",
        /// The API key is unknown or revoked.
        InvalidApiKey = "invalid_api_key",
        /// The JSON body does not have the expected shape.
        InvalidBody = "invalid_body",
        /// Wrong email or password.
        InvalidCredentials = "invalid_credentials",
        /// The display name is empty, too long or has control characters.
        InvalidDisplayName = "invalid_display_name",
        /// The email address is not valid.
        InvalidEmail = "invalid_email",
        /// A field is empty, too long or has control characters.
        InvalidField = "invalid_field",
        /// An uploaded file is not acceptable.
        InvalidFile = "invalid_file",
        /// The magnet link is not valid.
        InvalidMagnet = "invalid_magnet",
        /// The agent's file manifest is not valid.
        InvalidManifest = "invalid_manifest",
        /// The name is empty, too long or has control characters.
        InvalidName = "invalid_name",
        /// A path parameter is not valid.
        InvalidPath = "invalid_path",
        /// A query parameter is not valid.
        InvalidQuery = "invalid_query",
        /// The region is not one the service knows.
        InvalidRegion = "invalid_region",
        /// The webhook's events are empty or unknown.
        InvalidEvents = "invalid_events",
        /// The file selection does not match the torrent's files.
        InvalidSelection = "invalid_selection",
        /// The session is unknown, expired or revoked.
        InvalidSession = "invalid_session",
        /// The slug is not valid.
        InvalidSlug = "invalid_slug",
        /// The job (or other resource) is in a state that does not allow this.
        InvalidState = "invalid_state",
        /// The summary is too long.
        InvalidSummary = "invalid_summary",
        /// The title is empty or too long.
        InvalidTitle = "invalid_title",
        /// The token is unknown, used or expired.
        InvalidToken = "invalid_token",
        /// The `.torrent` file is not valid.
        InvalidTorrent = "invalid_torrent",
        /// The URL is not valid or not allowed.
        InvalidUrl = "invalid_url",
        /// The user already has a job for this torrent.
        JobExists = "job_exists",
        /// The job was stopped; the agent must let it go.
        JobStopped = "job_stopped",
        /// The agent no longer holds the job's lease.
        LeaseLost = "lease_lost",
        /// The signed link has expired.
        LinkExpired = "link_expired",
        /// The signed link is not valid.
        LinkInvalid = "link_invalid",
        /// The body is not well-formed JSON.
        MalformedJson = "malformed_json",
        /// The multipart body could not be read.
        MalformedMultipart = "malformed_multipart",
        /// The job has no stored files yet.
        NoFiles = "no_files",
        /// The job is not in the dead-letter queue.
        NotDeadLettered = "not_dead_lettered",
        /// The setting does not take this value (wrong type or out of its range).
        InvalidSetting = "invalid_setting",
        /// The change leaves every setting as it was.
        NothingChanged = "nothing_changed",
        /// The plan's quota would be exceeded.
        QuotaExceeded = "quota_exceeded",
        /// Sign-up is closed by the operators.
        RegistrationClosed = "registration_closed",
        /// A resolved incident takes no more updates.
        IncidentResolved = "incident_resolved",
        /// The settings changed since they were read; read them again and redo the change.
        SettingsChanged = "settings_changed",
        /// A reason is required for this operator action.
        ReasonRequired = "reason_required",
        /// Files can be selected only once the torrent's metadata is known.
        SelectionNeedsMetadata = "selection_needs_metadata",
        /// Operators cannot do this to their own account.
        SelfAction = "self_action",
        /// This needs a signed-in session, not an API key.
        SessionRequired = "session_required",
        /// The slug is already used.
        SlugTaken = "slug_taken",
        /// Object storage could not be reached.
        StorageUnavailable = "storage_unavailable",
        /// A ticket id is required for this operator action.
        TicketRequired = "ticket_required",
        /// The user has as many webhook endpoints as allowed.
        TooManyWebhooks = "too_many_webhooks",
        /// The device is not one of the caller's.
        UnknownDevice = "unknown_device",
        /// No runtime setting has this key.
        UnknownSetting = "unknown_setting",
        /// The provider cannot be switched to: it has no account configured.
        ProviderNotConfigured = "provider_not_configured",
        /// Billing is not set up on this server; plans are assigned by operators.
        BillingNotConfigured = "billing_not_configured",
        /// The plan has no price to pay through Checkout (free, unknown to billing, or not for sale).
        PlanNotPurchasable = "plan_not_purchasable",
        /// A subscription is already running; change or cancel it in the billing portal.
        AlreadySubscribed = "already_subscribed",
        /// Nothing was ever bought, so there is no billing account to manage.
        NoBillingAccount = "no_billing_account",
        /// The payment provider refused the call or could not be reached.
        PaymentProviderFailed = "payment_provider_failed",
        /// A payment webhook's signature is missing, wrong or too old.
        WebhookSignatureInvalid = "webhook_signature_invalid",
        /// No plan has this id.
        UnknownPlan = "unknown_plan",
        /// A personal organization cannot be left, given away or deleted.
        PersonalOrg = "personal_org",
        /// The owner leaves only after handing the organization to another member.
        OwnerCannotLeave = "owner_cannot_leave",
        /// The address already belongs to a member of the organization.
        AlreadyMember = "already_member",
        /// The invitation was sent to another address than the signed-in account's.
        InviteForAnotherEmail = "invite_for_another_email",
        /// The user is not a member of the organization.
        NotAMember = "not_a_member",
        /// The user belongs to as many organizations as allowed.
        TooManyOrgs = "too_many_orgs",
        /// An organization that still has jobs (and stored files) is not deleted.
        OrgHasJobs = "org_has_jobs",
        /// An organization whose subscription still runs is not deleted.
        OrgHasSubscription = "org_has_subscription",
        /// The status page has no component of this id.
        UnknownComponent = "unknown_component",
        /// A multipart form has a part the endpoint does not know.
        UnknownPart = "unknown_part",
        /// The password is too weak.
        WeakPassword = "weak_password",
        /// The current password is wrong.
        WrongPassword = "wrong_password",
        /// No valid credential came with the request.
        Unauthenticated = "unauthenticated",
        /// Nothing is there, or it is not the caller's.
        NotFound = "not_found",
        /// The path exists but not with this method.
        MethodNotAllowed = "method_not_allowed",
        /// The body is larger than the endpoint accepts.
        PayloadTooLarge = "payload_too_large",
        /// The body's content type is not one the endpoint accepts.
        UnsupportedMediaType = "unsupported_media_type",
        /// Too many requests; `Retry-After` says when to try again.
        RateLimited = "rate_limited",
        /// The server failed; the detail was logged.
        Internal = "internal",
    }
}

wire_names! {
    /// What an operator did, as written to the audit log.
    pub enum AuditAction {
        AgentIssue = "agent.issue",
        AgentRevoke = "agent.revoke",
        BlogCreate = "blog.create",
        BlogUpdate = "blog.update",
        BlogDelete = "blog.delete",
        JobReplay = "job.replay",
        JobTerminate = "job.terminate",
        SettingsChange = "settings.change",
        SettingsRollback = "settings.rollback",
        RetentionSweep = "retention.sweep",
        IncidentOpen = "incident.open",
        IncidentUpdate = "incident.update",
        IncidentResolve = "incident.resolve",
        MaintenanceSchedule = "maintenance.schedule",
        MaintenanceCancel = "maintenance.cancel",
        UserRoleChange = "user.role_change",
        UserSuspend = "user.suspend",
        UserUnsuspend = "user.unsuspend",
        UserForceLogout = "user.force_logout",
        UserPlanChange = "user.plan_change",
        /// The payment provider's subscription state gave a user another plan.
        BillingPlanChange = "billing.plan_change",
        /// The payment provider's subscription state gave a team organization another plan.
        BillingOrgPlanChange = "billing.org_plan_change",
        OrgCreate = "org.create",
        OrgRename = "org.rename",
        OrgDelete = "org.delete",
        OrgInvite = "org.invite",
        OrgInviteRevoke = "org.invite_revoke",
        OrgJoin = "org.join",
        OrgLeave = "org.leave",
        OrgMemberRemove = "org.member_remove",
        OrgMemberRole = "org.member_role",
        OrgTransfer = "org.transfer",
        /// An operator put a team organization on a plan.
        OrgPlanChange = "org.plan_change",
    }
}

impl AuditAction {
    /// The kind of thing the action changes, the audit log's `target_type`.
    pub const fn target_type(self) -> &'static str {
        match self {
            AuditAction::AgentIssue | AuditAction::AgentRevoke => "agent",
            AuditAction::BlogCreate | AuditAction::BlogUpdate | AuditAction::BlogDelete => {
                "blog_post"
            }
            AuditAction::JobReplay | AuditAction::JobTerminate => "job",
            AuditAction::SettingsChange | AuditAction::SettingsRollback => "settings",
            AuditAction::RetentionSweep => "storage",
            AuditAction::IncidentOpen
            | AuditAction::IncidentUpdate
            | AuditAction::IncidentResolve => "incident",
            AuditAction::MaintenanceSchedule | AuditAction::MaintenanceCancel => "maintenance",
            AuditAction::UserRoleChange
            | AuditAction::UserSuspend
            | AuditAction::UserUnsuspend
            | AuditAction::UserForceLogout
            | AuditAction::UserPlanChange
            | AuditAction::BillingPlanChange => "user",
            AuditAction::OrgCreate
            | AuditAction::OrgRename
            | AuditAction::OrgDelete
            | AuditAction::OrgInvite
            | AuditAction::OrgInviteRevoke
            | AuditAction::OrgJoin
            | AuditAction::OrgLeave
            | AuditAction::OrgMemberRemove
            | AuditAction::OrgMemberRole
            | AuditAction::OrgTransfer
            | AuditAction::OrgPlanChange
            | AuditAction::BillingOrgPlanChange => "organization",
        }
    }
}

wire_names! {
    /// What an attacker (or a confused client) tried, as written to the security events.
    pub enum SecurityEventKind {
        CaptchaFailed = "captcha_failed",
        CsrfRejected = "csrf_rejected",
        InvalidAgentToken = "invalid_agent_token",
        InvalidApiKey = "invalid_api_key",
        InvalidSession = "invalid_session",
        LoginFailed = "login_failed",
        PasswordChangeFailed = "password_change_failed",
        RateLimited = "rate_limited",
        SuspendedLogin = "suspended_login",
        /// A payment webhook came with a wrong, missing or stale signature.
        BillingWebhookRejected = "billing_webhook_rejected",
    }
}

wire_names! {
    /// What an alert on the operators' overview is about.
    pub enum AlertCode {
        /// The database does not answer.
        DatabaseUnavailable = "database_unavailable",
        /// No operator agent is online, so queued jobs cannot start.
        NoAgents = "no_agents",
        /// Agents stopped sending heartbeats.
        StaleAgents = "stale_agents",
        /// Jobs have been waiting in the queue too long.
        QueueBacklog = "queue_backlog",
        /// Jobs ran out of attempts and wait for a decision.
        DeadLetters = "dead_letters",
        /// Several jobs failed in the last hour.
        Failures = "failures",
        /// Many failed sign-ins in the last hour.
        LoginFailures = "login_failures",
        /// Users are near their storage quota.
        StorageQuota = "storage_quota",
        /// Requests have been slow lately (95th percentile).
        SlowRequests = "slow_requests",
        /// Many requests lately were answered with a server error.
        ServerErrors = "server_errors",
        /// Dead letters are piling up.
        DeadLetterGrowth = "dead_letter_growth",
        /// The agents are running nearly as many jobs as they can.
        FleetSaturated = "fleet_saturated",
        /// The Seedr account is refused, unreachable or nearly full.
        ProviderUnhealthy = "provider_unhealthy",
    }
}

wire_names! {
    /// A user's request to change a job's state: `POST /api/v1/jobs/{id}/<action>` in the cloud,
    /// the same words for the desktop app's own downloads.
    pub enum JobAction {
        Pause = "pause",
        Resume = "resume",
        Cancel = "cancel",
        Retry = "retry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_reads_back() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
            all: &[T],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &value in all {
                assert!(seen.insert(name(value)), "{} is used twice", name(value));
                assert_eq!(parse(name(value)), Some(value));
                assert_eq!(
                    serde_json::to_value(value).expect("a unit variant serializes"),
                    name(value)
                );
            }
        }
        check(ErrorCode::ALL, ErrorCode::as_str, ErrorCode::parse);
        check(AuditAction::ALL, AuditAction::as_str, AuditAction::parse);
        check(
            SecurityEventKind::ALL,
            SecurityEventKind::as_str,
            SecurityEventKind::parse,
        );
        check(AlertCode::ALL, AlertCode::as_str, AlertCode::parse);
        check(JobAction::ALL, JobAction::as_str, JobAction::parse);
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
