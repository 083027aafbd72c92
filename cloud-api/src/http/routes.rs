//! The route table: every endpoint with its method, path, least role and documentation. The
//! router, the access guard, the OpenAPI document and the RBAC tests are all built from it.

use super::guard::Access;
use crate::config::Settings;
use crate::services::Services;
use crate::{
    accounts, admin, agents, billing, blog, credentials, dispatch, files, jobs, observability,
    orgs, plans, providers, runtime_settings, search, status, webhooks,
};
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use std::sync::{Arc, OnceLock};

pub const API: &str = "/api/v1";

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
    pub fn get<H: Handler<T, Services>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        Self::new(Method::GET, MethodFilter::GET, path, access, handler)
    }

    pub fn post<H: Handler<T, Services>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        Self::new(Method::POST, MethodFilter::POST, path, access, handler)
    }

    pub fn put<H: Handler<T, Services>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        Self::new(Method::PUT, MethodFilter::PUT, path, access, handler)
    }

    pub fn patch<H: Handler<T, Services>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        Self::new(Method::PATCH, MethodFilter::PATCH, path, access, handler)
    }

    pub fn delete<H: Handler<T, Services>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        Self::new(Method::DELETE, MethodFilter::DELETE, path, access, handler)
    }

    fn new<H, T>(
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, Services>,
        T: 'static,
    {
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

    pub fn doc(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.tag = tag;
        self.summary = summary;
        self
    }

    pub fn json<T: JsonSchema>(mut self) -> Self {
        self.body = BodyDoc::Json(schema_of::<T>);
        self
    }

    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }

    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.response = Some(schema_of::<T>);
        self
    }

    /// Server-Sent Events whose `data` is a `T` (snapshots carry a list of them).
    pub fn streams<T: JsonSchema>(mut self) -> Self {
        self.response = Some(schema_of::<T>);
        self.streams = true;
        self
    }

    pub fn no_content(mut self) -> Self {
        self.status = 204;
        self.response = None;
        self
    }

    /// A body larger than the JSON default: agent reports that may list every file of a
    /// torrent, blog posts.
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(limit));
        self
    }

    pub fn torrent_upload(mut self, limit: usize) -> Self {
        self.body = BodyDoc::TorrentUpload;
        self.handler = self.handler.layer(DefaultBodyLimit::max(limit));
        self
    }
}

/// The least roles routes ask for, short so that a route reads as one line.
pub const MEMBER: Access = Access::AtLeast(tseeder_protocol::Role::User);
pub const SUPPORT: Access = Access::AtLeast(tseeder_protocol::Role::Support);
pub const ADMIN: Access = Access::AtLeast(tseeder_protocol::Role::Admin);
pub const SUPERADMIN: Access = Access::AtLeast(tseeder_protocol::Role::Superadmin);
pub const PUBLIC: Access = Access::Public;
pub const AGENT: Access = Access::Agent;
pub const SCRAPER: Access = Access::Scraper;

/// Body limits that depend on configuration, for the slices that need them.
#[derive(Debug, Clone, Copy)]
pub struct RouteLimits {
    /// A `.torrent` upload: the largest accepted torrent and its form's other parts.
    pub upload: usize,
    /// An agent's report, whose file list comes from a `.torrent` no larger than
    /// `max_torrent_bytes` (JSON escaping may double its paths), plus each entry's own fields.
    pub report: usize,
}

impl RouteLimits {
    pub fn from_settings(settings: &Settings) -> RouteLimits {
        let limits = &settings.limits;
        RouteLimits {
            upload: limits.max_torrent_bytes + 64 * 1024,
            report: limits.max_json_body_bytes
                + limits.max_torrent_bytes * 2
                + limits.max_torrent_files * 256,
        }
    }
}

/// Every route of the API, one slice per domain. `openapi` is filled with the finished document
/// once the table exists.
pub fn api_routes(settings: &Settings, openapi: Arc<OnceLock<serde_json::Value>>) -> Vec<ApiRoute> {
    let limits = RouteLimits::from_settings(settings);
    let openapi_route = ApiRoute::get("/api/v1/openapi.json", PUBLIC, move || {
        let doc = openapi.get().cloned().unwrap_or_default();
        async move { axum::Json(doc) }
    })
    .doc("system", "This OpenAPI document");
    let slices = [
        status::routes::routes,
        blog::routes::routes,
        accounts::routes::routes,
        credentials::routes::routes,
        plans::routes::routes,
        jobs::routes::routes,
        files::routes::routes,
        agents::routes::routes,
        dispatch::routes::routes,
        admin::routes::routes,
        runtime_settings::routes::routes,
        observability::routes::routes,
        providers::routes::routes,
        billing::routes::routes,
        orgs::routes::routes,
        search::routes::routes,
        webhooks::routes::routes,
    ];
    std::iter::once(openapi_route)
        .chain(slices.into_iter().flat_map(|slice| slice(&limits)))
        .collect()
}
