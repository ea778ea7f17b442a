//! Email that really leaves: the outbox rows the invitations queued, delivered through an
//! SMTP server with `lettre`. A message is marked sent only after the server accepted it;
//! a failure is counted and retried on the next run (at most [`MAX_ATTEMPTS`] times). Each
//! message carries a Message-ID derived from its outbox key, so in the one window a
//! restart can repeat (accepted by the server, not yet marked sent) the receiving side
//! sees the same message twice and can drop the copy. A message to an address that has
//! unsubscribed since it was queued is never sent.

use super::PeopleError;
use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use votebase_store::Store;
use votebase_store::people::OutgoingEmail;

/// Failed attempts after which a message is left alone.
pub const MAX_ATTEMPTS: u32 = 5;

/// Something that delivers one email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers the message, or says why not.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), String>;
}

/// An SMTP relay (plain SMTP to a relay the organization runs, e.g. on localhost).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A relay at `host:port` sending as `from`.
    pub fn new(host: &str, port: u16, from: &str) -> Result<Self, PeopleError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| PeopleError::Invalid(format!("--from {from:?}: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        Ok(Self { transport, from })
    }
}

/// The Message-ID of an outbox key (stable across retries).
pub fn message_id(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("<{}@votebase.outbox>", hex::encode(&digest[..16]))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("recipient address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id(&email.key)))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
    }
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// Accepted by the server and marked sent.
    pub sent: u64,
    /// Refused or failed (to be retried).
    pub failed: u64,
    /// Left alone after too many attempts.
    pub given_up: u64,
    /// Not sent: the recipient has unsubscribed since it was queued.
    pub withheld: u64,
}

/// Delivers up to `limit` waiting messages, oldest first.
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    limit: u32,
) -> Result<Delivery, PeopleError> {
    let mut out = Delivery::default();
    for queued in store.pending_emails(limit).await? {
        if queued.attempts >= MAX_ATTEMPTS {
            out.given_up += 1;
            continue;
        }
        if store.email_unsubscribed(&queued.email.to).await? {
            store
                .mark_email_failed(queued.id, "recipient unsubscribed: not sent")
                .await?;
            out.withheld += 1;
            continue;
        }
        match mailer.send(&queued.email).await {
            Ok(()) => {
                store.mark_email_sent(queued.id).await?;
                out.sent += 1;
            }
            Err(e) => {
                tracing::warn!(outbox_id = queued.id, "email delivery failed: {e}");
                store.mark_email_failed(queued.id, &e).await?;
                out.failed += 1;
            }
        }
    }
    Ok(out)
}
