import {
  to       = aws_eks_pod_identity_role.shared
  provider = podidentity # the type name is hashicorp/aws's: say which provider
  id       = "shop-dynamodb-read"
}
