//! Job endpoints.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Auth, Json, Meta, Path, Query};
use crate::jobs::service::{JobInput, Routing};
use crate::services::{Paging, Services};
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use tseeder_protocol::JobAction;
use tseeder_protocol::{CreateJob, ErrorCode, Job, JobDetail, JobEvent, JobStatus, Page};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListJobsQuery {
    pub status: Option<JobStatus>,
    /// Part of the job name.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `nextCursor` of the page before: pages on from there (`page` is then ignored).
    pub after: Option<String>,
}

pub async fn create(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<CreateJob>,
) -> ApiResult<(StatusCode, Json<JobDetail>)> {
    let input = match (req.magnet, req.torrent_url) {
        (Some(magnet), None) => JobInput::Magnet(magnet),
        (None, Some(url)) => JobInput::TorrentUrl(url),
        _ => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidBody,
                "give exactly one of `magnet` or `torrentUrl`",
            ))
        }
    };
    let detail = services
        .jobs()
        .create(
            &principal,
            &meta,
            input,
            req.selected_files,
            Routing {
                region: req.region,
                device_id: req.device_id,
                callback_url: req.callback_url,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// `multipart/form-data` with a `torrent` file part and an optional `selectedFiles` part holding
/// a JSON array of file indexes.
pub async fn upload(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<JobDetail>)> {
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType {
        message: "send the .torrent as multipart/form-data".into(),
    })?;
    let mut torrent = None;
    let mut selected = None;
    let mut routing = Routing::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("torrent") => torrent = Some(field.bytes().await.map_err(multipart_error)?),
            Some("selectedFiles") => {
                let text = field.text().await.map_err(multipart_error)?;
                selected = Some(serde_json::from_str::<Vec<u32>>(&text).map_err(|_| {
                    ApiError::unprocessable(
                        ErrorCode::InvalidSelection,
                        "selectedFiles must be a JSON array of file indexes",
                    )
                })?);
            }
            Some("region") => routing.region = Some(field.text().await.map_err(multipart_error)?),
            Some("deviceId") => {
                routing.device_id = Some(field.text().await.map_err(multipart_error)?);
            }
            // A misspelt part would otherwise be dropped without a word.
            other => {
                return Err(ApiError::unprocessable(
                    ErrorCode::UnknownPart,
                    format!(
                        "unknown form part {:?}: send torrent, selectedFiles, region or deviceId",
                        other.unwrap_or_default()
                    ),
                ));
            }
        }
    }
    let torrent = torrent.ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::InvalidBody,
            "attach the .torrent file as the `torrent` part",
        )
    })?;
    let detail = services
        .jobs()
        .create(
            &principal,
            &meta,
            JobInput::TorrentFile(torrent.to_vec()),
            selected,
            routing,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

fn multipart_error(err: MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit: 0 }
    } else {
        ApiError::bad_request(ErrorCode::MalformedMultipart, err.body_text())
    }
}

pub async fn list(
    State(services): State<Services>,
    Auth(principal): Auth,
    Query(query): Query<ListJobsQuery>,
) -> ApiResult<Json<Page<Job>>> {
    let paging = Paging::new(query.page, query.per_page);
    services
        .jobs()
        .list(
            &principal,
            query.status,
            query.q,
            paging,
            query.after.as_deref(),
        )
        .await
        .map(Json)
}

pub async fn get(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<JobDetail>> {
    services.jobs().detail(&principal, &id).await.map(Json)
}

pub async fn events(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<JobEvent>>> {
    services.jobs().events(&principal, &id).await.map(Json)
}

pub async fn delete(
    State(services): State<Services>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    services.jobs().delete(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn act(
    services: Services,
    auth: Auth,
    id: String,
    action: JobAction,
) -> ApiResult<Json<Job>> {
    services.jobs().act(&auth.0, &id, action).await.map(Json)
}

pub async fn pause(
    State(s): State<Services>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    act(s, auth, id, JobAction::Pause).await
}

pub async fn resume(
    State(s): State<Services>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    act(s, auth, id, JobAction::Resume).await
}

pub async fn cancel(
    State(s): State<Services>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    act(s, auth, id, JobAction::Cancel).await
}

pub async fn retry(
    State(s): State<Services>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    act(s, auth, id, JobAction::Retry).await
}
