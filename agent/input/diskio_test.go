package input

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A real /proc/diskstats: 14-field (pre-4.18), 18-field (discards) and
// 20-field (flushes) lines, unused loop and zram devices, a partition.
const diskstatsFixture = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 9960 3204 558946 7218 1139 17943 1170608 4359 2 3456 12161 3099 46 39048 582 4 0
 259       0 nvme0n1 81 0 4264 12 10 1 88 3 0 40 15 0 0 0 0
 259       1 nvme0n1p1 50 0 2000 8 5 0 40 1 1 20 9 0 0 0 0 0 0 0 0 0
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
`

func TestParseDiskstats(t *testing.T) {
	got, err := parseDiskstats([]byte(diskstatsFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []diskStat{
		{name: "vda", reads: 9960, readSectors: 558946, readMS: 7218, writes: 1139, writeSectors: 1170608, writeMS: 4359, inFlight: 2, ioMS: 3456},
		{name: "nvme0n1", reads: 81, readSectors: 4264, readMS: 12, writes: 10, writeSectors: 88, writeMS: 3, inFlight: 0, ioMS: 40},
		{name: "nvme0n1p1", reads: 50, readSectors: 2000, readMS: 8, writes: 5, writeSectors: 40, writeMS: 1, inFlight: 1, ioMS: 20},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDiskstats =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseDiskstatsErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"short line", "   8 0 sda 1 2 3\n", "line 1: 6 fields"},
		{"not a number", " 8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n", `field 13 "x"`},
		{"negative", " 8 0 sda 1 2 3 4 5 6 7 8 -9 10 11\n", "field 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDiskstats([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDiskIOCollect(t *testing.T) {
	d := &diskioInput{diskstats: func([]byte) ([]byte, error) { return []byte(diskstatsFixture), nil }}
	evs, err := d.Collect(context.Background(), time.UnixMilli(9))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	vda := evs[0]
	if vda.Dataset != "system.diskio" || vda.Dims["system.diskio.name"] != "vda" || vda.Timestamp != 9 {
		t.Errorf("event header = %q %v %d", vda.Dataset, vda.Dims, vda.Timestamp)
	}
	want := map[string]float64{
		"system.diskio.read.count": 9960, "system.diskio.read.bytes": 558946 * 512, "system.diskio.read.time": 7218,
		"system.diskio.write.count": 1139, "system.diskio.write.bytes": 1170608 * 512, "system.diskio.write.time": 4359,
		"system.diskio.io.time": 3456, "system.diskio.io.ops": 2,
	}
	if !reflect.DeepEqual(vda.Values, want) {
		t.Errorf("values = %v, want %v", vda.Values, want)
	}

	boom := errors.New("boom")
	d.diskstats = func([]byte) ([]byte, error) { return nil, boom }
	if _, err := d.Collect(context.Background(), time.Now()); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}
