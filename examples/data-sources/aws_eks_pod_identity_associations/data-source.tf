# Blue/green parity: before cutting traffic over, check that green grants every service account
# the role blue grants it.
data "aws_eks_pod_identity_associations" "blue" {
  provider     = podidentity
  cluster_name = "shop-blue"
}

data "aws_eks_pod_identity_associations" "green" {
  provider     = podidentity
  cluster_name = "shop-green"
}

locals {
  blue_roles  = { for a in data.aws_eks_pod_identity_associations.blue.associations : "${a.namespace}/${a.service_account}" => a.role_arn }
  green_roles = { for a in data.aws_eks_pod_identity_associations.green.associations : "${a.namespace}/${a.service_account}" => a.role_arn }
}

check "green_matches_blue" {
  assert {
    condition     = local.blue_roles == local.green_roles
    error_message = "Green's pod identity associations differ from blue's."
  }
}
