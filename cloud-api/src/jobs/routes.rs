//! The jobs slice of the route table: each route's method, path, least role and documentation.

use super::{handlers, stream};
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER};
use tseeder_protocol::*;

pub(crate) fn routes(limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![
        ApiRoute::get("/api/v1/jobs", MEMBER, handlers::list)
            .doc("jobs", "The user's jobs, newest first")
            .query::<handlers::ListJobsQuery>()
            .returns::<Page<Job>>(200),
        ApiRoute::post("/api/v1/jobs", MEMBER, handlers::create)
            .doc("jobs", "Add a job from a magnet link or a .torrent URL")
            .json::<CreateJob>()
            .returns::<JobDetail>(201),
        ApiRoute::post("/api/v1/jobs/torrent", MEMBER, handlers::upload)
            .doc("jobs", "Add a job from an uploaded .torrent file")
            .torrent_upload(limits.upload)
            .returns::<JobDetail>(201),
        ApiRoute::get("/api/v1/jobs/{id}", MEMBER, handlers::get)
            .doc("jobs", "One job with its files")
            .returns::<JobDetail>(200),
        ApiRoute::delete("/api/v1/jobs/{id}", MEMBER, handlers::delete)
            .doc("jobs", "Delete a job and its history")
            .no_content(),
        ApiRoute::get("/api/v1/jobs/{id}/events", MEMBER, handlers::events)
            .doc("jobs", "The job's event history, oldest first")
            .returns::<Vec<JobEvent>>(200),
        ApiRoute::post("/api/v1/jobs/{id}/pause", MEMBER, handlers::pause)
            .doc("jobs", "Pause a job")
            .returns::<Job>(200),
        ApiRoute::post("/api/v1/jobs/{id}/resume", MEMBER, handlers::resume)
            .doc("jobs", "Resume a paused job")
            .returns::<Job>(200),
        ApiRoute::post("/api/v1/jobs/{id}/cancel", MEMBER, handlers::cancel)
            .doc("jobs", "Cancel a job")
            .returns::<Job>(200),
        ApiRoute::post("/api/v1/jobs/{id}/retry", MEMBER, handlers::retry)
            .doc("jobs", "Queue a failed or cancelled job again")
            .returns::<Job>(200),
        ApiRoute::get("/api/v1/jobs/live", MEMBER, stream::user_stream)
            .doc(
                "live",
                "Server-Sent Events: a snapshot of the user's jobs, then every change",
            )
            .streams::<JobLive>(),
        ApiRoute::get("/api/v1/jobs/{id}/live", MEMBER, stream::job_stream)
            .doc(
                "live",
                "Server-Sent Events: one job's snapshot, then its changes and progress",
            )
            .streams::<JobLive>(),
    ]
}
