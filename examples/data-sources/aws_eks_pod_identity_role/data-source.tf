# In a cluster state: find the common state's role by name, no terraform_remote_state needed.
# Reading fails at plan if the role does not trust pods.eks.amazonaws.com for sts:AssumeRole and
# sts:TagSession.
data "aws_eks_pod_identity_role" "shared" {
  provider = podidentity
  name     = "shop-dynamodb-read"
}

resource "aws_eks_pod_identity_association" "app" {
  provider        = podidentity
  cluster_name    = "shop-green"
  namespace       = "app"
  service_account = "app-sa"
  role_arn        = data.aws_eks_pod_identity_role.shared.arn
}

# What the common state gave the role can be checked without reading its state.
check "shared_role_is_read_only" {
  assert {
    condition     = contains(data.aws_eks_pod_identity_role.shared.policy_arns, "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    error_message = "The shared role does not have AmazonDynamoDBReadOnlyAccess attached."
  }
}

output "shared_role_tags" {
  value = data.aws_eks_pod_identity_role.shared.tags
}
