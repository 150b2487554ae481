//! IAM and STS as EKS reaches them: the role lookups of Create/UpdatePodIdentityAssociation and
//! AssumeRoleForPodIdentity, and the STS AssumeRole calls that issue pod credentials. In the
//! local stack both are moto, called with real SigV4-signed requests (the test credentials).
//!
//! moto keeps one IAM per account and picks it from the `x-moto-account-id` header, so role
//! lookups send the account of the role's ARN: a target role in another account is found
//! there, as AWS finds it. Every call carries the app name [`APP_NAME`] in its user agent, so
//! that a recording of moto's requests can tell the emulator's calls from its clients'.

use std::collections::BTreeMap;

use aws_config::{AppName, Region};
use aws_sdk_iam::config::http::HttpRequest;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata};
use tokio::sync::OnceCell;

use crate::client::{sdk_config_loader, test_credentials};

/// The app name in the user agent of every IAM and STS call the emulator makes.
pub const APP_NAME: &str = "eks-emulator";
/// IAM is global and signed for us-east-1.
const IAM_SIGNING_REGION: &str = "us-east-1";
/// The header moto reads the account of a request from.
const MOTO_ACCOUNT_HEADER: &str = "x-moto-account-id";

#[derive(Debug, Clone, thiserror::Error)]
pub enum IamStsError {
    #[error("the emulator was started without an IAM endpoint (--iam-endpoint), so it cannot read IAM roles")]
    NoIam,
    #[error("the emulator was started without an STS endpoint (--sts-endpoint), so it cannot issue credentials")]
    NoSts,
    #[error("{0} is not an IAM role ARN")]
    NotARoleArn(String),
    #[error("IAM {action} of {role_arn}: {message}")]
    Iam {
        action: &'static str,
        role_arn: String,
        message: String,
    },
    /// STS refused or failed; `code` is its error code when it answered one.
    #[error("STS AssumeRole {role_arn}: {message}")]
    AssumeRole {
        role_arn: String,
        code: Option<String>,
        message: String,
    },
}

/// An IAM role as GetRole returns it.
#[derive(Debug, Clone)]
pub struct Role {
    pub arn: String,
    /// The trust policy document, decoded.
    pub trust_policy: String,
    pub tags: BTreeMap<String, String>,
    /// The ARN of its permissions boundary, if it has one.
    pub permissions_boundary: Option<String>,
}

/// Temporary credentials STS issued, with the session they belong to.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: i64,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`
    pub assumed_role_arn: String,
    /// `<role id>:<session name>`
    pub assumed_role_id: String,
}

/// One STS AssumeRole call.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    /// Session tags, all transitive.
    pub tags: &'a BTreeMap<String, String>,
    pub external_id: Option<&'a str>,
    pub policy: Option<&'a str>,
    /// Call as this session (role chaining); `None`: with the emulator's own credentials.
    pub as_session: Option<&'a Session>,
    /// The region whose STS endpoint EKS calls, and the call is signed for: the region of the
    /// EKS Auth request.
    pub region: &'a str,
}

struct Clients {
    iam: Option<aws_sdk_iam::Client>,
    sts: Option<aws_sdk_sts::Client>,
}

/// The IAM and STS endpoints of one emulator; clients are made on first use.
pub struct IamSts {
    iam_endpoint: Option<String>,
    sts_endpoint: Option<String>,
    region: String,
    clients: OnceCell<Clients>,
}

impl IamSts {
    pub fn new(iam_endpoint: Option<String>, sts_endpoint: Option<String>, region: &str) -> Self {
        IamSts {
            iam_endpoint,
            sts_endpoint,
            region: region.to_owned(),
            clients: OnceCell::new(),
        }
    }

    pub fn has_iam(&self) -> bool {
        self.iam_endpoint.is_some()
    }

    async fn clients(&self) -> &Clients {
        self.clients
            .get_or_init(|| async {
                let iam = match &self.iam_endpoint {
                    Some(url) => {
                        let config = loader(url).region(Region::new(IAM_SIGNING_REGION));
                        Some(aws_sdk_iam::Client::new(&config.load().await))
                    }
                    None => None,
                };
                let sts = match &self.sts_endpoint {
                    Some(url) => {
                        let config = loader(url).region(Region::new(self.region.clone()));
                        Some(aws_sdk_sts::Client::new(&config.load().await))
                    }
                    None => None,
                };
                Clients { iam, sts }
            })
            .await
    }

    /// The role of `role_arn`; `None` when IAM has no role of that name and path.
    pub async fn get_role(&self, role_arn: &str) -> Result<Option<Role>, IamStsError> {
        let iam = self
            .clients()
            .await
            .iam
            .as_ref()
            .ok_or(IamStsError::NoIam)?;
        let (account, name) = role_account_and_name(role_arn)
            .ok_or_else(|| IamStsError::NotARoleArn(role_arn.to_owned()))?;
        let result = iam
            .get_role()
            .role_name(name)
            .customize()
            .mutate_request(in_account(account))
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return Ok(None)
            }
            Err(err) => return Err(iam_error("GetRole", role_arn, &err)),
        };
        // A role of that name under another path is another ARN: not this role.
        let Some(role) = output.role.filter(|role| role.arn() == role_arn) else {
            return Ok(None);
        };
        let trust_policy = decode_policy(role.assume_role_policy_document().unwrap_or("{}"));
        let tags = role
            .tags()
            .iter()
            .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
            .collect();
        Ok(Some(Role {
            arn: role.arn().to_owned(),
            trust_policy,
            tags,
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|boundary| boundary.permissions_boundary_arn())
                .map(str::to_owned),
        }))
    }

    /// The documents of the role's permission policies: its inline policies and the default
    /// versions of its attached managed policies.
    pub async fn permission_policies(&self, role_arn: &str) -> Result<Vec<String>, IamStsError> {
        let iam = self
            .clients()
            .await
            .iam
            .as_ref()
            .ok_or(IamStsError::NoIam)?;
        let (account, name) = role_account_and_name(role_arn)
            .ok_or_else(|| IamStsError::NotARoleArn(role_arn.to_owned()))?;
        let mut documents = Vec::new();
        let mut marker = None;
        loop {
            let page = iam
                .list_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .customize()
                .mutate_request(in_account(account))
                .send()
                .await
                .map_err(|err| iam_error("ListRolePolicies", role_arn, &err))?;
            for policy_name in page.policy_names() {
                let policy = iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(policy_name)
                    .customize()
                    .mutate_request(in_account(account))
                    .send()
                    .await
                    .map_err(|err| iam_error("GetRolePolicy", role_arn, &err))?;
                documents.push(decode_policy(policy.policy_document()));
            }
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        loop {
            let page = iam
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker.take())
                .customize()
                .mutate_request(in_account(account))
                .send()
                .await
                .map_err(|err| iam_error("ListAttachedRolePolicies", role_arn, &err))?;
            for policy_arn in page
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
            {
                documents.push(
                    self.managed_policy(iam, account, role_arn, policy_arn)
                        .await?,
                );
            }
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(documents)
    }

    /// The default version's document of a managed policy.
    async fn managed_policy(
        &self,
        iam: &aws_sdk_iam::Client,
        account: &str,
        role_arn: &str,
        policy_arn: &str,
    ) -> Result<String, IamStsError> {
        let policy = iam
            .get_policy()
            .policy_arn(policy_arn)
            .customize()
            .mutate_request(in_account(account))
            .send()
            .await
            .map_err(|err| iam_error("GetPolicy", role_arn, &err))?;
        let version = policy
            .policy()
            .and_then(|policy| policy.default_version_id())
            .unwrap_or("v1");
        let version = iam
            .get_policy_version()
            .policy_arn(policy_arn)
            .version_id(version)
            .customize()
            .mutate_request(in_account(account))
            .send()
            .await
            .map_err(|err| iam_error("GetPolicyVersion", role_arn, &err))?;
        let document = version
            .policy_version()
            .and_then(|version| version.document())
            .unwrap_or("{}");
        Ok(decode_policy(document))
    }

    /// STS AssumeRole.
    pub async fn assume_role(&self, request: AssumeRole<'_>) -> Result<Session, IamStsError> {
        let sts = self
            .clients()
            .await
            .sts
            .as_ref()
            .ok_or(IamStsError::NoSts)?;
        let failed = |code: Option<&str>, message: String| IamStsError::AssumeRole {
            role_arn: request.role_arn.to_owned(),
            code: code.map(str::to_owned),
            message,
        };
        let mut tags = Vec::with_capacity(request.tags.len());
        for (key, value) in request.tags {
            let tag = aws_sdk_sts::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|err| failed(None, format!("session tag {key}: {err}")))?;
            tags.push(tag);
        }
        let transitive: Vec<String> = request.tags.keys().cloned().collect();
        let mut call = sts
            .assume_role()
            .role_arn(request.role_arn)
            .role_session_name(request.session_name)
            .set_external_id(request.external_id.map(str::to_owned))
            .set_policy(request.policy.map(str::to_owned));
        if !tags.is_empty() {
            call = call
                .set_tags(Some(tags))
                .set_transitive_tag_keys(Some(transitive));
        }
        let mut config =
            aws_sdk_sts::config::Builder::default().region(Region::new(request.region.to_owned()));
        if let Some(session) = request.as_session {
            let credentials = aws_credential_types::Credentials::new(
                &session.access_key_id,
                &session.secret_access_key,
                Some(session.session_token.clone()),
                None,
                "eks-emulator-role-chain",
            );
            config = config.credentials_provider(credentials);
        }
        let result = call.customize().config_override(config).send().await;
        let output = result.map_err(|err| {
            let code = err
                .as_service_error()
                .and_then(|e| e.code().map(str::to_owned));
            failed(code.as_deref(), DisplayErrorContext(&err).to_string())
        })?;
        let (Some(credentials), Some(user)) = (output.credentials(), output.assumed_role_user())
        else {
            return Err(failed(
                None,
                "the answer has no credentials or no assumed role user".to_owned(),
            ));
        };
        Ok(Session {
            access_key_id: credentials.access_key_id().to_owned(),
            secret_access_key: credentials.secret_access_key().to_owned(),
            session_token: credentials.session_token().to_owned(),
            expiration: credentials.expiration().secs(),
            assumed_role_arn: user.arn().to_owned(),
            assumed_role_id: user.assumed_role_id().to_owned(),
        })
    }
}

/// Sends a request to moto's IAM of `account`.
fn in_account(account: &str) -> impl Fn(&mut HttpRequest) + Send + Sync + 'static {
    let account = account.to_owned();
    move |request: &mut HttpRequest| {
        request
            .headers_mut()
            .insert(MOTO_ACCOUNT_HEADER, account.clone());
    }
}

fn iam_error<E>(action: &'static str, role_arn: &str, err: &E) -> IamStsError
where
    E: std::error::Error,
{
    IamStsError::Iam {
        action,
        role_arn: role_arn.to_owned(),
        message: DisplayErrorContext(err).to_string(),
    }
}

fn loader(endpoint: &str) -> aws_config::ConfigLoader {
    // The test credentials, which moto accepts (and the harness signs with too).
    let loader = sdk_config_loader(endpoint).credentials_provider(test_credentials());
    match AppName::new(APP_NAME) {
        Ok(app_name) => loader.app_name(app_name),
        Err(_) => loader,
    }
}

/// The account and the role name (the last segment of its path) of a role ARN.
pub fn role_account_and_name(role_arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let [_, _, "iam", "", account, resource] = parts.as_slice() else {
        return None;
    };
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty()).then_some((account, name))
}

/// IAM returns trust policies URL-encoded (a JSON document starts with `{` once decoded).
fn decode_policy(document: &str) -> String {
    if document.trim_start().starts_with('{') {
        document.to_owned()
    } else {
        percent_encoding::percent_decode_str(document)
            .decode_utf8_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account_and_role() {
        assert_eq!(
            role_account_and_name("arn:aws:iam::123456789012:role/path/app"),
            Some(("123456789012", "app"))
        );
        assert_eq!(
            role_account_and_name("arn:aws:iam::123456789012:user/app"),
            None
        );
        assert_eq!(
            role_account_and_name("arn:aws:iam::123456789012:role/"),
            None
        );
    }

    #[test]
    fn trust_policies_are_decoded_once() {
        assert_eq!(decode_policy("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_policy(r#"{"a":"100%"}"#), r#"{"a":"100%"}"#);
    }
}
