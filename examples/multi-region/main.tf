# Blue and green clusters in two regions, sharing one IAM role, from one provider block.
#
# IAM is global, so the role is created once; each association and agent names the region of
# its cluster with `region` (the provider's region when left out). The provider builds one EKS
# client per region, the first time a resource of that region needs it. The same works across
# states: a green state can set `region` on its resources and keep the common state's provider
# settings.

terraform {
  required_version = ">= 1.5"
  required_providers {
    podidentity = {
      source  = "podidentity/podidentity"
      version = ">= 0.1"
    }
  }
}

# Credentials and endpoints come from the environment (AWS_PROFILE, ...). The provider's region
# is blue's; green's resources say theirs.
provider "podidentity" {
  region = var.blue.region
  default_tags {
    tags = {
      app        = "shop"
      managed-by = "terraform"
    }
  }
}

variable "blue" {
  description = "The blue cluster: its name and region."
  type        = object({ name = string, region = string })
  default     = { name = "shop-blue", region = "eu-west-1" }
}

variable "green" {
  description = "The green cluster: its name and region."
  type        = object({ name = string, region = string })
  default     = { name = "shop-green", region = "us-west-2" }
}

# Trusted by the pods of app/app-sa in any shop cluster, whatever its region: the session tags
# EKS sends name the cluster, not the region.
resource "aws_eks_pod_identity_role" "dynamodb_read" {
  provider = podidentity

  name                     = "shop-dynamodb-read"
  allowed_clusters         = ["shop-*"]
  allowed_service_accounts = ["app/app-sa"]
  policy_arns              = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]
}

resource "aws_eks_pod_identity_agent" "blue" {
  provider     = podidentity
  cluster_name = var.blue.name
}

resource "aws_eks_pod_identity_agent" "green" {
  provider     = podidentity
  cluster_name = var.green.name
  region       = var.green.region
}

resource "aws_eks_pod_identity_association" "blue" {
  provider   = podidentity
  depends_on = [aws_eks_pod_identity_agent.blue]

  cluster_name    = var.blue.name
  namespace       = "app"
  service_account = "app-sa"
  role_arn        = aws_eks_pod_identity_role.dynamodb_read.arn
}

resource "aws_eks_pod_identity_association" "green" {
  provider   = podidentity
  depends_on = [aws_eks_pod_identity_agent.green]

  cluster_name    = var.green.name
  region          = var.green.region
  namespace       = "app"
  service_account = "app-sa"
  role_arn        = aws_eks_pod_identity_role.dynamodb_read.arn
}

# Both clusters grant the same role: compare what each region's EKS holds.
data "aws_eks_pod_identity_associations" "green" {
  provider     = podidentity
  depends_on   = [aws_eks_pod_identity_association.green]
  cluster_name = var.green.name
  region       = var.green.region
}

output "association_arns" {
  description = "Each association's ARN, which names its region."
  value = {
    blue  = aws_eks_pod_identity_association.blue.association_arn
    green = aws_eks_pod_identity_association.green.association_arn
  }
}

output "green_roles" {
  description = "The roles green's associations grant, as EKS in green's region lists them."
  value       = [for a in data.aws_eks_pod_identity_associations.green.associations : a.role_arn]
}
