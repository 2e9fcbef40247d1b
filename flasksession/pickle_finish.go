package flasksession

import (
	"fmt"

	"github.com/flaskgo/session/taggedjson"
)

// finisher turns the unpickled object graph into session values.
type finisher struct {
	budget int
	active map[any]bool // containers being converted, to refuse cycles
}

type finishError struct {
	err error
	msg string
}

func (e *finishError) Error() string { return e.msg }
func (e *finishError) Unwrap() error { return e.err }

func sentinelOf(err error) error {
	if fe, ok := err.(*finishError); ok {
		return fe.err
	}
	return ErrSyntax
}

func (f *finisher) enter(p any, depth int) error {
	if depth >= MaxDepth {
		return &finishError{ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth)}
	}
	if f.active[p] {
		return &finishError{ErrUnsupportedValue, "a container holds itself; session values cannot be recursive"}
	}
	f.active[p] = true
	return nil
}

func (f *finisher) list(items []any, depth int) ([]any, error) {
	out := make([]any, len(items))
	for k, e := range items {
		g, err := f.value(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = g
	}
	return out, nil
}

func (f *finisher) value(v any, depth int) (any, error) {
	// The budget counts bytes, not values: one long string referenced
	// from many places is as costly to hold and re-encode as many strings.
	cost := 1
	switch x := v.(type) {
	case string:
		cost += len(x)
	case []byte:
		cost += len(x)
	case taggedjson.Markup:
		cost += len(x)
	}
	if f.budget -= cost; f.budget < 0 {
		return nil, &finishError{ErrTooLarge, "the pickle refers to its values so often that it would expand to too many bytes"}
	}
	switch x := v.(type) {
	case *pyDict:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		out := make(map[string]any, len(x.m))
		for _, k := range x.keys {
			g, err := f.value(x.m[k], depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = g
		}
		rememberOrder(out, x.keys)
		return out, nil
	case *pyList:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		return f.list(x.items, depth)
	case *pySet:
		if err := f.enter(x, depth); err != nil {
			return nil, err
		}
		defer delete(f.active, x)
		return f.list(x.items, depth)
	case taggedjson.Tuple:
		if depth >= MaxDepth {
			return nil, &finishError{ErrTooDeep, fmt.Sprintf("more than %d nested containers", MaxDepth)}
		}
		l, err := f.list(x, depth)
		return taggedjson.Tuple(l), err
	case *pyUUID:
		if !x.built {
			return nil, &finishError{ErrSyntax, "uuid.UUID without its int attribute"}
		}
		return x.id, nil
	case pyGlobal, *pyTimedelta, *pyTimezone:
		return nil, &finishError{ErrUnsupportedValue, "a " + pyTypeName(v) + " object is not a session value Go can hold"}
	}
	return v, nil
}
