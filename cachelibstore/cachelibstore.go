// Package cachelibstore is a session.Store that reads and writes the
// directory layout of cachelib's FileSystemCache, the store behind
// Flask-Session's SESSION_TYPE = "filesystem", so a Go service and a Flask
// application can share one session directory.
package cachelibstore

import (
	"context"
	"errors"
	"time"

	"github.com/flaskgo/session"
)

// Store is a cachelib FileSystemCache directory.
type Store struct {
	dir string
	now func() time.Time
}

// Option configures a Store.
type Option func(*Store)

// New opens the cache directory dir, creating it if it is missing.
func New(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("cachelibstore: empty directory name")
	}
	s := &Store{dir: dir, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

var errTODO = errors.New("cachelibstore: not implemented yet")

// Load implements session.Store.
func (s *Store) Load(ctx context.Context, key string) (session.Record, error) {
	return session.Record{}, errTODO
}

// Save implements session.Store.
func (s *Store) Save(ctx context.Context, key string, rec session.Record) error { return errTODO }

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error { return errTODO }

var _ session.Store = (*Store)(nil)
