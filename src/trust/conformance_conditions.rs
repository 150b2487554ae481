//! Conformance rows for condition operators, set operators, case rules and policy variables
//! (run by the table in `conformance.rs`).

use super::conformance::*;
use super::*;

use VerdictKind::{Allowed, Denied, Undecided};

/// `{"<op>": {"<key>": <values>}}` for the EKS trust statement.
fn when(op: &str, key: &str, values: &str) -> String {
    allow_if(&format!(r#"{{"{op}":{{"{key}":{values}}}}}"#))
}

const CLUSTER: &str = "aws:RequestTag/eks-cluster-name";
const NAMESPACE: &str = "aws:RequestTag/kubernetes-namespace";
const CLUSTER_ARN: &str = "aws:RequestTag/eks-cluster-arn";
const TEAM: &str = "aws:RequestTag/team";
const TAG_KEYS: &str = "aws:TagKeys";
const VIA_SERVICE: &str = "aws:ViaAWSService";

/// The shop-green requests with one more key in the context (for Bool).
fn green_with(key: &str, value: KeyValue) -> Vec<Request> {
    both(green())
        .into_iter()
        .map(|r| r.with_key(key, value.clone()))
        .collect()
}

fn yes() -> KeyValue {
    KeyValue::Present(vec!["true".into()])
}

// One row per line: the table reads as a table.
#[rustfmt::skip]
pub(super) fn cases() -> Vec<Case> {
    let all_tag_keys = r#"["eks-cluster-arn","eks-cluster-name","kubernetes-namespace","kubernetes-service-account","kubernetes-pod-name","kubernetes-pod-uid"]"#;
    vec![
        // String operators.
        case("string_equals_matches", when("StringEquals", CLUSTER, r#""shop-green""#), both(green()), Allowed, (OPERATORS, "StringEquals: exact matching")),
        case("string_equals_is_case_sensitive", when("StringEquals", CLUSTER, r#""Shop-Green""#), both(green()), Denied, (OPERATORS, "StringEquals is case-sensitive")),
        case("string_equals_wildcard_is_a_plain_character", when("StringEquals", CLUSTER, r#""shop-*""#), both(green()), Denied, (OPERATORS, "only the Like operators take wildcards")),
        case("string_equals_values_are_or", when("StringEquals", CLUSTER, r#"["shop-blue","shop-green"]"#), both(green()), Allowed, (MULTIPLE, "several values of one key are OR")),
        case("string_equals_on_a_key_not_sent_is_false", when("StringEquals", TEAM, r#""shop""#), both(green()), Denied, (OPERATORS, "a key not in the request context makes the condition false")),
        case("string_not_equals_excludes_the_value", when("StringNotEquals", CLUSTER, r#""shop-green""#), both(green()), Denied, (OPERATORS, "StringNotEquals: negated matching")),
        case("string_not_equals_other_value_holds", when("StringNotEquals", CLUSTER, r#""shop-blue""#), both(green()), Allowed, (OPERATORS, "StringNotEquals: negated matching")),
        case("string_not_equals_values_are_nor", when("StringNotEquals", CLUSTER, r#"["shop-blue","shop-green"]"#), both(green()), Denied, (MULTIPLE, "negated operator values are NOR")),
        case("string_not_equals_on_a_key_not_sent_is_true", when("StringNotEquals", TEAM, r#""shop""#), both(green()), Allowed, (OPERATORS, "a negated operator on a missing key is true")),
        case("string_equals_ignore_case_matches", when("StringEqualsIgnoreCase", CLUSTER, r#""SHOP-Green""#), both(green()), Allowed, (OPERATORS, "StringEqualsIgnoreCase ignores case")),
        case("string_equals_ignore_case_other_value", when("StringEqualsIgnoreCase", CLUSTER, r#""SHOP-BLUE""#), both(green()), Denied, (OPERATORS, "StringEqualsIgnoreCase is still exact")),
        case("string_not_equals_ignore_case_excludes", when("StringNotEqualsIgnoreCase", CLUSTER, r#""SHOP-GREEN""#), both(green()), Denied, (OPERATORS, "StringNotEqualsIgnoreCase: negated, ignoring case")),
        case("string_like_star", when("StringLike", CLUSTER, r#""shop-*""#), both(green()), Allowed, (OPERATORS, "StringLike: * matches any characters")),
        case("string_like_question_mark", when("StringLike", CLUSTER, r#""shop-gree?""#), both(green()), Allowed, (OPERATORS, "StringLike: ? matches one character")),
        case("string_like_is_case_sensitive", when("StringLike", CLUSTER, r#""Shop-*""#), both(green()), Denied, (OPERATORS, "StringLike is case-sensitive")),
        case("string_like_matches_the_whole_value", when("StringLike", CLUSTER, r#""shop""#), both(green()), Denied, (OPERATORS, "StringLike matches the whole string")),
        case("string_not_like_excludes", when("StringNotLike", CLUSTER, r#""shop-*""#), both(green()), Denied, (OPERATORS, "StringNotLike: negated matching")),
        case("string_not_like_other_pattern_holds", when("StringNotLike", CLUSTER, r#"["prod-*","test-*"]"#), both(green()), Allowed, (MULTIPLE, "negated operator values are NOR")),
        case("string_like_on_a_key_not_sent_is_false", when("StringLike", TEAM, r#""*""#), both(green()), Denied, (OPERATORS, "a key not in the request context makes the condition false")),
        // Case of key names.
        case("condition_key_names_are_case_insensitive", when("StringEquals", "AWS:requesttag/EKS-CLUSTER-NAME", r#""shop-green""#), both(green()), Allowed, ("IAM JSON policy elements: Condition", "condition key names are not case-sensitive")),
        case("condition_values_stay_case_sensitive", when("StringEquals", "aws:requesttag/eks-cluster-name", r#""SHOP-GREEN""#), both(green()), Denied, (OPERATORS, "values are case-sensitive for StringEquals")),
        // AND across keys and operators.
        case("several_keys_are_and_all_hold", allow_if(&format!(r#"{{"StringEquals":{{"{CLUSTER}":"shop-green","{NAMESPACE}":"carts"}}}}"#)), both(green()), Allowed, (MULTIPLE, "several keys are AND")),
        case("several_keys_are_and_one_fails", allow_if(&format!(r#"{{"StringEquals":{{"{CLUSTER}":"shop-green","{NAMESPACE}":"orders"}}}}"#)), both(green()), Denied, (MULTIPLE, "several keys are AND")),
        case("several_operators_are_and", allow_if(&format!(r#"{{"StringLike":{{"{CLUSTER}":"shop-*"}},"StringEquals":{{"{NAMESPACE}":"orders"}}}}"#)), both(green()), Denied, (MULTIPLE, "several operators are AND")),
        // IfExists.
        case("if_exists_on_a_key_not_sent_is_true", when("StringLikeIfExists", TEAM, r#""shop""#), both(green()), Allowed, (OPERATORS, "...IfExists: a missing key makes the condition true")),
        case("if_exists_on_a_sent_key_compares", when("StringLikeIfExists", CLUSTER, r#""shop-blue""#), both(green()), Denied, (OPERATORS, "...IfExists: a present key is compared")),
        case("if_exists_passes_untagged_associations", when("StringEqualsIfExists", CLUSTER, r#""shop-blue""#), both(untagged(green())), Allowed, (OPERATORS, "...IfExists: a missing key makes the condition true")),
        case("not_equals_if_exists_on_a_key_not_sent", when("StringNotEqualsIfExists", TEAM, r#""shop""#), both(green()), Allowed, (OPERATORS, "negated ...IfExists on a missing key is true")),
        // Null.
        case("null_true_when_the_key_is_not_sent", when("Null", TEAM, r#""true""#), both(green()), Allowed, (OPERATORS, "Null true: the key does not exist")),
        case("null_true_when_the_key_is_sent", when("Null", CLUSTER, r#""true""#), both(green()), Denied, (OPERATORS, "Null true fails when the key exists")),
        case("null_false_when_the_key_is_sent", when("Null", CLUSTER, r#""false""#), both(green()), Allowed, (OPERATORS, "Null false: the key exists")),
        case("null_false_when_session_tags_are_disabled", when("Null", CLUSTER, r#""false""#), both(untagged(green())), Denied, (EKS_DISABLE, "no tags are sent")),
        case("null_accepts_a_json_boolean", when("Null", TEAM, "true"), both(green()), Allowed, (OPERATORS, "Null takes true or false")),
        case("null_has_no_if_exists_form", when("NullIfExists", TEAM, r#""true""#), both(green()), Undecided, (OPERATORS, "IfExists does not apply to the Null check")),
        // Bool.
        case("bool_true_matches", when("Bool", VIA_SERVICE, r#""true""#), green_with(VIA_SERVICE, yes()), Allowed, (OPERATORS, "Bool: boolean matching")),
        case("bool_json_true_matches", when("Bool", VIA_SERVICE, "true"), green_with(VIA_SERVICE, yes()), Allowed, (OPERATORS, "Bool: boolean matching")),
        case("bool_false_does_not_match_true", when("Bool", VIA_SERVICE, r#""false""#), green_with(VIA_SERVICE, yes()), Denied, (OPERATORS, "Bool: boolean matching")),
        case("bool_on_a_key_not_sent_is_false", when("Bool", VIA_SERVICE, r#""true""#), green_with(VIA_SERVICE, KeyValue::Absent), Denied, (OPERATORS, "a key not in the request context makes the condition false")),
        case("bool_if_exists_on_a_key_not_sent", when("BoolIfExists", VIA_SERVICE, r#""false""#), green_with(VIA_SERVICE, KeyValue::Absent), Allowed, (OPERATORS, "...IfExists: a missing key makes the condition true")),
        case("bool_with_a_non_boolean_value_is_undecided", when("Bool", VIA_SERVICE, r#""yes""#), green_with(VIA_SERVICE, yes()), Undecided, (PRODUCT, "Bool takes true or false")),
        // ARN operators.
        case("arn_equals_exact", when("ArnEquals", CLUSTER_ARN, &format!("\"{GREEN_ARN}\"")), both(green()), Allowed, (OPERATORS, "ArnEquals: case-sensitive ARN match")),
        case("arn_like_wildcards_per_part", when("ArnLike", CLUSTER_ARN, r#""arn:aws:eks:*:111122223333:cluster/shop-*""#), both(green()), Allowed, (OPERATORS, "ArnLike: each of the six parts can use * and ?")),
        case("arn_like_is_case_sensitive", when("ArnLike", CLUSTER_ARN, r#""arn:aws:eks:*:*:Cluster/shop-green""#), both(green()), Denied, (OPERATORS, "ArnLike is case-sensitive")),
        case("arn_like_other_account", when("ArnLike", CLUSTER_ARN, r#""arn:aws:eks:*:444455556666:cluster/*""#), both(green()), Denied, (OPERATORS, "every part must match")),
        case("arn_like_wildcard_does_not_span_parts", when("ArnLike", CLUSTER_ARN, r#""arn:aws:eks:*:cluster/shop-green""#), both(green()), Undecided, (OPERATORS, "the six colon-delimited parts are checked separately")),
        case("arn_not_like_excludes", when("ArnNotLike", CLUSTER_ARN, r#""arn:aws:eks:*:*:cluster/shop-*""#), both(green()), Denied, (OPERATORS, "ArnNotLike: negated matching")),
        case("arn_not_equals_other_cluster_holds", when("ArnNotEquals", CLUSTER_ARN, r#""arn:aws:eks:eu-west-1:111122223333:cluster/shop-blue""#), both(green()), Allowed, (OPERATORS, "ArnNotEquals: negated matching")),
        case("arn_not_like_on_a_key_not_sent_is_true", when("ArnNotLike", CLUSTER_ARN, r#""arn:aws:eks:*:*:cluster/*""#), both(untagged(green())), Allowed, (OPERATORS, "ArnNotLike on a missing key is true")),
        // Set operators on aws:TagKeys.
        case("for_any_value_one_key_matches", when("ForAnyValue:StringEquals", TAG_KEYS, r#""eks-cluster-name""#), both(green()), Allowed, (SETS, "ForAnyValue: at least one request value matches")),
        case("for_any_value_no_key_matches", when("ForAnyValue:StringEquals", TAG_KEYS, r#""team""#), both(green()), Denied, (SETS, "ForAnyValue: no request value matches")),
        case("for_any_value_key_not_sent_is_false", when("ForAnyValue:StringLike", TAG_KEYS, r#""*""#), both(untagged(green())), Denied, (SETS, "ForAnyValue: a missing key is false")),
        case("for_any_value_if_exists_not_sent_is_undecided", when("ForAnyValue:StringLikeIfExists", TAG_KEYS, r#""*""#), both(untagged(green())), Undecided, (PRODUCT, "ForAnyValue with IfExists on a missing key is not documented")),
        case("for_all_values_subset_holds", when("ForAllValues:StringLike", TAG_KEYS, r#"["eks-*","kubernetes-*"]"#), both(green()), Allowed, (SETS, "ForAllValues: every request value matches one policy value")),
        case("for_all_values_not_a_subset", when("ForAllValues:StringLike", TAG_KEYS, r#""eks-*""#), both(green()), Denied, (SETS, "ForAllValues: every request value must match")),
        case("for_all_values_key_not_sent_is_true", when("ForAllValues:StringEquals", TAG_KEYS, r#""team""#), both(untagged(green())), Allowed, (SETS, "ForAllValues: true when the key is missing")),
        case("for_all_values_not_equals_holds", when("ForAllValues:StringNotEquals", TAG_KEYS, r#"["team","owner"]"#), both(green()), Allowed, (SETS, "ForAllValues with a negated operator: no request value is listed")),
        case("for_any_value_not_equals_fails_when_all_listed", when("ForAnyValue:StringNotEquals", TAG_KEYS, all_tag_keys), both(green()), Denied, (SETS, "ForAnyValue with a negated operator: some value is not listed")),
        case("for_any_value_on_a_single_valued_key", when("ForAnyValue:StringEquals", CLUSTER, r#""shop-green""#), both(green()), Allowed, (SETS, "a single value is a set of one")),
        case("single_valued_operator_on_several_values_is_undecided", when("StringEquals", TAG_KEYS, r#""eks-cluster-name""#), both(green()), Undecided, (SETS, "multivalued keys need a set operator")),
        // Operators the evaluator does not know.
        case("unknown_operator_is_undecided", when("StringMatches", CLUSTER, r#""shop-green""#), both(green()), Undecided, (PRODUCT, "unknown operator")),
        case("numeric_operator_is_undecided", when("NumericLessThan", "aws:MultiFactorAuthAge", r#""3600""#), both(green()), Undecided, (PRODUCT, "operator this check does not evaluate")),
        case("operator_name_case_is_undecided", when("stringlike", CLUSTER, r#""shop-*""#), both(green()), Undecided, (PRODUCT, "operator names are matched as written")),
        case("set_prefix_with_null_is_undecided", when("ForAnyValue:Null", TEAM, r#""true""#), both(green()), Undecided, (PRODUCT, "unknown operator")),
        case("unknown_operator_next_to_a_failing_condition_is_denied", allow_if(&format!(r#"{{"StringMatches":{{"{CLUSTER}":"x"}},"StringEquals":{{"{NAMESPACE}":"orders"}}}}"#)), both(green()), Denied, (MULTIPLE, "one false condition fails the statement")),
        case("unknown_operator_with_a_wrong_principal_is_denied", doc(&ALLOW_PODS.replace("pods.eks", "ec2").replace("]}", &format!(r#"],"Condition":{{"StringMatches":{{"{CLUSTER}":"x"}}}}}}"#))), both(green()), Denied, (PRINCIPAL, "the principal must name the caller")),
        // Policy variables.
        case("policy_variable_is_undecided", when("StringEquals", CLUSTER, r#""${aws:PrincipalTag/cluster}""#), both(green()), Undecided, (VARIABLES, "the value is taken from the request")),
        case("policy_variable_beside_a_matching_value", when("StringEquals", CLUSTER, r#"["${aws:username}","shop-green"]"#), both(green()), Allowed, (MULTIPLE, "values are OR: one match is enough")),
        case("policy_variable_in_arn_is_undecided", when("ArnLike", CLUSTER_ARN, r#""arn:aws:eks:*:${aws:PrincipalAccount}:cluster/*""#), both(green()), Undecided, (VARIABLES, "the value is taken from the request")),
        case("policy_variable_is_literal_in_version_2008", allow_if(&format!(r#"{{"StringEquals":{{"{CLUSTER}":"${{aws:username}}"}}}}"#)).replace("2012-10-17", "2008-10-17"), both(green()), Denied, (VERSION, "in 2008-10-17 variables are literal strings")),
        case("policy_variable_is_literal_without_version", allow_if(&format!(r#"{{"StringEquals":{{"{CLUSTER}":"${{aws:username}}"}}}}"#)).replace(r#""Version":"2012-10-17","#, ""), both(green()), Denied, (VERSION, "without Version, 2008-10-17 applies")),
        case("escaped_star_is_a_plain_character", when("StringLike", CLUSTER, r#""shop-${*}""#), both(green()), Denied, (VARIABLES, "${*} is a literal *")),
    ]
}
