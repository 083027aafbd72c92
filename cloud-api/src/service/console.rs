//! The console's own behaviour: public site settings, the status page, the blog, a user's
//! profile and password, and the operators' overview and storage report. Alerts and states are
//! computed from the data when asked, never stored or hard-coded.

use super::accounts::{check_password_rules, hash_password, password_matches, MIN_PASSWORD_CHARS};
use super::admin::{check_justification, Actor};
use super::{user_view, Credential, Paging, Principal, RequestMeta, Services};
use crate::config::StorageBackend;
use crate::db::accounts as users;
use crate::db::audit;
use crate::db::console::{self as q, NewPost, PostRow};
use crate::db::{self, agents, to_datetime, DbError};
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::LimitedAction;
use chrono::{Duration, Utc};
use tseeder_protocol::fields;
use tseeder_protocol::AuditAction;
use tseeder_protocol::ErrorCode;
use tseeder_protocol::SecurityEventKind;
use tseeder_protocol::{
    Ack, AdminOverview, AgentCounts, AgentKind, Alert, AlertSeverity, BlogPost, BlogPostSummary,
    CaptchaWidget, ChangePassword, ComponentState, ComponentStatus, DayCount, Justification, Page,
    SaveBlogPost, SiteConfig, StatusReport, StorageReport, UpdateProfile, User, UserCounts,
    UserStorage,
};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Days of history the overview's chart shows.
const CHART_DAYS: i64 = 14;
/// A queued job waiting this long for an agent degrades the queue.
const QUEUE_WAIT_DEGRADED_MS: i64 = 5 * 60_000;
/// Failed sign-ins in the last hour that look like someone guessing passwords.
const LOGIN_FAILURES_ALERT: u64 = 20;
const MAX_DISPLAY_NAME_CHARS: usize = 80;
/// Storage use, in percent of the plan's quota, that raises an alert.
const NEAR_QUOTA_PERCENT: u64 = 90;

/// Agents as the status page and overview count them.
#[derive(Default)]
struct AgentTally {
    operator_total: u64,
    operator_online: u64,
    stale: u64,
    capacity: u64,
    active_jobs: u64,
}

struct Snapshot {
    database_ok: bool,
    queued_waiting: u64,
    oldest_wait_ms: Option<i64>,
    agents: AgentTally,
}

fn worst(states: impl IntoIterator<Item = ComponentState>) -> ComponentState {
    states
        .into_iter()
        .max_by_key(|state| match state {
            ComponentState::Operational => 0,
            ComponentState::Degraded => 1,
            ComponentState::Outage => 2,
        })
        .unwrap_or(ComponentState::Operational)
}

fn minutes(ms: i64) -> i64 {
    (ms / 60_000).max(1)
}

fn components(snapshot: &Snapshot) -> Vec<ComponentStatus> {
    let api = if snapshot.database_ok {
        (ComponentState::Operational, "Accepting requests".to_owned())
    } else {
        (
            ComponentState::Outage,
            "The database does not answer".to_owned(),
        )
    };
    let queue = match snapshot.oldest_wait_ms {
        Some(wait) if wait > QUEUE_WAIT_DEGRADED_MS => (
            ComponentState::Degraded,
            format!(
                "{} jobs waiting; the longest for {} min",
                snapshot.queued_waiting,
                minutes(wait)
            ),
        ),
        _ if snapshot.queued_waiting == 0 => {
            (ComponentState::Operational, "No job is waiting".to_owned())
        }
        _ => (
            ComponentState::Operational,
            format!("{} jobs waiting for an agent", snapshot.queued_waiting),
        ),
    };
    let tally = &snapshot.agents;
    let agents = if tally.operator_online == 0 {
        (
            ComponentState::Outage,
            "No download agent is online".to_owned(),
        )
    } else if tally.operator_online < tally.operator_total {
        (
            ComponentState::Degraded,
            format!(
                "{} of {} agents online",
                tally.operator_online, tally.operator_total
            ),
        )
    } else {
        (
            ComponentState::Operational,
            format!(
                "{} of {} agents online",
                tally.operator_online, tally.operator_total
            ),
        )
    };
    [
        ("api", "API", api),
        ("queue", "Job queue", queue),
        ("agents", "Download agents", agents),
    ]
    .into_iter()
    .map(|(id, name, (state, detail))| ComponentStatus {
        id: id.into(),
        name: name.into(),
        state,
        detail,
    })
    .collect()
}

fn status_report(snapshot: &Snapshot) -> StatusReport {
    let components = components(snapshot);
    StatusReport {
        state: worst(components.iter().map(|c| c.state)),
        components,
        checked_at: Utc::now(),
    }
}

fn post_summary(row: &PostRow) -> BlogPostSummary {
    BlogPostSummary {
        id: row.id.clone(),
        slug: row.slug.clone(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        published_at: row.published_at.map(to_datetime),
        updated_at: to_datetime(row.updated_at),
    }
}

fn post_view(row: &PostRow) -> BlogPost {
    BlogPost {
        summary: post_summary(row),
        body: row.body.clone(),
        author: row.author_email.clone(),
    }
}

/// Trims and checks a post before it is stored.
fn checked_post(post: SaveBlogPost) -> ApiResult<SaveBlogPost> {
    let slug = fields::slug(&post.slug).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidSlug,
            "the slug needs 1 to 80 lowercase letters, digits and inner dashes",
        )
    })?;
    let title = fields::title(&post.title).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidTitle,
            "the title needs 1 to 200 characters",
        )
    })?;
    let summary = fields::summary(&post.summary).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidSummary,
            "the summary is limited to 500 characters",
        )
    })?;
    if !fields::body(&post.body) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidBody,
            format!(
                "the body needs some text and at most {} characters",
                fields::MAX_BODY_CHARS
            ),
        ));
    }
    Ok(SaveBlogPost {
        slug: slug.to_owned(),
        title: title.to_owned(),
        summary: summary.to_owned(),
        body: post.body,
        published: post.published,
    })
}

impl Services {
    pub fn site_config(&self) -> SiteConfig {
        let captcha = &self.settings().captcha;
        SiteConfig {
            version: env!("CARGO_PKG_VERSION").into(),
            min_password_chars: MIN_PASSWORD_CHARS as u32,
            min_reason_chars: tseeder_protocol::fields::MIN_REASON_CHARS as u32,
            captcha: match (&captcha.verify_url, &captcha.site_key) {
                (Some(_), Some(site_key)) => Some(CaptchaWidget {
                    site_key: site_key.clone(),
                    script_url: captcha.script_url.clone(),
                }),
                _ => None,
            },
        }
    }

    async fn snapshot(&self) -> Snapshot {
        let stale_ms = self.settings().dispatch.stale_after_seconds as i64 * 1000;
        let now = db::now_ms();
        let read = self
            .db()
            .call(move |conn| {
                let queued = crate::db::dispatch::queue_depth(conn)?;
                let oldest = q::oldest_claimable_since(conn, now)?;
                let list = agents::list_agents(conn, None)?;
                Ok((queued, oldest, list))
            })
            .await;
        let Ok((queued_waiting, oldest, list)) = read.inspect_err(|err| {
            tracing::error!(%err, "status: the database does not answer");
        }) else {
            return Snapshot {
                database_ok: false,
                queued_waiting: 0,
                oldest_wait_ms: None,
                agents: AgentTally::default(),
            };
        };
        let mut tally = AgentTally::default();
        for agent in list.iter().filter(|a| a.revoked_at.is_none()) {
            let online = agent
                .last_seen_at
                .is_some_and(|seen| now - seen <= stale_ms);
            if agent.kind == AgentKind::Operator {
                tally.operator_total += 1;
                if online {
                    tally.operator_online += 1;
                    tally.capacity += u64::from(agent.capacity);
                } else {
                    tally.stale += 1;
                }
            }
            tally.active_jobs += u64::from(agent.active_jobs);
        }
        Snapshot {
            database_ok: true,
            queued_waiting,
            oldest_wait_ms: oldest.map(|since| now - since),
            agents: tally,
        }
    }

    pub async fn status(&self) -> StatusReport {
        status_report(&self.snapshot().await)
    }

    pub async fn update_profile(
        &self,
        principal: &Principal,
        req: UpdateProfile,
    ) -> ApiResult<User> {
        let display_name = req.display_name.map(|name| name.trim().to_owned());
        if display_name
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_DISPLAY_NAME_CHARS)
        {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidDisplayName,
                format!("a display name is limited to {MAX_DISPLAY_NAME_CHARS} characters"),
            ));
        }
        let device = req.default_device_id.map(|id| id.trim().to_owned());
        let (uid, now) = (principal.user.id.clone(), db::now_ms());
        let updated = self
            .db()
            .transaction(move |tx| {
                if let Some(name) = &display_name {
                    let name = (!name.is_empty()).then_some(name.as_str());
                    q::set_display_name(tx, &uid, name, now)?;
                }
                if let Some(device) = &device {
                    if !device.is_empty() && !q::is_live_device_of(tx, &uid, device)? {
                        return Ok(None);
                    }
                    let device = (!device.is_empty()).then_some(device.as_str());
                    q::set_default_device(tx, &uid, device, now)?;
                }
                users::user_by_id(tx, &uid)
            })
            .await?;
        updated.map(|row| user_view(&row)).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnknownDevice,
                "that device is not one of your registered computers",
            )
        })
    }

    /// Changes the password after checking the current one; every other session is signed out.
    pub async fn change_password(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        req: ChangePassword,
    ) -> ApiResult<Ack> {
        check_password_rules(&req.new_password)?;
        let limit = self.settings().rate_limits.password_change_per_account;
        let account = format!("user:{}", principal.user.id);
        self.rate_limit(LimitedAction::PasswordChange, &account, limit, meta)
            .await?;
        let stored = Some(principal.user.password_hash.clone());
        if !password_matches(req.current_password, stored).await? {
            self.security_event(
                SecurityEventKind::PasswordChangeFailed,
                Some(principal.user.id.clone()),
                Some(principal.user.email.clone()),
                meta,
                serde_json::json!({}),
            )
            .await;
            return Err(ApiError::forbidden(
                ErrorCode::WrongPassword,
                "the current password is not right",
            ));
        }
        let hash = hash_password(req.new_password).await?;
        let keep = match &principal.credential {
            Credential::Session { id, .. } => Some(id.clone()),
            Credential::ApiKey { .. } => None,
        };
        let (uid, now) = (principal.user.id.clone(), db::now_ms());
        let everywhere = req.sign_out_everywhere;
        let revoked = self
            .db()
            .transaction(move |tx| {
                users::set_password_hash(tx, &uid, &hash, now)?;
                if everywhere {
                    return users::revoke_credentials(tx, &uid, keep.as_deref(), now);
                }
                let sessions = q::revoke_other_sessions(tx, &uid, keep.as_deref(), now)?;
                Ok(users::Revoked {
                    sessions,
                    ..Default::default()
                })
            })
            .await?;
        self.live().publish_revoked(&principal.user.id);
        let message = if everywhere {
            format!(
                "password changed; {} other sessions, {} API keys and {} devices were signed out",
                revoked.sessions, revoked.api_keys, revoked.devices
            )
        } else {
            format!(
                "password changed; {} other sessions were signed out",
                revoked.sessions
            )
        };
        Ok(Ack { ok: true, message })
    }

    pub async fn blog_posts(&self, paging: Paging) -> ApiResult<Page<BlogPostSummary>> {
        let (rows, total) = self
            .db()
            .call(move |conn| q::list_posts(conn, false, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(rows.iter().map(post_summary).collect(), total))
    }

    pub async fn blog_post(&self, slug: &str) -> ApiResult<BlogPost> {
        let slug = slug.to_owned();
        self.db()
            .call(move |conn| q::published_post_by_slug(conn, &slug))
            .await?
            .map(|row| post_view(&row))
            .ok_or(ApiError::NotFound)
    }

    pub async fn admin_blog_posts(&self, paging: Paging) -> ApiResult<Page<BlogPost>> {
        let (rows, total) = self
            .db()
            .call(move |conn| q::list_posts(conn, true, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(rows.iter().map(post_view).collect(), total))
    }

    /// Creates a post (`id` None) or replaces one; leaves an audit row either way.
    pub async fn save_blog_post(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        id: Option<String>,
        post: SaveBlogPost,
    ) -> ApiResult<BlogPost> {
        let post = checked_post(post)?;
        let actor = Actor::of(principal, meta);
        let creating = id.is_none();
        let id = id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let now = db::now_ms();
        let saved = self
            .db()
            .transaction(move |tx| {
                let row = NewPost {
                    id: &id,
                    slug: &post.slug,
                    title: &post.title,
                    summary: &post.summary,
                    body: &post.body,
                    author_id: &actor.id,
                    published_at: post.published.then_some(now),
                    now,
                };
                if creating {
                    q::insert_post(tx, &row)?;
                } else if !q::update_post(tx, &row)? {
                    return Ok(None);
                }
                let detail = serde_json::json!({ "slug": post.slug, "published": post.published });
                actor.record(
                    tx,
                    if creating {
                        AuditAction::BlogCreate
                    } else {
                        AuditAction::BlogUpdate
                    },
                    &id,
                    detail,
                )?;
                q::post_by_id(tx, &id)
            })
            .await
            .map_err(ApiError::unique_as(
                ErrorCode::SlugTaken,
                "another post already uses this slug",
            ))?;
        saved.map(|row| post_view(&row)).ok_or(ApiError::NotFound)
    }

    pub async fn delete_blog_post(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        id: &str,
        why: Justification,
    ) -> ApiResult<()> {
        let why = check_justification(&why.reason, &why.ticket_id)?;
        let actor = Actor::of(principal, meta);
        let id = id.to_owned();
        let deleted = self
            .db()
            .transaction(move |tx| {
                let Some(post) = q::post_by_id(tx, &id)? else {
                    return Ok::<_, DbError>(false);
                };
                q::delete_post(tx, &id)?;
                actor.audit(
                    tx,
                    AuditAction::BlogDelete,
                    &id,
                    &why,
                    serde_json::json!({ "slug": post.slug, "title": post.title }),
                )?;
                Ok(true)
            })
            .await?;
        deleted.then_some(()).ok_or(ApiError::NotFound)
    }

    pub async fn admin_overview(&self) -> ApiResult<AdminOverview> {
        let snapshot = self.snapshot().await;
        let now = db::now_ms();
        let since_chart = (Utc::now() - Duration::days(CHART_DAYS - 1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|start| start.and_utc().timestamp_millis())
            .unwrap_or(now - CHART_DAYS * DAY_MS);
        let (
            users,
            jobs_by_status,
            dead_letters,
            (storage_bytes, object_count),
            per_day,
            failed_last_hour,
            login_failures,
            near_quota,
        ) = self
            .db()
            .call(move |conn| {
                Ok((
                    q::user_totals(conn, now - 7 * DAY_MS)?,
                    q::jobs_by_status(conn)?,
                    q::dead_letter_count(conn)?,
                    q::storage_totals(conn)?,
                    q::jobs_per_day(conn, since_chart)?,
                    q::failed_since(conn, now - HOUR_MS)?,
                    audit::count_security_events_since(conn, "login_failed", now - HOUR_MS)?,
                    q::users_near_quota(conn, NEAR_QUOTA_PERCENT)?,
                ))
            })
            .await?;

        let mut alerts = Vec::new();
        let mut alert = |severity, code: &str, message: String, link: &str| {
            alerts.push(Alert {
                severity,
                code: code.into(),
                message,
                link: Some(link.into()),
            })
        };
        let tally = &snapshot.agents;
        if !snapshot.database_ok {
            alert(
                AlertSeverity::Critical,
                "database_unavailable",
                "The database does not answer".into(),
                "/admin",
            );
        }
        if tally.operator_online == 0 {
            alert(
                AlertSeverity::Critical,
                "no_agents",
                "No download agent is online: queued jobs cannot start".into(),
                "/admin/agents",
            );
        }
        if tally.stale > 0 {
            alert(
                AlertSeverity::Warning,
                "stale_agents",
                format!("{} agents have stopped sending heartbeats", tally.stale),
                "/admin/agents",
            );
        }
        if let Some(wait) = snapshot
            .oldest_wait_ms
            .filter(|wait| *wait > QUEUE_WAIT_DEGRADED_MS)
        {
            alert(
                AlertSeverity::Warning,
                "queue_backlog",
                format!(
                    "{} jobs are waiting; the oldest for {} min",
                    snapshot.queued_waiting,
                    minutes(wait)
                ),
                "/admin/jobs",
            );
        }
        if dead_letters > 0 {
            alert(
                AlertSeverity::Warning,
                "dead_letters",
                format!("{dead_letters} jobs ran out of attempts and wait for a decision"),
                "/admin/dead-letters",
            );
        }
        if failed_last_hour >= 3 {
            alert(
                AlertSeverity::Warning,
                "failures",
                format!("{failed_last_hour} jobs failed in the last hour"),
                "/admin/jobs",
            );
        }
        if login_failures >= LOGIN_FAILURES_ALERT {
            alert(
                AlertSeverity::Warning,
                "login_failures",
                format!("{login_failures} failed sign-ins in the last hour"),
                "/admin/security",
            );
        }
        if near_quota > 0 {
            alert(
                AlertSeverity::Warning,
                "storage_quota",
                format!(
                    "{near_quota} users have used {NEAR_QUOTA_PERCENT}% or more of their storage"
                ),
                "/admin/storage",
            );
        }

        let mut jobs_per_day = Vec::new();
        for offset in (0..CHART_DAYS).rev() {
            let day = (Utc::now() - Duration::days(offset))
                .format("%Y-%m-%d")
                .to_string();
            let found = per_day.iter().find(|(d, ..)| *d == day);
            let (created, completed, failed) = found.map_or((0, 0, 0), |r| (r.1, r.2, r.3));
            jobs_per_day.push(DayCount {
                day,
                created,
                completed,
                failed,
            });
        }
        Ok(AdminOverview {
            status: status_report(&snapshot),
            alerts,
            users: UserCounts {
                total: users.total,
                verified: users.verified,
                suspended: users.suspended,
                new_last_7_days: users.created_since,
            },
            jobs_by_status,
            dead_letters,
            agents: AgentCounts {
                online: tally.operator_online,
                stale: tally.stale,
                capacity: tally.capacity,
                active_jobs: tally.active_jobs,
            },
            storage_bytes,
            object_count,
            jobs_per_day,
        })
    }

    pub async fn admin_storage(&self) -> ApiResult<StorageReport> {
        let ((total_bytes, object_count), rows) = self
            .db()
            .call(|conn| Ok((q::storage_totals(conn)?, q::storage_by_user(conn, 50)?)))
            .await?;
        Ok(StorageReport {
            backend: match self.settings().storage.backend {
                StorageBackend::Local => "local",
                StorageBackend::S3 => "s3",
            }
            .into(),
            total_bytes,
            object_count,
            top_users: rows
                .into_iter()
                .map(|row| UserStorage {
                    user_id: row.user_id,
                    email: row.email,
                    plan_id: row.plan_id,
                    bytes: row.bytes,
                    objects: row.objects,
                    quota_bytes: row.quota_bytes,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(online: u64, total: u64, queued: u64, wait_ms: Option<i64>) -> Snapshot {
        Snapshot {
            database_ok: true,
            queued_waiting: queued,
            oldest_wait_ms: wait_ms,
            agents: AgentTally {
                operator_total: total,
                operator_online: online,
                stale: total - online,
                capacity: 4,
                active_jobs: 0,
            },
        }
    }

    #[test]
    fn the_worst_component_decides_the_overall_state() {
        let report = status_report(&snapshot(2, 2, 0, None));
        assert_eq!(report.state, ComponentState::Operational);
        let report = status_report(&snapshot(1, 2, 0, None));
        assert_eq!(report.state, ComponentState::Degraded);
        assert_eq!(report.components[2].detail, "1 of 2 agents online");
        let report = status_report(&snapshot(0, 1, 3, Some(10 * 60_000)));
        assert_eq!(report.state, ComponentState::Outage);
        assert_eq!(report.components[1].state, ComponentState::Degraded);
        assert_eq!(
            report.components[1].detail,
            "3 jobs waiting; the longest for 10 min"
        );
    }

    #[test]
    fn post_slugs_are_checked() {
        let post = |slug: &str| SaveBlogPost {
            slug: slug.into(),
            title: "Title".into(),
            summary: String::new(),
            body: "Body".into(),
            published: true,
        };
        assert!(checked_post(post("release-1-0")).is_ok());
        for bad in ["", "Caps", "-lead", "trail-", "a/b", "../x", "sp ace"] {
            assert!(checked_post(post(bad)).is_err(), "{bad:?} was accepted");
        }
    }
}
