package fakees

import (
	"reflect"
	"testing"
)

// TestParseSourceMatchesEncodingJSON checks the fast source parser against
// encoding/json on valid and invalid documents.
func TestParseSourceMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`, ` {"a" : 1 } `, `{"a":-0.5e+3,"b":[1,2,{"c":null}],"d":true,"e":false,"f":"x"}`,
		`{"esc":"q\"b\\s\/n\n\t\r\b\f\u00e9\ud83d\ude00"}`, `{"lone":"\ud800x"}`, `{"utf":"héllo wörld"}`,
		`{"dup":1,"dup":2}`, "{\"bad\":\"\xff\"}", `{"n":0}`, `{"n":01}`, `{"n":1.}`, `{"n":-}`, `{"a":1,}`,
		`{"a":1} x`, `[1]`, `{"a":tru}`, `{"a":"x`, "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a" 1}`, `{"a":[1 2]}`, ``,
	}
	for _, d := range docs {
		t.Run(d, func(t *testing.T) {
			got, err := parseSource([]byte(d))
			var want map[string]any
			werr := decodeJSON([]byte(d), &want)
			if (err != nil) != (werr != nil || want == nil) {
				t.Fatalf("parseSource err %v, encoding/json err %v", err, werr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("parseSource %#v, encoding/json %#v", got, want)
			}
		})
	}
}
