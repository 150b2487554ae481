# The shared role of the common state: the app pods of every shop cluster, blue or green, get it
# through their cluster's pod identity association.
resource "aws_eks_pod_identity_role" "shared" {
  provider = podidentity

  name        = "shop-dynamodb-read"
  description = "DynamoDB read access for the shop app pods"

  # Written into the trust policy as session-tag conditions.
  allowed_clusters         = ["shop-*"]
  allowed_service_accounts = ["app/app-sa", "carts/*"]

  policy_arns = ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"]

  inline_policies = {
    orders-table = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:Query"]
        Resource = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
      }]
    })
  }

  tags = {
    app = "shop"
  }
}

output "shared_role_arn" {
  value = aws_eks_pod_identity_role.shared.arn
}
