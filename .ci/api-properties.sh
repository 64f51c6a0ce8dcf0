#!/usr/bin/env bash
# API properties: schemathesis generates requests from /v1/openapi.json for a
# fresh server, as each staff role, and fails on any 5xx answer or any answer
# that breaks the document (status, content type, body schema).
set -euo pipefail
source "$(dirname "$0")/../examples/fresh-server.sh"

if ! command -v st >/dev/null 2>&1; then
  step "Install schemathesis (PyPI)"
  python3 -m pip install --quiet schemathesis
fi
start_fresh_server

as admin login --token "$admin_token" > /dev/null
for role in admin teacher communications; do
  if [ "$role" = admin ]; then
    token=$admin_token
  else
    id=$(as admin staff add --name "Property $role" --role "$role" --json | number id)
    token=$(as admin staff token "$id" --json | field token)
  fi
  step "schemathesis as $role"
  # Revoking API tokens is left out: the run would revoke its own credential.
  st run "$url/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path '/v1/tokens/{id}' \
    --max-examples 30 --seed 1 --workers 1 --no-color
done
