//! Maps method + path of an EKS API request to the operation, as the EKS rest-json model binds
//! them. Path labels are percent-decoded here.

use axum::http::Method;
use percent_encoding::percent_decode_str;

/// The EKS operations the emulator implements, with their path labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    CreateCluster,
    ListClusters,
    DescribeCluster {
        cluster: String,
    },
    DeleteCluster {
        cluster: String,
    },
    CreatePodIdentityAssociation {
        cluster: String,
    },
    ListPodIdentityAssociations {
        cluster: String,
    },
    DescribePodIdentityAssociation {
        cluster: String,
        association_id: String,
    },
    UpdatePodIdentityAssociation {
        cluster: String,
        association_id: String,
    },
    DeletePodIdentityAssociation {
        cluster: String,
        association_id: String,
    },
    TagResource {
        arn: String,
    },
    UntagResource {
        arn: String,
    },
    ListTagsForResource {
        arn: String,
    },
}

/// Operation names accepted by the admin fault interface.
pub const OPERATION_NAMES: [&str; 12] = [
    "CreateCluster",
    "ListClusters",
    "DescribeCluster",
    "DeleteCluster",
    "CreatePodIdentityAssociation",
    "ListPodIdentityAssociations",
    "DescribePodIdentityAssociation",
    "UpdatePodIdentityAssociation",
    "DeletePodIdentityAssociation",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::CreateCluster => "CreateCluster",
            Operation::ListClusters => "ListClusters",
            Operation::DescribeCluster { .. } => "DescribeCluster",
            Operation::DeleteCluster { .. } => "DeleteCluster",
            Operation::CreatePodIdentityAssociation { .. } => "CreatePodIdentityAssociation",
            Operation::ListPodIdentityAssociations { .. } => "ListPodIdentityAssociations",
            Operation::DescribePodIdentityAssociation { .. } => "DescribePodIdentityAssociation",
            Operation::UpdatePodIdentityAssociation { .. } => "UpdatePodIdentityAssociation",
            Operation::DeletePodIdentityAssociation { .. } => "DeletePodIdentityAssociation",
            Operation::TagResource { .. } => "TagResource",
            Operation::UntagResource { .. } => "UntagResource",
            Operation::ListTagsForResource { .. } => "ListTagsForResource",
        }
    }

    /// The cluster the request names in its path (for tag operations: in the resource ARN).
    pub fn cluster(&self) -> Option<String> {
        match self {
            Operation::CreateCluster | Operation::ListClusters => None,
            Operation::DescribeCluster { cluster }
            | Operation::DeleteCluster { cluster }
            | Operation::CreatePodIdentityAssociation { cluster }
            | Operation::ListPodIdentityAssociations { cluster }
            | Operation::DescribePodIdentityAssociation { cluster, .. }
            | Operation::UpdatePodIdentityAssociation { cluster, .. }
            | Operation::DeletePodIdentityAssociation { cluster, .. } => Some(cluster.clone()),
            Operation::TagResource { arn }
            | Operation::UntagResource { arn }
            | Operation::ListTagsForResource { arn } => cluster_of_arn(arn),
        }
    }
}

/// `arn:<p>:eks:<region>:<account>:cluster/<name>` or `…:podidentityassociation/<name>/<id>`.
fn cluster_of_arn(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match parts.next()? {
        "cluster" | "podidentityassociation" => parts.next().map(str::to_owned),
        _ => None,
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Resolves a request to an operation; `None` when no EKS operation has this method and path.
pub fn route(method: &Method, raw_path: &str) -> Option<Operation> {
    // Resource ARNs contain '/', which clients may or may not encode: take everything after
    // `/tags/` as the label.
    if let Some(arn) = raw_path.strip_prefix("/tags/").filter(|a| !a.is_empty()) {
        let arn = decode(arn);
        return match *method {
            Method::POST => Some(Operation::TagResource { arn }),
            Method::DELETE => Some(Operation::UntagResource { arn }),
            Method::GET => Some(Operation::ListTagsForResource { arn }),
            _ => None,
        };
    }

    let trimmed = raw_path.strip_suffix('/').unwrap_or(raw_path);
    let segments: Vec<String> = trimmed.strip_prefix('/')?.split('/').map(decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let owned = |s: &str| s.to_owned();
    match (method, segments.as_slice()) {
        (&Method::POST, ["clusters"]) => Some(Operation::CreateCluster),
        (&Method::GET, ["clusters"]) => Some(Operation::ListClusters),
        (&Method::GET, ["clusters", c]) if !c.is_empty() => {
            Some(Operation::DescribeCluster { cluster: owned(c) })
        }
        (&Method::DELETE, ["clusters", c]) if !c.is_empty() => {
            Some(Operation::DeleteCluster { cluster: owned(c) })
        }
        (&Method::POST, ["clusters", c, "pod-identity-associations"]) if !c.is_empty() => {
            Some(Operation::CreatePodIdentityAssociation { cluster: owned(c) })
        }
        (&Method::GET, ["clusters", c, "pod-identity-associations"]) if !c.is_empty() => {
            Some(Operation::ListPodIdentityAssociations { cluster: owned(c) })
        }
        (m, ["clusters", c, "pod-identity-associations", id])
            if !c.is_empty() && !id.is_empty() =>
        {
            let (cluster, association_id) = (owned(c), owned(id));
            match *m {
                Method::GET => Some(Operation::DescribePodIdentityAssociation {
                    cluster,
                    association_id,
                }),
                Method::POST => Some(Operation::UpdatePodIdentityAssociation {
                    cluster,
                    association_id,
                }),
                Method::DELETE => Some(Operation::DeletePodIdentityAssociation {
                    cluster,
                    association_id,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Parses a query string into decoded pairs, keeping repeated keys (`tagKeys=a&tagKeys=b`).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let unplus = |s: &str| decode(&s.replace('+', " "));
            (unplus(key), unplus(value))
        })
        .collect()
}

/// The first value of a query parameter.
pub fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_association_paths() {
        assert_eq!(
            route(&Method::POST, "/clusters/c1/pod-identity-associations/a-1"),
            Some(Operation::UpdatePodIdentityAssociation {
                cluster: "c1".into(),
                association_id: "a-1".into()
            })
        );
        assert_eq!(route(&Method::PUT, "/clusters/c1"), None);
        assert_eq!(route(&Method::GET, "/nodegroups"), None);
    }

    #[test]
    fn decodes_tag_arns() {
        let op = route(
            &Method::GET,
            "/tags/arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Apodidentityassociation%2Fc1%2Fa-1",
        )
        .expect("routed");
        assert_eq!(op.cluster().as_deref(), Some("c1"));
        assert_eq!(
            op,
            Operation::ListTagsForResource {
                arn: "arn:aws:eks:eu-west-1:123456789012:podidentityassociation/c1/a-1".into()
            }
        );
    }

    #[test]
    fn keeps_repeated_query_keys() {
        let q = parse_query("tagKeys=a&tagKeys=b%20c&x");
        assert_eq!(q.len(), 3);
        assert_eq!(q[1], ("tagKeys".into(), "b c".into()));
        assert_eq!(query_value(&q, "x"), Some(""));
    }
}
