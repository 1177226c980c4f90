package rules

// flapWindow is how many results the percent state change looks at, as in
// Nagios (21 results, 20 possible changes).
const flapWindow = 21

// flapHistory keeps the last flapWindow results (alert levels) of an instance.
type flapHistory struct {
	levels [flapWindow]uint8
	n      int // results recorded, up to flapWindow
	next   int // ring position of the next result
}

func (h *flapHistory) add(level uint8) {
	h.levels[h.next] = level
	h.next = (h.next + 1) % flapWindow
	if h.n < flapWindow {
		h.n++
	}
}

// percent is Nagios' weighted percent state change: each change between
// consecutive results counts, the newest weighing 1.2 and the oldest 0.8, so a
// run of changes that is ending lowers the figure gradually.
func (h *flapHistory) percent() float64 {
	if h.n < 2 {
		return 0
	}
	start := (h.next - h.n + flapWindow) % flapWindow
	changes := 0.0
	transitions := flapWindow - 1
	for i := 1; i < h.n; i++ {
		prev := h.levels[(start+i-1)%flapWindow]
		cur := h.levels[(start+i)%flapWindow]
		if prev != cur {
			// Transition i of the full window; the weight rises linearly.
			pos := i + (flapWindow - h.n)
			changes += 0.8 + 0.4*float64(pos-1)/float64(transitions-1)
		}
	}
	return changes * 100 / float64(transitions)
}
