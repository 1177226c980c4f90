package input

import (
	"context"
	"testing"
	"time"
)

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"350735.47 234388.90\n", 350735470 * time.Millisecond, false},
		{"12.00 3.00", 12 * time.Second, false},
		{"", 0, true},
		{"abc 1.0\n", 0, true},
		{"NaN 1.0\n", 0, true},
		{"-5 1.0\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseUptime([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseUptime(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestUptimeCollect(t *testing.T) {
	u := &uptimeInput{uptime: func(context.Context) (time.Duration, error) { return 90 * time.Second, nil }}
	evs, err := u.Collect(context.Background(), time.UnixMilli(5))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Collect = %v, %v", evs, err)
	}
	if got := evs[0].Values["system.uptime.duration.ms"]; got != 90000 {
		t.Errorf("duration.ms = %v, want 90000", got)
	}
}

func TestProcUptime(t *testing.T) {
	d, err := procUptime()(context.Background())
	if err != nil || d <= 0 {
		t.Fatalf("procUptime() = %v, %v", d, err)
	}
}
