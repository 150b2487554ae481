//! EKS Pod Identity from the pod's side: service-account tokens minted by the emulator, the EKS
//! Auth API that exchanges them for credentials (as the Pod Identity Agent does), and the
//! sessions the emulator issued.

use eks_emulator::client::sdk_config;
use serde_json::Value;

use super::{admin, Sdk, Stack};

/// An `aws-sdk-eksauth` client for the stack's emulator, signed with the test credentials (the
/// Pod Identity Agent signs with the node's role).
pub async fn eks_auth_client(stack: &Stack) -> aws_sdk_eksauth::Client {
    aws_sdk_eksauth::Client::new(&sdk_config(stack.eks.url()).await)
}

impl Stack {
    /// The service-account token of a pod of `namespace/service_account` in `cluster`, for
    /// AssumeRoleForPodIdentity (pod name and uid generated).
    pub fn mint_token(&self, cluster: &str, namespace: &str, service_account: &str) -> String {
        admin(
            self.eks_admin
                .mint_token(cluster, namespace, service_account),
        )
    }

    /// Every set of credentials AssumeRoleForPodIdentity issued, in order: `cluster`,
    /// `namespace`, `serviceAccount`, `podName`, `associationId`, `roleArn`, `targetRoleArn`,
    /// `assumedRoleArn`, `accessKeyId`, `sessionTags`.
    pub fn pod_identity_sessions(&self) -> Vec<Value> {
        admin(self.eks_admin.pod_identity_sessions())
    }

    /// The EKS Auth API (the emulator) through the AWS SDK, as the Pod Identity Agent calls it:
    /// `stack.eks_auth().try_run(client.assume_role_for_pod_identity().cluster_name(c).token(t).send())`.
    pub fn eks_auth(&self) -> Sdk<aws_sdk_eksauth::Client> {
        Sdk::new(eks_auth_client(self))
    }
}

/// What a pod got from AssumeRoleForPodIdentity: the session the emulator recorded.
#[derive(Debug, Clone)]
pub struct PodSession {
    /// The assumed role session's ARN (`arn:aws:sts::…:assumed-role/<role>/<session>`).
    pub assumed_role_arn: String,
    /// The session tags EKS attached, `key=value`, sorted.
    pub session_tags: Vec<String>,
}

impl Stack {
    /// Ask for credentials as a pod of `namespace/service_account` in `cluster` does (token
    /// minted by the emulator, AssumeRoleForPodIdentity through `aws-sdk-eksauth`): the session,
    /// or `"<error type>: <message>"` when EKS Auth refuses.
    pub fn pod_credentials(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
    ) -> Result<PodSession, String> {
        let token = self.mint_token(cluster, namespace, service_account);
        let eks_auth = self.eks_auth();
        let answer = eks_auth.try_run(
            eks_auth
                .client
                .assume_role_for_pod_identity()
                .cluster_name(cluster)
                .token(token)
                .send(),
        );
        let out = answer.map_err(|err| {
            use aws_sdk_eksauth::error::ProvideErrorMetadata;
            format!(
                "{}: {}",
                err.code().unwrap_or("no error type"),
                err.message().unwrap_or_default()
            )
        })?;
        let assumed_role_arn = out
            .assumed_role_user()
            .map(|user| user.arn().to_string())
            .unwrap_or_default();
        let session = self
            .pod_identity_sessions()
            .into_iter()
            .rev()
            .find(|s| s["assumedRoleArn"].as_str() == Some(assumed_role_arn.as_str()))
            .unwrap_or_default();
        let mut session_tags: Vec<String> = session["sessionTags"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        session_tags.sort();
        Ok(PodSession {
            assumed_role_arn,
            session_tags,
        })
    }
}
