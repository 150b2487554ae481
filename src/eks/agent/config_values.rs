//! The add-on's configuration values: what `configuration_values` and `disable_ipv6` make
//! together, and the reverse, so a read shows each where the user wrote it.

use serde_json::{Map, Value as Json};

/// The address the agent listens on when it must not use IPv6 (seed 003, the EKS user guide's
/// "Disable IPv6 in the EKS Pod Identity Agent"): `agent.additionalArgs."-b"`.
pub const IPV4_BIND_ADDRESS: &str = "169.254.170.23";

const AGENT: &str = "agent";
const ADDITIONAL_ARGS: &str = "additionalArgs";
const BIND: &str = "-b";

/// The configuration values to send: the user's object with, when `disable_ipv6`, the bind
/// address added. `None` when there is nothing to send. The caller has checked that
/// `configuration_values` is a JSON object that does not set the bind address itself.
pub fn merged(configuration_values: Option<&str>, disable_ipv6: bool) -> Option<String> {
    let mut object = configuration_values
        .and_then(|text| serde_json::from_str::<Json>(text).ok())
        .and_then(|v| match v {
            Json::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    if disable_ipv6 {
        let agent = object
            .entry(AGENT)
            .or_insert_with(|| Json::Object(Map::new()));
        if let Json::Object(agent) = agent {
            let args = agent
                .entry(ADDITIONAL_ARGS)
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(args) = args {
                args.insert(BIND.into(), Json::from(IPV4_BIND_ADDRESS));
            }
        }
    }
    (!object.is_empty()).then(|| Json::Object(object).to_string())
}

/// Whether `configuration_values` sets the bind address itself (which `disable_ipv6` owns).
pub fn sets_bind_address(configuration_values: &str) -> bool {
    serde_json::from_str::<Json>(configuration_values)
        .ok()
        .and_then(|v| v.get(AGENT)?.get(ADDITIONAL_ARGS)?.get(BIND).cloned())
        .is_some()
}

/// What EKS holds, split back into `(configuration_values, disable_ipv6)`: the bind address
/// to `169.254.170.23` is `disable_ipv6`, the rest (if any) is `configuration_values`.
pub fn split(held: Option<&str>) -> (Option<String>, bool) {
    let Some(Json::Object(mut object)) =
        held.and_then(|text| serde_json::from_str::<Json>(text).ok())
    else {
        return (
            held.filter(|t| !t.trim().is_empty()).map(str::to_string),
            false,
        );
    };
    let mut disable_ipv6 = false;
    if let Some(Json::Object(agent)) = object.get_mut(AGENT) {
        if let Some(Json::Object(args)) = agent.get_mut(ADDITIONAL_ARGS) {
            if args.get(BIND).and_then(Json::as_str) == Some(IPV4_BIND_ADDRESS) {
                args.remove(BIND);
                disable_ipv6 = true;
            }
            if args.is_empty() {
                agent.remove(ADDITIONAL_ARGS);
            }
        }
        if agent.is_empty() {
            object.remove(AGENT);
        }
    }
    let rest = (!object.is_empty()).then(|| Json::Object(object).to_string());
    (rest, disable_ipv6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_ipv6_alone_sends_exactly_the_seeds_values() {
        assert_eq!(
            merged(None, true).as_deref(),
            Some(r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}"#)
        );
        assert_eq!(merged(None, false), None);
        assert_eq!(merged(Some("{}"), false), None);
    }

    #[test]
    fn user_values_are_merged_and_split_back() {
        let user =
            r#"{"agent":{"additionalArgs":{"-x":"1"}},"resources":{"limits":{"cpu":"100m"}}}"#;
        let sent = merged(Some(user), true).expect("values");
        assert!(sent.contains(r#""-b":"169.254.170.23""#), "{sent}");
        assert!(sent.contains(r#""-x":"1""#), "{sent}");
        let (rest, ipv6) = split(Some(&sent));
        assert!(ipv6);
        assert_eq!(
            serde_json::from_str::<Json>(&rest.expect("rest")).ok(),
            serde_json::from_str::<Json>(user).ok()
        );
        assert_eq!(
            split(Some(
                r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}"#
            )),
            (None, true)
        );
        assert_eq!(split(None), (None, false));
        // Another bind address is the user's own.
        let other = r#"{"agent":{"additionalArgs":{"-b":"10.0.0.1"}}}"#;
        assert!(!split(Some(other)).1);
        assert!(sets_bind_address(other));
        assert!(!sets_bind_address(user));
    }
}
