//! The accounts slice of the route table: each route's method, path, least role and documentation.

use super::handlers;
use crate::http::routes::{ApiRoute, RouteLimits, MEMBER, PUBLIC};
use tseeder_protocol::*;

pub(crate) fn routes(_limits: &RouteLimits) -> Vec<ApiRoute> {
    vec![

        ApiRoute::post("/api/v1/auth/register", PUBLIC, handlers::register)
        .doc(
            "accounts",
            "Create an account and mail a verification link (the same answer for an address that has one)",
        )
        .json::<RegisterRequest>()
        .returns::<Ack>(202),
        ApiRoute::post("/api/v1/auth/verify-email", PUBLIC, handlers::verify_email)
        .doc("accounts", "Confirm an email address with the mailed token")
        .json::<TokenRequest>()
        .returns::<Ack>(200),
        ApiRoute::post("/api/v1/auth/verify-email/resend", PUBLIC, handlers::resend_verification)
        .doc("accounts", "Mail a new verification link")
        .json::<EmailRequest>()
        .returns::<Ack>(202),
        ApiRoute::post("/api/v1/auth/login", PUBLIC, handlers::login)
            .doc(
                "accounts",
                "Sign in; sets the session cookie and returns the CSRF token",
            )
            .json::<LoginRequest>()
            .returns::<SessionInfo>(200),
        ApiRoute::post("/api/v1/auth/logout", MEMBER, handlers::logout)
        .doc("accounts", "End the current session")
        .returns::<Ack>(200),
        ApiRoute::get("/api/v1/auth/me", MEMBER, handlers::me)
        .doc(
            "accounts",
            "The signed-in user (and the CSRF token for cookie sessions)",
        )
        .returns::<SessionInfo>(200),
        ApiRoute::patch("/api/v1/auth/me", MEMBER, handlers::update_profile)
        .doc(
            "accounts",
            "Change the display name or the default destination of new jobs",
        )
        .json::<UpdateProfile>()
        .returns::<User>(200),
        ApiRoute::post("/api/v1/auth/password", MEMBER, handlers::change_password)
        .doc(
            "accounts",
            "Change the password; every other session is signed out",
        )
        .json::<ChangePassword>()
        .returns::<Ack>(200),
        ApiRoute::post("/api/v1/auth/password-reset/request", PUBLIC, handlers::request_password_reset)
        .doc("accounts", "Mail a password reset link")
        .json::<EmailRequest>()
        .returns::<Ack>(202),
        ApiRoute::post("/api/v1/auth/password-reset/confirm", PUBLIC, handlers::confirm_password_reset)
        .doc(
            "accounts",
            "Set a new password with a reset token; ends all sessions",
        )
        .json::<PasswordResetConfirm>()
        .returns::<Ack>(200),
    ]
}
