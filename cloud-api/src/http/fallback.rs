//! What the router answers for unknown paths and methods.

use crate::error::ApiError;

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
