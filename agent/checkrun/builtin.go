package checkrun

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// builtin runs a built-in check in its own goroutine, so that a check
// stuck where ctx cannot reach it (a statfs on a dead NFS server) costs its
// own check a timeout and nothing more.
type builtin struct {
	argv    []string
	factory BuiltinFunc
	// fixed is the check built once, when argv has no placeholders.
	fixed   Check
	timeout time.Duration
	command string
	// wg is the runner's: Stop waits for abandoned runs too. The caller of
	// run holds a count, so Add never races with Wait.
	wg *sync.WaitGroup
	// hung counts runs that timed out and have not returned; no new run
	// starts meanwhile, so a hung check cannot pile up goroutines.
	hung atomic.Int32
}

func newBuiltin(c CheckConfig, factory BuiltinFunc, wg *sync.WaitGroup) (*builtin, error) {
	if factory == nil {
		return nil, fmt.Errorf("build check %q: built-in checks are not available", c.Name)
	}
	b := &builtin{argv: c.Builtin, factory: factory, timeout: c.Timeout, command: strings.Join(c.Builtin, " "), wg: wg}
	if !argRE.MatchString(b.command) {
		chk, err := factory(c.Builtin)
		if err != nil {
			return nil, fmt.Errorf("build check %q: %w", c.Name, err)
		}
		b.fixed = chk
	}
	return b, nil
}

func (b *builtin) run(ctx context.Context, args []string) Outcome {
	chk := b.fixed
	if chk == nil {
		argv, err := expandArgs(b.argv, 1, args)
		if err == nil {
			chk, err = b.factory(argv)
		}
		if err != nil {
			return Outcome{Result: nagios.Result{State: nagios.Unknown, Output: "(Invalid arguments) " + err.Error()}, Faults: []Fault{FaultArgs}}
		}
	}
	if b.hung.Load() > 0 {
		return Outcome{
			Result: nagios.Result{State: nagios.Unknown, Output: "check timed out earlier and has not returned yet"},
			Faults: []Fault{FaultTimeout},
		}
	}
	limit := b.timeout
	if d, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(d))
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	// state is the run's: 0 running, 1 returned, 2 abandoned. Whoever
	// moves it away from 0 first decides whether the run counts as hung.
	var state atomic.Int32
	done := make(chan Outcome, 1) // buffered: an abandoned run never blocks
	b.wg.Go(func() {
		done <- call(ctx, chk)
		if !state.CompareAndSwap(0, 1) {
			b.hung.Add(-1)
		}
	})
	select {
	case o := <-done:
		return o
	case <-ctx.Done():
	}
	if !state.CompareAndSwap(0, 2) {
		return <-done // it returned just as time ran out: still a result
	}
	b.hung.Add(1)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Outcome{
			Result: nagios.Result{State: nagios.Unknown, Output: fmt.Sprintf("check timed out after %s", limit.Round(time.Millisecond))},
			Faults: []Fault{FaultTimeout},
		}
	}
	return Outcome{Result: nagios.Result{State: nagios.Unknown, Output: "check run cancelled"}, Faults: []Fault{FaultCancelled}}
}

// call runs chk, turning a panic into an UNKNOWN result: a bug in one
// check must not take the agent down.
func call(ctx context.Context, chk Check) (o Outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = Outcome{
				Result: nagios.Result{State: nagios.Unknown, Output: fmt.Sprintf("check panicked: %v", p), LongOutput: string(debug.Stack())},
				Faults: []Fault{FaultPanic},
			}
		}
	}()
	res := chk.Run(ctx)
	// A state outside the four would be a bug in the check; report it as
	// the plugin API says.
	res.State = nagios.StateFromExit(int(res.State))
	return Outcome{Result: res}
}
