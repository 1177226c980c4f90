//go:build !race

package silence

const raceEnabled = false
