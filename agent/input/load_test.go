package input

import (
	"context"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/load"
)

func TestLoadCollect(t *testing.T) {
	tests := []struct {
		name  string
		avg   load.AvgStat
		cores int
		want  map[string]float64
	}{
		{
			name: "4 cores", avg: load.AvgStat{Load1: 2, Load5: 1, Load15: 0.5}, cores: 4,
			want: map[string]float64{
				"system.load.1": 2, "system.load.5": 1, "system.load.15": 0.5,
				"system.load.norm.1": 0.5, "system.load.norm.5": 0.25, "system.load.norm.15": 0.125,
				"system.load.cores": 4,
			},
		},
		{
			name: "no cores known", avg: load.AvgStat{Load1: 2}, cores: 0,
			want: map[string]float64{
				"system.load.1": 2, "system.load.5": 0, "system.load.15": 0,
				"system.load.norm.1": 0, "system.load.norm.5": 0, "system.load.norm.15": 0,
				"system.load.cores": 0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &loadInput{
				avg:   func(context.Context) (*load.AvgStat, error) { return &tt.avg, nil },
				cores: func() (int, error) { return tt.cores, nil },
			}
			evs, err := l.Collect(context.Background(), time.UnixMilli(7))
			if err != nil || len(evs) != 1 {
				t.Fatalf("Collect = %v, %v", evs, err)
			}
			if evs[0].Dataset != "system.load" {
				t.Errorf("dataset = %q", evs[0].Dataset)
			}
			if len(evs[0].Values) != len(tt.want) {
				t.Errorf("values = %v, want %v", evs[0].Values, tt.want)
			}
			for k, w := range tt.want {
				if g := evs[0].Values[k]; g != w {
					t.Errorf("%s = %v, want %v", k, g, w)
				}
			}
		})
	}
}
