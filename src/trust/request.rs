//! The request a trust policy is asked about: who calls, which one action, and what the request
//! context holds — each condition key sent with known values, known not to be sent, or unknown
//! (with the reason).
//!
//! IAM authorizes each action as its own request, so a request carries exactly one action; the
//! EKS Pod Identity helpers return one request per action EKS calls.

use std::collections::BTreeMap;

/// The service principal EKS Pod Identity assumes roles as.
pub const POD_IDENTITY_PRINCIPAL: &str = "pods.eks.amazonaws.com";
/// The action that gets the credentials.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";
/// The action that attaches session tags ("Create IAM role with trust policy required by EKS Pod
/// Identity": EKS Pod Identity uses TagSession to include session tags).
pub const TAG_SESSION: &str = "sts:TagSession";

/// The session tags EKS Pod Identity adds ("List of session tags added by EKS Pod Identity").
pub const POD_IDENTITY_TAG_KEYS: [&str; 6] = [
    "eks-cluster-arn",
    "eks-cluster-name",
    "kubernetes-namespace",
    "kubernetes-service-account",
    "kubernetes-pod-name",
    "kubernetes-pod-uid",
];

const REQUEST_TAG_PREFIX: &str = "aws:RequestTag/";

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// An AWS service principal such as `pods.eks.amazonaws.com`.
    Service(String),
    /// A session of an IAM role: matched by `Principal` `AWS` equal to the role ARN, the account
    /// id, `arn:<partition>:iam::<account>:root`, or `*`.
    Aws {
        /// The role ARN, e.g. `arn:aws:iam::111122223333:role/pods`.
        arn: String,
        /// The 12-digit account id the role belongs to.
        account: String,
    },
}

impl std::fmt::Display for RequestPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestPrincipal::Service(s) => write!(f, "Service {s}"),
            RequestPrincipal::Aws { arn, .. } => write!(f, "AWS {arn}"),
        }
    }
}

/// What the request context holds for one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// Sent, with these values (one for a single-valued key).
    Present(Vec<String>),
    /// Certainly not sent.
    Absent,
    /// Not known before the request is made; the text says why.
    Unknown(String),
}

/// One authorization request: a principal, one action, and its request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    principal: RequestPrincipal,
    action: String,
    /// Lower-cased key → value: condition key names are case-insensitive ("IAM JSON policy
    /// elements: Condition").
    keys: BTreeMap<String, KeyValue>,
    /// For keys not listed: lower-cased prefix → value, first match wins.
    prefixes: Vec<(String, KeyValue)>,
    /// For every other key.
    otherwise: KeyValue,
}

/// What EKS knows about one association, as EKS Pod Identity sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodIdentityRequest<'a> {
    /// The cluster name (`eks-cluster-name`).
    pub cluster_name: &'a str,
    /// The cluster ARN (`eks-cluster-arn`); `None` when only the name is known, which makes
    /// conditions on `eks-cluster-arn` undecided.
    pub cluster_arn: Option<&'a str>,
    /// The Kubernetes namespace (`kubernetes-namespace`).
    pub namespace: &'a str,
    /// The Kubernetes service account (`kubernetes-service-account`).
    pub service_account: &'a str,
    /// `!disable_session_tags`: whether EKS sends session tags (and calls sts:TagSession).
    pub session_tags: bool,
}

impl Request {
    /// A request whose every condition key is unknown; add what is known with
    /// [`Request::with_key`] and [`Request::with_prefix`].
    pub fn new(principal: RequestPrincipal, action: &str) -> Request {
        Request {
            principal,
            action: action.to_string(),
            keys: BTreeMap::new(),
            prefixes: Vec::new(),
            otherwise: KeyValue::Unknown("the request context is not known".into()),
        }
    }

    /// Sets one condition key (compared case-insensitively).
    pub fn with_key(mut self, key: &str, value: KeyValue) -> Request {
        self.keys.insert(key.to_lowercase(), value);
        self
    }

    /// Sets every key that starts with `prefix` (case-insensitively) and is not set by
    /// [`Request::with_key`]; earlier prefixes win.
    pub fn with_prefix(mut self, prefix: &str, value: KeyValue) -> Request {
        self.prefixes.push((prefix.to_lowercase(), value));
        self
    }

    /// Sets every key that no key or prefix rule covers.
    pub fn with_otherwise(mut self, value: KeyValue) -> Request {
        self.otherwise = value;
        self
    }

    /// Who makes the request.
    pub fn principal(&self) -> &RequestPrincipal {
        &self.principal
    }

    /// The one action requested.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// What the request context holds for `key` (case-insensitive).
    pub fn value(&self, key: &str) -> &KeyValue {
        let key = key.to_lowercase();
        if let Some(v) = self.keys.get(&key) {
            return v;
        }
        self.prefixes
            .iter()
            .find(|(prefix, _)| key.starts_with(prefix.as_str()))
            .map_or(&self.otherwise, |(_, v)| v)
    }

    /// The request EKS Pod Identity makes for an association when a pod asks for credentials,
    /// for one action (`sts:AssumeRole` or `sts:TagSession`).
    ///
    /// Sent ("List of session tags added by EKS Pod Identity"): `aws:RequestTag/` for
    /// eks-cluster-arn, eks-cluster-name, kubernetes-namespace and kubernetes-service-account;
    /// kubernetes-pod-name and kubernetes-pod-uid differ per pod, so they are unknown here;
    /// `aws:TagKeys` lists all six keys. With session tags disabled no tag and no `aws:TagKeys`
    /// is sent ("Enable or disable session tags"). AWS does not document `aws:SourceAccount` or
    /// `aws:SourceArn` (or any other key) for this request: they are unknown.
    pub fn pod_identity(action: &str, pod: &PodIdentityRequest<'_>) -> Request {
        let undocumented =
            |key: &str| format!("AWS does not document {key} for the EKS Pod Identity request");
        let mut request = Request::new(
            RequestPrincipal::Service(POD_IDENTITY_PRINCIPAL.into()),
            action,
        )
        .with_key(
            "aws:SourceAccount",
            KeyValue::Unknown(undocumented("aws:SourceAccount")),
        )
        .with_key(
            "aws:SourceArn",
            KeyValue::Unknown(undocumented("aws:SourceArn")),
        )
        .with_otherwise(KeyValue::Unknown(undocumented("this key")));
        if !pod.session_tags {
            return request
                .with_key("aws:TagKeys", KeyValue::Absent)
                .with_prefix(REQUEST_TAG_PREFIX, KeyValue::Absent);
        }
        let present = |v: &str| KeyValue::Present(vec![v.to_string()]);
        let tag = |k: &str| format!("{REQUEST_TAG_PREFIX}{k}");
        let cluster_arn = match pod.cluster_arn {
            Some(arn) => present(arn),
            None => KeyValue::Unknown("only the cluster name is known, not its ARN".into()),
        };
        request = request
            .with_key(&tag("eks-cluster-arn"), cluster_arn)
            .with_key(&tag("eks-cluster-name"), present(pod.cluster_name))
            .with_key(&tag("kubernetes-namespace"), present(pod.namespace))
            .with_key(
                &tag("kubernetes-service-account"),
                present(pod.service_account),
            )
            .with_key(
                &tag("kubernetes-pod-name"),
                KeyValue::Unknown("per pod: EKS sends each pod's own name".into()),
            )
            .with_key(
                &tag("kubernetes-pod-uid"),
                KeyValue::Unknown("per pod: EKS sends each pod's own UID".into()),
            )
            .with_key(
                "aws:TagKeys",
                KeyValue::Present(
                    POD_IDENTITY_TAG_KEYS
                        .iter()
                        .map(|k| k.to_string())
                        .collect(),
                ),
            )
            // EKS sends exactly these six tags: any other request tag is not sent.
            .with_prefix(REQUEST_TAG_PREFIX, KeyValue::Absent);
        request
    }

    /// The request EKS Pod Identity makes with the association's role to assume its
    /// `target_role_arn` (role chaining), for one action.
    ///
    /// The principal is the session of `source_role_arn`; `aws:PrincipalArn` is that role ARN and
    /// `aws:PrincipalAccount` its account ("AWS global condition context keys": for a role
    /// session the role ARN is returned). `sts:ExternalId` is the association's external id when
    /// given, else not sent. With session tags enabled the pod identity tags are transitive
    /// ("Cross-account tags"), but AWS does not document how they appear in the chained request's
    /// context, so `aws:RequestTag/*` and `aws:TagKeys` are unknown; with session tags disabled
    /// none are sent. Every other key is unknown.
    pub fn role_chain(
        action: &str,
        source_role_arn: &str,
        external_id: Option<&str>,
        session_tags: bool,
    ) -> Request {
        let account = source_role_arn
            .split(':')
            .nth(4)
            .filter(|a| crate::validate::is_account_id(a))
            .map(str::to_string);
        let principal = RequestPrincipal::Aws {
            arn: source_role_arn.to_string(),
            account: account.clone().unwrap_or_default(),
        };
        let account_value = match account {
            Some(a) => KeyValue::Present(vec![a]),
            None => KeyValue::Unknown(format!("{source_role_arn} is not an IAM role ARN")),
        };
        let mut request = Request::new(principal, action)
            .with_key(
                "aws:PrincipalArn",
                KeyValue::Present(vec![source_role_arn.to_string()]),
            )
            .with_key("aws:PrincipalAccount", account_value)
            .with_key(
                "sts:ExternalId",
                match external_id {
                    Some(id) => KeyValue::Present(vec![id.to_string()]),
                    None => KeyValue::Absent,
                },
            )
            .with_otherwise(KeyValue::Unknown(
                "AWS does not document this key for the role chaining EKS Pod Identity does".into(),
            ));
        request = if session_tags {
            let why = "transitive session tag of the pod identity session: AWS does not document how it appears in the chained request";
            request
                .with_key("aws:TagKeys", KeyValue::Unknown(why.into()))
                .with_prefix(REQUEST_TAG_PREFIX, KeyValue::Unknown(why.into()))
        } else {
            request
                .with_key("aws:TagKeys", KeyValue::Absent)
                .with_prefix(REQUEST_TAG_PREFIX, KeyValue::Absent)
        };
        request
    }
}

/// The requests EKS Pod Identity makes for an association: `sts:AssumeRole` always and
/// `sts:TagSession` unless session tags are disabled.
pub fn pod_identity_requests(pod: &PodIdentityRequest<'_>) -> Vec<Request> {
    actions(pod.session_tags)
        .iter()
        .map(|action| Request::pod_identity(action, pod))
        .collect()
}

/// The requests EKS Pod Identity makes to assume an association's target role from its role:
/// `sts:AssumeRole` always and `sts:TagSession` unless session tags are disabled.
pub fn role_chain_requests(
    source_role_arn: &str,
    external_id: Option<&str>,
    session_tags: bool,
) -> Vec<Request> {
    actions(session_tags)
        .iter()
        .map(|action| Request::role_chain(action, source_role_arn, external_id, session_tags))
        .collect()
}

/// The actions EKS Pod Identity asks for: `sts:AssumeRole` always, `sts:TagSession` unless
/// session tags are disabled.
pub fn actions(session_tags: bool) -> &'static [&'static str] {
    if session_tags {
        &[ASSUME_ROLE, TAG_SESSION]
    } else {
        &[ASSUME_ROLE]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: PodIdentityRequest<'static> = PodIdentityRequest {
        cluster_name: "shop-green",
        cluster_arn: None,
        namespace: "carts",
        service_account: "carts",
        session_tags: true,
    };

    #[test]
    fn pod_identity_context() {
        let r = Request::pod_identity(ASSUME_ROLE, &POD);
        assert_eq!(
            r.value("AWS:RequestTag/EKS-Cluster-Name"),
            &KeyValue::Present(vec!["shop-green".into()])
        );
        assert!(matches!(
            r.value("aws:RequestTag/eks-cluster-arn"),
            KeyValue::Unknown(_)
        ));
        assert!(matches!(
            r.value("aws:RequestTag/kubernetes-pod-name"),
            KeyValue::Unknown(why) if why.contains("per pod")
        ));
        assert_eq!(r.value("aws:RequestTag/team"), &KeyValue::Absent);
        assert!(matches!(
            r.value("aws:SourceArn"),
            KeyValue::Unknown(why) if why.contains("aws:SourceArn")
        ));
        assert!(matches!(
            r.value("aws:PrincipalTag/x"),
            KeyValue::Unknown(_)
        ));
        let KeyValue::Present(keys) = r.value("aws:tagkeys") else {
            panic!("aws:TagKeys")
        };
        assert_eq!(keys.len(), 6);
    }

    #[test]
    fn disabled_session_tags_send_no_tags_and_one_action() {
        let pod = PodIdentityRequest {
            session_tags: false,
            ..POD
        };
        let requests = pod_identity_requests(&pod);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].action(), ASSUME_ROLE);
        assert_eq!(
            requests[0].value("aws:RequestTag/eks-cluster-name"),
            &KeyValue::Absent
        );
        assert_eq!(requests[0].value("aws:TagKeys"), &KeyValue::Absent);
        assert_eq!(pod_identity_requests(&POD).len(), 2);
    }

    #[test]
    fn role_chain_context() {
        let arn = "arn:aws:iam::111122223333:role/pods";
        let r = Request::role_chain(ASSUME_ROLE, arn, Some("ext-1"), false);
        assert_eq!(
            r.principal(),
            &RequestPrincipal::Aws {
                arn: arn.into(),
                account: "111122223333".into()
            }
        );
        assert_eq!(
            r.value("sts:externalid"),
            &KeyValue::Present(vec!["ext-1".into()])
        );
        assert_eq!(
            r.value("aws:RequestTag/eks-cluster-name"),
            &KeyValue::Absent
        );
        let tagged = role_chain_requests(arn, None, true);
        assert_eq!(tagged.len(), 2);
        assert_eq!(tagged[1].value("sts:ExternalId"), &KeyValue::Absent);
        assert!(matches!(
            tagged[0].value("aws:RequestTag/eks-cluster-name"),
            KeyValue::Unknown(_)
        ));
    }
}
