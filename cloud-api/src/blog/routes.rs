//! The blog slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, ADMIN, PUBLIC};
use tseeder_protocol::*;

/// A post of `fields::MAX_BODY_CHARS` characters, each as a JSON escape of up to 12 bytes.
const BLOG_POST_BODY_BYTES: usize = tseeder_protocol::fields::MAX_BODY_CHARS * 12 + 64 * 1024;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/blog", PUBLIC, handlers::blog_posts)
            .doc("blog", "Published posts, newest first")
            .query::<handlers::PageQuery>()
            .returns::<Page<BlogPostSummary>>(200),
        ApiRoute::get("/api/v1/blog/{slug}", PUBLIC, handlers::blog_post)
            .doc("blog", "One published post")
            .returns::<BlogPost>(200),
        ApiRoute::get("/api/v1/admin/blog", ADMIN, handlers::admin_blog_posts)
            .doc("admin", "Every blog post, drafts included")
            .query::<handlers::PageQuery>()
            .returns::<Page<BlogPost>>(200),
        ApiRoute::post("/api/v1/admin/blog", ADMIN, handlers::create_blog_post)
            .doc("admin", "Write a blog post (published or draft)")
            .json::<SaveBlogPost>()
            .body_limit(BLOG_POST_BODY_BYTES)
            .returns::<BlogPost>(201),
        ApiRoute::put("/api/v1/admin/blog/{id}", ADMIN, handlers::update_blog_post)
            .doc("admin", "Replace a blog post")
            .json::<SaveBlogPost>()
            .body_limit(BLOG_POST_BODY_BYTES)
            .returns::<BlogPost>(200),
        ApiRoute::delete("/api/v1/admin/blog/{id}", ADMIN, handlers::delete_blog_post)
            .doc("admin", "Delete a blog post, with a justification")
            .json::<Justification>()
            .no_content(),
    ]
}
