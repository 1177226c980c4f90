package nagios

import "testing"

// BenchmarkParseOutput measures the per-result cost the check runner pays:
// the guidelines' multi-line check_disk output, four perfdata items.
func BenchmarkParseOutput(b *testing.B) {
	stdout := []byte(diskMultiline)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseOutput(stdout, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRange(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRange("@-10.5:20"); err != nil {
			b.Fatal(err)
		}
	}
}
