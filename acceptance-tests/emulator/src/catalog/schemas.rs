//! The configuration schemas DescribeAddonConfiguration returns (one per add-on, the same for all
//! its versions) and CreateAddon/UpdateAddon check `configurationValues` against. Modelled on the
//! shape of the real schemas (draft-06, a `$ref` to a root definition, `additionalProperties:
//! false` on the add-on's own objects), reduced to the keys the emulator's users need. Seed 003
//! documents `{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}` for the agent.

pub(super) const POD_IDENTITY_AGENT: &str = r##"{
  "$ref": "#/definitions/EksPodIdentityAgent",
  "$schema": "http://json-schema.org/draft-06/schema#",
  "definitions": {
    "Agent": {
      "additionalProperties": false,
      "properties": {
        "additionalArgs": {
          "additionalProperties": {"type": "string"},
          "description": "Extra command-line arguments of the agent, e.g. {\"-b\": \"169.254.170.23\"} to listen on IPv4 only",
          "type": "object"
        }
      },
      "title": "Agent",
      "type": "object"
    },
    "EksPodIdentityAgent": {
      "additionalProperties": false,
      "properties": {
        "affinity": {"default": {}, "type": ["object", "null"]},
        "agent": {"$ref": "#/definitions/Agent"},
        "image": {"$ref": "#/definitions/Image"},
        "imagePullSecrets": {"items": {"type": "object"}, "type": "array"},
        "nodeSelector": {"additionalProperties": {"type": "string"}, "type": "object"},
        "podAnnotations": {"additionalProperties": {"type": "string"}, "type": "object"},
        "podLabels": {"additionalProperties": {"type": "string"}, "type": "object"},
        "priorityClassName": {"type": "string"},
        "resources": {"$ref": "#/definitions/Resources"},
        "tolerations": {"items": {"type": "object"}, "type": "array"},
        "updateStrategy": {"type": "object"}
      },
      "title": "EksPodIdentityAgent",
      "type": "object"
    },
    "Image": {
      "additionalProperties": false,
      "properties": {
        "containerRegistry": {"type": "string"},
        "repository": {"type": "string"},
        "tag": {"type": "string"}
      },
      "title": "Image",
      "type": "object"
    },
    "Limits": {
      "additionalProperties": false,
      "properties": {
        "cpu": {"type": "string"},
        "memory": {"type": "string"}
      },
      "title": "Limits",
      "type": "object"
    },
    "Resources": {
      "additionalProperties": false,
      "properties": {
        "limits": {"$ref": "#/definitions/Limits"},
        "requests": {"$ref": "#/definitions/Limits"}
      },
      "title": "Resources",
      "type": "object"
    }
  },
  "description": "eks-pod-identity-agent"
}"##;

pub(super) const EBS_CSI_DRIVER: &str = r##"{
  "$ref": "#/definitions/AwsEbsCsiDriver",
  "$schema": "http://json-schema.org/draft-06/schema#",
  "definitions": {
    "AwsEbsCsiDriver": {
      "additionalProperties": false,
      "properties": {
        "controller": {"$ref": "#/definitions/Controller"},
        "defaultStorageClass": {
          "additionalProperties": false,
          "properties": {"enabled": {"type": "boolean"}},
          "type": "object"
        },
        "node": {"$ref": "#/definitions/Node"},
        "sidecars": {"type": "object"}
      },
      "title": "AwsEbsCsiDriver",
      "type": "object"
    },
    "Controller": {
      "additionalProperties": false,
      "properties": {
        "extraVolumeTags": {"additionalProperties": {"type": "string"}, "type": "object"},
        "loggingFormat": {"enum": ["text", "json"], "type": "string"},
        "nodeSelector": {"additionalProperties": {"type": "string"}, "type": "object"},
        "podAnnotations": {"additionalProperties": {"type": "string"}, "type": "object"},
        "replicaCount": {"type": "integer"},
        "resources": {"type": "object"},
        "tolerations": {"items": {"type": "object"}, "type": "array"}
      },
      "title": "Controller",
      "type": "object"
    },
    "Node": {
      "additionalProperties": false,
      "properties": {
        "loggingFormat": {"enum": ["text", "json"], "type": "string"},
        "nodeSelector": {"additionalProperties": {"type": "string"}, "type": "object"},
        "resources": {"type": "object"},
        "tolerateAllTaints": {"type": "boolean"},
        "tolerations": {"items": {"type": "object"}, "type": "array"},
        "volumeAttachLimit": {"type": ["integer", "null"]}
      },
      "title": "Node",
      "type": "object"
    }
  },
  "description": "aws-ebs-csi-driver"
}"##;

/// The real vpc-cni schema types its `env` values and `enableNetworkPolicy` as strings with a
/// `format` (`{"format": "boolean", "type": "string"}`), so `true` is refused and `"true"` taken.
pub(super) const VPC_CNI: &str = r##"{
  "$ref": "#/definitions/VpcCni",
  "$schema": "http://json-schema.org/draft-06/schema#",
  "definitions": {
    "Env": {
      "additionalProperties": false,
      "properties": {
        "AWS_VPC_K8S_CNI_EXTERNALSNAT": {"format": "boolean", "type": "string"},
        "ENABLE_POD_ENI": {"format": "boolean", "type": "string"},
        "ENABLE_PREFIX_DELEGATION": {"format": "boolean", "type": "string"},
        "MINIMUM_IP_TARGET": {"format": "integer", "type": "string"},
        "WARM_ENI_TARGET": {"format": "integer", "type": "string"},
        "WARM_IP_TARGET": {"format": "integer", "type": "string"},
        "WARM_PREFIX_TARGET": {"format": "integer", "type": "string"}
      },
      "title": "Env",
      "type": "object"
    },
    "VpcCni": {
      "additionalProperties": false,
      "properties": {
        "affinity": {"type": ["object", "null"]},
        "enableNetworkPolicy": {"format": "boolean", "type": "string"},
        "env": {"$ref": "#/definitions/Env"},
        "nodeAgent": {"type": "object"},
        "resources": {"type": "object"},
        "tolerations": {"items": {"type": "object"}, "type": "array"}
      },
      "title": "VpcCni",
      "type": "object"
    }
  },
  "description": "vpc-cni"
}"##;
