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
	"github.com/flaskgo/session/storetest"
)

// refStore is a deliberately plain store (one mutex, one map) with switches
// that plant one bug each, to show that the suite notices them.
type refStore struct {
	bug    string
	now    func() time.Time
	mu     sync.Mutex
	m      map[string]*session.Record
	seq    uint64
	closed bool
}

func (s *refStore) k(key string) string {
	if s.bug == "caseInsensitive" {
		return strings.ToLower(key)
	}
	return key
}

func (s *refStore) enter(ctx context.Context) error {
	if s.closed {
		if s.bug == "panicWhenClosed" {
			panic("closed")
		}
		if s.bug == "notFoundWhenClosed" {
			return session.ErrNotFound
		}
		return session.ErrStoreClosed
	}
	if s.bug != "ignoresContext" {
		return ctx.Err()
	}
	return nil
}

func (s *refStore) live(r *session.Record) bool {
	return r != nil && (s.bug == "ignoresExpiry" || r.Expires.After(s.now()))
}

func (s *refStore) Load(ctx context.Context, key string) (session.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return session.Record{}, err
	}
	r := s.m[s.k(key)]
	if !s.live(r) {
		return session.Record{}, session.ErrNotFound
	}
	out := *r
	if s.bug != "aliasData" {
		out.Data = bytes.Clone(r.Data)
	}
	return out, nil
}

func (s *refStore) put(key string, rec session.Record) uint64 {
	s.seq++
	rec.Version = s.seq
	if s.bug != "aliasData" {
		rec.Data = bytes.Clone(rec.Data)
	}
	s.m[s.k(key)] = &rec
	return rec.Version
}

func (s *refStore) Save(ctx context.Context, key string, rec session.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return err
	}
	s.put(key, rec)
	return nil
}

func (s *refStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return err
	}
	if _, ok := s.m[s.k(key)]; !ok && s.bug == "deleteMissingErrors" {
		return session.ErrNotFound
	}
	delete(s.m, s.k(key))
	return nil
}

func (s *refStore) SaveIfVersion(ctx context.Context, key string, rec session.Record) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	var cur uint64
	if r := s.m[s.k(key)]; s.live(r) {
		cur = r.Version
	}
	switch {
	case s.bug == "noVersionCheck":
	case s.bug == "resurrects" && cur == 0:
	case cur != rec.Version:
		return 0, session.ErrConflict
	}
	return s.put(key, rec), nil
}

func (s *refStore) Touch(ctx context.Context, key string, exp time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return err
	}
	r := s.m[s.k(key)]
	if !s.live(r) {
		return session.ErrNotFound
	}
	r.Expires = exp
	if s.bug == "touchChangesVersion" {
		s.seq++
		r.Version = s.seq
	}
	return nil
}

func (s *refStore) DeleteExpired(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	n := 0
	for k, r := range s.m {
		if !r.Expires.After(s.now()) {
			delete(s.m, k)
			n++
		}
	}
	if s.bug == "sweepCountsAll" {
		n += len(s.m)
	}
	return n, nil
}

func (s *refStore) UserSessions(ctx context.Context, user string) ([]session.RecordInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	var out []session.RecordInfo
	for k, r := range s.m {
		if r.UserID == user && (s.live(r) || s.bug == "listsExpired") {
			out = append(out, session.RecordInfo{Key: k, UserID: user, Expires: r.Expires})
		}
	}
	return out, nil
}

func (s *refStore) DeleteUserSessions(ctx context.Context, user string, except ...string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.enter(ctx); err != nil {
		return 0, err
	}
	n := 0
outer:
	for k, r := range s.m {
		for _, e := range except {
			if e == k && s.bug != "ignoresExcept" {
				continue outer
			}
		}
		if r.UserID == user {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}

func (s *refStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func runRef(t *testing.T, bug string) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return &refStore{bug: bug, now: now, m: map[string]*session.Record{}}
		},
		Advance: func(d time.Duration) { offset.Add(int64(d)) },
	})
}

// TestReference is the control: without a bug the reference store passes.
func TestReference(t *testing.T) { runRef(t, "") }

// TestReferenceRealTime runs the sleeping variants of the expiry subtests.
func TestReferenceRealTime(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			return &refStore{now: time.Now, m: map[string]*session.Record{}}
		},
		TTLResolution: 20 * time.Millisecond,
	})
}

const bugEnv = "STORETEST_BUG"

// TestBuggyStore is not a test on its own: TestSuiteFindsBugs runs the test
// binary again with only this function selected and bugEnv set.
func TestBuggyStore(t *testing.T) {
	bug := os.Getenv(bugEnv)
	if bug == "" {
		t.Skip("helper for TestSuiteFindsBugs")
	}
	runRef(t, bug)
}

func TestSuiteFindsBugs(t *testing.T) {
	tests := []struct {
		bug      string
		failures []string // subtests that must fail
	}{
		{"deleteMissingErrors", []string{"DeleteMissing"}},
		{"ignoresExpiry", []string{"Expiry/LoadAfterExpiry", "Expiry/SavedExpired", "Updater/Expired"}},
		{"aliasData", []string{"DataIsCopied"}},
		{"caseInsensitive", []string{"KeysAreCaseSensitive"}},
		{"ignoresContext", []string{"CanceledContext"}},
		{"noVersionCheck", []string{"Updater/CreateIfAbsent", "Updater/StaleVersion", "Updater/ConcurrentIncrement"}},
		{"resurrects", []string{"Updater/NoResurrection"}},
		{"touchChangesVersion", []string{"Toucher/KeepsDataAndVersion"}},
		{"sweepCountsAll", []string{"Sweeper/DeleteExpired"}},
		{"listsExpired", []string{"UserIndex/UserSessions"}},
		{"ignoresExcept", []string{"UserIndex/DeleteUserSessions"}},
		{"notFoundWhenClosed", []string{"Broken"}},
		{"panicWhenClosed", []string{"Broken"}},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBuggyStore$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+tt.bug)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("suite passed (or did not run: %v) with bug %s\n%s", err, tt.bug, out)
			}
			for _, sub := range tt.failures {
				if !bytes.Contains(out, []byte(fmt.Sprintf("--- FAIL: TestBuggyStore/%s ", sub))) {
					t.Errorf("subtest %s did not fail with bug %s\n%s", sub, tt.bug, out)
				}
			}
		})
	}
}
