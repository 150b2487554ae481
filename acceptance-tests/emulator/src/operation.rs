//! The operations the emulator serves, bound to HTTP as the EKS and EKS Auth rest-json models
//! bind them.

use axum::http::Method;

use crate::error::ErrorKind;

/// The operations the emulator serves: name and HTTP binding, in one table. The request log and
/// fault specs name operations exactly as written here.
macro_rules! operations {
    ($($operation:ident: $method:ident $path:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($operation),+
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$operation),+];

            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$operation => stringify!($operation)),+
                }
            }

            pub fn method(self) -> Method {
                match self {
                    $(Operation::$operation => Method::$method),+
                }
            }

            /// The path in axum's syntax; every cluster label is `{name}`.
            pub fn path(self) -> &'static str {
                match self {
                    $(Operation::$operation => $path),+
                }
            }
        }
    };
}

operations! {
    CreateCluster: POST "/clusters";
    ListClusters: GET "/clusters";
    DescribeCluster: GET "/clusters/{name}";
    DeleteCluster: DELETE "/clusters/{name}";
    CreatePodIdentityAssociation: POST "/clusters/{name}/pod-identity-associations";
    ListPodIdentityAssociations: GET "/clusters/{name}/pod-identity-associations";
    DescribePodIdentityAssociation: GET "/clusters/{name}/pod-identity-associations/{associationId}";
    UpdatePodIdentityAssociation: POST "/clusters/{name}/pod-identity-associations/{associationId}";
    DeletePodIdentityAssociation: DELETE "/clusters/{name}/pod-identity-associations/{associationId}";
    CreateAddon: POST "/clusters/{name}/addons";
    ListAddons: GET "/clusters/{name}/addons";
    DescribeAddon: GET "/clusters/{name}/addons/{addonName}";
    DeleteAddon: DELETE "/clusters/{name}/addons/{addonName}";
    UpdateAddon: POST "/clusters/{name}/addons/{addonName}/update";
    DescribeUpdate: GET "/clusters/{name}/updates/{updateId}";
    DescribeAddonVersions: GET "/addons/supported-versions";
    DescribeAddonConfiguration: GET "/addons/configuration-schemas";
    TagResource: POST "/tags/{*resourceArn}";
    UntagResource: DELETE "/tags/{*resourceArn}";
    ListTagsForResource: GET "/tags/{*resourceArn}";
    // EKS Auth (API version 2023-11-26), served on the same endpoint.
    AssumeRoleForPodIdentity: POST "/clusters/{name}/assume-role-for-pod-identity";
}

impl Operation {
    /// The SigV4 signing name of the operation's service (the service in the credential scope):
    /// `eks-auth` for the EKS Auth API, `eks` for the rest.
    pub fn signing_name(self) -> &'static str {
        match self {
            Operation::AssumeRoleForPodIdentity => "eks-auth",
            _ => "eks",
        }
    }

    /// The error type of an internal failure in the operation's service: EKS models
    /// `ServerException`, EKS Auth `InternalServerException`.
    pub fn server_error_kind(self) -> ErrorKind {
        match self {
            Operation::AssumeRoleForPodIdentity => ErrorKind::InternalServer,
            _ => ErrorKind::Server,
        }
    }

    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The operation of a request that matched the route `pattern` (one of [`Self::path`], or
    /// that path with a trailing slash).
    pub fn identify(method: &Method, pattern: &str) -> Option<Operation> {
        let pattern = pattern.strip_suffix('/').unwrap_or(pattern);
        Operation::ALL
            .iter()
            .copied()
            .find(|op| op.method() == method && op.path() == pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_identified_by_route_and_method() {
        let path = "/clusters/{name}/pod-identity-associations/{associationId}";
        assert_eq!(
            Operation::identify(&Method::POST, path),
            Some(Operation::UpdatePodIdentityAssociation)
        );
        assert_eq!(
            Operation::identify(&Method::GET, "/clusters/"),
            Some(Operation::ListClusters)
        );
        assert_eq!(Operation::identify(&Method::PUT, "/clusters/{name}"), None);
        assert_eq!(
            Operation::from_name("TagResource"),
            Some(Operation::TagResource)
        );
        assert_eq!(Operation::from_name("DescribeNothing"), None);
        let update = "/clusters/{name}/addons/{addonName}/update";
        assert_eq!(
            Operation::identify(&Method::POST, update),
            Some(Operation::UpdateAddon)
        );
        let eks_auth = "/clusters/{name}/assume-role-for-pod-identity";
        let operation = Operation::identify(&Method::POST, eks_auth);
        assert_eq!(operation, Some(Operation::AssumeRoleForPodIdentity));
        assert_eq!(operation.map(Operation::signing_name), Some("eks-auth"));
        assert_eq!(Operation::ListClusters.signing_name(), "eks");
    }
}
