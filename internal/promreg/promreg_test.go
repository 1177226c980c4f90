package promreg

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestReuse(t *testing.T) {
	reg := prometheus.NewRegistry()
	newCounter := func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"k"})
	}
	first, err := Reuse(reg, newCounter())
	if err != nil {
		t.Fatal(err)
	}
	first.WithLabelValues("a").Inc()
	again, err := Reuse(reg, newCounter())
	if err != nil || again != first {
		t.Fatalf("second registration: %v, same collector %v", err, again == first)
	}
	if v := testutil.ToFloat64(again.WithLabelValues("a")); v != 1 {
		t.Fatalf("taken-over counter = %v, want 1", v)
	}
	clash := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "x_total", Help: "other"}, []string{"k"})
	if got, err := Reuse(reg, clash); err == nil || got != clash {
		t.Fatalf("a clashing metric: %v", err)
	}
}
