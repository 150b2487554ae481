//! The blue/green upgrade story of `examples/blue-green`, run against a local stack: a common
//! state owns the shared role, the blue and green cluster states associate their clusters'
//! service accounts with it, and the upgrade is apply green → cut over → destroy blue.
//!
//! `make demo` runs it start to finish ([`Story::run`]); the lifecycle acceptance test drives the
//! same steps one by one and checks more at each.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_iam::operation::get_role::GetRoleError;
use serde_json::Value;

use crate::harness::{workspace_root, Sdk, Stack, Terraform};

/// The shared role of the examples (the common state's default).
pub const ROLE_NAME: &str = "shop-dynamodb-read";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Blue,
    Green,
}

impl Color {
    pub fn name(self) -> &'static str {
        match self {
            Color::Blue => "blue",
            Color::Green => "green",
        }
    }

    /// The cluster each example state defaults to.
    pub fn cluster(self) -> &'static str {
        match self {
            Color::Blue => "shop-blue",
            Color::Green => "shop-green",
        }
    }
}

/// The directory of one of the three example states.
pub fn example_dir(name: &str) -> PathBuf {
    workspace_root().join("examples/blue-green").join(name)
}

/// The three states, each in its own terraform working directory, wired to one stack.
pub struct Story<'a> {
    pub stack: &'a Stack,
    pub common: Terraform,
    pub blue: Terraform,
    pub green: Terraform,
    iam: Sdk<aws_sdk_iam::Client>,
}

impl<'a> Story<'a> {
    pub fn new(stack: &'a Stack) -> Story<'a> {
        let state = |name: &str| {
            let tf = Terraform::new(stack);
            tf.copy_config_from(&example_dir(name));
            tf
        };
        Story {
            stack,
            common: state("common"),
            blue: state("blue"),
            green: state("green"),
            iam: stack.iam(),
        }
    }

    pub fn cluster_state(&self, color: Color) -> &Terraform {
        match color {
            Color::Blue => &self.blue,
            Color::Green => &self.green,
        }
    }

    /// Create both clusters in the emulator: what hashicorp/aws's aws_eks_cluster does in the
    /// real cluster states.
    pub fn create_clusters(&self) {
        for color in [Color::Blue, Color::Green] {
            self.stack.create_cluster(color.cluster());
        }
    }

    /// The role's trust policy exactly as IAM returns it (GetRole's AssumeRolePolicyDocument).
    pub fn trust_policy_in_iam(&self) -> Result<String> {
        let out = self
            .iam
            .try_run(self.iam.client.get_role().role_name(ROLE_NAME).send())
            .map_err(|e| anyhow!("GetRole {ROLE_NAME}: {e:?}"))?;
        out.role
            .map(|r| r.assume_role_policy_document.unwrap_or_default())
            .ok_or_else(|| anyhow!("GetRole returned no role"))
    }

    /// Whether IAM has the shared role. Only NoSuchEntity means it does not: any other error
    /// (moto unreachable, say) is an error, not an absent role.
    pub fn role_exists(&self) -> Result<bool> {
        let got = self
            .iam
            .try_run(self.iam.client.get_role().role_name(ROLE_NAME).send());
        match got {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(GetRoleError::is_no_such_entity_exception) =>
            {
                Ok(false)
            }
            Err(err) => Err(anyhow!("GetRole {ROLE_NAME}: {err:?}")),
        }
    }

    /// `(namespace/service_account, role_arn)` of every association of a cluster, from EKS.
    pub fn associations(&self, color: Color) -> Vec<(String, String)> {
        self.stack
            .associations(color.cluster())
            .iter()
            .map(|a| {
                (
                    format!(
                        "{}/{}",
                        a["namespace"].as_str().unwrap_or_default(),
                        a["serviceAccount"].as_str().unwrap_or_default()
                    ),
                    a["roleArn"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Run the whole story, printing one or two lines a step. Fails at the first step that does
    /// not do what the story says.
    pub fn run(&self, say: &mut dyn FnMut(&str)) -> Result<()> {
        let started = Instant::now();
        self.create_clusters();
        say("[1/10] clusters shop-blue and shop-green exist (created in the EKS emulator, standing in for aws_eks_cluster)");

        self.common.apply();
        let role_arn = self
            .common
            .outputs()
            .get("role_arn")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("common has no role_arn output"))?
            .to_string();
        let role = self
            .common
            .resource("aws_eks_pod_identity_role.dynamodb_read");
        let list = |key: &str| {
            role[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let trust_before = self.trust_policy_in_iam()?;
        say(&format!("[2/10] common: applied; shared role {role_arn}"));
        say(&format!(
            "      trusted by pods.eks.amazonaws.com for clusters [{}] and service accounts [{}] ({} bytes of trust policy)",
            list("allowed_clusters"),
            list("allowed_service_accounts"),
            trust_before.len()
        ));

        for (step, color) in [(3, Color::Blue), (4, Color::Green)] {
            let tf = self.cluster_state(color);
            tf.apply();
            let outputs = tf.outputs();
            let output = |name: &str| {
                outputs
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string()
            };
            say(&format!(
                "[{step}/10] {}: applied; Pod Identity Agent {} ACTIVE on {}; {} app/app-sa -> {ROLE_NAME} (association {})",
                color.name(),
                output("agent_version"),
                color.cluster(),
                color.cluster(),
                output("association_id")
            ));
        }

        let blue = self.associations(Color::Blue);
        let green = self.associations(Color::Green);
        let roles: std::collections::BTreeSet<&String> = blue
            .iter()
            .chain(green.iter())
            .map(|(_, role)| role)
            .collect();
        if blue.is_empty() || green.is_empty() || roles.len() != 1 || !roles.contains(&role_arn) {
            bail!("expected both clusters to use {role_arn}: blue {blue:?}, green {green:?}");
        }
        let accounts = |list: &[(String, String)]| {
            list.iter()
                .map(|(sa, _)| sa.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        say(&format!(
            "[5/10] one role for both clusters: shop-blue [{}] and shop-green [{}] -> {role_arn}",
            accounts(&blue),
            accounts(&green)
        ));

        self.pods_get_credentials(say)?;

        self.blue.destroy();
        say(&format!(
            "[8/10] traffic moved to green, blue destroyed: shop-blue has {} associations, shop-green has {}",
            self.associations(Color::Blue).len(),
            self.associations(Color::Green).len()
        ));

        match self
            .stack
            .pod_credentials(Color::Blue.cluster(), "app", "app-sa")
        {
            Ok(session) => bail!(
                "a blue pod still got credentials after blue was destroyed: {}",
                session.assumed_role_arn
            ),
            Err(refused) => say(&format!(
                "      a pod of app/app-sa in shop-blue is refused now: {refused}"
            )),
        }

        if !self.common.plan_is_empty() {
            bail!("the common state's plan is not empty after blue was destroyed");
        }
        let trust_after = self.trust_policy_in_iam()?;
        if trust_after != trust_before {
            bail!("the trust policy changed:\nbefore: {trust_before}\nafter:  {trust_after}");
        }
        say("[9/10] common: plan shows no changes; the role's trust policy is byte-identical to before");

        self.green.destroy();
        self.common.destroy();
        if self.role_exists()? {
            bail!("the role still exists after destroying common");
        }
        say(&format!(
            "[10/10] green and common destroyed; role deleted. The story took {:.1} s.",
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }
}

impl Story<'_> {
    /// The pods' side, through the EKS Auth API as the Pod Identity Agent calls it: a green pod
    /// of app/app-sa gets credentials for the shared role with its session tags; a pod of a
    /// service account the role does not trust is refused even when someone associates it by
    /// hand, outside Terraform.
    fn pods_get_credentials(&self, say: &mut dyn FnMut(&str)) -> Result<()> {
        let green = Color::Green.cluster();
        let session = self
            .stack
            .pod_credentials(green, "app", "app-sa")
            .map_err(|refused| anyhow!("a green pod of app/app-sa was refused: {refused}"))?;
        say(&format!(
            "[6/10] a pod of app/app-sa in {green} gets credentials: {}",
            session.assumed_role_arn
        ));
        say(&format!(
            "       session tags: {}",
            session.session_tags.join(", ")
        ));

        let role_arn = self
            .associations(Color::Green)
            .first()
            .map(|(_, role)| role.clone())
            .ok_or_else(|| anyhow!("green has no association"))?;
        let eks = self.stack.eks_api();
        let intruder = eks
            .try_run(
                eks.client
                    .create_pod_identity_association()
                    .cluster_name(green)
                    .namespace("app")
                    .service_account("intruder")
                    .role_arn(&role_arn)
                    .send(),
            )
            .map_err(|e| anyhow!("associating app/intruder by hand: {e:?}"))?
            .association
            .and_then(|a| a.association_id)
            .ok_or_else(|| anyhow!("EKS answered without the association"))?;
        let refused = self.stack.pod_credentials(green, "app", "intruder");
        eks.try_run(
            eks.client
                .delete_pod_identity_association()
                .cluster_name(green)
                .association_id(&intruder)
                .send(),
        )
        .map_err(|e| anyhow!("deleting app/intruder's association: {e:?}"))?;
        match refused {
            Ok(session) => bail!(
                "a pod of app/intruder got credentials: {}",
                session.assumed_role_arn
            ),
            Err(refused) => say(&format!(
                "[7/10] a pod of app/intruder in {green}, associated by hand outside Terraform, is refused: {refused}"
            )),
        }
        Ok(())
    }
}

/// Run the demo on a fresh stack, printing to stdout.
pub fn demo() -> Result<()> {
    let stack = Stack::try_start(&Default::default()).context("starting the local AWS stack")?;
    println!(
        "local AWS stack up: moto (IAM, STS) at {}, EKS emulator at {}",
        stack.moto.url(),
        stack.eks.url()
    );
    let story = Story::new(&stack);
    story.run(&mut |line| println!("{line}"))?;
    drop(story);
    drop(stack);
    println!("local AWS stack stopped");
    Ok(())
}
