//! The single error envelope every failing API call answers with.

use crate::ErrorCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code such as `invalid_credentials` or `rate_limited`.
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
    /// On a server-side failure (5xx): the request's id, which the operator finds in the logs.
    #[serde(rename = "requestId", default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
