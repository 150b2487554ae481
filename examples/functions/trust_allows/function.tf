variable "shared_role_trust_policy" {
  description = "The shared role's trust policy, e.g. from the common state's outputs."
  type        = string
  default     = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"pods.eks.amazonaws.com\"},\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"],\"Condition\":{\"StringLike\":{\"aws:RequestTag/eks-cluster-name\":[\"shop-blue\"]}}}]}"
}

# Stop a cutover to shop-green before it starts when the shared role does not trust it yet.
resource "terraform_data" "cutover_guard" {
  lifecycle {
    precondition {
      condition = provider::podidentity::trust_allows(
        var.shared_role_trust_policy, "shop-green", "app", "app-sa"
      )
      error_message = provider::podidentity::trust_explain(
        var.shared_role_trust_policy, "shop-green", "app", "app-sa"
      )
    }
  }
}
