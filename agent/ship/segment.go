package ship

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/internal/model"
)

// The segment format: one batch per file, named "<seq, 20 digits>-<samples>.json.gz"
// and holding exactly the request body the collector expects (gzip-compressed
// JSON), so shipping is reading a file and posting it.

// encode compresses b as the request body the collector expects. The returned
// slice is valid until the next call.
func (s *Spool) encode(b *model.Batch) ([]byte, error) {
	s.buf.Reset()
	s.zw.Reset(&s.buf)
	if err := json.NewEncoder(s.zw).Encode(b); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	if err := s.zw.Close(); err != nil {
		return nil, fmt.Errorf("compress batch: %w", err)
	}
	return s.buf.Bytes(), nil
}

func segmentName(seq uint64, samples int) string {
	return fmt.Sprintf("%020d-%d%s", seq, samples, segmentSuffix)
}

func parseSegmentName(name string) (seq uint64, samples int, ok bool) {
	base, found := strings.CutSuffix(name, segmentSuffix)
	if !found {
		return 0, 0, false
	}
	seqText, samplesText, found := strings.Cut(base, "-")
	if !found {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseUint(seqText, 10, 64)
	n, err2 := strconv.Atoi(samplesText)
	if err1 != nil || err2 != nil || seq == 0 || n < 0 {
		return 0, 0, false
	}
	return seq, n, true
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
