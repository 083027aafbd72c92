//! The blog: published posts for everyone, drafts and edits for operators (audited).

use crate::audit::actor::{check_justification, Actor};
use crate::blog::store as blog;
use crate::blog::store::PostRow;
use crate::blog::units;
use crate::error::{ApiError, ApiResult};
use crate::services::{Paging, Principal, RequestMeta, Services};
use crate::store as db;
use crate::store::to_datetime;
use tseeder_protocol::{
    fields, BlogPost, BlogPostSummary, ErrorCode, Justification, Page, SaveBlogPost,
};

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

/// Blog posts.
#[derive(Debug, Clone, Copy)]
pub struct Blog<'a> {
    pub(crate) services: &'a Services,
}

impl<'a> Blog<'a> {
    pub(crate) fn new(services: &'a Services) -> Self {
        Blog { services }
    }
}

impl Blog<'_> {
    pub async fn published(&self, paging: Paging) -> ApiResult<Page<BlogPostSummary>> {
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| blog::list_posts(conn, false, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(rows.iter().map(post_summary).collect(), total))
    }

    pub async fn published_post(&self, slug: &str) -> ApiResult<BlogPost> {
        let slug = slug.to_owned();
        self.services
            .db()
            .call(move |conn| blog::published_post_by_slug(conn, &slug))
            .await?
            .map(|row| post_view(&row))
            .ok_or(ApiError::NotFound)
    }

    pub async fn all_posts(&self, paging: Paging) -> ApiResult<Page<BlogPost>> {
        let (rows, total) = self
            .services
            .db()
            .call(move |conn| blog::list_posts(conn, true, paging.per_page, paging.offset()))
            .await?;
        Ok(paging.wrap(rows.iter().map(post_view).collect(), total))
    }

    /// Creates a post (`id` None) or replaces one; leaves an audit row either way.
    pub async fn save(
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
        let saved = units::save(self.services.db(), actor, id, post, creating, now)
            .await
            .map_err(ApiError::unique_as(
                ErrorCode::SlugTaken,
                "another post already uses this slug",
            ))?;
        saved.map(|row| post_view(&row)).ok_or(ApiError::NotFound)
    }

    pub async fn delete(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
        id: &str,
        why: Justification,
    ) -> ApiResult<()> {
        let why = check_justification(&why.reason, &why.ticket_id)?;
        let actor = Actor::of(principal, meta);
        let id = id.to_owned();
        let deleted = units::delete(self.services.db(), actor, why, id).await?;
        deleted.then_some(()).ok_or(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
