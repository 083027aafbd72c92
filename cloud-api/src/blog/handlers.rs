//! Blog endpoints, public and for operators.

use crate::error::ApiResult;
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::services::{Paging, Services};
use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::{BlogPost, BlogPostSummary, Justification, Page, SaveBlogPost};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub async fn blog_posts(
    State(services): State<Services>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Page<BlogPostSummary>>> {
    services
        .blog()
        .published(Paging::new(query.page, query.per_page))
        .await
        .map(Json)
}

pub async fn blog_post(
    State(services): State<Services>,
    Path(slug): Path<String>,
) -> ApiResult<Json<BlogPost>> {
    services.blog().published_post(&slug).await.map(Json)
}

pub async fn admin_blog_posts(
    State(services): State<Services>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Page<BlogPost>>> {
    services
        .blog()
        .all_posts(Paging::new(query.page, query.per_page))
        .await
        .map(Json)
}

pub async fn create_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<SaveBlogPost>,
) -> ApiResult<(StatusCode, Json<BlogPost>)> {
    let post = services.blog().save(&principal, &meta, None, req).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

pub async fn update_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<SaveBlogPost>,
) -> ApiResult<Json<BlogPost>> {
    services
        .blog()
        .save(&principal, &meta, Some(id), req)
        .await
        .map(Json)
}

pub async fn delete_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(why): Json<Justification>,
) -> ApiResult<StatusCode> {
    services.blog().delete(&principal, &meta, &id, why).await?;
    Ok(StatusCode::NO_CONTENT)
}
