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
) -> ApiResult<axum::Json<Page<BlogPostSummary>>> {
    services
        .blog_posts(Paging::new(query.page, query.per_page))
        .await
        .map(axum::Json)
}

pub async fn blog_post(
    State(services): State<Services>,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<BlogPost>> {
    services.blog_post(&slug).await.map(axum::Json)
}

pub async fn admin_blog_posts(
    State(services): State<Services>,
    Query(query): Query<PageQuery>,
) -> ApiResult<axum::Json<Page<BlogPost>>> {
    services
        .admin_blog_posts(Paging::new(query.page, query.per_page))
        .await
        .map(axum::Json)
}

pub async fn create_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<SaveBlogPost>,
) -> ApiResult<(StatusCode, axum::Json<BlogPost>)> {
    let post = services
        .save_blog_post(&principal, &meta, None, req)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(post)))
}

pub async fn update_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(req): Json<SaveBlogPost>,
) -> ApiResult<axum::Json<BlogPost>> {
    services
        .save_blog_post(&principal, &meta, Some(id), req)
        .await
        .map(axum::Json)
}

pub async fn delete_blog_post(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Json(why): Json<Justification>,
) -> ApiResult<StatusCode> {
    services
        .delete_blog_post(&principal, &meta, &id, why)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
