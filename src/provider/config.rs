//! The provider block as Terraform sends it, checked and turned into the
//! [`ProviderSettings`] the AWS clients are built from.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tf_provider::value::{serde_as_vec, Value};
use tf_provider::AttributePath;

use crate::aws::settings::{
    check_region, AssumeRoleSettings, ProviderSettings, RetryMode, StaticCredentials, TrustCheck,
    WebIdentitySettings, DEFAULT_MAX_RETRIES,
};
use crate::error::Error;
use crate::validate::{attr, iam_role_arn, is_account_id, Problems};

/// The provider block as Terraform sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub region: Value<String>,
    pub skip_region_validation: Value<bool>,
    pub access_key: Value<String>,
    pub secret_key: Value<String>,
    pub token: Value<String>,
    pub profile: Value<String>,
    pub shared_config_files: Value<Vec<Value<String>>>,
    pub shared_credentials_files: Value<Vec<Value<String>>>,
    pub custom_ca_bundle: Value<String>,
    pub http_proxy: Value<String>,
    pub https_proxy: Value<String>,
    pub no_proxy: Value<String>,
    pub max_retries: Value<i64>,
    pub retry_mode: Value<String>,
    pub skip_credentials_validation: Value<bool>,
    pub allowed_account_ids: Value<BTreeSet<Value<String>>>,
    pub forbidden_account_ids: Value<BTreeSet<Value<String>>>,
    pub trust_check: Value<String>,
    #[serde(default, with = "serde_as_vec")]
    pub assume_role: Value<AssumeRoleConfig>,
    #[serde(default, with = "serde_as_vec")]
    pub assume_role_with_web_identity: Value<AssumeRoleWithWebIdentityConfig>,
    #[serde(default, with = "serde_as_vec")]
    pub endpoints: Value<EndpointsConfig>,
    #[serde(default, with = "serde_as_vec")]
    pub default_tags: Value<DefaultTagsConfig>,
    #[serde(default, with = "serde_as_vec")]
    pub ignore_tags: Value<IgnoreTagsConfig>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreTagsConfig {
    pub keys: Value<BTreeSet<Value<String>>>,
    pub key_prefixes: Value<BTreeSet<Value<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleConfig {
    pub role_arn: Value<String>,
    pub session_name: Value<String>,
    pub external_id: Value<String>,
    pub duration: Value<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleWithWebIdentityConfig {
    pub role_arn: Value<String>,
    pub session_name: Value<String>,
    pub web_identity_token_file: Value<String>,
    pub duration: Value<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsConfig {
    pub eks: Value<String>,
    pub iam: Value<String>,
    pub sts: Value<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultTagsConfig {
    pub tags: Value<BTreeMap<String, Value<String>>>,
}

/// How a configuration value is to be read: at `validate`, unknown values are skipped (they are
/// checked again at configure); at `configure`, an unknown value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Validate,
    Configure,
}

fn known<T: Clone>(
    problems: &mut Problems,
    phase: Phase,
    path: AttributePath,
    value: &Value<T>,
) -> Option<T> {
    match value {
        Value::Value(v) => Some(v.clone()),
        Value::Null => None,
        Value::Unknown => {
            if phase == Phase::Configure {
                problems.push(Error::ProviderConfig {
                    path: Some(path),
                    summary: "Provider configuration depends on a value not known yet".into(),
                    detail: "The podidentity provider needs its configuration at plan time. Use \
                             values known before apply (variables, locals, data sources)."
                        .into(),
                });
            }
            None
        }
    }
}

fn known_strings(
    problems: &mut Problems,
    phase: Phase,
    path: AttributePath,
    values: impl IntoIterator<Item = Value<String>>,
) -> Vec<String> {
    values
        .into_iter()
        .filter_map(|v| known(problems, phase, path.clone(), &v))
        .collect()
}

/// Parse a Go-style duration such as `1h`, `15m`, `1h30m` or `900s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{s:?} is not a duration: use a number with a unit, such as \"15m\", \"1h\" or \"1h30m\" (units h, m, s).")
    };
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total += match c {
            'h' => n * 3600,
            'm' => n * 60,
            's' => n,
            _ => return Err(bad()),
        };
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

fn endpoint_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !host.contains(' ') => Ok(()),
        _ => Err(format!(
            "{s:?} is not an endpoint URL: use http:// or https:// followed by a host, for example \"https://eks.eu-west-1.amazonaws.com\" or \"http://127.0.0.1:4566\"."
        )),
    }
}

impl ProviderConfig {
    /// `access_key`, `secret_key` and `token`: the first two together or neither.
    fn static_credentials(&self, p: &mut Problems, phase: Phase, s: &mut ProviderSettings) {
        let access_key = known(p, phase, attr("access_key"), &self.access_key);
        let secret_key = known(p, phase, attr("secret_key"), &self.secret_key);
        let token = known(p, phase, attr("token"), &self.token);
        let pending = |v: &Value<String>| v.is_unknown();
        match (access_key, secret_key) {
            (Some(access_key), Some(secret_key)) => {
                for (name, value) in [("access_key", &access_key), ("secret_key", &secret_key)] {
                    if value.is_empty() {
                        p.check(
                            attr(name),
                            name,
                            Err(format!("{name} is empty: set it, or leave it out to use the environment, shared files or profiles.")),
                        );
                    }
                }
                s.static_credentials = Some(StaticCredentials {
                    access_key,
                    secret_key,
                    token,
                });
            }
            (Some(_), None) if !pending(&self.secret_key) => p.check(
                attr("access_key"),
                "access_key",
                Err("access_key needs secret_key: set both, or neither to use the environment, shared files or profiles.".into()),
            ),
            (None, Some(_)) if !pending(&self.access_key) => p.check(
                attr("secret_key"),
                "secret_key",
                Err("secret_key needs access_key: set both, or neither to use the environment, shared files or profiles.".into()),
            ),
            (None, None) if token.is_some() => p.check(
                attr("token"),
                "token",
                Err("token needs access_key and secret_key: it is the session token of those temporary credentials.".into()),
            ),
            _ => {}
        }
    }

    /// Validate and convert. All problems are returned at once, each naming its attribute.
    pub fn settings(&self, phase: Phase) -> Result<ProviderSettings, Vec<Error>> {
        let mut p = Problems::default();
        let mut s = ProviderSettings {
            region: known(&mut p, phase, attr("region"), &self.region),
            profile: known(&mut p, phase, attr("profile"), &self.profile),
            max_retries: DEFAULT_MAX_RETRIES,
            ..Default::default()
        };
        s.skip_region_validation = known(
            &mut p,
            phase,
            attr("skip_region_validation"),
            &self.skip_region_validation,
        )
        .unwrap_or(false);
        if let Some(region) = &s.region {
            // An unknown skip_region_validation may turn out true: only the shape for now.
            let skip = s.skip_region_validation || self.skip_region_validation.is_unknown();
            let result = check_region(region, skip);
            p.check(attr("region"), "region", result);
        }
        self.static_credentials(&mut p, phase, &mut s);
        if let Some(files) = known(
            &mut p,
            phase,
            attr("shared_config_files"),
            &self.shared_config_files,
        ) {
            s.shared_config_files =
                known_strings(&mut p, phase, attr("shared_config_files"), files);
        }
        if let Some(files) = known(
            &mut p,
            phase,
            attr("shared_credentials_files"),
            &self.shared_credentials_files,
        ) {
            s.shared_credentials_files =
                known_strings(&mut p, phase, attr("shared_credentials_files"), files);
        }
        s.custom_ca_bundle = known(
            &mut p,
            phase,
            attr("custom_ca_bundle"),
            &self.custom_ca_bundle,
        );
        if let Some(path) = &s.custom_ca_bundle {
            if path.is_empty() {
                p.check(
                    attr("custom_ca_bundle"),
                    "custom_ca_bundle",
                    Err(
                        "custom_ca_bundle is empty: give the path of a PEM file, or leave it out."
                            .into(),
                    ),
                );
            }
        }
        for (name, value, target) in [
            ("http_proxy", &self.http_proxy, &mut s.http_proxy),
            ("https_proxy", &self.https_proxy, &mut s.https_proxy),
        ] {
            if let Some(url) = known(&mut p, phase, attr(name), value) {
                p.check(
                    attr(name),
                    name,
                    endpoint_url(&url).map_err(|_| {
                        format!("{url:?} is not a proxy URL: use http:// or https:// followed by a host and port, for example \"http://proxy.example.com:3128\".")
                    }),
                );
                *target = Some(url);
            }
        }
        s.no_proxy = known(&mut p, phase, attr("no_proxy"), &self.no_proxy);
        if let Some(n) = known(&mut p, phase, attr("max_retries"), &self.max_retries) {
            match u32::try_from(n) {
                Ok(n) if n <= 100 => s.max_retries = n,
                _ => p.check(
                    attr("max_retries"),
                    "max_retries",
                    Err(format!("{n} is out of range: max_retries is between 0 and 100 (default {DEFAULT_MAX_RETRIES}).")),
                ),
            }
        }
        if let Some(mode) = known(&mut p, phase, attr("retry_mode"), &self.retry_mode) {
            match mode.parse::<RetryMode>() {
                Ok(mode) => s.retry_mode = mode,
                Err(err) => p.check(attr("retry_mode"), "retry_mode", Err(err)),
            }
        }
        if let Some(mode) = known(&mut p, phase, attr("trust_check"), &self.trust_check) {
            match mode.parse::<TrustCheck>() {
                Ok(mode) => s.trust_check = mode,
                Err(err) => p.check(attr("trust_check"), "trust_check", Err(err)),
            }
        }
        s.skip_credentials_validation = known(
            &mut p,
            phase,
            attr("skip_credentials_validation"),
            &self.skip_credentials_validation,
        )
        .unwrap_or(false);
        for (name, value, target) in [
            (
                "allowed_account_ids",
                &self.allowed_account_ids,
                &mut s.allowed_account_ids,
            ),
            (
                "forbidden_account_ids",
                &self.forbidden_account_ids,
                &mut s.forbidden_account_ids,
            ),
        ] {
            if let Some(ids) = known(&mut p, phase, attr(name), value) {
                for id in known_strings(&mut p, phase, attr(name), ids) {
                    let ok = is_account_id(&id);
                    p.check(
                        attr(name),
                        name,
                        if ok {
                            Ok(())
                        } else {
                            Err(format!("{id:?} is not an AWS account id (12 digits)."))
                        },
                    );
                    target.insert(id);
                }
            }
        }
        if !self.allowed_account_ids.is_null() && !self.forbidden_account_ids.is_null() {
            p.push(Error::ProviderConfig {
                path: Some(attr("forbidden_account_ids")),
                summary: "Conflicting account guards".into(),
                detail: "allowed_account_ids and forbidden_account_ids cannot both be set: use \
                         allowed_account_ids to name the accounts this configuration may touch, \
                         or forbidden_account_ids to name the ones it must not."
                    .into(),
            });
        }
        if let Value::Value(role) = &self.assume_role {
            let path = || attr("assume_role").index(0);
            let role_arn = known(&mut p, phase, path().attribute("role_arn"), &role.role_arn);
            match role_arn {
                Some(arn) => {
                    p.check(
                        path().attribute("role_arn"),
                        "assume_role.role_arn",
                        iam_role_arn(&arn),
                    );
                    let duration = known(&mut p, phase, path().attribute("duration"), &role.duration)
                        .and_then(|d| match parse_duration(&d) {
                            Ok(d) if (900..=43200).contains(&d.as_secs()) => Some(d),
                            Ok(_) => {
                                p.check(
                                    path().attribute("duration"),
                                    "assume_role.duration",
                                    Err(format!("{d:?} is out of range: an assumed role session lasts from 15m to 12h.")),
                                );
                                None
                            }
                            Err(reason) => {
                                p.check(path().attribute("duration"), "assume_role.duration", Err(reason));
                                None
                            }
                        });
                    let session_name = known(
                        &mut p,
                        phase,
                        path().attribute("session_name"),
                        &role.session_name,
                    );
                    if let Some(name) = &session_name {
                        let ok = (2..=64).contains(&name.len())
                            && name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "_=,.@-".contains(c));
                        p.check(
                            path().attribute("session_name"),
                            "assume_role.session_name",
                            if ok {
                                Ok(())
                            } else {
                                Err(format!("{name:?} is not a role session name: use 2 to 64 letters, digits and _=,.@-"))
                            },
                        );
                    }
                    s.assume_role = Some(AssumeRoleSettings {
                        role_arn: arn,
                        session_name,
                        external_id: known(
                            &mut p,
                            phase,
                            path().attribute("external_id"),
                            &role.external_id,
                        ),
                        duration,
                    });
                }
                // Unknown at configure was reported by `known`; unknown at validate waits.
                None if role.role_arn.is_null() => p.check(
                    path().attribute("role_arn"),
                    "assume_role.role_arn",
                    Err("assume_role needs role_arn, the ARN of the role to assume.".into()),
                ),
                None => {}
            }
        }
        if let Value::Value(web) = &self.assume_role_with_web_identity {
            let block = "assume_role_with_web_identity";
            let path = |name: &str| attr(block).index(0).attribute(name.to_string());
            let role_arn = known(&mut p, phase, path("role_arn"), &web.role_arn);
            let token_file = known(
                &mut p,
                phase,
                path("web_identity_token_file"),
                &web.web_identity_token_file,
            );
            if let Some(arn) = &role_arn {
                p.check(
                    path("role_arn"),
                    &format!("{block}.role_arn"),
                    iam_role_arn(arn),
                );
            } else if web.role_arn.is_null() {
                p.check(
                    path("role_arn"),
                    &format!("{block}.role_arn"),
                    Err(format!(
                        "{block} needs role_arn, the ARN of the role to assume."
                    )),
                );
            }
            if web.web_identity_token_file.is_null()
                || token_file.as_deref().is_some_and(str::is_empty)
            {
                p.check(
                    path("web_identity_token_file"),
                    &format!("{block}.web_identity_token_file"),
                    Err(format!(
                        "{block} needs web_identity_token_file, the file holding the OIDC token."
                    )),
                );
            }
            let duration = known(&mut p, phase, path("duration"), &web.duration).and_then(|d| {
                match parse_duration(&d) {
                    Ok(d) if (900..=43200).contains(&d.as_secs()) => Some(d),
                    Ok(_) => {
                        p.check(
                            path("duration"),
                            &format!("{block}.duration"),
                            Err(format!("{d:?} is out of range: an assumed role session lasts from 15m to 12h.")),
                        );
                        None
                    }
                    Err(reason) => {
                        p.check(path("duration"), &format!("{block}.duration"), Err(reason));
                        None
                    }
                }
            });
            let session_name = known(&mut p, phase, path("session_name"), &web.session_name);
            if let Some(name) = &session_name {
                let ok = (2..=64).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_=,.@-".contains(c));
                p.check(
                    path("session_name"),
                    &format!("{block}.session_name"),
                    if ok {
                        Ok(())
                    } else {
                        Err(format!("{name:?} is not a role session name: use 2 to 64 letters, digits and _=,.@-"))
                    },
                );
            }
            if let (Some(role_arn), Some(web_identity_token_file)) = (role_arn, token_file) {
                s.assume_role_with_web_identity = Some(WebIdentitySettings {
                    role_arn,
                    session_name,
                    web_identity_token_file,
                    duration,
                });
            }
        }
        if let Value::Value(endpoints) = &self.endpoints {
            let path = |name: &'static str| attr("endpoints").index(0).attribute(name);
            for (name, value, target) in [
                ("eks", &endpoints.eks, &mut s.endpoints.eks),
                ("iam", &endpoints.iam, &mut s.endpoints.iam),
                ("sts", &endpoints.sts, &mut s.endpoints.sts),
            ] {
                if let Some(url) = known(&mut p, phase, path(name), value) {
                    p.check(path(name), &format!("endpoints.{name}"), endpoint_url(&url));
                    *target = Some(url);
                }
            }
        }
        if let Value::Value(defaults) = &self.default_tags {
            if let Some(tags) = known(
                &mut p,
                phase,
                attr("default_tags").index(0).attribute("tags"),
                &defaults.tags,
            ) {
                for (key, value) in tags {
                    if let Some(value) = known(
                        &mut p,
                        phase,
                        attr("default_tags")
                            .index(0)
                            .attribute("tags")
                            .key(key.clone()),
                        &value,
                    ) {
                        s.default_tags.insert(key, value);
                    }
                }
                let mut tag_problems = Problems::default();
                crate::validate::tags(&mut tag_problems, "default_tags", &s.default_tags);
                for err in tag_problems.0 {
                    p.push(err);
                }
            }
        }
        if let Value::Value(ignore) = &self.ignore_tags {
            for (name, value, target) in [
                ("keys", &ignore.keys, &mut s.ignore_tags.keys),
                (
                    "key_prefixes",
                    &ignore.key_prefixes,
                    &mut s.ignore_tags.key_prefixes,
                ),
            ] {
                let path = || attr("ignore_tags").index(0).attribute(name);
                if let Some(values) = known(&mut p, phase, path(), value) {
                    for v in known_strings(&mut p, phase, path(), values) {
                        if v.is_empty() {
                            p.check(
                                path(),
                                &format!("ignore_tags.{name}"),
                                Err("an empty string would match no tag key (or, as a prefix, every one): remove it.".into()),
                            );
                        }
                        target.insert(v);
                    }
                }
            }
        }
        p.into_result().map(|()| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<String> {
        Value::Value(v.to_string())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").ok(), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_duration("1h30m").ok(),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(parse_duration("900s").ok(), Some(Duration::from_secs(900)));
        for bad in ["", "1", "h", "1d", "1.5h", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_block_is_valid_with_defaults() {
        let settings = ProviderConfig::default()
            .settings(Phase::Configure)
            .expect("valid");
        assert_eq!(settings.max_retries, DEFAULT_MAX_RETRIES);
        assert!(!settings.skip_credentials_validation);
        assert_eq!(settings.region, None);
    }

    #[test]
    fn both_account_guards_conflict() {
        let config = ProviderConfig {
            allowed_account_ids: Value::Value([s("111122223333")].into()),
            forbidden_account_ids: Value::Value([s("444455556666")].into()),
            ..Default::default()
        };
        let errs = config.settings(Phase::Validate).expect_err("conflict");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().contains("Conflicting account guards"));
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let config = ProviderConfig {
            region: s("EU West"),
            max_retries: Value::Value(-1),
            allowed_account_ids: Value::Value([s("1234")].into()),
            assume_role: Value::Value(AssumeRoleConfig {
                role_arn: s("not-an-arn"),
                duration: s("2d"),
                ..Default::default()
            }),
            endpoints: Value::Value(EndpointsConfig {
                eks: s("localhost:4566"),
                ..Default::default()
            }),
            ..Default::default()
        };
        let errs = config.settings(Phase::Validate).expect_err("invalid");
        let paths: Vec<String> = errs
            .iter()
            .map(|e| match e {
                Error::Invalid { path, .. } => path.to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            paths,
            vec![
                "region",
                "max_retries",
                "allowed_account_ids",
                "assume_role[0].role_arn",
                "assume_role[0].duration",
                "endpoints[0].eks",
            ]
        );
    }

    fn paths(errs: &[Error]) -> Vec<String> {
        errs.iter()
            .map(|e| match e {
                Error::Invalid { path, .. } => path.to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn static_credentials_need_both_keys() {
        let only_access = ProviderConfig {
            access_key: s("AKIAEXAMPLE"),
            ..Default::default()
        };
        let errs = only_access
            .settings(Phase::Validate)
            .expect_err("no secret");
        assert_eq!(paths(&errs), vec!["access_key"]);
        let only_secret = ProviderConfig {
            secret_key: s("secret"),
            ..Default::default()
        };
        let errs = only_secret
            .settings(Phase::Validate)
            .expect_err("no access key");
        assert_eq!(paths(&errs), vec!["secret_key"]);
        let both = ProviderConfig {
            access_key: s("AKIAEXAMPLE"),
            secret_key: s("s3cr3t-value"),
            token: s("t0ken-value"),
            ..Default::default()
        };
        let creds = both
            .settings(Phase::Configure)
            .expect("valid")
            .static_credentials
            .expect("credentials");
        assert_eq!(creds.token.as_deref(), Some("t0ken-value"));
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("t0ken"),
            "{shown}"
        );
        // Not yet known at validate: checked again at configure.
        let pending = ProviderConfig {
            access_key: s("AKIAEXAMPLE"),
            secret_key: Value::Unknown,
            ..Default::default()
        };
        assert!(pending.settings(Phase::Validate).is_ok());
    }

    #[test]
    fn regions_are_checked_unless_skipped() {
        for ok in [
            "eu-west-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-7",
        ] {
            let config = ProviderConfig {
                region: s(ok),
                ..Default::default()
            };
            assert!(config.settings(Phase::Validate).is_ok(), "{ok}");
        }
        let typo = ProviderConfig {
            region: s("eu-wst-1"),
            ..Default::default()
        };
        let errs = typo.settings(Phase::Validate).expect_err("unknown region");
        assert_eq!(paths(&errs), vec!["region"]);
        let skipped = ProviderConfig {
            region: s("eu-wst-1"),
            skip_region_validation: Value::Value(true),
            ..Default::default()
        };
        assert!(skipped.settings(Phase::Validate).is_ok());
    }

    #[test]
    fn retry_modes() {
        let adaptive = ProviderConfig {
            retry_mode: s("adaptive"),
            ..Default::default()
        };
        assert_eq!(
            adaptive
                .settings(Phase::Validate)
                .expect("valid")
                .retry_mode,
            RetryMode::Adaptive
        );
        let bad = ProviderConfig {
            retry_mode: s("legacy"),
            ..Default::default()
        };
        assert_eq!(
            paths(&bad.settings(Phase::Validate).expect_err("bad")),
            vec!["retry_mode"]
        );
    }

    #[test]
    fn web_identity_needs_role_and_token_file() {
        let config = ProviderConfig {
            assume_role_with_web_identity: Value::Value(AssumeRoleWithWebIdentityConfig {
                duration: s("20h"),
                ..Default::default()
            }),
            ..Default::default()
        };
        let errs = config.settings(Phase::Validate).expect_err("incomplete");
        assert_eq!(
            paths(&errs),
            vec![
                "assume_role_with_web_identity[0].role_arn",
                "assume_role_with_web_identity[0].web_identity_token_file",
                "assume_role_with_web_identity[0].duration",
            ]
        );
    }

    #[test]
    fn unknown_values_wait_for_configure() {
        let config = ProviderConfig {
            region: Value::Unknown,
            ..Default::default()
        };
        assert!(config.settings(Phase::Validate).is_ok());
        assert!(config.settings(Phase::Configure).is_err());
    }
}
