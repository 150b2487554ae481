import {
  to       = aws_eks_pod_identity_agent.this
  provider = podidentity # the type name is hashicorp/aws's: say which provider
  id       = "shop-green"
}
