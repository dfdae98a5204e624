//go:build tools

// Package tools only records which commands hack/build-helm.sh builds: the helm CLI that lints, renders and
// dry-runs charts/hpc-operator in the install e2e test.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
