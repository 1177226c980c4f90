//go:build race

package silence

// raceEnabled: the race detector makes sync.Pool drop entries at random, so
// regexp allocates its matcher state where it normally reuses it.
const raceEnabled = true
