//go:build tools

// Package tools pins sigs.k8s.io/metrics-server in this module: the bundle builds its command
// sigs.k8s.io/metrics-server/cmd/metrics-server (hack/images/metrics-server/build.json).
package tools

import (
	_ "sigs.k8s.io/metrics-server/cmd/metrics-server"
)
