//! The `region` argument of the resources and data sources that live in one AWS region (the
//! EKS ones), as hashicorp/aws v6 has it: optional, and the provider's region when left out.
//! It chooses the EKS client of every call made for the object, is filled in by read for a
//! state that lacks it (one written by hashicorp/aws v5), and an import ID names it with an
//! `@region` suffix. IAM objects are global and have none.

use std::sync::Arc;

use tf_provider::value::Value;

use crate::aws::settings::check_region;
use crate::aws::AwsContext;
use crate::error::Error;
use crate::schema::{optional_computed, string, Attr};
use crate::validate::{attr, Problems};
use crate::value::known_str;

/// The `region` attribute of an object of the kind `what` ("association").
pub fn attribute(what: &str) -> Attr {
    optional_computed(
        "region",
        string(),
        &format!("AWS region of the {what}. Defaults to the provider's `region`. Changing it replaces the {what}."),
    )
    .replace()
    .check(crate::aws::settings::region_name)
}

/// The context of the region `region` names (the provider's when it is null or unknown).
pub fn context(ctx: &Arc<AwsContext>, region: Option<&Value<String>>) -> Arc<AwsContext> {
    ctx.in_region(region.and_then(known_str))
}

/// Sets a null or unknown `region` to `region`.
pub fn fill(slot: Option<&mut Value<String>>, region: &str) {
    if let Some(slot) = slot {
        if matches!(slot, Value::Null | Value::Unknown) {
            *slot = Value::Value(region.to_string());
        }
    }
}

/// A known `region` that the provider's region check refuses.
pub fn problems(region: Option<&Value<String>>, ctx: &AwsContext) -> Problems {
    let mut p = Problems::default();
    if let Some(region) = region.and_then(known_str) {
        if crate::aws::settings::region_name(region).is_ok() {
            p.check(
                attr("region"),
                "region",
                check_region(region, ctx.skip_region_validation),
            );
        }
    }
    p
}

/// An import ID with its `@region` suffix taken off, and the region it names (checked as the
/// `region` argument is).
pub fn split_import_id<'a>(
    id: &'a str,
    ctx: &AwsContext,
) -> Result<(&'a str, Option<&'a str>), Error> {
    let Some((id, region)) = id.rsplit_once('@') else {
        return Ok((id, None));
    };
    check_region(region, ctx.skip_region_validation).map_err(|why| {
        Error::invalid(
            tf_provider::AttributePath::root(),
            "Invalid import ID",
            format!(
                "The import ID ends in @{region}, the region of the object to import, but {why}"
            ),
        )
    })?;
    Ok((id, Some(region)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_sets_only_a_missing_region() {
        let mut null = Value::Null;
        fill(Some(&mut null), "eu-west-1");
        assert_eq!(null, Value::Value("eu-west-1".to_string()));
        let mut unknown = Value::Unknown;
        fill(Some(&mut unknown), "eu-west-1");
        assert_eq!(unknown, Value::Value("eu-west-1".to_string()));
        let mut set = Value::Value("us-west-2".to_string());
        fill(Some(&mut set), "eu-west-1");
        assert_eq!(set, Value::Value("us-west-2".to_string()));
    }
}
