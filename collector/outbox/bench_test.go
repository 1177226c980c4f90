package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/model"
)

// BenchmarkAppendNextAck is the outbox's share of one batch on its way to
// Elasticsearch: append (group of g, one fsync), hand out, ack. One op is one
// batch of 102 samples; MB/s counts encoded bytes.
func BenchmarkAppendNextAck(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, group := range []int{1, 16, 64} {
			name := fmt.Sprintf("sync=%v/group=%d", sync, group)
			b.Run(name, func(b *testing.B) {
				ob, err := Open(Options{Dir: b.TempDir(), NoSync: !sync, MaxBytes: 1 << 40})
				if err != nil {
					b.Fatal(err)
				}
				defer ob.Close()
				bs := batches(1, group)
				b.SetBytes(frameSize(b, 1))
				b.ReportAllocs()
				ctx := context.Background()
				b.ResetTimer()
				for done := 0; done < b.N; done += group {
					if err := ob.Append(bs, t0); err != nil {
						b.Fatal(err)
					}
					es, err := ob.Next(ctx, group, 0)
					if err != nil || len(es) != group {
						b.Fatalf("next: %d entries, %v", len(es), err)
					}
					if err := ob.Ack(es); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCodec compares the outbox encoding with encoding/json of the same batch.
func BenchmarkCodec(b *testing.B) {
	batch := realisticBatch(1)
	frame, err := appendFrame(nil, batch, 0)
	if err != nil {
		b.Fatal(err)
	}
	js, err := json.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("binary/encode", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(frame))
		for b.Loop() {
			buf, _ = appendFrame(buf[:0], batch, 0)
		}
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeChecked(frame, string(frame)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/decode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		b.ReportAllocs()
		for b.Loop() {
			var out model.Batch
			if err := json.Unmarshal(js, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen is recovery time per segment of 16 MiB of realistic batches.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	ob, err := Open(Options{Dir: dir, NoSync: true, SegmentBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	bs := batches(1, 64)
	for ob.Stats().Bytes < 15<<20 {
		if err := ob.Append(bs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	size := ob.Stats().Bytes
	ob.Close()
	b.SetBytes(size)
	for b.Loop() {
		ob, err := Open(Options{Dir: dir, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		ob.Close()
	}
}
