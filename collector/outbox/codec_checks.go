package outbox

import (
	"encoding/binary"
	"math"

	"github.com/vigilmon/vigil/internal/model"
)

// appendChecks is the format 2 tail of a batch: its check results, in the
// same primitives as appendBatch.
func appendChecks(buf []byte, cs []model.CheckResult) []byte {
	buf = appendCount(buf, len(cs), cs == nil)
	for i := range cs {
		c := &cs[i]
		buf = binary.AppendVarint(buf, c.Timestamp)
		buf = appendStrings(buf, c.Name, c.Command, c.StateType, c.Output, c.LongOutput)
		for _, n := range [...]int64{int64(c.State), int64(c.Attempt), int64(c.MaxAttempts), c.LastChange, c.DurationUS} {
			buf = binary.AppendVarint(buf, n)
		}
		buf = appendCount(buf, len(c.Perf), c.Perf == nil)
		for _, p := range c.Perf {
			buf = appendStrings(buf, p.Label, p.Unit, p.Warn, p.Crit)
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(p.Value))
			buf = appendOptional(buf, p.Min)
			buf = appendOptional(buf, p.Max)
		}
	}
	return buf
}

func appendOptional(buf []byte, v *float64) []byte {
	if v == nil {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(*v))
}

func (d *decoder) checks() []model.CheckResult {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	cs := make([]model.CheckResult, n)
	for i := range cs {
		c := &cs[i]
		c.Timestamp = d.varint()
		c.Name, c.Command, c.StateType, c.Output, c.LongOutput = d.str(), d.str(), d.str(), d.str(), d.str()
		c.State, c.Attempt, c.MaxAttempts = int(d.varint()), int(d.varint()), int(d.varint())
		c.LastChange, c.DurationUS = d.varint(), d.varint()
		if n, isNil := d.count(); !isNil {
			c.Perf = make([]model.PerfValue, n)
			for j := range c.Perf {
				p := &c.Perf[j]
				p.Label, p.Unit, p.Warn, p.Crit = d.str(), d.str(), d.str(), d.str()
				p.Value = d.f64()
				p.Min, p.Max = d.optional(), d.optional()
			}
		}
	}
	return cs
}

func (d *decoder) optional() *float64 {
	switch d.u8() {
	case 0:
		return nil
	case 1:
		v := d.f64()
		return &v
	}
	d.fail()
	return nil
}
