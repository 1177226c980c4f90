package input

import (
	"reflect"
	"strings"
	"testing"
)

// Trimmed from a Debian host with an NFS mount, bind mounts, docker, a mount
// point with a space in its name, and /data mounted over by another disk.
const mountinfoFixture = `22 27 0:21 / /proc rw,relatime shared:12 - proc proc rw
27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
29 27 259:1 / /boot/efi rw,relatime shared:2 - vfat /dev/nvme0n1p1 rw,fmask=0077
30 27 0:25 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1631744k,mode=755
31 27 259:3 / /data rw,relatime shared:3 master:1 - xfs /dev/nvme0n1p3 rw,attr2
32 27 259:3 /www /srv/www rw,relatime shared:3 - xfs /dev/nvme0n1p3 rw,attr2
33 27 0:50 / /mnt/nfs rw,relatime shared:40 - nfs4 fileserver:/export rw,vers=4.2,hard
34 27 259:4 / /mnt/my\040disk rw,relatime - ext4 /dev/sdb1 rw
35 27 0:60 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw,lowerdir=/l
36 27 259:5 / /var/lib/docker/volumes rw - ext4 /dev/sdc rw
37 27 259:6 / /data rw,relatime - ext4 /dev/sdd rw
38 27 259:2 /home /home rw,relatime - ext4 /dev/nvme0n1p2 rw
`

func TestParseMountinfo(t *testing.T) {
	got, err := parseMountinfo([]byte(mountinfoFixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Fatalf("got %d mounts, want 12", len(got))
	}
	tests := map[int]mount{
		1: {devID: "259:2", point: "/", fstype: "ext4", device: "/dev/nvme0n1p2"},
		4: {devID: "259:3", point: "/data", fstype: "xfs", device: "/dev/nvme0n1p3"}, // two optional fields
		6: {devID: "0:50", point: "/mnt/nfs", fstype: "nfs4", device: "fileserver:/export"},
		7: {devID: "259:4", point: "/mnt/my disk", fstype: "ext4", device: "/dev/sdb1"},
	}
	for i, want := range tests {
		if got[i] != want {
			t.Errorf("mount %d = %+v, want %+v", i, got[i], want)
		}
	}
}

func TestParseMountinfoErrors(t *testing.T) {
	for _, in := range []string{
		"22 27 0:21 / /proc rw,relatime proc proc rw\n", // no separator
		"22 27 0:21 / - proc proc rw\n",                 // too few fields before it
		"22 27 0:21 / /proc rw - proc\n",                // too few after it
	} {
		if _, err := parseMountinfo([]byte(in)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("parseMountinfo(%q) error = %v, want a line 1 error", in, err)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	tests := map[string]string{
		`/plain`:               "/plain",
		`/a\040b`:              "/a b",
		`/tab\011nl\012bs\134`: "/tab\tnl\nbs\\",
		`/not\04`:              `/not\04`,  // truncated escape stays as is
		`/not\089`:             `/not\089`, // not octal
	}
	for in, want := range tests {
		if got := unescapeMountinfo([]byte(in)); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSelectMounts(t *testing.T) {
	all, err := parseMountinfo([]byte(mountinfoFixture))
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]bool{}
	for _, typ := range DefaultExcludeTypes() {
		defaults[typ] = true
	}
	tests := []struct {
		name  string
		types map[string]bool
		globs []string
		want  []string
	}{
		{
			// proc, tmpfs, overlay excluded by type; /home is a bind mount of
			// /'s filesystem. The first /data (259:3) was mounted over by
			// /dev/sdd, which is what statfs("/data") sees, so 259:3 shows
			// at its other mount point, /srv/www.
			name:  "defaults",
			types: defaults,
			want:  []string{"/", "/boot/efi", "/srv/www", "/mnt/nfs", "/mnt/my disk", "/var/lib/docker/volumes", "/data"},
		},
		{
			name:  "globs",
			types: defaults,
			globs: []string{"/var/lib/docker/*", "/boot/*"},
			want:  []string{"/", "/srv/www", "/mnt/nfs", "/mnt/my disk", "/data"},
		},
		{
			name:  "nothing excluded",
			types: nil,
			want: []string{"/proc", "/", "/boot/efi", "/run", "/srv/www", "/mnt/nfs", "/mnt/my disk",
				"/var/lib/docker/overlay2/abc/merged", "/var/lib/docker/volumes", "/data"},
		},
		{
			// Excluding the first mount of a filesystem by glob reports the
			// filesystem at its next mount point instead of losing it.
			name:  "bind mount survives exclusion of the first",
			types: defaults,
			globs: []string{"/"},
			want:  []string{"/boot/efi", "/srv/www", "/mnt/nfs", "/mnt/my disk", "/var/lib/docker/volumes", "/data", "/home"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range selectMounts(all, tt.types, tt.globs) {
				got = append(got, m.point)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("selected %q, want %q", got, tt.want)
			}
		})
	}
}
