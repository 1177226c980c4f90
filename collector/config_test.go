package main

import (
	"path/filepath"
	"reflect"
	"testing"
)

// The shipped example must stay valid and must say what the defaults are.
func TestExampleConfigIsValidAndMatchesDefaults(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "configs", "collector.yaml"))
	if err != nil {
		t.Fatalf("configs/collector.yaml: %v", err)
	}
	if !reflect.DeepEqual(cfg, defaultConfig()) {
		t.Errorf("example differs from the defaults it documents:\n example %+v\n default %+v", cfg, defaultConfig())
	}
}
