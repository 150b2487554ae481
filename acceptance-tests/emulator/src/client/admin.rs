//! The emulator's admin interface under `/_emulator/`.

use serde_json::{json, Value};

use super::ClientError;
use crate::admin::REGION_HEADER;
use crate::http::{self, HttpResponse};

/// Typed calls to one emulator's admin interface. Each fails unless the emulator answers with a
/// success status. Calls about clusters, associations, add-ons, add-on faults, tokens and
/// sessions work on the world of the emulator's configured region, or of the region
/// [`Admin::in_region`] names.
#[derive(Debug, Clone)]
pub struct Admin {
    base_url: String,
    agent: ureq::Agent,
    /// Sent as `x-emulator-region` on every call.
    region: Option<String>,
}

impl Admin {
    /// For the emulator at `base_url` (`http://127.0.0.1:PORT`).
    pub fn new(base_url: &str) -> Admin {
        Admin {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent: http::agent(),
            region: None,
        }
    }

    /// A copy whose every call names `region` in the `x-emulator-region` header, so that it
    /// works on that region's world. The emulator refuses a name that is not an AWS Region
    /// with 400.
    pub fn in_region(&self, region: &str) -> Admin {
        Admin {
            region: Some(region.to_owned()),
            ..self.clone()
        }
    }

    /// Creates cluster `name`; the bare cluster object.
    pub fn create_cluster(&self, name: &str) -> Result<Value, ClientError> {
        self.expect_success(
            "POST",
            "/_emulator/clusters",
            Some(&json!({ "name": name })),
        )
    }

    /// Creates a cluster from a whole admin request: what CreateCluster takes (`name`,
    /// `version`, `tags`, `computeConfig`, `storageConfig`, `kubernetesNetworkConfig`, ...)
    /// and `"autoMode": true`; the bare cluster object.
    pub fn create_cluster_with(&self, request: &Value) -> Result<Value, ClientError> {
        self.expect_success("POST", "/_emulator/clusters", Some(request))
    }

    /// Creates an EKS Auto Mode cluster `name` (compute, block storage and load balancing on,
    /// both node pools); the bare cluster object.
    pub fn create_auto_mode_cluster(&self, name: &str) -> Result<Value, ClientError> {
        self.create_cluster_with(&json!({ "name": name, "autoMode": true }))
    }

    /// Every add-on of a cluster in full, as DescribeAddon returns them.
    pub fn addons(&self, cluster: &str) -> Result<Vec<Value>, ClientError> {
        let path = format!("/_emulator/clusters/{cluster}/addons");
        let body = self.expect_success("GET", &path, None)?;
        Ok(array(&body, "addons"))
    }

    /// Sets an add-on's `status` (`ACTIVE`, `DEGRADED`, `CREATE_FAILED`, `UPDATE_FAILED`,
    /// `DELETE_FAILED`) and `health.issues` now (`None`: the issue EKS reports for that status;
    /// none for `ACTIVE`); the bare add-on.
    pub fn set_addon_health(
        &self,
        cluster: &str,
        addon: &str,
        status: &str,
        issues: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let path = format!("/_emulator/clusters/{cluster}/addons/{addon}/health");
        let mut body = json!({ "status": status });
        if let Some(issues) = issues {
            body["issues"] = issues.clone();
        }
        self.expect_success("POST", &path, Some(&body))
    }

    /// Registers an add-on fault: how the next create or update ends, e.g.
    /// `json!({"status": "CREATE_FAILED", "addonName": "eks-pod-identity-agent"})`.
    pub fn add_addon_fault(&self, fault: &Value) -> Result<(), ClientError> {
        self.expect_success("POST", "/_emulator/addon-faults", Some(fault))
            .map(drop)
    }

    pub fn clear_addon_faults(&self) -> Result<(), ClientError> {
        self.expect_success("DELETE", "/_emulator/addon-faults", None)
            .map(drop)
    }

    /// How long clusters and add-ons stay in their transitional states:
    /// `{"addonCreatingMs", "addonUpdatingMs", "addonDeletingMs", "clusterCreatingMs",
    /// "clusterDeletingMs"}`.
    pub fn delays(&self) -> Result<Value, ClientError> {
        self.expect_success("GET", "/_emulator/delays", None)
    }

    /// Changes some delays (the fields of [`Self::delays`], or `addonMs` / `clusterMs` for all
    /// of a kind), e.g. `json!({"addonMs": 300})`; the delays now in force.
    pub fn set_delays(&self, delays: &Value) -> Result<Value, ClientError> {
        self.expect_success("POST", "/_emulator/delays", Some(delays))
    }

    /// Deletes cluster `name` at once, with its associations and add-ons.
    pub fn delete_cluster(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/_emulator/clusters/{name}");
        self.expect_success("DELETE", &path, None).map(drop)
    }

    /// Every association of a cluster in full, as DescribePodIdentityAssociation returns them.
    pub fn associations(&self, cluster: &str) -> Result<Vec<Value>, ClientError> {
        let path = format!("/_emulator/clusters/{cluster}/associations");
        let body = self.expect_success("GET", &path, None)?;
        Ok(array(&body, "associations"))
    }

    /// An association owned by the EKS add-on `addon` (ownerArn set); the bare association.
    pub fn create_addon_association(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
        role_arn: &str,
        addon: &str,
    ) -> Result<Value, ClientError> {
        let path = format!("/_emulator/clusters/{cluster}/addon-associations");
        let body = json!({
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArn": role_arn,
            "addonName": addon,
        });
        self.expect_success("POST", &path, Some(&body))
    }

    /// The token of a pod of `namespace/service_account` in `cluster`, for
    /// AssumeRoleForPodIdentity (pod name and uid generated, valid for a day).
    pub fn mint_token(
        &self,
        cluster: &str,
        namespace: &str,
        service_account: &str,
    ) -> Result<String, ClientError> {
        let request = json!({
            "cluster": cluster,
            "namespace": namespace,
            "serviceAccount": service_account,
        });
        let minted = self.mint_token_with(&request)?;
        match minted["token"].as_str() {
            Some(token) => Ok(token.to_owned()),
            None => Err(ClientError::Status {
                method: "POST".to_owned(),
                path: "/_emulator/service-account-tokens".to_owned(),
                status: 200,
                body: format!("no token in the answer: {minted}"),
            }),
        }
    }

    /// A token minted from a full request (`cluster`, `namespace`, `serviceAccount`, and
    /// optionally `podName`, `podUid`, `expiresInSeconds`); the whole answer, `token` included.
    pub fn mint_token_with(&self, request: &Value) -> Result<Value, ClientError> {
        self.expect_success("POST", "/_emulator/service-account-tokens", Some(request))
    }

    /// Every set of credentials AssumeRoleForPodIdentity issued, in order: `cluster`,
    /// `namespace`, `serviceAccount`, `podName`, `associationId`, `roleArn`, `targetRoleArn`,
    /// `assumedRoleArn`, `accessKeyId`, `sessionTags`.
    pub fn pod_identity_sessions(&self) -> Result<Vec<Value>, ClientError> {
        let body = self.expect_success("GET", "/_emulator/pod-identity-sessions", None)?;
        Ok(array(&body, "sessions"))
    }

    /// Every EKS API request received since the start or the last clear, in arrival order.
    pub fn requests(&self) -> Result<Vec<Value>, ClientError> {
        let body = self.expect_success("GET", "/_emulator/requests", None)?;
        Ok(array(&body, "requests"))
    }

    pub fn clear_requests(&self) -> Result<(), ClientError> {
        self.expect_success("DELETE", "/_emulator/requests", None)
            .map(drop)
    }

    /// Registers a fault, e.g. `json!({"kind": "throttle", "count": 2})`.
    pub fn add_fault(&self, fault: &Value) -> Result<(), ClientError> {
        self.expect_success("POST", "/_emulator/faults", Some(fault))
            .map(drop)
    }

    pub fn clear_faults(&self) -> Result<(), ClientError> {
        self.expect_success("DELETE", "/_emulator/faults", None)
            .map(drop)
    }

    /// Back to the emulator as it was started.
    pub fn reset(&self) -> Result<(), ClientError> {
        self.expect_success("POST", "/_emulator/reset", None)
            .map(drop)
    }

    /// Accepts signatures made with these credentials from now on (replacing any for the same
    /// access key id). With a session token, requests must send it in `x-amz-security-token`.
    pub fn add_credentials(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut body = json!({
            "accessKeyId": access_key_id,
            "secretAccessKey": secret_access_key,
        });
        if let Some(token) = session_token {
            body["sessionToken"] = json!(token);
        }
        self.expect_success("POST", "/_emulator/credentials", Some(&body))
            .map(drop)
    }

    /// Any admin call: the status and the JSON body (null when empty), whatever the status.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ClientError> {
        let response = self.send(method, path, body)?;
        let json = parse_json(method, path, &response)?;
        Ok((response.status, json))
    }

    fn expect_success(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let response = self.send(method, path, body)?;
        if !(200..300).contains(&response.status) {
            return Err(ClientError::Status {
                method: method.to_owned(),
                path: path.to_owned(),
                status: response.status,
                body: response.body,
            });
        }
        parse_json(method, path, &response)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<HttpResponse, ClientError> {
        let url = format!("{}{path}", self.base_url);
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(region) = &self.region {
            headers.push((REGION_HEADER.to_owned(), region.clone()));
        }
        http::send(&self.agent, method, &url, &headers, body.as_bytes()).map_err(|source| {
            ClientError::Http {
                method: method.to_owned(),
                url,
                source: Box::new(source),
            }
        })
    }
}

fn parse_json(method: &str, path: &str, response: &HttpResponse) -> Result<Value, ClientError> {
    response.json().map_err(|source| ClientError::NotJson {
        method: method.to_owned(),
        path: path.to_owned(),
        body: response.body.clone(),
        source,
    })
}

fn array(body: &Value, key: &str) -> Vec<Value> {
    body[key].as_array().cloned().unwrap_or_default()
}
