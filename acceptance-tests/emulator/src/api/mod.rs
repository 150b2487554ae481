//! The EKS API endpoint (and the EKS Auth API's one operation): one axum route per
//! [`Operation`], behind three layers: the request log (outermost), the SigV4 check and injected
//! faults.
//! Requests no operation matches answer `UnknownOperationException`, after the signature check.

mod addons;
mod associations;
mod clusters;
mod extract;
mod middleware;
mod tags;

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::error::{ApiError, ErrorKind};
use crate::operation::Operation;
use crate::state::Emulator;

pub use extract::{parse_body, parse_query};
pub(crate) use extract::{JsonBody, Label};

/// The handler of each operation.
fn handler(operation: Operation) -> MethodRouter<Arc<Emulator>> {
    let filter = match operation.method() {
        Method::POST => MethodFilter::POST,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    };
    match operation {
        Operation::CreateCluster => on(filter, clusters::create),
        Operation::ListClusters => on(filter, clusters::list),
        Operation::DescribeCluster => on(filter, clusters::describe),
        Operation::DeleteCluster => on(filter, clusters::delete),
        Operation::CreatePodIdentityAssociation => on(filter, associations::create),
        Operation::ListPodIdentityAssociations => on(filter, associations::list),
        Operation::DescribePodIdentityAssociation => on(filter, associations::describe),
        Operation::UpdatePodIdentityAssociation => on(filter, associations::update),
        Operation::DeletePodIdentityAssociation => on(filter, associations::delete),
        Operation::CreateAddon => on(filter, addons::create),
        Operation::ListAddons => on(filter, addons::list),
        Operation::DescribeAddon => on(filter, addons::describe),
        Operation::DeleteAddon => on(filter, addons::delete),
        Operation::UpdateAddon => on(filter, addons::update),
        Operation::DescribeUpdate => on(filter, addons::describe_update),
        Operation::DescribeAddonVersions => on(filter, addons::describe_versions),
        Operation::DescribeAddonConfiguration => on(filter, addons::describe_configuration),
        Operation::TagResource => on(filter, tags::tag),
        Operation::UntagResource => on(filter, tags::untag),
        Operation::ListTagsForResource => on(filter, tags::list),
        Operation::AssumeRoleForPodIdentity => {
            on(filter, crate::eks_auth::assume_role_for_pod_identity)
        }
    }
}

/// The EKS API routes with their layers; admin routes are added by the caller and stay outside
/// the layers.
pub fn router(emulator: Arc<Emulator>) -> Router<Arc<Emulator>> {
    let mut router = Router::new();
    for operation in Operation::ALL {
        let path = operation.path();
        // A trailing slash names the same operation (a catch-all label takes it in anyway).
        let mut paths = vec![path.to_owned()];
        if !path.contains("{*") {
            paths.push(format!("{path}/"));
        }
        for path in &paths {
            let mut route = handler(*operation);
            if operation.method() == Method::GET {
                // axum answers HEAD with the GET handler; EKS has no HEAD operations.
                route = route.on(MethodFilter::HEAD, unknown_operation);
            }
            router = router.route(path, route);
        }
    }
    router
        .method_not_allowed_fallback(unknown_operation)
        .fallback(unknown_operation)
        .layer(axum::middleware::from_fn_with_state(
            emulator.clone(),
            middleware::inject_faults,
        ))
        .layer(axum::middleware::from_fn_with_state(
            emulator.clone(),
            middleware::check_signature,
        ))
        .layer(axum::middleware::from_fn_with_state(
            emulator,
            middleware::log_request,
        ))
}

async fn unknown_operation(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorKind::UnknownOperation,
        format!("No EKS operation matches {method} {}.", uri.path()),
    )
}

/// `arn:<p>:eks:<region>:<account>:cluster/<name>`, `…:podidentityassociation/<name>/<id>` or
/// `…:addon/<name>/<addon>/<uuid>`.
fn cluster_of_arn(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match parts.next()? {
        "cluster" | "podidentityassociation" | "addon" => parts.next().map(str::to_owned),
        _ => None,
    }
}

/// The EKS error shapes carry `clusterName`; fill it in for errors about the cluster in the path.
fn in_cluster<T>(cluster: &str, result: Result<T, ApiError>) -> Result<T, ApiError> {
    result.map_err(|mut error| {
        let carries_cluster = !matches!(
            error.kind,
            ErrorKind::NotFound | ErrorKind::BadRequest | ErrorKind::Serialization
        );
        if carries_cluster && error.cluster_name.is_none() {
            error.cluster_name = Some(cluster.to_owned());
        }
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_arns_name_their_cluster() {
        let arn = "arn:aws:eks:eu-west-1:123456789012:podidentityassociation/c1/a-1";
        assert_eq!(cluster_of_arn(arn).as_deref(), Some("c1"));
        assert_eq!(cluster_of_arn("arn:aws:s3:::bucket"), None);
        let addon = "arn:aws:eks:eu-west-1:123456789012:addon/c2/vpc-cni/9ec6cfbd-8c9f-7ff4-fd26-640dda75bcea";
        assert_eq!(cluster_of_arn(addon).as_deref(), Some("c2"));
    }
}
