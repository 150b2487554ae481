//! Builders for the Terraform configuration the tests write: the provider block, the resources
//! and data sources of this provider, outputs. A block renders as HCL through `Display`, so a
//! configuration is its blocks one after another.

use std::fmt;

use super::ACCOUNT_ID;

/// The `terraform` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    podidentity = {
      source = "podidentity/podidentity"
    }
  }
}
"#;

const ASSOCIATION: &str = "aws_eks_pod_identity_association";
const ROLE: &str = "aws_eks_pod_identity_role";

/// One HCL block: its header, then arguments and verbatim lines in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    header: String,
    body: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Argument { name: String, expression: String },
    Verbatim(String),
}

impl Block {
    pub fn new(header: impl Into<String>) -> Block {
        Block {
            header: header.into(),
            body: Vec::new(),
        }
    }

    /// `resource "TYPE" "NAME"` served by this provider.
    pub fn resource(resource_type: &str, name: &str) -> Block {
        Block::new(format!("resource \"{resource_type}\" \"{name}\""))
            .arg("provider", "podidentity")
    }

    /// `data "TYPE" "NAME"` served by this provider.
    pub fn data(data_type: &str, name: &str) -> Block {
        Block::new(format!("data \"{data_type}\" \"{name}\"")).arg("provider", "podidentity")
    }

    /// `name = expression`, replacing an earlier argument of that name in place.
    pub fn arg(mut self, name: &str, expression: impl fmt::Display) -> Block {
        let expression = expression.to_string();
        let existing = self.body.iter_mut().find_map(|line| match line {
            Line::Argument {
                name: n,
                expression,
            } if n == name => Some(expression),
            _ => None,
        });
        match existing {
            Some(slot) => *slot = expression,
            None => self.body.push(Line::Argument {
                name: name.to_owned(),
                expression,
            }),
        }
        self
    }

    /// `name = "value"`.
    pub fn string(self, name: &str, value: &str) -> Block {
        self.arg(name, quoted(value))
    }

    /// Lines taken as they are (nested blocks, test-specific arguments); nothing when empty.
    pub fn lines(mut self, text: &str) -> Block {
        if !text.trim().is_empty() {
            self.body.push(Line::Verbatim(text.trim_end().to_owned()));
        }
        self
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n{} {{", self.header)?;
        for line in &self.body {
            match line {
                Line::Argument { name, expression } => writeln!(f, "  {name} = {expression}")?,
                Line::Verbatim(text) => writeln!(f, "{text}")?,
            }
        }
        writeln!(f, "}}")
    }
}

/// A string literal (interpolations stay interpolations).
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The ARN of role `name` in the stack's account.
pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

/// `provider "podidentity"`: empty, so configured from the environment.
pub fn provider() -> Block {
    Block::new("provider \"podidentity\"")
}

/// An association resource of `cluster` for `namespace/service_account`, with no role yet.
pub fn association(name: &str, cluster: &str, namespace: &str, service_account: &str) -> Block {
    Block::resource(ASSOCIATION, name)
        .string("cluster_name", cluster)
        .string("namespace", namespace)
        .string("service_account", service_account)
}

/// A role resource, with no arguments yet.
pub fn role(name: &str) -> Block {
    Block::resource(ROLE, name)
}

/// The role data source, finding role `role_name`.
pub fn role_data_source(name: &str, role_name: &str) -> Block {
    Block::data(ROLE, name).string("name", role_name)
}

/// The association data source, finding the association of `namespace/service_account`.
pub fn association_data_source(
    name: &str,
    cluster: &str,
    namespace: &str,
    service_account: &str,
) -> Block {
    Block::data(ASSOCIATION, name)
        .string("cluster_name", cluster)
        .string("namespace", namespace)
        .string("service_account", service_account)
}

/// The associations data source over all of `cluster`, until filters are added.
pub fn associations_data_source(name: &str, cluster: &str) -> Block {
    Block::data("aws_eks_pod_identity_associations", name).string("cluster_name", cluster)
}

pub fn output(name: &str, expression: &str) -> Block {
    Block::new(format!("output \"{name}\"")).arg("value", expression)
}

/// A configuration that makes terraform configure the provider (its block holding
/// `provider_body`) and call EKS once: the associations of cluster `shop-blue`, counted.
pub fn one_eks_call_with_provider(provider_body: &str) -> String {
    format!(
        "{}{}{}",
        provider().lines(provider_body),
        associations_data_source("all", "shop-blue"),
        output(
            "count",
            "length(data.aws_eks_pod_identity_associations.all.associations)"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_render_as_hcl() {
        let block = association("this", "shop-blue", "carts", "carts")
            .string("role_arn", &role_arn("shop"))
            .string("namespace", "orders")
            .lines("  tags = { app = \"carts\" }");
        assert_eq!(
            block.to_string(),
            r#"
resource "aws_eks_pod_identity_association" "this" {
  provider = podidentity
  cluster_name = "shop-blue"
  namespace = "orders"
  service_account = "carts"
  role_arn = "arn:aws:iam::123456789012:role/shop"
  tags = { app = "carts" }
}
"#
        );
        assert_eq!(provider().to_string(), "\nprovider \"podidentity\" {\n}\n");
        assert_eq!(quoted(r#"a "b" \ ${c}"#), r#""a \"b\" \\ ${c}""#);
    }
}
