//! Kubernetes service-account tokens (what the kubelet projects into a pod for EKS Pod Identity,
//! minted here through the admin interface) and the pod identity sessions
//! AssumeRoleForPodIdentity issued with them.
//!
//! A token is a JWT-shaped string (header, claims and a random signature, base64url) whose claims
//! mirror a projected token's; the emulator trusts only its own table, not the claims. A token is
//! bound to its cluster as that cluster was when the token was minted: another cluster, or the
//! same name deleted and created again, does not accept it.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::associations::random_lowercase_alnum;
use super::{required, Association, World};
use crate::error::{ApiError, ErrorKind};

/// The audience of pod identity tokens, and the `audience` AssumeRoleForPodIdentity answers
/// (EKS Auth API reference: "This value is always pods.eks.amazonaws.com").
pub const POD_IDENTITY_AUDIENCE: &str = "pods.eks.amazonaws.com";
/// How long a minted token lives unless the request says otherwise.
const DEFAULT_TOKEN_SECONDS: i64 = 24 * 60 * 60;

/// Admin request: a token for a pod of `namespace/serviceAccount` in `cluster`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintTokenRequest {
    pub cluster: Option<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    /// Default: `<serviceAccount>-<5 random characters>`.
    pub pod_name: Option<String>,
    /// Default: a random UUID.
    pub pod_uid: Option<String>,
    /// Default one day; 0 or less mints a token that has already expired.
    pub expires_in_seconds: Option<i64>,
}

/// What a token stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountToken {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub pod_name: String,
    pub pod_uid: String,
    /// Epoch seconds.
    pub expires_at: i64,
    /// The endpoint of the cluster it was minted in (unique per creation).
    #[serde(skip)]
    cluster_endpoint: String,
}

/// A token as the admin interface returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MintedToken {
    pub token: String,
    #[serde(flatten)]
    pub subject: ServiceAccountToken,
}

/// One set of credentials AssumeRoleForPodIdentity issued, for tests and demos.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodIdentitySession {
    pub cluster: String,
    pub namespace: String,
    pub service_account: String,
    pub pod_name: String,
    pub association_id: String,
    pub role_arn: String,
    pub target_role_arn: Option<String>,
    /// The session the credentials belong to (the target role's with a target role).
    pub assumed_role_arn: String,
    pub access_key_id: String,
    /// The session tags EKS passed (empty with disableSessionTags).
    pub session_tags: BTreeMap<String, String>,
}

/// Service-account tokens and issued sessions.
#[derive(Debug, Default)]
pub struct PodIdentityState {
    tokens: HashMap<String, ServiceAccountToken>,
    sessions: Vec<PodIdentitySession>,
}

/// What AssumeRoleForPodIdentity needs from the world, read in one go.
#[derive(Debug, Clone)]
pub struct PodIdentityGrant {
    pub token: ServiceAccountToken,
    pub association: Association,
    pub cluster_arn: String,
}

impl World {
    /// Admin: mints a token for a pod in an existing cluster.
    pub fn mint_token(&mut self, request: MintTokenRequest) -> Result<MintedToken, ApiError> {
        let cluster_name = required(request.cluster, "cluster")?;
        let namespace = required(request.namespace, "namespace")?;
        let service_account = required(request.service_account, "serviceAccount")?;
        let cluster = self.cluster(&cluster_name)?;
        let issued_at = epoch_seconds();
        let expires_in = request.expires_in_seconds.unwrap_or(DEFAULT_TOKEN_SECONDS);
        let subject = ServiceAccountToken {
            pod_name: request
                .pod_name
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| format!("{service_account}-{}", random_lowercase_alnum(5))),
            pod_uid: request
                .pod_uid
                .filter(|uid| !uid.is_empty())
                .unwrap_or_else(|| Uuid::new_v4().to_string()),
            expires_at: issued_at.saturating_add(expires_in),
            cluster_endpoint: cluster.endpoint.clone(),
            cluster: cluster_name,
            namespace,
            service_account,
        };
        let token = jwt(&subject, issued_at, &self.region);
        self.pod_identity
            .tokens
            .insert(token.clone(), subject.clone());
        Ok(MintedToken { token, subject })
    }

    /// The token and association of an AssumeRoleForPodIdentity request to `cluster_name`.
    pub fn pod_identity_grant(
        &self,
        cluster_name: &str,
        token: &str,
    ) -> Result<PodIdentityGrant, ApiError> {
        let cluster = self.cluster(cluster_name)?;
        if !is_jwt_shaped(token) {
            return Err(invalid_token(
                "The token is not a JSON Web Token (three base64url parts separated by dots).",
            ));
        }
        let Some(subject) = self.pod_identity.tokens.get(token) else {
            return Err(invalid_token(
                "The token was not issued by this cluster's service account issuer.",
            ));
        };
        if subject.cluster != cluster_name || subject.cluster_endpoint != cluster.endpoint {
            return Err(invalid_token(&format!(
                "The token was not issued by cluster {cluster_name}."
            )));
        }
        if subject.expires_at <= epoch_seconds() {
            return Err(ApiError::new(
                ErrorKind::ExpiredToken,
                "The service account token has expired.",
            ));
        }
        let association = cluster
            .associations
            .iter()
            .find(|a| a.namespace == subject.namespace && a.service_account == subject.service_account)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::ResourceNotFound,
                    format!(
                        "No Pod Identity Association found for service account {} in namespace {} of cluster {cluster_name}.",
                        subject.service_account, subject.namespace
                    ),
                )
            })?;
        Ok(PodIdentityGrant {
            token: subject.clone(),
            association: association.clone(),
            cluster_arn: cluster.arn.clone(),
        })
    }

    pub fn record_session(&mut self, session: PodIdentitySession) {
        self.pod_identity.sessions.push(session);
    }

    /// Admin: every session issued, in order.
    pub fn sessions(&self) -> &[PodIdentitySession] {
        &self.pod_identity.sessions
    }
}

fn invalid_token(message: &str) -> ApiError {
    ApiError::new(ErrorKind::InvalidToken, message)
}

/// The pattern of the EKS Auth API's `token` member: `[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+`.
fn is_jwt_shaped(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=".contains(c))
        })
}

/// A JWT-shaped token with the claims of a projected service-account token.
fn jwt(subject: &ServiceAccountToken, issued_at: i64, region: &str) -> String {
    let header = json!({"alg": "RS256", "kid": "eks-emulator"});
    let claims = json!({
        "aud": [POD_IDENTITY_AUDIENCE],
        "exp": subject.expires_at,
        "iat": issued_at,
        "nbf": issued_at,
        "iss": format!("https://oidc.eks.{region}.amazonaws.com/id/{}", subject.cluster_endpoint_id()),
        "sub": format!("system:serviceaccount:{}:{}", subject.namespace, subject.service_account),
        "kubernetes.io": {
            "namespace": subject.namespace,
            "pod": {"name": subject.pod_name, "uid": subject.pod_uid},
            "serviceaccount": {"name": subject.service_account},
        },
    });
    let signature = [Uuid::new_v4().into_bytes(), Uuid::new_v4().into_bytes()].concat();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

impl ServiceAccountToken {
    /// The id in the cluster's endpoint host, as its OIDC issuer URL carries it.
    fn cluster_endpoint_id(&self) -> &str {
        self.cluster_endpoint
            .trim_start_matches("https://")
            .split('.')
            .next()
            .unwrap_or_default()
    }
}

fn epoch_seconds() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_jwts() {
        let mut world = World::new("123456789012", "eu-west-1", Default::default());
        let cluster = crate::world::CreateClusterRequest {
            name: Some("c1".into()),
            ..Default::default()
        };
        world.create_cluster(cluster).expect("cluster");
        let request = MintTokenRequest {
            cluster: Some("c1".into()),
            namespace: Some("ns".into()),
            service_account: Some("sa".into()),
            ..Default::default()
        };
        let minted = world.mint_token(request).expect("token");
        assert!(is_jwt_shaped(&minted.token), "{}", minted.token);
        assert!(minted.subject.pod_name.starts_with("sa-"));
        let claims = minted.token.split('.').nth(1).expect("claims");
        let claims = URL_SAFE_NO_PAD.decode(claims).expect("base64url");
        let claims: serde_json::Value = serde_json::from_slice(&claims).expect("json");
        assert_eq!(claims["sub"], "system:serviceaccount:ns:sa");
        assert!(!is_jwt_shaped("a.b"));
        assert!(!is_jwt_shaped("a.b.c d"));
        let err = world
            .pod_identity_grant("c1", &minted.token)
            .expect_err("no association");
        assert_eq!(err.kind, ErrorKind::ResourceNotFound);
        let err = world
            .pod_identity_grant("c1", "a.b.c")
            .expect_err("unknown token");
        assert_eq!(err.kind, ErrorKind::InvalidToken);
    }
}
