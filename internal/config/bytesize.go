package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes. In YAML it is a plain integer (bytes) or a
// number with a unit: "512KiB", "256MiB", "1GiB" (powers of 1024) or "100MB",
// "2GB" (powers of 1000); "B" is bytes, units are case-insensitive and a
// fraction is allowed ("1.5GiB"). "K", "M", "G" alone are refused as
// ambiguous.
type ByteSize int64

// Units, for defaults such as 256 * config.MiB.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
	PiB
	EiB
)

const (
	KB ByteSize = 1e3
	MB ByteSize = 1e6
	GB ByteSize = 1e9
	TB ByteSize = 1e12
	PB ByteSize = 1e15
	EB ByteSize = 1e18
)

type byteUnit struct {
	name string
	size ByteSize
}

// byteUnits lists the units, largest first within each family, powers of
// 1024 first, so that String picks the largest exact one.
func byteUnits() []byteUnit {
	return []byteUnit{
		{"EiB", EiB}, {"PiB", PiB}, {"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
		{"EB", EB}, {"PB", PB}, {"TB", TB}, {"GB", GB}, {"MB", MB}, {"KB", KB},
		{"B", 1},
	}
}

func unitSize(unit string) (int64, bool) {
	if unit == "" {
		return 1, true
	}
	for _, u := range byteUnits() {
		if strings.EqualFold(u.name, unit) {
			return int64(u.size), true
		}
	}
	return 0, false
}

// ParseByteSize parses a size as described on ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	num, unit := s[:end], strings.TrimSpace(s[end:])
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("size %q must not be negative", s)
	}
	mult, ok := unitSize(unit)
	switch {
	case num == "" || strings.Count(num, ".") > 1 || num == ".":
		return 0, fmt.Errorf(`invalid size %q: use a number of bytes or a number and a unit, such as "512KiB", "256MiB" or "100MB"`, s)
	case !ok && len(unit) == 1 && strings.ContainsAny(strings.ToLower(unit), "kmgtpe"):
		u := strings.ToUpper(unit)
		return 0, fmt.Errorf(`ambiguous unit in size %q: use %q (powers of 1024) or %q (powers of 1000)`, s, u+"iB", u+"B")
	case !ok:
		return 0, fmt.Errorf(`unknown unit %q in size %q: use B, KiB, MiB, GiB, TiB, PiB, EiB, KB, MB, GB, TB, PB or EB`, unit, s)
	}
	whole, frac, _ := strings.Cut(num, ".")
	n := uint64(0)
	if whole != "" {
		var err error
		if n, err = strconv.ParseUint(whole, 10, 64); err != nil {
			return 0, fmt.Errorf("size %q is too large", s)
		}
	}
	if n > math.MaxInt64/uint64(mult) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	total := n * uint64(mult)
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid size %q", s)
		}
		total += uint64(math.Round(f * float64(mult)))
		if total > math.MaxInt64 {
			return 0, fmt.Errorf("size %q is too large", s)
		}
	}
	return ByteSize(total), nil
}

// UnmarshalYAML reads an integer or a string with a unit.
func (b *ByteSize) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		return nil
	case uint64:
		if v > math.MaxInt64 {
			return fmt.Errorf("size %d is too large", v)
		}
		*b = ByteSize(v)
		return nil
	case int64:
		return fmt.Errorf("size %d must not be negative", v)
	case string:
		size, err := ParseByteSize(v)
		if err != nil {
			return err
		}
		*b = size
		return nil
	}
	return fmt.Errorf(`expected a size such as "256MiB", got %v`, v)
}

// MarshalYAML writes the size the way String does, so it reads back.
func (b ByteSize) MarshalYAML() (any, error) {
	return b.String(), nil
}

// String formats b with the largest unit that divides it exactly, powers of
// 1024 first: "256MiB", "100MB", "1500B".
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range byteUnits() {
			if b%u.size == 0 {
				return strconv.FormatInt(int64(b/u.size), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
