# The association of one service account, e.g. to check which role it grants.
data "aws_eks_pod_identity_association" "carts" {
  provider = podidentity

  cluster_name    = "shop-blue"
  namespace       = "carts"
  service_account = "carts"
}

output "carts_role" {
  value = data.aws_eks_pod_identity_association.carts.role_arn
}
