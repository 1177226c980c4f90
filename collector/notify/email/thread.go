package email

import (
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// Threading. Every message about one episode of an alert (same ID, same
// FiredAt) belongs to one thread in the recipients' mail clients, which thread
// by References/In-Reply-To. The root Message-ID is derived, not stored, so
// every collector computes the same one:
//
//	<vigil.{ID}.{FiredAt unix seconds}@{domain}>
//
// The first message of the episode (the alert is firing and the receiver has
// not been told about it yet) carries the root as its Message-ID. Every later
// one (repeat, severity change, resolve) gets a Message-ID of its own and
// replies to the root. With several alerts in one message, the first alert
// keys the thread.

// thread is the threading headers of one message.
type thread struct {
	// MessageID is the message's own ID, with angle brackets.
	MessageID string
	// Root is the ID the message replies to ("" for the root itself).
	Root string
}

// threadFor returns the threading headers of a message about alerts sent in
// group g. unique makes a reply's Message-ID distinct from every other.
func threadFor(g notify.Group, alerts []alert.Alert, domain, unique string) thread {
	if len(alerts) == 0 {
		return thread{MessageID: "<vigil." + unique + "@" + domain + ">"}
	}
	first := alerts[0]
	local := "vigil." + msgIDAtom(first.ID) + "." + strconv.FormatInt(episode(first), 10)
	root := "<" + local + "@" + domain + ">"
	if first.State == alert.Firing && !g.Notified[first.ID] {
		return thread{MessageID: root}
	}
	return thread{MessageID: "<" + local + "." + unique + "@" + domain + ">", Root: root}
}

// episode is FiredAt in Unix seconds; an alert that never fired (which
// dispatch should not send) gets 0 rather than year 1's negative number.
func episode(a alert.Alert) int64 {
	if a.FiredAt.IsZero() {
		return 0
	}
	return a.FiredAt.Unix()
}

// msgIDAtom keeps s usable in the local part of a Message-ID: alert IDs are
// hex fingerprints, but one from elsewhere must not break the header.
func msgIDAtom(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.", r):
			return r
		default:
			return '_'
		}
	}, s)
}
