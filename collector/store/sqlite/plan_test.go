package sqlite

import (
	"strings"
	"testing"
)

// TestQueryPlans guards the access paths the store's performance rests on:
// no statement may scan samples or series, or sort through a temporary
// b-tree, whatever SQLite's planner decides in a later version.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		name, query string
	}{
		{"latest", sqlLatest},
		{"series of field", sqlSeriesOf},
		{"first block", sqlFirstBlock},
		{"points", sqlPointsAsc},
		{"points newest first", sqlPointsDesc},
		{"series lookup", sqlSeriesID},
		{"advance block", sqlAdvanceBlock},
		{"expired bound", sqlExpiredBound},
		{"delete blocks", sqlDeleteBlocks},
		{"delete series", sqlDeleteSeries},
		{"delete times", sqlDeleteTimes},
		{"delete expired", sqlDeleteExpired},
		{"delete batches", sqlDeleteBatches},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := maxParam(tt.query)
			if n == 0 {
				n = strings.Count(tt.query, "?")
			}
			args := make([]any, n)
			for i := range args {
				args[i] = 1
			}
			rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+tt.query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN samples") || strings.HasPrefix(step, "SCAN series") ||
					strings.HasPrefix(step, "SCAN s ") || strings.HasPrefix(step, "SCAN x") ||
					strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("plan step %q in\n%s", step, strings.Join(plan, "\n"))
				}
			}
		})
	}
}

// maxParam is the highest ?N in a query using numbered parameters.
func maxParam(q string) int {
	n := 0
	for i := 1; i <= 9; i++ {
		if strings.Contains(q, "?"+string(rune('0'+i))) {
			n = i
		}
	}
	return n
}
