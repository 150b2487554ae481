terraform {
  required_providers {
    podidentity = {
      source  = "podidentity/podidentity"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the standard AWS chain: environment, shared files and profiles, SSO,
# web identity, or an assumed role.
provider "podidentity" {
  region = "eu-west-1"

  # Refuse to touch any other account.
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      team       = "platform"
      managed-by = "terraform"
    }
  }
}
