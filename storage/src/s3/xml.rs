//! The few S3 XML documents the store reads.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    pub upload_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResult {
    #[serde(default)]
    pub contents: Vec<Content>,
    #[serde(default)]
    pub is_truncated: bool,
    pub next_continuation_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Content {
    pub key: String,
    pub size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMultipartUploadsResult {
    #[serde(default)]
    pub upload: Vec<Upload>,
    #[serde(default)]
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Upload {
    pub key: String,
    pub upload_id: String,
    /// ISO 8601, e.g. `2026-11-22T03:31:46.000Z`.
    pub initiated: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDocument {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

pub fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, crate::StorageError> {
    quick_xml::de::from_str(text).map_err(|err| crate::StorageError::Protocol(err.to_string()))
}

/// The `<CompleteMultipartUpload>` body listing every part in order.
pub fn complete_body(etags: &[String]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (index, etag) in etags.iter().enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            index + 1,
            escape(etag)
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listings_and_errors() {
        let list: ListBucketResult = parse(
            r#"<?xml version="1.0"?><ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>
               <Contents><Key>a/1</Key><Size>5</Size><ETag>"x"</ETag></Contents>
               <Contents><Key>a/2</Key><Size>7</Size></Contents>
               <NextContinuationToken>t</NextContinuationToken></ListBucketResult>"#,
        )
        .expect("list");
        assert_eq!(list.contents.len(), 2);
        assert_eq!(list.contents[1].size, 7);
        assert!(list.is_truncated);
        assert_eq!(list.next_continuation_token.as_deref(), Some("t"));
        let empty: ListBucketResult =
            parse("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")
                .expect("empty");
        assert!(empty.contents.is_empty());
        let err: ErrorDocument =
            parse("<Error><Code>AccessDenied</Code><Message>no</Message></Error>").expect("error");
        assert_eq!(err.code, "AccessDenied");
        assert_eq!(
            complete_body(&["\"a\"".into()]),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part></CompleteMultipartUpload>"
        );
    }
}
