//! Organizations on both backends: every account has a personal organization that cannot be
//! shared, left, given away or deleted; an owner creates a team, invites by email, and the
//! mailed single-use token is accepted only by the account of that address within 7 days;
//! owners, admins and members each may do what their role allows; the owner hands the team over
//! and deletes it; another organization's team, invitations and members are out of reach;
//! operators search organizations. Every change is in the audit log. Jobs belong to the
//! organization a session (or an API key) works in: its plan and quotas count everyone's jobs,
//! owners and admins see and manage all of them, members their own, and nobody outside reaches
//! them.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tseeder_cloud::store::Value as StoreValue;
use tseeder_protocol::Role;
use tseeder_testkit::cloud::{random_magnet, Answer, Client, LiveStream, TestServer};

const ACCEPT: &str = "/invites/accept";

async fn team(owner: &Client, name: &str) -> String {
    let created = owner.post("/api/v1/orgs", json!({ "name": name })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["org"]["role"], "owner");
    created.body["org"]["id"].as_str().expect("id").to_owned()
}

/// Invites `member` to `org` as `role` and has them accept the mailed token.
async fn join(server: &TestServer, inviter: &Client, org: &str, member: &Client, role: &str) {
    let invited = inviter
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": member.email, "role": role }),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{invited:?}");
    let token = server.mailed_token(&member.email, ACCEPT).await;
    let accepted = member
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(accepted.body["role"], role);
}

fn roles(detail: &Value) -> Vec<(String, String)> {
    detail["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or_default().to_owned(),
                m["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_account_has_a_personal_organization_it_keeps() {
    let server = TestServer::start().await;
    let user = server.user(Role::User).await;
    let orgs = user.get("/api/v1/orgs").await;
    assert_eq!(orgs.status, StatusCode::OK);
    let list = orgs.body.as_array().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["personal"], true);
    assert_eq!(list[0]["role"], "owner");
    assert_eq!(list[0]["members"], 1);
    let personal = list[0]["id"].as_str().expect("id");

    let refused = user.delete(&format!("/api/v1/orgs/{personal}")).await;
    assert_eq!(refused.code(), "personal_org");
    let refused = user
        .post(&format!("/api/v1/orgs/{personal}/leave"), json!({}))
        .await;
    assert_eq!(refused.code(), "personal_org");
    let friend = server.user(Role::User).await;
    let refused = user
        .post(
            &format!("/api/v1/orgs/{personal}/invites"),
            json!({ "email": friend.email, "role": "member" }),
        )
        .await;
    assert_eq!(refused.code(), "personal_org");
    let refused = user
        .post(
            &format!("/api/v1/orgs/{personal}/transfer"),
            json!({ "userId": friend.user_id }),
        )
        .await;
    assert_eq!(refused.code(), "personal_org");
}

#[tokio::test]
async fn an_invitation_is_accepted_once_by_its_address_within_seven_days() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let org = team(&owner, "Film club").await;
    let renamed = owner
        .patch(
            &format!("/api/v1/orgs/{org}"),
            json!({ "name": "Film society" }),
        )
        .await;
    assert_eq!(renamed.body["org"]["name"], "Film society");

    let invitee = server.user(Role::User).await;
    let stranger = server.user(Role::User).await;
    let invited = owner
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": invitee.email.to_uppercase(), "role": "member" }),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{invited:?}");
    assert_eq!(
        invited.body["email"], invitee.email,
        "addresses are compared lowercased"
    );
    let mail = server
        .outbox()
        .await
        .into_iter()
        .find(|m| m.contains(&format!("To: {}", invitee.email)) && m.contains(ACCEPT))
        .expect("invitation mail");
    assert!(
        mail.contains("Film society") && mail.contains(&owner.email),
        "{mail}"
    );
    let token = server.mailed_token(&invitee.email, ACCEPT).await;

    let wrong = stranger
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.code(), "invite_for_another_email");
    let accepted = invitee
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(accepted.body["id"], org);
    let again = invitee
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(again.code(), "invalid_token", "single use");

    let detail = owner.get(&format!("/api/v1/orgs/{org}")).await.body;
    assert_eq!(
        roles(&detail),
        vec![
            (owner.email.clone(), "owner".into()),
            (invitee.email.clone(), "member".into())
        ]
    );
    assert_eq!(detail["invites"], json!([]));

    // An invitation older than 7 days is refused; a newer one replaces the one waiting.
    let late = server.user(Role::User).await;
    for _ in 0..2 {
        owner
            .post(
                &format!("/api/v1/orgs/{org}/invites"),
                json!({ "email": late.email, "role": "member" }),
            )
            .await;
    }
    let waiting = owner.get(&format!("/api/v1/orgs/{org}")).await.body["invites"].clone();
    assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
    let token = server.mailed_token(&late.email, ACCEPT).await;
    server
        .execute_sql(
            "UPDATE org_invites SET expires_at = ?1 WHERE email = ?2",
            vec![
                StoreValue::Integer(tseeder_cloud::store::now_ms() - 1),
                StoreValue::Text(late.email.clone()),
            ],
        )
        .await;
    let expired = late
        .post("/api/v1/invites/accept", json!({ "token": token }))
        .await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert_eq!(expired.code(), "invalid_token");

    let already = owner
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": invitee.email, "role": "member" }),
        )
        .await;
    assert_eq!(already.code(), "already_member");
}

#[tokio::test]
async fn each_role_does_what_it_may_and_the_owner_hands_over() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let admin = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let other = server.user(Role::User).await;
    let org = team(&owner, "Seeders").await;
    join(&server, &owner, &org, &admin, "admin").await;
    join(&server, &admin, &org, &member, "member").await;

    // Members see the team but not its invitations, and change nothing.
    let seen = member.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(seen.body["org"]["role"], "member");
    assert_eq!(seen.body["invites"], json!([]));
    let pending = admin
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": other.email, "role": "member" }),
        )
        .await;
    assert_eq!(pending.status, StatusCode::CREATED);
    assert_eq!(
        member.get(&format!("/api/v1/orgs/{org}")).await.body["invites"],
        json!([])
    );
    assert_eq!(
        admin.get(&format!("/api/v1/orgs/{org}")).await.body["invites"][0]["email"],
        other.email
    );
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/orgs/{org}"),
            json!({ "name": "Mine now" }),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": "x@example.org", "role": "member" }),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org}/members/{}", admin.user_id),
            json!({}),
        ),
        ("DELETE", format!("/api/v1/orgs/{org}"), json!({})),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let refused = member.send(member.request(method, &path).json(&body)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}: {refused:?}");
        assert_eq!(refused.code(), "insufficient_role");
    }
    // Admins invite members, not admins; remove members, not the owner; rename nothing.
    let refused = admin
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": "boss@example.org", "role": "admin" }),
        )
        .await;
    assert_eq!(refused.code(), "insufficient_role");
    let refused = admin
        .delete(&format!("/api/v1/orgs/{org}/members/{}", owner.user_id))
        .await;
    assert_eq!(refused.code(), "insufficient_role");
    let refused = admin
        .patch(&format!("/api/v1/orgs/{org}"), json!({ "name": "Ours" }))
        .await;
    assert_eq!(refused.code(), "insufficient_role");
    let as_owner = owner
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({ "email": "boss@example.org", "role": "owner" }),
        )
        .await;
    assert_eq!(
        as_owner.code(),
        "invalid_body",
        "one owner, made by a transfer"
    );

    // The owner promotes the member, then hands the team to them and stays as an admin.
    let promoted = owner
        .patch(
            &format!("/api/v1/orgs/{org}/members/{}", member.user_id),
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{promoted:?}");
    let refused = owner
        .post(&format!("/api/v1/orgs/{org}/leave"), json!({}))
        .await;
    assert_eq!(refused.code(), "owner_cannot_leave");
    let stranger = owner
        .post(
            &format!("/api/v1/orgs/{org}/transfer"),
            json!({ "userId": other.user_id }),
        )
        .await;
    assert_eq!(stranger.code(), "not_a_member");
    let handed = owner
        .post(
            &format!("/api/v1/orgs/{org}/transfer"),
            json!({ "userId": member.user_id }),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{handed:?}");
    assert_eq!(handed.body["org"]["role"], "admin");
    assert_eq!(
        roles(&handed.body),
        vec![
            (member.email.clone(), "owner".into()),
            (owner.email.clone(), "admin".into()),
            (admin.email.clone(), "admin".into()),
        ]
    );

    // The new owner removes an admin; the old owner leaves; the team is deleted.
    let removed = member
        .delete(&format!("/api/v1/orgs/{org}/members/{}", admin.user_id))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{removed:?}");
    assert_eq!(
        admin.get(&format!("/api/v1/orgs/{org}")).await.status,
        StatusCode::NOT_FOUND
    );
    let left = owner
        .post(&format!("/api/v1/orgs/{org}/leave"), json!({}))
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{left:?}");
    let deleted = member.delete(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");
    let lists = member.get("/api/v1/orgs").await.body;
    assert_eq!(
        lists.as_array().map(Vec::len),
        Some(1),
        "only the personal one is left"
    );

    let operator = server.user(Role::Support).await;
    let audit = operator
        .get(&format!("/api/v1/admin/audit?targetId={org}&perPage=50"))
        .await;
    let mut actions: Vec<String> = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "org.create",
            "org.invite",
            "org.join",
            "org.invite",
            "org.join",
            "org.invite",
            "org.member_role",
            "org.transfer",
            "org.member_remove",
            "org.leave",
            "org.delete"
        ]
    );
}

#[tokio::test]
async fn another_organizations_team_invitations_and_members_are_out_of_reach() {
    let server = TestServer::start().await;
    let alice = server.user(Role::User).await;
    let bob = server.user(Role::User).await;
    let carol = server.user(Role::User).await;
    let ours = team(&alice, "Alice's").await;
    let theirs = team(&bob, "Bob's").await;
    join(&server, &bob, &theirs, &carol, "member").await;
    let invited = bob
        .post(
            &format!("/api/v1/orgs/{theirs}/invites"),
            json!({ "email": "dave@example.org", "role": "member" }),
        )
        .await;
    let invite = invited.body["id"].as_str().expect("invite id").to_owned();

    let reads = [format!("/api/v1/orgs/{theirs}")];
    let deletes = [
        format!("/api/v1/orgs/{theirs}/invites/{invite}"),
        format!("/api/v1/orgs/{theirs}/members/{}", carol.user_id),
        format!("/api/v1/orgs/{ours}/invites/{invite}"),
        format!("/api/v1/orgs/{ours}/members/{}", carol.user_id),
    ];
    for path in &reads {
        assert_eq!(
            alice.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in &deletes {
        assert_eq!(
            alice.delete(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let renamed = alice
        .patch(
            &format!("/api/v1/orgs/{theirs}"),
            json!({ "name": "Taken" }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::NOT_FOUND);
    let transfer = alice
        .post(
            &format!("/api/v1/orgs/{ours}/transfer"),
            json!({ "userId": carol.user_id }),
        )
        .await;
    assert_eq!(transfer.code(), "not_a_member");
    let still = bob.get(&format!("/api/v1/orgs/{theirs}")).await.body;
    assert_eq!(still["org"]["name"], "Bob's");
    assert_eq!(still["invites"].as_array().map(Vec::len), Some(1));
    assert_eq!(still["members"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn operators_search_organizations_and_see_their_members() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Archive Team Nine").await;
    join(&server, &owner, &org, &member, "member").await;
    let operator = server.user(Role::Support).await;

    let found = operator.get("/api/v1/admin/orgs?q=archive%20team").await;
    assert_eq!(found.status, StatusCode::OK, "{found:?}");
    let items = found.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], org);
    assert_eq!(items[0]["ownerEmail"], owner.email);
    assert_eq!(items[0]["members"], 2);
    assert_eq!(items[0]["personal"], false);
    let by_owner = operator
        .get(&format!("/api/v1/admin/orgs?q={}", owner.email))
        .await;
    assert_eq!(
        by_owner.body["items"].as_array().map(Vec::len),
        Some(2),
        "team and personal"
    );
    let all = operator.get("/api/v1/admin/orgs").await;
    assert!(
        all.body["total"].as_u64().unwrap_or_default() >= 4,
        "{all:?}"
    );

    let detail = operator.get(&format!("/api/v1/admin/orgs/{org}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(
        roles(&detail.body),
        vec![
            (owner.email.clone(), "owner".into()),
            (member.email.clone(), "member".into())
        ]
    );
}

/// Makes `org` the organization `client`'s session works in.
async fn work_in(client: &Client, org: &str) {
    let used = client
        .post(&format!("/api/v1/orgs/{org}/use"), json!({}))
        .await;
    assert_eq!(used.status, StatusCode::OK, "{used:?}");
    assert_eq!(used.body["current"], true);
}

async fn submit(client: &Client, name: &str) -> Answer {
    client
        .post("/api/v1/jobs", json!({ "magnet": random_magnet(name) }))
        .await
}

fn job_ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|job| job["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn current_org(client: &Client) -> String {
    let usage = client.get("/api/v1/usage").await;
    assert_eq!(usage.status, StatusCode::OK, "{usage:?}");
    usage.body["orgId"].as_str().expect("orgId").to_owned()
}

#[tokio::test]
async fn a_teams_jobs_share_its_plan_and_owners_see_what_members_submit() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Render farm").await;
    join(&server, &owner, &org, &member, "member").await;
    let personal = current_org(&member).await;
    assert_eq!(personal, format!("org_{}", member.user_id));

    work_in(&member, &org).await;
    let listed = member.get("/api/v1/orgs").await;
    let current: Vec<&str> = listed
        .body
        .as_array()
        .expect("orgs")
        .iter()
        .filter(|o| o["current"] == true)
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    assert_eq!(current, [org.as_str()]);
    let theirs = submit(&member, "members-job").await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{theirs:?}");
    assert_eq!(theirs.body["job"]["orgId"], org.as_str());
    assert_eq!(theirs.body["job"]["ownerId"], member.user_id.as_str());
    let theirs = theirs.body["job"]["id"].as_str().expect("id").to_owned();

    // The owner, still in their personal organization, neither lists nor reaches it.
    assert!(job_ids(&owner.get("/api/v1/jobs").await.body).is_empty());
    assert_eq!(
        owner.get(&format!("/api/v1/jobs/{theirs}")).await.status,
        StatusCode::NOT_FOUND
    );
    work_in(&owner, &org).await;
    assert_eq!(
        job_ids(&owner.get("/api/v1/jobs").await.body),
        std::slice::from_ref(&theirs)
    );
    let mine = submit(&owner, "owners-job").await;
    let mine = mine.body["job"]["id"].as_str().expect("id").to_owned();

    // The free plan's two active jobs are the team's, whoever submits.
    let over = submit(&member, "one-too-many").await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::FORBIDDEN, "quota_exceeded"),
        "{over:?}"
    );
    let usage = member.get("/api/v1/usage").await;
    assert_eq!(usage.body["orgId"], org.as_str());
    assert_eq!(usage.body["activeJobs"], 2);
    // The member's personal organization has a plan of its own.
    work_in(&member, &personal).await;
    let own = submit(&member, "at-home").await;
    assert_eq!(own.status, StatusCode::CREATED, "{own:?}");
    assert_eq!(own.body["job"]["orgId"], personal.as_str());
    work_in(&member, &org).await;

    // A member sees and manages their own jobs only; the owner everyone's.
    assert_eq!(
        job_ids(&member.get("/api/v1/jobs").await.body),
        std::slice::from_ref(&theirs)
    );
    for path in [
        format!("/api/v1/jobs/{mine}"),
        format!("/api/v1/jobs/{mine}/events"),
        format!("/api/v1/jobs/{mine}/files"),
    ] {
        assert_eq!(
            member.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let refused = member
        .post(&format!("/api/v1/jobs/{mine}/cancel"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let mut listed = job_ids(&owner.get("/api/v1/jobs").await.body);
    listed.sort();
    let mut both = vec![mine.clone(), theirs.clone()];
    both.sort();
    assert_eq!(listed, both);
    let cancelled = owner
        .post(&format!("/api/v1/jobs/{theirs}/cancel"), json!({}))
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{cancelled:?}");
    let fits = submit(&member, "fits-now").await;
    assert_eq!(fits.status, StatusCode::CREATED, "{fits:?}");

    // Operators put the team on a plan; a personal organization follows its user's.
    let admin = server.user(Role::Admin).await;
    let why = |plan: &str| json!({ "planId": plan, "reason": "Team bought the pro plan by invoice", "ticketId": "T-42" });
    let changed = admin
        .post(&format!("/api/v1/admin/orgs/{org}/plan"), why("pro"))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(changed.body["org"]["planId"], "pro");
    assert_eq!(changed.body["usage"]["activeJobs"], 2);
    assert_eq!(member.get("/api/v1/usage").await.body["plan"]["id"], "pro");
    assert_eq!(
        member.get(&format!("/api/v1/orgs/{org}")).await.body["org"]["planId"],
        "pro"
    );
    // Operators list one organization's jobs, whoever submitted them.
    let listed = admin.get(&format!("/api/v1/admin/jobs?orgId={org}")).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let items = listed.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{listed:?}");
    assert!(items
        .iter()
        .all(|item| item["job"]["orgId"] == org.as_str()));
    assert!(items
        .iter()
        .any(|item| item["userId"] == member.user_id.as_str()));
    assert!(items
        .iter()
        .any(|item| item["userId"] == owner.user_id.as_str()));
    let refused = admin
        .post(&format!("/api/v1/admin/orgs/{personal}/plan"), why("pro"))
        .await;
    assert_eq!(refused.code(), "personal_org");
    let unknown = admin
        .post(&format!("/api/v1/admin/orgs/{org}/plan"), why("platinum"))
        .await;
    assert_eq!(unknown.code(), "unknown_plan");
    let audit = admin
        .get(&format!("/api/v1/admin/audit?targetId={org}"))
        .await;
    assert!(
        audit.body.to_string().contains("org.plan_change"),
        "{audit:?}"
    );

    // A team with jobs is not deleted; a removed member's session falls back to their own.
    let refused = owner.delete(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "org_has_jobs")
    );
    let removed = owner
        .delete(&format!("/api/v1/orgs/{org}/members/{}", member.user_id))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{removed:?}");
    assert_eq!(current_org(&member).await, personal);
    assert_eq!(
        member.get(&format!("/api/v1/jobs/{theirs}")).await.status,
        StatusCode::NOT_FOUND,
        "what a member submitted stays with the team"
    );
    assert_eq!(
        owner.get(&format!("/api/v1/jobs/{theirs}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_api_key_works_in_the_organization_it_was_made_in() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Archive").await;
    join(&server, &owner, &org, &member, "admin").await;
    work_in(&member, &org).await;
    let (_, secret) = member.create_key("team script").await;
    // The session moves on; the key stays in the team.
    work_in(&member, &format!("org_{}", member.user_id)).await;
    let keys = member.get("/api/v1/api-keys").await;
    assert_eq!(keys.body[0]["orgId"], org.as_str());
    assert_eq!(keys.body[0]["orgName"], "Archive");

    let script = member.with_key(&secret);
    let submitted = submit(&script, "from-a-script").await;
    assert_eq!(
        submitted.body["job"]["orgId"],
        org.as_str(),
        "{submitted:?}"
    );
    let refused = script
        .post(
            &format!("/api/v1/orgs/org_{}/use", member.user_id),
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "session_required");
    // An admin of the team sees the owner's jobs through the key as well.
    work_in(&owner, &org).await;
    let owners = submit(&owner, "owners").await;
    let owners = owners.body["job"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        script.get(&format!("/api/v1/jobs/{owners}")).await.status,
        StatusCode::OK
    );

    let left = member
        .post(&format!("/api/v1/orgs/{org}/leave"), json!({}))
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{left:?}");
    assert_eq!(
        script.get("/api/v1/jobs").await.status,
        StatusCode::UNAUTHORIZED,
        "a key stops working when its user leaves its organization"
    );
}

#[tokio::test]
async fn another_organizations_jobs_are_out_of_reach() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let outsider = server.user(Role::User).await;
    let org = team(&owner, "Private").await;
    work_in(&owner, &org).await;
    let job = submit(&owner, "private").await;
    let job = job.body["job"]["id"].as_str().expect("id").to_owned();
    let other = team(&outsider, "Elsewhere").await;
    work_in(&outsider, &other).await;
    for path in [
        format!("/api/v1/jobs/{job}"),
        format!("/api/v1/jobs/{job}/events"),
        format!("/api/v1/jobs/{job}/files"),
        format!("/api/v1/jobs/{job}/zip"),
        format!("/api/v1/jobs/{job}/live"),
    ] {
        assert_eq!(
            outsider.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for action in ["pause", "cancel", "retry", "resume"] {
        let refused = outsider
            .post(&format!("/api/v1/jobs/{job}/{action}"), json!({}))
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{action}");
    }
    let link = outsider
        .post(&format!("/api/v1/jobs/{job}/files/0/link"), json!({}))
        .await;
    assert_eq!(link.status, StatusCode::NOT_FOUND);
    assert_eq!(
        outsider.delete(&format!("/api/v1/jobs/{job}")).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = outsider
        .post(&format!("/api/v1/orgs/{org}/use"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(job_ids(&outsider.get("/api/v1/jobs").await.body).is_empty());
    assert_eq!(
        owner.get(&format!("/api/v1/jobs/{job}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn live_streams_carry_the_teams_jobs_to_owners_and_a_members_own_to_the_member() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Live").await;
    join(&server, &owner, &org, &member, "member").await;
    work_in(&owner, &org).await;
    work_in(&member, &org).await;
    let mut owners_stream = LiveStream::open(&owner, "/api/v1/jobs/live").await;
    let mut members_stream = LiveStream::open(&member, "/api/v1/jobs/live").await;
    assert_eq!(
        owners_stream.next(Duration::from_secs(5)).await.0,
        "snapshot"
    );
    assert_eq!(
        members_stream.next(Duration::from_secs(5)).await.0,
        "snapshot"
    );

    let owners = submit(&owner, "owners").await;
    let owners = owners.body["job"]["id"].as_str().expect("id").to_owned();
    let theirs = submit(&member, "members").await;
    let theirs = theirs.body["job"]["id"].as_str().expect("id").to_owned();

    let (event, data) = owners_stream.next(Duration::from_secs(5)).await;
    assert_eq!(
        (event.as_str(), &data["job"]["id"]),
        ("job", &json!(owners))
    );
    let (event, data) = owners_stream.next(Duration::from_secs(5)).await;
    assert_eq!(
        (event.as_str(), &data["job"]["id"]),
        ("job", &json!(theirs)),
        "the owner hears a member's job"
    );
    let (event, data) = members_stream.next(Duration::from_secs(5)).await;
    assert_eq!(
        (event.as_str(), &data["job"]["id"]),
        ("job", &json!(theirs)),
        "the member hears only their own"
    );
}

#[tokio::test]
async fn a_torrent_runs_once_per_organization() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Mirror").await;
    join(&server, &owner, &org, &member, "member").await;
    let magnet = random_magnet("shared");
    let add = |client: &Client| {
        let magnet = magnet.clone();
        let client = client.clone();
        async move {
            client
                .post("/api/v1/jobs", json!({ "magnet": magnet }))
                .await
        }
    };

    let at_home = add(&member).await;
    assert_eq!(at_home.status, StatusCode::CREATED, "{at_home:?}");
    work_in(&member, &org).await;
    let for_the_team = add(&member).await;
    assert_eq!(
        for_the_team.status,
        StatusCode::CREATED,
        "the same torrent for another organization: {for_the_team:?}"
    );
    work_in(&owner, &org).await;
    let twice = add(&owner).await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "job_exists"),
        "the team fetches it already"
    );
}

#[tokio::test]
async fn a_stream_ends_when_its_user_changes_role_or_leaves_the_organization() {
    let server = TestServer::start().await;
    let owner = server.user(Role::User).await;
    let admin = server.user(Role::User).await;
    let member = server.user(Role::User).await;
    let org = team(&owner, "Watchers").await;
    join(&server, &owner, &org, &admin, "admin").await;
    join(&server, &owner, &org, &member, "member").await;
    work_in(&admin, &org).await;
    work_in(&member, &org).await;
    let mut admins = LiveStream::open(&admin, "/api/v1/jobs/live").await;
    let mut members = LiveStream::open(&member, "/api/v1/jobs/live").await;
    assert_eq!(admins.next(Duration::from_secs(5)).await.0, "snapshot");
    assert_eq!(members.next(Duration::from_secs(5)).await.0, "snapshot");

    // An admin made a member no longer follows everyone's jobs on the stream opened as admin.
    let demoted = owner
        .patch(
            &format!("/api/v1/orgs/{org}/members/{}", admin.user_id),
            json!({ "role": "member" }),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{demoted:?}");
    assert!(admins.ends_within(Duration::from_secs(5)).await);
    assert!(
        !members.ends_within(Duration::from_millis(500)).await,
        "another member's stream goes on"
    );

    let removed = owner
        .delete(&format!("/api/v1/orgs/{org}/members/{}", member.user_id))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{removed:?}");
    assert!(members.ends_within(Duration::from_secs(5)).await);
}
