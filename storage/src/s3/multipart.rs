//! Multipart upload of one file: parts read in order, uploaded in parallel within a memory
//! budget, each retried on transient failures; on any failure the upload is aborted so no
//! half-finished upload lingers (and bills) in the bucket.

use super::{describe, xml, S3Store};
use crate::{ObjectKey, StorageError};
use bytes::Bytes;
use reqwest::Method;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub(super) async fn upload(
    store: &S3Store,
    key: &ObjectKey,
    source: &Path,
    size: u64,
) -> Result<(), StorageError> {
    let upload_id = store
        .request_xml::<xml::InitiateMultipartUploadResult>(
            Method::POST,
            store.url(Some(key), &[("uploads", "")]),
        )
        .await?
        .upload_id;

    match upload_parts(store, key, source, size, &upload_id).await {
        Ok(()) => Ok(()),
        Err(err) => {
            tracing::warn!(%err, key = %key, "multipart upload failed; aborting it");
            if let Err(abort_err) = store.abort_upload(key.as_str(), &upload_id).await {
                tracing::error!(%abort_err, key = %key, upload_id, "could not abort multipart upload");
            }
            Err(err)
        }
    }
}

async fn upload_parts(
    store: &S3Store,
    key: &ObjectKey,
    source: &Path,
    size: u64,
    upload_id: &str,
) -> Result<(), StorageError> {
    let part_size = store.part_size_for(size);
    let part_count = size.div_ceil(part_size as u64) as usize;
    let budget = Arc::new(Semaphore::new(store.config.parallel_parts));
    let mut file = tokio::fs::File::open(source).await?;
    let mut in_flight = JoinSet::new();
    let mut etags = vec![String::new(); part_count];

    for index in 0..part_count {
        // Reading the next part waits for a free slot, so memory stays within the budget.
        let permit = Arc::clone(&budget)
            .acquire_owned()
            .await
            .map_err(|err| StorageError::Protocol(err.to_string()))?;
        while let Some(done) = in_flight.try_join_next() {
            let (i, etag) = joined(done)?;
            etags[i] = etag;
        }
        let len = part_size.min((size - index as u64 * part_size as u64) as usize);
        let mut buf = vec![0u8; len];
        file.read_exact(&mut buf).await?;
        let store = store.clone();
        let url = store.url(
            Some(key),
            &[
                ("partNumber", &(index + 1).to_string()),
                ("uploadId", upload_id),
            ],
        );
        in_flight.spawn(async move {
            let response = store
                .send(Method::PUT, url, Vec::new(), Bytes::from(buf))
                .await;
            drop(permit);
            let etag = response?
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| StorageError::Protocol("part answer without ETag".into()))?;
            Ok::<_, StorageError>((index, etag))
        });
    }
    while let Some(done) = in_flight.join_next().await {
        match joined(done) {
            Ok((i, etag)) => etags[i] = etag,
            Err(err) => {
                in_flight.abort_all();
                return Err(err);
            }
        }
    }

    let completed = store
        .send(
            Method::POST,
            store.url(Some(key), &[("uploadId", upload_id)]),
            vec![("content-type", "application/xml".to_owned())],
            Bytes::from(xml::complete_body(&etags)),
        )
        .await?;
    // S3 may answer 200 and still report an error in the body.
    let text = completed
        .text()
        .await
        .map_err(|err| StorageError::Network(describe(&err)))?;
    if text.contains("<Error>") {
        let doc: xml::ErrorDocument = xml::parse(&text).unwrap_or_default();
        return Err(StorageError::Http {
            status: 200,
            code: doc.code,
            message: doc.message,
        });
    }
    Ok(())
}

fn joined(
    done: Result<Result<(usize, String), StorageError>, tokio::task::JoinError>,
) -> Result<(usize, String), StorageError> {
    done.map_err(|err| StorageError::Protocol(format!("part task failed: {err}")))?
}
