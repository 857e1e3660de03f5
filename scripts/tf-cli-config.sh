#!/usr/bin/env bash
# Writes the project's own Terraform CLI config to $1 (default .build/terraformrc).
# With a local provider mirror (BYOK_TF_PROVIDER_MIRROR, or one found on this image) the
# config installs hashicorp providers from it only, so init/validate work offline; without
# one it is empty and Terraform uses the public registry as usual.
set -euo pipefail
out=${1:-.build/terraformrc}
mkdir -p "$(dirname "$out")"
mirror=${BYOK_TF_PROVIDER_MIRROR:-}
if [ -z "$mirror" ]; then
  for d in /opt/tf-plugins "$HOME/.terraform.d/plugins" /usr/share/terraform/plugins \
           /usr/local/share/terraform/plugins; do
    if [ -d "$d/registry.terraform.io/hashicorp/aws" ]; then mirror=$d; break; fi
  done
fi
tmp=$(mktemp "$out.XXXXXX")
if [ -n "$mirror" ]; then
  if [ ! -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
    echo "tf-cli-config: $mirror has no registry.terraform.io/hashicorp/aws" >&2
    rm -f "$tmp"; exit 1
  fi
  cat >"$tmp" <<HCL
# Written by scripts/tf-cli-config.sh; do not edit.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
HCL
else
  echo "# Written by scripts/tf-cli-config.sh: no local provider mirror, registry used." >"$tmp"
fi
if cmp -s "$tmp" "$out" 2>/dev/null; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
