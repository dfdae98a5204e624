# shellcheck shell=sh disable=SC2034,SC2154 # sourced by stack.sh, which defines the shared variables
# The Kubernetes control plane of the local stack: etcd, kube-apiserver and kube-controller-manager on
# loopback, with a throw-away PKI, RBAC authorization and service-account signing keys. Sourced by stack.sh.

CP_PKI="$HPC_STACK/pki"
KUBECONFIG_FILE="$HPC_STACK/kubeconfig"

# cp_cert NAME SUBJECT EXTFILE-LINES: a key and a certificate signed by the stack's CA.
cp_cert() {
  _name=$1 _subj=$2 _ext=$3
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$CP_PKI/$_name.key" -subj "$_subj" -out "$CP_PKI/$_name.csr" 2>/dev/null
  printf '%b\n' "$_ext" >"$CP_PKI/$_name.ext"
  openssl x509 -req -in "$CP_PKI/$_name.csr" -CA "$CP_PKI/ca.crt" -CAkey "$CP_PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$CP_PKI/$_name.ext" -out "$CP_PKI/$_name.crt" 2>/dev/null
  rm -f "$CP_PKI/$_name.csr" "$CP_PKI/$_name.ext"
  chmod 600 "$CP_PKI/$_name.key"
}

# cp_kubeconfig FILE CERT-NAME: a kubeconfig that authenticates with a client certificate.
cp_kubeconfig() {
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: hpcop-local
  cluster:
    server: https://127.0.0.1:$HPC_APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$CP_PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$CP_PKI/$2.crt")
    client-key-data: $(base64 -w0 "$CP_PKI/$2.key")
contexts:
- name: hpcop-local
  context: {cluster: hpcop-local, user: $2}
current-context: hpcop-local
KC
  chmod 600 "$1"
}

cp_pki() {
  [ -f "$CP_PKI/.done" ] && return 0
  rm -rf "$CP_PKI"
  mkdir -p "$CP_PKI"
  chmod 700 "$CP_PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$CP_PKI/ca.key" -out "$CP_PKI/ca.crt" -subj "/CN=hpcop-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  cp_cert apiserver "/CN=kube-apiserver" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  cp_cert admin "/O=system:masters/CN=hpcop-admin" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  cp_cert controller-manager "/CN=system:kube-controller-manager" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CP_PKI/sa.key" 2>/dev/null
  openssl pkey -in "$CP_PKI/sa.key" -pubout -out "$CP_PKI/sa.pub"
  chmod 600 "$CP_PKI/sa.key"
  cp_kubeconfig "$KUBECONFIG_FILE" admin
  cp_kubeconfig "$CP_PKI/controller-manager.kubeconfig" controller-manager
  touch "$CP_PKI/.done"
}

cp_apiserver_ready() {
  curl -sf --cacert "$CP_PKI/ca.crt" --cert "$CP_PKI/admin.crt" --key "$CP_PKI/admin.key" \
    "https://127.0.0.1:$HPC_APISERVER_PORT/readyz" >/dev/null
}

cp_up() {
  cp_pki
  mkdir -p "$HPC_STACK/etcd"
  if ! pid_alive "$PIDS/etcd.pid"; then
    start_daemon etcd "$HPC_BIN/etcd" --name hpcop --data-dir "$HPC_STACK/etcd" \
      --listen-client-urls "http://127.0.0.1:$HPC_ETCD_PORT" \
      --advertise-client-urls "http://127.0.0.1:$HPC_ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$HPC_ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$HPC_ETCD_PEER_PORT" \
      --initial-cluster "hpcop=http://127.0.0.1:$HPC_ETCD_PEER_PORT" \
      --unsafe-no-fsync --quota-backend-bytes 4294967296
  fi
  wait_for 30 "etcd health" curl -sf "http://127.0.0.1:$HPC_ETCD_PORT/health"
  if ! pid_alive "$PIDS/kube-apiserver.pid"; then
    start_daemon kube-apiserver "$HPC_BIN/kube-apiserver" \
      --etcd-servers "http://127.0.0.1:$HPC_ETCD_PORT" \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$HPC_APISERVER_PORT" \
      --tls-cert-file "$CP_PKI/apiserver.crt" --tls-private-key-file "$CP_PKI/apiserver.key" \
      --client-ca-file "$CP_PKI/ca.crt" \
      --authorization-mode RBAC \
      --service-cluster-ip-range 10.0.0.0/24 \
      --service-account-issuer "https://127.0.0.1:$HPC_APISERVER_PORT" \
      --service-account-key-file "$CP_PKI/sa.pub" \
      --service-account-signing-key-file "$CP_PKI/sa.key" \
      --api-audiences "https://127.0.0.1:$HPC_APISERVER_PORT" \
      --profiling=false
  fi
  wait_for 90 "kube-apiserver /readyz" cp_apiserver_ready
  if ! pid_alive "$PIDS/kube-controller-manager.pid"; then
    # Namespace deletion, garbage collection of owned objects and service-account tokens need it. Each
    # controller acts as its own ServiceAccount, with the bootstrap RBAC roles made for it.
    start_daemon kube-controller-manager "$HPC_BIN/kube-controller-manager" \
      --kubeconfig "$CP_PKI/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$CP_PKI/controller-manager.kubeconfig" \
      --authorization-kubeconfig "$CP_PKI/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
      --service-account-private-key-file "$CP_PKI/sa.key" --root-ca-file "$CP_PKI/ca.crt" \
      --use-service-account-credentials=true \
      --controllers 'namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller'
  fi
}

# The namespace the operator's leader election Lease lives in (config/manager uses the same).
cp_namespaces() {
  "$HPC_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" get namespace hpc-operator-system >/dev/null 2>&1 ||
    "$HPC_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" create namespace hpc-operator-system >/dev/null
}

cp_status() {
  status_line etcd etcd "http://127.0.0.1:$HPC_ETCD_PORT" curl -sf "http://127.0.0.1:$HPC_ETCD_PORT/health"
  status_line kube-apiserver kube-apiserver "https://127.0.0.1:$HPC_APISERVER_PORT" cp_apiserver_ready
  status_line kube-controller-manager kube-controller-manager "-" true
}
