# By cluster name and association ID (the hashicorp/aws form):
terraform import aws_eks_pod_identity_association.carts shop-green,a-0123456789abcdefg

# By cluster name, namespace and service account:
terraform import aws_eks_pod_identity_association.carts shop-green/carts/carts
