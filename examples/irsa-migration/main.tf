# Moving the IRSA role of the carts service account to EKS Pod Identity without downtime: the
# configuration during the migration (steps 1 and 2 of docs/guides/migrating-from-irsa.md).
#
# The role keeps the OIDC statement its IRSA pods use, next to the statement for EKS Pod
# Identity. Once the pods have moved (their service account no longer has the
# eks.amazonaws.com/role-arn annotation), remove additional_trust_statements (step 4).

terraform {
  required_version = ">= 1.5"
  required_providers {
    podidentity = {
      source  = "podidentity/podidentity"
      version = ">= 0.1"
    }
  }
}

# Region, credentials and endpoints come from the environment (AWS_REGION, AWS_PROFILE, ...).
provider "podidentity" {}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without https:// (aws eks describe-cluster --query cluster.identity.oidc.issuer)."
  type        = string
  default     = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
}

variable "account_id" {
  description = "The AWS account of the role and the cluster."
  type        = string
  default     = "111122223333"
}

# Step 1: take the existing IRSA role over. The block can go once the import is applied.
import {
  to       = aws_eks_pod_identity_role.carts
  provider = podidentity
  id       = "shop-carts"
}

resource "aws_eks_pod_identity_role" "carts" {
  provider = podidentity

  name = "shop-carts"

  # Who may use the role through EKS Pod Identity: the same service account IRSA allowed.
  allowed_service_accounts = ["carts/carts"]

  # The IRSA role's own statement, as its trust policy has it. Step 4 removes it.
  additional_trust_statements = jsonencode([{
    Effect    = "Allow"
    Principal = { Federated = "arn:aws:iam::${var.account_id}:oidc-provider/${var.oidc_issuer}" }
    Action    = "sts:AssumeRoleWithWebIdentity"
    Condition = {
      StringEquals = {
        "${var.oidc_issuer}:sub" = "system:serviceaccount:carts:carts"
        "${var.oidc_issuer}:aud" = "sts.amazonaws.com"
      }
    }
  }])

  # What the role has today: managed exclusively from now on.
  policy_arns = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
}

# Step 2: the association that gives the carts pods the role through EKS Pod Identity.
resource "aws_eks_pod_identity_association" "carts" {
  provider = podidentity

  cluster_name    = "shop-blue"
  namespace       = "carts"
  service_account = "carts"
  role_arn        = aws_eks_pod_identity_role.carts.arn
}
