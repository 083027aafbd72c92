//! The one way the service sends email: SMTP when configured, otherwise an outbox folder of
//! `.eml` files that an operator (or a test) can read.

pub mod delivery;
pub mod store;
use crate::config::{MailSettings, Settings};
use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not write to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
}

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    /// Plain text.
    pub text: String,
}

#[derive(Clone)]
pub enum Mailer {
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox { dir, .. } => f.debug_struct("Outbox").field("dir", dir).finish(),
            Mailer::Smtp { .. } => f.write_str("Smtp"),
        }
    }
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Result<Mailer, MailError> {
        let MailSettings { from, smtp_url, .. } = &settings.mail;
        let from: Mailbox = from
            .parse()
            .map_err(|err: lettre::address::AddressError| MailError::Address(err.to_string()))?;
        Ok(match smtp_url {
            Some(url) => Mailer::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|err| MailError::Smtp(err.to_string()))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
                from,
            },
            None => Mailer::Outbox {
                dir: settings.outbox_dir(),
                from,
            },
        })
    }

    pub async fn send(&self, email: Email) -> Result<(), MailError> {
        let from = match self {
            Mailer::Outbox { from, .. } | Mailer::Smtp { from, .. } => from.clone(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|err: lettre::address::AddressError| MailError::Address(err.to_string()))?;
        // lettre picks the encoding: 7-bit when every line is short, quoted-printable otherwise.
        let body = Body::new(email.text);
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|err| MailError::Build(err.to_string()))?;
        match self {
            Mailer::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir).await?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                    uuid::Uuid::new_v4().simple()
                );
                // Written under a temporary name and renamed, so readers never see half a mail.
                let partial = dir.join(format!(".{name}.partial"));
                tokio::fs::write(&partial, message.formatted()).await?;
                let path = dir.join(&name);
                tokio::fs::rename(&partial, &path).await?;
                tracing::info!(to = %email.to, subject = %email.subject, path = %path.display(), "mail written to outbox");
            }
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map_err(|err| MailError::Smtp(err.to_string()))?;
                tracing::info!(to = %email.to, subject = %email.subject, "mail sent over SMTP");
            }
        }
        Ok(())
    }
}
