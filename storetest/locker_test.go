package storetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/memstore"
	"github.com/flaskgo/session/storetest"
)

// refLocker is a memstore whose Lock is a small reference implementation
// into which TestLockerSuiteFindsBugs plants one bug at a time.
type refLocker struct {
	*memstore.Store
	bug string

	mu     sync.Mutex
	held   map[string]*refHold
	token  int
	closed atomic.Bool
}

func (r *refLocker) Close() error {
	r.closed.Store(true)
	return r.Store.Close()
}

type refHold struct {
	token   int
	expires time.Time
}

func (r *refLocker) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if r.closed.Load() {
		return nil, session.ErrStoreClosed
	}
	if r.bug == "caseInsensitive" {
		key = strings.ToLower(key)
	}
	for {
		r.mu.Lock()
		h := r.held[key]
		live := h != nil && (r.bug == "neverExpires" || time.Now().Before(h.expires))
		if !live || r.bug == "noExclusion" {
			r.token++
			mine := &refHold{token: r.token, expires: time.Now().Add(ttl)}
			r.held[key] = mine
			r.mu.Unlock()
			return func(context.Context) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				if r.held[key] == mine || r.bug == "unlockAny" {
					delete(r.held, key)
				}
				return nil
			}, nil
		}
		r.mu.Unlock()
		if r.bug != "ignoresContext" {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("ref: %w", ctx.Err())
			default:
			}
		} else if ctx.Err() != nil {
			return nil, errors.New("ref: gave up")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLockerReference(t *testing.T) {
	storetest.RunLocker(t, newRefLocker(""))
}

func newRefLocker(bug string) func(t *testing.T) session.Store {
	return func(t *testing.T) session.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return &refLocker{Store: s, bug: bug, held: map[string]*refHold{}}
	}
}

const lockBugEnv = "STORETEST_LOCK_BUG"

// TestBuggyLocker runs RunLocker on a refLocker with the bug named by
// lockBugEnv; TestLockerSuiteFindsBugs runs it in a child process.
func TestBuggyLocker(t *testing.T) {
	bug := os.Getenv(lockBugEnv)
	if bug == "" {
		t.Skip("helper for TestLockerSuiteFindsBugs")
	}
	storetest.RunLocker(t, newRefLocker(bug))
}

func TestLockerSuiteFindsBugs(t *testing.T) {
	tests := []struct {
		bug      string
		failures []string // subtests that must fail
	}{
		{"noExclusion", []string{"MutualExclusion", "WaitBoundedByContext", "Middleware"}},
		{"neverExpires", []string{"CrashedHolderExpires", "UnlockLeavesOthersLock"}},
		{"unlockAny", []string{"UnlockLeavesOthersLock", "UnlockIdempotent"}},
		{"ignoresContext", []string{"WaitBoundedByContext", "CanceledContext"}},
		{"caseInsensitive", []string{"NamesIsolated"}},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBuggyLocker$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), lockBugEnv+"="+tt.bug)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("suite passed (or did not run: %v) with bug %s\n%s", err, tt.bug, out)
			}
			for _, sub := range tt.failures {
				if !bytes.Contains(out, []byte(fmt.Sprintf("--- FAIL: TestBuggyLocker/%s ", sub))) {
					t.Errorf("subtest %s did not fail with bug %s\n%s", sub, tt.bug, out)
				}
			}
		})
	}
}
