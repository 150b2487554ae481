//! What the evaluator concludes, with enough detail to explain it in one line: which statement
//! allowed, which Deny applied, why each Allow statement did not apply, or what could not be
//! decided.

use std::fmt;

use super::policy::Effect;

/// A statement of the policy: its 0-based position and its `Sid`, if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// 0-based position in the document's `Statement` list.
    pub index: usize,
    /// The statement's `Sid`, when it has a non-empty one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    /// `statement 2 ("AllowGreen")`: 1-based, for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {}", self.index + 1)?;
        match &self.sid {
            Some(sid) => write!(f, " ({sid:?})"),
            None => Ok(()),
        }
    }
}

/// The answer for a request (or a set of requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An Allow statement certainly applies and no Deny statement can apply.
    Allowed {
        /// The first Allow statement that applies.
        statement: StatementRef,
    },
    /// Certainly denied: a Deny statement applies, or no Allow statement can apply.
    Denied(Denial),
    /// The evaluator cannot tell; each entry names a statement and why.
    Undecided(Vec<Uncertainty>),
}

/// The kind of a [`Verdict`], without the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictKind {
    /// See [`Verdict::Allowed`].
    Allowed,
    /// See [`Verdict::Denied`].
    Denied,
    /// See [`Verdict::Undecided`].
    Undecided,
}

impl Verdict {
    /// Allowed, denied or undecided.
    pub fn kind(&self) -> VerdictKind {
        match self {
            Verdict::Allowed { .. } => VerdictKind::Allowed,
            Verdict::Denied(_) => VerdictKind::Denied,
            Verdict::Undecided(_) => VerdictKind::Undecided,
        }
    }

    /// True only when the evaluator is certain the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.kind() == VerdictKind::Allowed
    }
}

/// Why a request is certainly denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// A Deny statement applies ("Policy evaluation logic": an explicit deny overrides any
    /// allow).
    ExplicitDeny {
        /// The Deny statement.
        statement: StatementRef,
        /// The action it denies.
        action: String,
    },
    /// No Allow statement applies (implicit deny).
    NoAllow {
        /// The action that is not allowed.
        action: String,
        /// Why each Allow statement did not apply, in document order.
        misses: Vec<Miss>,
    },
}

/// An Allow statement that certainly does not apply, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The Allow statement.
    pub statement: StatementRef,
    /// The part of the statement that does not match.
    pub reason: MissReason,
    /// The same, for people: e.g. `Principal Service ec2.amazonaws.com does not include Service
    /// pods.eks.amazonaws.com`.
    pub detail: String,
}

/// Which part of a statement did not match the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissReason {
    /// `Principal` does not name the caller (or `NotPrincipal` excludes it).
    Principal,
    /// `Action` does not cover the action (or `NotAction` excludes it).
    Action,
    /// A condition is false for the request.
    Condition(FailedCondition),
}

/// A condition that is false for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCondition {
    /// The operator as written, e.g. `StringLike` or `ForAnyValue:StringEquals`.
    pub operator: String,
    /// The condition key as written, e.g. `aws:RequestTag/eks-cluster-name`.
    pub key: String,
    /// The values the policy lists for the key.
    pub policy_values: Vec<String>,
    /// What the request sends for the key; `None` when it does not send it.
    pub sent: Option<Vec<String>>,
}

impl FailedCondition {
    fn negated(&self) -> bool {
        let base = self.operator.rsplit(':').next().unwrap_or_default();
        base.starts_with("StringNot") || base.starts_with("ArnNot")
    }
}

/// Something the evaluator could not decide about one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncertainty {
    /// The statement.
    pub statement: StatementRef,
    /// Whether it is an Allow (that might grant) or a Deny (that might apply).
    pub effect: Effect,
    /// The action of the request.
    pub action: String,
    /// Why it cannot be decided, e.g. an unknown operator, a key sent per pod, a policy variable.
    pub reason: String,
}

/// `"a"` for one value, `["a", "b"]` for several, as JSON.
fn values(list: &[String]) -> String {
    match list {
        [one] => json_string(one),
        _ => format!(
            "[{}]",
            list.iter()
                .map(|v| json_string(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn policy_values(list: &[String]) -> String {
    format!(
        "[{}]",
        list.iter()
            .map(|v| json_string(v))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl fmt::Display for FailedCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.operator,
            self.key,
            policy_values(&self.policy_values)
        )?;
        match &self.sent {
            None => write!(f, ": the request does not send {}", self.key),
            Some(sent) if self.operator == "Null" => {
                write!(f, ": the request sends {}", values(sent))
            }
            Some(sent) if self.negated() => write!(f, " matches {}", values(sent)),
            Some(sent) => write!(f, " does not match {}", values(sent)),
        }
    }
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.statement, self.detail)
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::ExplicitDeny { statement, action } => {
                write!(f, "{action}: explicitly denied by {statement}")
            }
            Denial::NoAllow { action, misses } if misses.is_empty() => {
                write!(f, "{action}: the policy has no Allow statement")
            }
            Denial::NoAllow { action, misses } => {
                write!(f, "{action}: ")?;
                for (i, miss) in misses.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{miss}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Uncertainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.effect {
            Effect::Allow => write!(
                f,
                "{}: cannot tell whether {} allows it: {}",
                self.action, self.statement, self.reason
            ),
            Effect::Deny => write!(
                f,
                "{}: {} (Deny) might apply: {}",
                self.action, self.statement, self.reason
            ),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Allowed { statement } => write!(f, "allowed by {statement}"),
            Verdict::Denied(denial) => write!(f, "denied: {denial}"),
            Verdict::Undecided(list) if list.is_empty() => {
                f.write_str("undecided: there was nothing to evaluate")
            }
            Verdict::Undecided(list) => {
                f.write_str("undecided: ")?;
                for (i, u) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{u}")?;
                }
                Ok(())
            }
        }
    }
}
