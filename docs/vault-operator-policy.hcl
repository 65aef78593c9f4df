# The Vault / OpenBao ACL policy the operator itself needs, with the default mounts
# (KV v2 at secret/, agent credentials below secret/agents/, Kubernetes auth at kubernetes/).
# Bind it to the operator's own Kubernetes-auth role (see README, "Vault / OpenBao").

# Find and configure the Kubernetes auth mount agents log in through.
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/kubernetes" {
  capabilities = ["create", "update", "read", "sudo"]
}
path "auth/kubernetes/config" {
  capabilities = ["create", "update", "read"]
}

# One policy, one role and one entity per agent, all named agent.<namespace>.<name>.
path "sys/policies/acl/agent.*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "auth/kubernetes/role/agent.*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "identity/entity/name/agent.*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "identity/entity-alias" {
  capabilities = ["create", "update"]
}
path "identity/lookup/entity" {
  capabilities = ["create", "update"]
}

# The agents' credentials (KV v2).
path "secret/data/agents/*" {
  capabilities = ["create", "update", "read"]
}
path "secret/metadata/agents/*" {
  capabilities = ["create", "update", "read", "delete"]
}
path "secret/destroy/agents/*" {
  capabilities = ["update"]
}
