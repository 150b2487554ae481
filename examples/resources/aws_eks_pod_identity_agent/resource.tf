# The EKS Pod Identity Agent on cluster shop-green: the daemon that gives pods the credentials of
# their pod identity associations. Its version defaults to the one EKS installs by default for
# the cluster's Kubernetes version.
resource "aws_eks_pod_identity_agent" "this" {
  provider = podidentity

  cluster_name = "shop-green"

  # For nodes without IPv6: the agent listens on 169.254.170.23 only.
  disable_ipv6 = true

  tags = {
    team = "platform"
  }

  timeouts {
    create = "30m"
  }
}
