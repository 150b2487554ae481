# The blue cluster's state. In a real setup it also creates the cluster itself (for example
# module "eks" with hashicorp/aws) and passes its name to the association below; the role comes
# from the common state, found by name, without terraform_remote_state.
#
# Cutover: apply green, move traffic, destroy blue. Neither step touches the role.

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
      state      = "blue"
    }
  }
}

variable "cluster_name" {
  description = "Name of this state's EKS cluster."
  type        = string
  default     = "shop-blue"
}

variable "role_name" {
  description = "Name of the shared role created by the common state."
  type        = string
  default     = "shop-dynamodb-read"
}

# Fails at plan if the role does not trust pods.eks.amazonaws.com for sts:AssumeRole and
# sts:TagSession, so a wrong role name is caught before anything changes.
data "aws_eks_pod_identity_role" "dynamodb_read" {
  provider = podidentity
  name     = var.role_name
}

# The EKS Pod Identity Agent: without it no pod of this cluster gets credentials. Its version is
# the one EKS picks for the cluster's Kubernetes version.
resource "aws_eks_pod_identity_agent" "this" {
  provider     = podidentity
  cluster_name = var.cluster_name
}

resource "aws_eks_pod_identity_association" "app" {
  provider = podidentity

  # Created once the agent is ACTIVE, so the cluster can hand the pods their credentials.
  depends_on = [aws_eks_pod_identity_agent.this]

  cluster_name    = var.cluster_name
  namespace       = "app"
  service_account = "app-sa"
  role_arn        = data.aws_eks_pod_identity_role.dynamodb_read.arn
}

output "association_id" {
  value = aws_eks_pod_identity_association.app.association_id
}

output "agent_version" {
  value = aws_eks_pod_identity_agent.this.addon_version
}

output "role_arn" {
  value = aws_eks_pod_identity_association.app.role_arn
}
