//! Role names the provider generates: a prefix (`name_prefix`, or `terraform-`) followed by a
//! unique suffix, and the prefix recovered from such a name when a role is imported.

use std::sync::atomic::{AtomicU32, Ordering};

use tf_provider::value::Value;

/// A unique 26-character suffix: a UTC timestamp to the tenth of a millisecond, then 8 random
/// hex digits, so names sort by creation time like hashicorp/aws's generated names.
fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = time::OffsetDateTime::now_utc();
    let random = uuid::Uuid::new_v4().as_u128() as u32;
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:04}{:08x}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond() / 100_000,
        random ^ counter
    )
}

/// The prefix of a name made by [`unique_suffix`] (`None` for other names and for the default
/// `terraform-` names, which have no configured prefix).
pub fn prefix_of_generated(name: &str) -> Option<String> {
    let split = name.len().checked_sub(26)?;
    let (prefix, suffix) = (name.get(..split)?, name.get(split..)?);
    let (stamp, random) = suffix.split_at(18);
    let generated = stamp.bytes().all(|b| b.is_ascii_digit())
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (generated && !prefix.is_empty() && prefix != "terraform-").then(|| prefix.to_string())
}

/// The name a new role gets: the configured name, else the prefix (or `terraform-`) with a
/// unique suffix.
pub fn for_new_role(name: &Value<String>, prefix: &Value<String>) -> String {
    match (name, prefix) {
        (Value::Value(name), _) => name.clone(),
        (_, Value::Value(prefix)) => format!("{prefix}{}", unique_suffix()),
        _ => format!("terraform-{}", unique_suffix()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    fn s(v: &str) -> Value<String> {
        Value::Value(v.to_string())
    }

    #[test]
    fn generated_names_are_unique_and_fit() {
        let a = for_new_role(&Value::Null, &s(&"p".repeat(38)));
        let b = for_new_role(&Value::Null, &s(&"p".repeat(38)));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(validate::iam_role_name(&a).is_ok());
        let c = for_new_role(&Value::Null, &Value::Null);
        assert!(c.starts_with("terraform-") && c.len() == 36, "{c}");

        let d = for_new_role(&Value::Null, &s("shop-"));
        assert_eq!(prefix_of_generated(&d), Some("shop-".to_string()));
        assert_eq!(prefix_of_generated(&c), None);
        assert_eq!(prefix_of_generated("shop-dynamodb-read"), None);
        assert_eq!(prefix_of_generated("shop-2026112210101234zzzzzzzz"), None);
    }
}
