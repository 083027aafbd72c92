//! The blog's units of work: a post saved or deleted with its audit row, each one store
//! operation, so a service never holds a transaction.

use crate::audit::actor::{Actor, Why};
use crate::blog::store as blog;
use crate::blog::store::{NewPost, PostRow};
use crate::store::{DbError, DbResult, Store};
use tseeder_protocol::AuditAction;
use tseeder_protocol::SaveBlogPost;

/// Deletes a post with the operator's audit row; false when there is no such post.
pub(crate) async fn delete(store: &Store, actor: Actor, why: Why, id: String) -> DbResult<bool> {
    store
        .transaction(move |tx| {
            let Some(post) = blog::post_by_id(tx, &id)? else {
                return Ok::<_, DbError>(false);
            };
            blog::delete_post(tx, &id)?;
            actor.audit(
                tx,
                AuditAction::BlogDelete,
                &id,
                &why,
                serde_json::json!({ "slug": post.slug, "title": post.title }),
            )?;
            Ok(true)
        })
        .await
}

/// Stores a new post (`creating`) or replaces one, with its audit row; nothing when the post
/// to replace is gone. Answers the post as stored.
pub(crate) async fn save(
    store: &Store,
    actor: Actor,
    id: String,
    post: SaveBlogPost,
    creating: bool,
    now: i64,
) -> DbResult<Option<PostRow>> {
    store
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
                blog::insert_post(tx, &row)?;
            } else if !blog::update_post(tx, &row)? {
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
            blog::post_by_id(tx, &id)
        })
        .await
}
