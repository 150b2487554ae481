# The common state: what outlives any one cluster. In a real setup it also holds the VPC, the
# DNS zone and the DynamoDB table (with hashicorp/aws); here it owns the shared IAM role that the
# pods of every shop cluster use.
#
# It references nothing from the cluster states: with EKS Pod Identity the role trusts the EKS
# service principal, not a cluster's identity provider, so creating or destroying a cluster never
# changes this state.

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
provider "podidentity" {
  default_tags {
    tags = {
      app        = "shop"
      managed-by = "terraform"
      state      = "common"
    }
  }
}

variable "role_name" {
  description = "Name of the shared role the app pods of every shop cluster get."
  type        = string
  default     = "shop-dynamodb-read"
}

variable "cluster_name_patterns" {
  description = "Clusters whose pods may use the role. A pattern, so a new cluster needs no change here."
  type        = set(string)
  default     = ["shop-*"]
}

variable "service_accounts" {
  description = "namespace/name of the service accounts that may use the role."
  type        = set(string)
  default     = ["app/app-sa"]
}

resource "aws_eks_pod_identity_role" "dynamodb_read" {
  provider = podidentity

  name        = var.role_name
  description = "DynamoDB read access for the shop app pods, shared by every shop cluster"

  # Written into the trust policy as session-tag conditions: plain strings, no cluster state read.
  allowed_clusters         = var.cluster_name_patterns
  allowed_service_accounts = var.service_accounts

  policy_arns = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
}

output "role_arn" {
  description = "ARN of the shared role."
  value       = aws_eks_pod_identity_role.dynamodb_read.arn
}

output "role_name" {
  description = "Name of the shared role; the cluster states look it up by this name."
  value       = aws_eks_pod_identity_role.dynamodb_read.name
}

output "trust_policy" {
  description = "The trust policy the role has, for review."
  value       = aws_eks_pod_identity_role.dynamodb_read.trust_policy
}
