//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package filestore

import (
	"fmt"
	"os"

	"github.com/flaskgo/session"
)

// tryFlock is missing here: Session.Lock needs flock(2).
func tryFlock(*os.File) (bool, error) {
	return false, fmt.Errorf("%w: session locks need flock(2)", session.ErrNotSupported)
}
