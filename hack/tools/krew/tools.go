//go:build tools

// Package tools only records which command hack/build-krew.sh builds: krew, which installs the kubectl hpc
// plugin from plugins/hpc.yaml and the archive of make krew in the krew e2e test. Its own module, so that
// pinning it never moves the helm build's go.mod.
package tools

import (
	_ "sigs.k8s.io/krew/cmd/krew"
)
