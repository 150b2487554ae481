# Give the pods of service account carts/carts in cluster shop-green the role shop-carts.
resource "aws_eks_pod_identity_association" "carts" {
  provider = podidentity

  cluster_name    = "shop-green"
  namespace       = "carts"
  service_account = "carts"
  role_arn        = "arn:aws:iam::111122223333:role/shop-carts"

  tags = {
    app = "carts"
  }
}

# Chain to a role in another account: EKS assumes role_arn, then target_role_arn with the
# external_id this association exposes.
resource "aws_eks_pod_identity_association" "reports" {
  provider = podidentity

  cluster_name    = "shop-green"
  namespace       = "reports"
  service_account = "exporter"
  role_arn        = "arn:aws:iam::111122223333:role/shop-reports"
  target_role_arn = "arn:aws:iam::444455556666:role/reports-bucket-writer"
}

# Restrict the session further with a session policy (requires disable_session_tags).
resource "aws_eks_pod_identity_association" "readonly" {
  provider = podidentity

  cluster_name         = "shop-green"
  namespace            = "catalog"
  service_account      = "catalog"
  role_arn             = "arn:aws:iam::111122223333:role/shop-catalog"
  disable_session_tags = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:Query"]
      Resource = "*"
    }]
  })
}
