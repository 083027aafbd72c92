//! The files slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER, PUBLIC};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![

        ApiRoute::get("/api/v1/jobs/{id}/files", MEMBER, handlers::list)
        .doc("files", "The job's stored files")
        .returns::<Vec<StoredFile>>(200),
        ApiRoute::get("/api/v1/jobs/{id}/zip", MEMBER, handlers::zip).doc(
            "files",
            "Every stored file of the job as one ZIP (stored, ZIP64), streamed",
        ),
        ApiRoute::post("/api/v1/jobs/{id}/files/{index}/link", MEMBER, handlers::link)
        .doc(
            "files",
            "A short-lived download link for one file (supports HTTP Range)",
        )
        .returns::<FileLink>(200),
        ApiRoute::delete("/api/v1/jobs/{id}/files/{index}", MEMBER, handlers::delete)
        .doc("files", "Delete one stored file")
        .no_content(),
        ApiRoute::get("/api/v1/files/{*key}", PUBLIC, handlers::download)
            .doc(
                "files",
                "Download through a signed link of the local store (the signature is the credential)",
            )
            .query::<handlers::LinkQuery>(),
    ]
}
