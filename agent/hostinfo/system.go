package hostinfo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/shirou/gopsutil/v4/host"
)

// systemInfo is what gopsutil's host package tells about the machine.
type systemInfo struct {
	os, arch, kernel          string
	platform, family, version string
}

// gopsutilSystem calls the three gopsutil functions host.InfoWithContext is
// made of that we need. InfoWithContext itself also counts processes and
// probes virtualization, and returns nothing at all if any part fails; here a
// failing part only leaves its fields empty.
func gopsutilSystem(ctx context.Context) (systemInfo, error) {
	si := systemInfo{os: runtime.GOOS}
	var errs []error
	var err error
	if si.arch, err = host.KernelArch(); err != nil {
		errs = append(errs, fmt.Errorf("read architecture: %w", err))
	}
	if si.kernel, err = host.KernelVersionWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read kernel version: %w", err))
	}
	if si.platform, si.family, si.version, err = host.PlatformInformationWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read platform: %w", err))
	}
	return si, errors.Join(errs...)
}

// ecsFamily maps gopsutil's platform family to the values Metricbeat (and so
// Kibana's host views) use: gopsutil says "rhel" for the Red Hat family
// (RHEL, CentOS, Amazon Linux, Rocky, ...), ECS examples and Beats "redhat".
func ecsFamily(family string) string {
	if family == "rhel" {
		return "redhat"
	}
	return family
}

// parseOSRelease parses os-release(5): KEY=value lines, values optionally
// quoted with shell-style escapes; comments and blank lines ignored.
func parseOSRelease(b []byte) map[string]string {
	out := map[string]string{}
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, v, ok := bytes.Cut(line, []byte("="))
		if !ok {
			continue
		}
		val := unquoteShell(string(v))
		out[string(k)] = val
	}
	return out
}

// unquoteShell strips os-release's shell quoting: '...' literally, "..." with
// backslash escapes of $ " \ and `.
func unquoteShell(v string) string {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return v
	}
	q, v := v[0], v[1:len(v)-1]
	if q == '\'' {
		return v
	}
	var sb strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$\"\\`", v[i+1]) >= 0 {
			i++
		}
		sb.WriteByte(v[i])
	}
	return sb.String()
}
