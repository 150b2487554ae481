locals {
  # The exact document aws_eks_pod_identity_role writes for these restrictions.
  shared_role_trust = provider::podidentity::trust_policy(
    ["shop-blue", "shop-green"], # allowed_clusters (null: any cluster)
    ["app/app-sa", "carts/*"],   # allowed_service_accounts (null: any service account)
  )
}

output "shared_role_trust" {
  value = local.shared_role_trust
}
