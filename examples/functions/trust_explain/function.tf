locals {
  trust = provider::podidentity::trust_policy(["shop-blue"], ["app/*"])
}

output "why_not_green" {
  # "denied: sts:AssumeRole: statement 1: StringLike aws:RequestTag/eks-cluster-name ..."
  value = provider::podidentity::trust_explain(local.trust, "shop-green", "app", "app-sa")
}

output "why_blue" {
  value = provider::podidentity::trust_explain(
    local.trust, "arn:aws:eks:eu-west-1:123456789012:cluster/shop-blue", "app", "app-sa"
  )
}
