#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from their official Go modules
# through the Go module proxy, and Helm from its module, caching the binaries per version
# outside the clone. A second run finds them in the cache and returns at once.
#
# Usage: scripts/build-control-plane.sh            (prints the bin directory on its last line)
# Versions come from scripts/versions.env so the build, the tests and the docs agree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${AIO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-identity-operator}"
# Each component is cached under its own version, so changing one version rebuilds only it;
# bin_dir holds links to the pinned set, for callers that want one directory on PATH.
kube_dir="$cache_root/bin/kubernetes-$KUBERNETES_VERSION"
etcd_dir="$cache_root/bin/etcd-$ETCD_VERSION"
helm_dir="$cache_root/bin/helm-$HELM_VERSION"
bin_dir="$cache_root/bin/set-kubernetes-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
mkdir -p "$kube_dir" "$etcd_dir" "$helm_dir" "$bin_dir"

export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf '[control-plane build] %s\n' "$*" >&2; }

# Kubernetes' go.mod points every staging module at ./staging with a replace directive,
# which Go ignores in a dependency. Our wrapper module must therefore replace each staging
# module with its published v0.MINOR.PATCH twin; the list is read from the release itself
# because new staging modules appear between releases.
build_kubernetes() {
  if [[ -x "$kube_dir/kube-apiserver" && -x "$kube_dir/kube-controller-manager" ]]; then
    log "kube-apiserver and kube-controller-manager $KUBERNETES_VERSION: cached"
    return
  fi
  local work="$cache_root/work/kubernetes-$KUBERNETES_VERSION"
  local staging_version="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$work"
  log "fetching k8s.io/kubernetes $KUBERNETES_VERSION go.mod"
  local upstream_mod
  upstream_mod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module agentidentity.io/local-control-plane"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -E '^[[:space:]]+k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream_mod" |
      awk -v v="$staging_version" '{ printf "\t%s => %s %s\n", $1, $1, v }'
    echo ")"
  } >"$work/go.mod"
  log "wrapper module replaces $(grep -c '=> k8s.io' "$work/go.mod") staging modules with $staging_version"

  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  for cmd in kube-apiserver kube-controller-manager; do
    log "building $cmd $KUBERNETES_VERSION (the first build takes 15-25 minutes on 2 cores)"
    (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$kube_dir/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$kube_dir/$cmd.tmp" "$kube_dir/$cmd"
    log "built $cmd"
  done
}

# etcd's server module has package main at its root but carries replace directives, so
# `go install` refuses it; requiring it from a wrapper module works.
build_etcd() {
  if [[ -x "$etcd_dir/etcd" ]]; then
    log "etcd $ETCD_VERSION: cached"
    return
  fi
  local work="$cache_root/work/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  printf 'module agentidentity.io/local-etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$work/go.mod"
  log "building etcd $ETCD_VERSION"
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$etcd_dir/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$etcd_dir/etcd.tmp" "$etcd_dir/etcd"
  log "built etcd"
}

build_helm() {
  if [[ -x "$helm_dir/helm" ]]; then
    log "helm $HELM_VERSION: cached"
    return
  fi
  log "building helm $HELM_VERSION"
  GOBIN="$helm_dir/install" GOFLAGS= go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  mv "$helm_dir/install/helm" "$helm_dir/helm"
  rmdir "$helm_dir/install"
  log "built helm"
}

build_etcd
build_helm
build_kubernetes
for binary in "$kube_dir/kube-apiserver" "$kube_dir/kube-controller-manager" "$etcd_dir/etcd" "$helm_dir/helm"; do
  ln -sfn "$binary" "$bin_dir/$(basename "$binary")"
done
log "binaries ready in $bin_dir"
echo "$bin_dir"
