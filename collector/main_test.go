package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The CLI tests start HTTP servers and clients; none may outlive its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
