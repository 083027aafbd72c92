//! Account endpoints: sign-up, verification, sign-in and out, password reset, profile.

use crate::error::ApiResult;
use crate::http::cookies;
use crate::http::extract::{Auth, Json, Meta};
use crate::services::Services;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tseeder_protocol::{
    Ack, ChangePassword, EmailRequest, LoginRequest, PasswordResetConfirm, RegisterRequest,
    SessionInfo, TokenRequest, UpdateProfile, User,
};

pub async fn register(
    State(services): State<Services>,
    Meta(meta): Meta,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    let ack = services.accounts().register(&meta, req).await?;
    Ok((StatusCode::ACCEPTED, Json(ack)))
}

pub async fn verify_email(
    State(services): State<Services>,
    Json(req): Json<TokenRequest>,
) -> ApiResult<Json<Ack>> {
    services.accounts().verify_email(&req.token).await.map(Json)
}

pub async fn resend_verification(
    State(services): State<Services>,
    Meta(meta): Meta,
    Json(req): Json<EmailRequest>,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    let ack = services
        .accounts()
        .resend_verification(&meta, &req.email)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ack)))
}

pub async fn login(
    State(services): State<Services>,
    Meta(meta): Meta,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let login = services.accounts().login(&meta, req).await?;
    let cookie = cookies::set_session(services.settings(), &login.session_token);
    Ok(([(header::SET_COOKIE, cookie)], Json(login.info)).into_response())
}

pub async fn logout(
    State(services): State<Services>,
    Auth(principal): Auth,
) -> ApiResult<Response> {
    let ack = services.accounts().logout(&principal).await?;
    let cookie = cookies::clear_session(services.settings());
    Ok(([(header::SET_COOKIE, cookie)], Json(ack)).into_response())
}

pub async fn me(State(services): State<Services>, Auth(principal): Auth) -> Json<SessionInfo> {
    Json(services.accounts().me(&principal))
}

pub async fn request_password_reset(
    State(services): State<Services>,
    Meta(meta): Meta,
    Json(req): Json<EmailRequest>,
) -> ApiResult<(StatusCode, Json<Ack>)> {
    let ack = services
        .accounts()
        .request_password_reset(&meta, &req.email)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ack)))
}

pub async fn confirm_password_reset(
    State(services): State<Services>,
    Meta(meta): Meta,
    Json(req): Json<PasswordResetConfirm>,
) -> ApiResult<Json<Ack>> {
    services
        .accounts()
        .confirm_password_reset(&meta, req)
        .await
        .map(Json)
}

pub async fn update_profile(
    State(services): State<Services>,
    Auth(principal): Auth,
    Json(req): Json<UpdateProfile>,
) -> ApiResult<Json<User>> {
    services
        .accounts()
        .update_profile(&principal, req)
        .await
        .map(Json)
}

pub async fn change_password(
    State(services): State<Services>,
    Auth(principal): Auth,
    Meta(meta): Meta,
    Json(req): Json<ChangePassword>,
) -> ApiResult<Json<Ack>> {
    services
        .accounts()
        .change_password(&principal, &meta, req)
        .await
        .map(Json)
}
