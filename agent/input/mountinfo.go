package input

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// mount is what the filesystem input needs from one line of
// /proc/self/mountinfo (proc_pid_mountinfo(5)).
type mount struct {
	// devID is the filesystem's st_dev ("major:minor"); every bind mount of
	// one filesystem has the same devID.
	devID  string
	point  string
	fstype string
	device string // mount source, e.g. /dev/nvme0n1p1 or server:/export
}

// parseMountinfo parses /proc/<pid>/mountinfo. We read it rather than using
// gopsutil's disk.Partitions because that either drops every "nodev"
// filesystem (NFS, CIFS: the mounts most likely to hang and fill) or, with
// all=true, hides the device ID we need to spot bind mounts of one device.
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	(1)(2) (3)  (4)   (5)     (6)       (7)   (8) (9)   (10)      (11)
func parseMountinfo(b []byte) ([]mount, error) {
	var out []mount
	for lineNo := 1; len(b) > 0; lineNo++ {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		// The optional fields (7) vary in number; " - " ends them.
		pre, post, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			return nil, fmt.Errorf("parse mountinfo line %d: no \" - \" separator", lineNo)
		}
		f, g := bytes.Fields(pre), bytes.Fields(post)
		if len(f) < 5 || len(g) < 2 {
			return nil, fmt.Errorf("parse mountinfo line %d: too few fields", lineNo)
		}
		out = append(out, mount{
			devID:  string(f[2]),
			point:  unescapeMountinfo(f[4]),
			fstype: string(g[0]),
			device: unescapeMountinfo(g[1]),
		})
	}
	return out, nil
}

// unescapeMountinfo undoes the kernel's octal escapes of space, tab, newline
// and backslash (\040, \011, \012, \134) in paths.
func unescapeMountinfo(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]) {
			sb.WriteByte((b[i+1]-'0')<<6 | (b[i+2]-'0')<<3 | (b[i+3] - '0'))
			i += 3
			continue
		}
		sb.WriteByte(b[i])
	}
	return sb.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// selectMounts picks the mounts to statfs, in mount order:
//   - a mount point mounted over again is reported once, as the top mount,
//     which is the one statfs(2) sees;
//   - excluded types and mount point globs are dropped;
//   - of several mounts of one filesystem (bind mounts, btrfs subvolumes) only
//     the first is kept, so its space is not reported twice.
func selectMounts(ms []mount, excludeTypes map[string]bool, excludeGlobs []string) []mount {
	top := make(map[string]int, len(ms))
	for i, m := range ms {
		top[m.point] = i
	}
	seen := make(map[string]bool, len(ms))
	var out []mount
	for i, m := range ms {
		if top[m.point] != i || excludeTypes[m.fstype] || matchAny(excludeGlobs, m.point) || seen[m.devID] {
			continue
		}
		seen[m.devID] = true
		out = append(out, m)
	}
	return out
}

// matchAny reports whether name matches one of the path.Match patterns, which
// were validated when the input was created.
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
