# By cluster name:
terraform import aws_eks_pod_identity_agent.this shop-green
