# By role name:
terraform import aws_eks_pod_identity_role.shared shop-dynamodb-read
