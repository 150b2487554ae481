//! Input checks shared by the operations. Each returns the error the real API would return for
//! the operation family that calls it.

use std::collections::BTreeMap;

use crate::error::{ApiError, ErrorKind};

pub const MAX_TAGS: usize = 50;
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;

/// The parts of an IAM role ARN the emulator cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub account_id: String,
}

/// Checks `arn:<partition>:iam::<12 digits>:role/<path/><name>`.
pub fn parse_role_arn(member: &str, value: &str) -> Result<RoleArn, ApiError> {
    let invalid = || {
        ApiError::invalid_parameter(format!(
            "{member} {value:?} is not a valid IAM role ARN (expected arn:<partition>:iam::<account-id>:role/<name>)."
        ))
    };
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account_id, resource] = parts.as_slice() else {
        return Err(invalid());
    };
    let partition_ok = !partition.is_empty()
        && partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-');
    let account_ok = account_id.len() == 12 && account_id.chars().all(|c| c.is_ascii_digit());
    let role_ok = resource.strip_prefix("role/").is_some_and(|path_and_name| {
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        !name.is_empty()
            && path_and_name.len() <= 512 + 64
            && path_and_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    });
    if *arn != "arn"
        || !partition_ok
        || *service != "iam"
        || !region.is_empty()
        || !account_ok
        || !role_ok
    {
        return Err(invalid());
    }
    Ok(RoleArn {
        account_id: (*account_id).to_owned(),
    })
}

/// Checks a session policy document: it must be a JSON object.
pub fn check_policy(policy: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<serde_json::Value>(policy) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(ApiError::invalid_parameter(
            "policy must be a JSON policy document (a JSON object).",
        )),
        Err(err) => Err(ApiError::invalid_parameter(format!(
            "policy is not valid JSON: {err}."
        ))),
    }
}

/// Checks tags as they would stand on the resource after the request. `kind` is the error type of
/// the calling operation (InvalidParameterException for Create*, BadRequestException for TagResource).
pub fn check_tags(tags: &BTreeMap<String, String>, kind: ErrorKind) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::new(
            kind,
            format!(
                "A resource can have at most {MAX_TAGS} tags; the request would leave {}.",
                tags.len()
            ),
        ));
    }
    for (key, value) in tags {
        let key_chars = key.chars().count();
        if key_chars == 0 || key_chars > MAX_TAG_KEY_CHARS {
            return Err(ApiError::new(
                kind,
                format!("Tag key {key:?} must be 1 to {MAX_TAG_KEY_CHARS} characters long."),
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::new(
                kind,
                format!("Tag key {key:?} uses the reserved prefix 'aws:'."),
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(ApiError::new(
                kind,
                format!("The value of tag {key:?} must be at most {MAX_TAG_VALUE_CHARS} characters long."),
            ));
        }
    }
    Ok(())
}

/// Cluster names: 1–100 characters, `^[0-9A-Za-z][A-Za-z0-9\-_]*$`.
pub fn check_cluster_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !first_ok || !rest_ok || name.len() > 100 {
        return Err(ApiError::invalid_parameter(format!(
            "Cluster name {name:?} must be 1 to 100 characters, start with a letter or digit and contain only letters, digits, '-' and '_'."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let ok = parse_role_arn("roleArn", "arn:aws:iam::123456789012:role/path/to/my-role")
            .expect("valid");
        assert_eq!(ok.account_id, "123456789012");
        assert!(parse_role_arn("roleArn", "arn:aws-cn:iam::123456789012:role/r").is_ok());
        for bad in [
            "",
            "role/x",
            "arn:aws:iam::12345678901:role/r",
            "arn:aws:iam::123456789012:user/r",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam:eu-west-1:123456789012:role/r",
            "arn:aws:s3::123456789012:role/r",
            "arn:aws:iam::123456789012:role/bad name",
        ] {
            assert!(parse_role_arn("roleArn", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tags() {
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        assert!(check_tags(&tags(&[("a", "")]), ErrorKind::BadRequest).is_ok());
        assert!(check_tags(&tags(&[("", "x")]), ErrorKind::BadRequest).is_err());
        assert!(check_tags(&tags(&[("AWS:x", "x")]), ErrorKind::BadRequest).is_err());
        let long_value = "v".repeat(257);
        assert!(check_tags(&tags(&[("k", &long_value)]), ErrorKind::BadRequest).is_err());
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(check_tags(&many, ErrorKind::BadRequest).is_err());
    }
}
