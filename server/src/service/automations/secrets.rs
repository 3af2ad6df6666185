//! Secrets of a team or user for webhooks (`${NAME}` in payloads, bearer tokens,
//! signing keys). Each is sealed with XChaCha20-Poly1305 under the server's key,
//! which lives outside the database (`CAIRN_SECRET_KEY`, or `secret.key` in the data
//! directory), so a database dump alone does not reveal them. The entity and name are
//! the associated data: a sealed value copied onto another secret does not open.
//! Values are never shown again after saving.

use std::sync::Arc;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::model::{ProjectRef, SecretInfo};

use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::{automations as repo, users};
use crate::db::write::begin;
use crate::error::ApiError;

/// The server's key for sealing secrets (32 bytes).
#[derive(Clone)]
pub struct SecretKey(Arc<[u8; 32]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    pub fn new(bytes: [u8; 32]) -> SecretKey {
        SecretKey(Arc::new(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> SecretKey {
        SecretKey::new(rand::random())
    }

    /// A key written as 64 hex digits or 32 bytes of base64.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .ok_or("the secret key must be 64 hex digits or base64")?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes (64 hex digits)".to_owned())?;
        Ok(SecretKey::new(bytes))
    }

    /// The key as 64 hex digits (how the key file stores it).
    pub fn to_hex(&self) -> String {
        hex::encode(*self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }

    /// Seal `value` for secret `name` of entity `entity_id`: base64(nonce ‖ ciphertext).
    pub fn seal(&self, entity_id: i32, name: &str, value: &str) -> String {
        let nonce: [u8; 24] = rand::random();
        let aad = format!("{entity_id}/{name}");
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("sealing cannot fail for in-memory buffers");
        let mut all = nonce.to_vec();
        all.extend(sealed);
        base64::engine::general_purpose::STANDARD.encode(all)
    }

    /// Open a sealed value; None when it was sealed under another key or name.
    pub fn open(&self, entity_id: i32, name: &str, sealed: &str) -> Option<String> {
        let all = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if all.len() < 24 {
            return None;
        }
        let aad = format!("{entity_id}/{name}");
        let plain = self
            .cipher()
            .decrypt(
                XNonce::from_slice(&all[..24]),
                Payload {
                    msg: &all[24..],
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A secret's name: capitals, digits and `_`, starting with a letter (so it cannot
/// be mistaken for one of Cairn's own variables).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let ok = name.len() <= 64
        && matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(format!(
            "secret name {name:?}: use capitals, digits and _ (starting with a letter, at most 64)"
        )))
    }
}

/// The opened secrets of an entity, by name (a secret that does not open is left out
/// and logged: the server key changed).
pub async fn opened(
    db: &impl ConnectionTrait,
    key: &SecretKey,
    entity_id: i32,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for s in repo::secrets(db, entity_id).await? {
        match key.open(entity_id, &s.name, &s.sealed) {
            Some(v) => out.push((s.name, v)),
            None => tracing::error!(
                secret = %s.name,
                entity = entity_id,
                "an automation secret does not open with this server's key (was CAIRN_SECRET_KEY changed?)"
            ),
        }
    }
    Ok(out)
}

/// The names of an entity's secrets, for the tab.
pub async fn list(db: &impl ConnectionTrait, entity_id: i32) -> Result<Vec<SecretInfo>, ApiError> {
    let rows = repo::secrets(db, entity_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let by = match r.updated_by {
            Some(id) => users::find_by_id(db, id).await?.map(|u| u.username),
            None => None,
        };
        out.push(SecretInfo {
            name: r.name,
            updated_at: r.updated_at,
            updated_by: by,
        });
    }
    Ok(out)
}

/// Set (or replace) secret `name` of the project's entity; `value` None deletes it.
/// Only those who administer the entity may.
pub async fn set(
    db: &DatabaseConnection,
    key: &SecretKey,
    user: &user::Model,
    at: &ProjectRef,
    name: &str,
    value: Option<&str>,
) -> Result<(), ApiError> {
    check_name(name)?;
    if let Some(v) = value {
        if v.is_empty() || v.len() > 8192 {
            return Err(ApiError::Unprocessable(
                "a secret's value must be 1 to 8,192 bytes".into(),
            ));
        }
    }
    let (tx, _turn) = begin(db).await?;
    let (_project, owner) = super::administered(&tx, user, at).await?;
    match value {
        Some(v) => {
            let sealed = key.seal(owner.id, name, v);
            repo::put_secret(&tx, owner.id, name, &sealed, user.id, now_ms()).await?;
        }
        None => {
            if !repo::delete_secret(&tx, owner.id, name).await? {
                return Err(ApiError::NotFound(format!("no secret named {name}")));
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_name() {
        let key = SecretKey::generate();
        let sealed = key.seal(7, "TOKEN", "s3cret");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open(7, "TOKEN", &sealed).as_deref(), Some("s3cret"));
        assert_eq!(key.open(8, "TOKEN", &sealed), None, "another entity");
        assert_eq!(key.open(7, "OTHER", &sealed), None, "another name");
        assert_eq!(SecretKey::generate().open(7, "TOKEN", &sealed), None);
        // Two seals of one value differ (fresh nonces).
        assert_ne!(sealed, key.seal(7, "TOKEN", "s3cret"));
        let again = SecretKey::parse(&key.to_hex()).unwrap();
        assert_eq!(again.open(7, "TOKEN", &sealed).as_deref(), Some("s3cret"));
        assert!(SecretKey::parse("abcd").is_err());
    }

    #[test]
    fn secret_names_are_capitals() {
        assert!(check_name("SLACK_TOKEN_2").is_ok());
        for bad in ["", "token", "2X", "A-B", "run_id"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
