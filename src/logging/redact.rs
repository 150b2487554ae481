//! What must never reach a log line: the access key ids, secret keys and session tokens the
//! provider has seen (in its environment, or produced by a credentials provider), and anything
//! shaped like an access key id.

use std::sync::RwLock;

/// What replaces a secret in a log line.
const REDACTED: &str = "[redacted]";

/// Shorter values are not treated as secrets: replacing them would mangle ordinary words (AWS's
/// own are 20, 40 and hundreds of characters long).
const MIN_SECRET_LEN: usize = 8;

/// The prefixes of access key ids: long-term (`AKIA`) and temporary (`ASIA`) keys.
const ACCESS_KEY_PREFIXES: [&str; 2] = ["AKIA", "ASIA"];

/// Characters after the prefix of an access key id (16 of `A-Z2-7` at AWS; a few test tools use
/// other digits, so any upper-case letter or digit counts).
const ACCESS_KEY_TAIL: usize = 16;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remember `value` as a secret: from now on every log line shows it as `[redacted]`.
pub fn remember(value: &str) {
    let value = value.trim();
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    if let Ok(mut secrets) = SECRETS.write() {
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_string());
            // Longest first, so that a secret that contains another is replaced whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }
}

/// Remember the credentials of the standard environment variables, before anything can log them.
pub fn remember_environment() {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ] {
        if let Ok(value) = std::env::var(var) {
            remember(&value);
        }
    }
}

/// `line` with every remembered secret and every access-key-shaped word replaced.
pub fn scrub(line: &str) -> String {
    let mut out = line.to_string();
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
    }
    mask_access_key_ids(&out)
}

fn mask_access_key_ids(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let prefix = &line.as_bytes()[i..i + 4];
        if starts_word && ACCESS_KEY_PREFIXES.iter().any(|p| p.as_bytes() == prefix) {
            let tail = bytes[i + 4..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                .count();
            if tail >= ACCESS_KEY_TAIL {
                out.push_str(&line[copied..i + 4]);
                out.push_str(REDACTED);
                i += 4 + tail;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_secrets_are_replaced() {
        remember("redact-test-secret-0123456789");
        remember("short");
        let line = r#"{"@message":"token redact-test-secret-0123456789 and short"}"#;
        assert_eq!(scrub(line), r#"{"@message":"token [redacted] and short"}"#);
    }

    #[test]
    fn access_key_ids_are_masked_wherever_they_appear() {
        let line = "Credentials { access_key_id: \"AKIAPODIDENTITYTEST1\", session: ASIA0123456789ABCDEF99 }";
        let scrubbed = scrub(line);
        assert!(!scrubbed.contains("PODIDENTITYTEST1"), "{scrubbed}");
        assert!(!scrubbed.contains("0123456789ABCDEF"), "{scrubbed}");
        assert!(scrubbed.contains("AKIA[redacted]"), "{scrubbed}");
        // Words that merely start like a key, and role ids, are left alone.
        for kept in [
            "AKIAS",
            "XAKIAPODIDENTITYTEST1",
            "AROA0123456789ABCDEF",
            "ASIAN market",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }
}
