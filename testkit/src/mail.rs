//! The SMTP server the mail tests deliver to: Python's aiosmtpd (installed by `scripts/setup`)
//! writing each message into a maildir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running sink, stopped when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    /// A sink on a free port writing into `maildir`.
    pub async fn start(maildir: &Path) -> SmtpSink {
        SmtpSink::start_on(maildir, crate::free_port()).await
    }

    pub async fn start_on(maildir: &Path, port: u16) -> SmtpSink {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (run scripts/setup)");
        let sink = SmtpSink {
            child,
            port,
            maildir: maildir.to_owned(),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the aiosmtpd sink did not start; is it installed? (scripts/setup)");
    }

    /// `smtp://127.0.0.1:<port>`, for `mail.smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message delivered so far, quoted-printable decoded.
    pub fn delivered(&self) -> Vec<String> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        crate::cloud::decode_quoted_printable(
                            &std::fs::read_to_string(e.path()).expect("mail"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
