#!/usr/bin/env bash
# The release to install: INPUT_VERSION as given (a leading `v` dropped), or for `latest` the
# newest release's tag, asked of the GitHub API. Writes `version=X.Y.Z` to $GITHUB_OUTPUT.
set -euo pipefail
version="${INPUT_VERSION:-latest}"
if [ "$version" = latest ]; then
  api="${GITHUB_API_URL:-https://api.github.com}/repos/tooleval/tooleval/releases/latest"
  auth=()
  if [ -n "${GH_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $GH_TOKEN"); fi
  tag=$(curl -fsSL "${auth[@]}" "$api" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tag_name"])') || {
    echo "::error title=tooleval::cannot find the latest release at $api; set the action's \`version\` input" >&2
    exit 2
  }
  version="$tag"
fi
version="${version#v}"
echo "version=$version" >> "$GITHUB_OUTPUT"
