//! What an emulator instance is started with.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// The access key the emulator accepts by default, and the one the test harness signs with.
pub const ACCESS_KEY_ID: &str = "AKIAPODIDENTITYTEST1";
/// Its secret; distinctive so tests can prove it never reaches a log.
pub const SECRET_ACCESS_KEY: &str = "podidentity-test-secret-must-never-be-logged";
/// The emulator's default region, and the region of [`crate::client::sdk_config`].
pub const REGION: &str = "eu-west-1";

/// The account the emulated EKS endpoint lives in, its default region, and who may call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    pub account_id: String,
    /// The region admin calls work on unless their `x-emulator-region` header names another;
    /// EKS API requests work on the region they are signed for.
    pub region: String,
    /// Credentials requests may be signed with.
    pub credentials: Vec<Credentials>,
    /// An STS endpoint (moto's URL) whose temporary credentials are accepted too, and which
    /// issues the credentials of AssumeRoleForPodIdentity.
    pub sts_endpoint: Option<String>,
    /// The IAM endpoint (moto's URL) whose roles Create/UpdatePodIdentityAssociation check and
    /// whose trust policies AssumeRoleForPodIdentity evaluates. Without it the role check is
    /// skipped and AssumeRoleForPodIdentity answers that the emulator has no IAM.
    pub iam_endpoint: Option<String>,
    /// How long clusters and add-ons stay in their transitional states.
    pub delays: Delays,
}

/// How long an emulated cluster or add-on stays in a transitional state before it settles, as
/// the real ones take minutes. Zero: a cluster is created `ACTIVE` and deleted at once; an
/// add-on is answered `CREATING`/`UPDATING`/`DELETING` by the call that starts the change and
/// has settled by the next request. Changed at runtime with `POST /_emulator/delays`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delays {
    /// CreateAddon: `CREATING` until `ACTIVE` (or the outcome of an add-on fault).
    pub addon_creating: Duration,
    /// UpdateAddon: `UPDATING` (update `InProgress`) until `ACTIVE` (update `Successful`).
    pub addon_updating: Duration,
    /// DeleteAddon: `DELETING` until gone.
    pub addon_deleting: Duration,
    /// CreateCluster: `CREATING` until `ACTIVE`.
    pub cluster_creating: Duration,
    /// DeleteCluster: `DELETING` until gone.
    pub cluster_deleting: Duration,
}

impl Delays {
    /// The same delay for the three add-on transitions.
    pub fn set_addons(&mut self, delay: Duration) {
        self.addon_creating = delay;
        self.addon_updating = delay;
        self.addon_deleting = delay;
    }

    /// The same delay for both cluster transitions.
    pub fn set_clusters(&mut self, delay: Duration) {
        self.cluster_creating = delay;
        self.cluster_deleting = delay;
    }
}

impl Default for EmulatorConfig {
    /// Account 123456789012 in eu-west-1, accepting the test credentials.
    fn default() -> Self {
        EmulatorConfig {
            account_id: "123456789012".to_owned(),
            region: REGION.to_owned(),
            credentials: vec![Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None)],
            sts_endpoint: None,
            iam_endpoint: None,
            delays: Delays::default(),
        }
    }
}

/// An access key the emulator accepts signatures from. Temporary credentials carry their
/// session token, which requests must then send in `x-amz-security-token`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(access_key_id: &str, secret_access_key: &str, session_token: Option<&str>) -> Self {
        Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: session_token.map(str::to_owned),
        }
    }
}

/// Never prints the secret or the token.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}
