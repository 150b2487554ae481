//! Whose signatures the emulator accepts: the configured credentials, those added through the
//! admin interface, and temporary credentials issued by the configured STS endpoint.
//!
//! AWS accepts the temporary credentials its own STS issued (AssumeRole and friends). The local
//! stack's STS is moto, so when a request is signed with an access key the emulator does not
//! know, it looks the key up in moto's state (`GET /moto-api/data.json`, the assumed roles of
//! `moto.sts.models.AssumedRole`) and keeps what it found.

use std::collections::HashMap;

use serde::Deserialize;

use crate::config::Credentials;
use crate::http;

/// moto's state can be several megabytes (it holds every AWS managed policy).
const MAX_STATE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct KnownCredentials {
    by_access_key_id: HashMap<String, Credentials>,
}

impl KnownCredentials {
    pub fn new(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        let mut known = KnownCredentials::default();
        for credentials in credentials {
            known.insert(credentials);
        }
        known
    }

    /// Adds these credentials, replacing any with the same access key id.
    pub fn insert(&mut self, credentials: Credentials) {
        self.by_access_key_id
            .insert(credentials.access_key_id.clone(), credentials);
    }

    /// Adds credentials found at the STS endpoint, keeping those already known.
    pub fn learn(&mut self, issued: Vec<Credentials>) {
        for credentials in issued {
            self.by_access_key_id
                .entry(credentials.access_key_id.clone())
                .or_insert(credentials);
        }
    }

    pub fn get(&self, access_key_id: &str) -> Option<&Credentials> {
        self.by_access_key_id.get(access_key_id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StsLookupError {
    #[error("cannot read {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: ureq::Error,
    },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is not moto's state: {source}")]
    Parse {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the STS lookup did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Every temporary credential the STS endpoint has issued so far. Runs the blocking HTTP call on
/// tokio's blocking pool.
pub async fn issued_by(sts_endpoint: &str) -> Result<Vec<Credentials>, StsLookupError> {
    let url = format!("{}/moto-api/data.json", sts_endpoint.trim_end_matches('/'));
    tokio::task::spawn_blocking(move || fetch_issued(&url)).await?
}

fn fetch_issued(url: &str) -> Result<Vec<Credentials>, StsLookupError> {
    let http_error = |source| StsLookupError::Http {
        url: url.to_owned(),
        source,
    };
    let mut response = http::agent().get(url).call().map_err(http_error)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(StsLookupError::Status {
            url: url.to_owned(),
            status,
        });
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_STATE_BYTES)
        .read_to_vec()
        .map_err(http_error)?;
    parse_issued(&body).map_err(|source| StsLookupError::Parse {
        url: url.to_owned(),
        source,
    })
}

/// moto's `data.json`: `{"sts": {"AssumedRole": [{"access_key_id", "secret_access_key",
/// "session_token", …}]}, …}`. Services moto has not loaded yet are absent.
fn parse_issued(state: &[u8]) -> Result<Vec<Credentials>, serde_json::Error> {
    #[derive(Deserialize)]
    struct State {
        #[serde(default)]
        sts: Sts,
    }
    #[derive(Default, Deserialize)]
    struct Sts {
        #[serde(rename = "AssumedRole", default)]
        assumed_roles: Vec<AssumedRole>,
    }
    #[derive(Deserialize)]
    struct AssumedRole {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
    }

    let state: State = serde_json::from_slice(state)?;
    Ok(state
        .sts
        .assumed_roles
        .into_iter()
        .map(|role| Credentials {
            access_key_id: role.access_key_id,
            secret_access_key: role.secret_access_key,
            session_token: Some(role.session_token),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOTO_STATE: &str = r#"{
      "iam": {"AccessKey": [{"access_key_id": "AKIAIAMUSER000000001", "secret_access_key": "s"}]},
      "sts": {
        "AssumedRole": [{
          "access_key_id": "ASIARZPUZDIKGPIDZZKI",
          "account_id": "123456789012",
          "arn": "arn:aws:sts::123456789012:assumed-role/deployer/platform-ci",
          "external_id": null,
          "role_arn": "arn:aws:iam::123456789012:role/deployer",
          "secret_access_key": "VGxIF/jpb63LEHsy12SyhfrkILAtWlgeyUZzuil8",
          "session_name": "platform-ci",
          "session_token": "FQoGZXIvYXdzEBYaDFrTc+NLR9uMdQ8Z00B7="
        }],
        "Token": []
      }
    }"#;

    #[test]
    fn assumed_roles_are_temporary_credentials() {
        let issued = parse_issued(MOTO_STATE.as_bytes()).expect("moto state");
        assert_eq!(
            issued,
            [Credentials::new(
                "ASIARZPUZDIKGPIDZZKI",
                "VGxIF/jpb63LEHsy12SyhfrkILAtWlgeyUZzuil8",
                Some("FQoGZXIvYXdzEBYaDFrTc+NLR9uMdQ8Z00B7=")
            )]
        );
    }

    #[test]
    fn a_state_without_sts_has_no_credentials() {
        assert!(parse_issued(b"{}").expect("empty state").is_empty());
        assert!(parse_issued(br#"{"sts": {"AssumedRole": [{"access_key_id": 1}]}}"#).is_err());
    }

    #[test]
    fn learned_credentials_do_not_replace_known_ones() {
        let mut known = KnownCredentials::new([Credentials::new("AKID", "configured", None)]);
        known.learn(vec![
            Credentials::new("AKID", "issued", Some("t")),
            Credentials::new("ASIA", "issued", Some("t")),
        ]);
        assert_eq!(
            known.get("AKID").map(|c| c.secret_access_key.as_str()),
            Some("configured")
        );
        assert!(known.get("ASIA").is_some());
        known.insert(Credentials::new("AKID", "replaced", None));
        assert_eq!(
            known.get("AKID").map(|c| c.secret_access_key.as_str()),
            Some("replaced")
        );
    }
}
