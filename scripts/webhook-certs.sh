#!/usr/bin/env bash
# A self-signed certificate for the admission webhook, for a quick start without cert-manager
# (with cert-manager, use the config/certmanager component instead):
#   bash scripts/webhook-certs.sh              # after `kubectl apply -k config/default`
#     1. makes a CA and a serving certificate for the webhook Service's DNS names with openssl
#        (EC P-256, DAYS days), in a temporary folder;
#     2. creates or updates the Secret the operator mounts (type kubernetes.io/tls: tls.crt, tls.key,
#        ca.crt); the operator pods, waiting for it, then start, and running ones read the new pair
#        without a restart once the kubelet has refreshed the mount (about a minute);
#     3. writes the CA into the ValidatingWebhookConfiguration's caBundle.
#   bash scripts/webhook-certs.sh --out DIR    # step 1 only: ca.crt, ca.key, tls.crt, tls.key in DIR
# Run it again to renew before DAYS are up. A renewal changes the CA too: until the kubelet has
# refreshed the pods' mount, the API server's calls fail and, with failurePolicy Ignore, pass.
# Settings (environment): KUBECTL (kubectl), NAMESPACE (eip-system), SERVICE
# (eip-operator-webhook-service), SECRET (eip-operator-webhook-server-cert), CONFIGURATION
# (eip-operator-validating-webhook-configuration), DAYS (365). KUBECONFIG as kubectl reads it.
set -euo pipefail
KUBECTL="${KUBECTL:-kubectl}"
NAMESPACE="${NAMESPACE:-eip-system}"
SERVICE="${SERVICE:-eip-operator-webhook-service}"
SECRET="${SECRET:-eip-operator-webhook-server-cert}"
CONFIGURATION="${CONFIGURATION:-eip-operator-validating-webhook-configuration}"
DAYS="${DAYS:-365}"

out=""
if [ "${1:-}" = "--out" ]; then
  out="${2:?usage: webhook-certs.sh [--out DIR]}"
  mkdir -p "$out"
elif [ $# -gt 0 ]; then
  echo "usage: webhook-certs.sh [--out DIR]" >&2
  exit 2
fi
dir="${out:-$(mktemp -d)}"
[ -n "$out" ] || trap 'rm -rf "$dir"' EXIT

host="$SERVICE.$NAMESPACE.svc"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$dir/ca.key" -out "$dir/ca.crt" -days "$DAYS" -subj "/CN=eip-operator-webhook-ca" 2>/dev/null
openssl req "${ec[@]}" -keyout "$dir/tls.key" -out "$dir/tls.csr" -subj "/CN=$host" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n' "$host" "$host" > "$dir/ext.cnf"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/tls.crt" \
  -days "$DAYS" -extfile "$dir/ext.cnf" 2>/dev/null
rm -f "$dir/tls.csr" "$dir/ext.cnf" "$dir/ca.srl"
if [ -n "$out" ]; then
  echo "webhook-certs: $out/{ca.crt,tls.crt,tls.key} for $host, $DAYS days"
  exit 0
fi

"$KUBECTL" -n "$NAMESPACE" create secret generic "$SECRET" --type=kubernetes.io/tls \
  --from-file=tls.crt="$dir/tls.crt" --from-file=tls.key="$dir/tls.key" --from-file=ca.crt="$dir/ca.crt" \
  --dry-run=client -o yaml | "$KUBECTL" apply -f -
ca="$(base64 -w0 < "$dir/ca.crt")"
"$KUBECTL" patch validatingwebhookconfiguration "$CONFIGURATION" --type=json \
  -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"}]"
echo "webhook-certs: Secret $NAMESPACE/$SECRET and the caBundle of $CONFIGURATION hold a certificate for $host, $DAYS days"
