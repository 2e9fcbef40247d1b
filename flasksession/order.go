package flasksession

import (
	"reflect"
	"sort"
	"sync"
)

// Python dicts keep insertion order and msgspec writes it; a Go map has
// none. So that a session Go rewrites without changes is byte-identical,
// the decoders remember the key order of the maps they build, keyed by
// the map's identity, and the encoders write remembered keys in that order
// (dropped keys skipped, new keys appended sorted). The registry is a
// bounded FIFO that holds its maps (so an address cannot be reused by
// another map while its entry lives): a map decoded more than
// maxKeyOrders maps ago is written in sorted order, which Flask reads
// just the same. Unmarshal and Marshal of one request are close together.
const maxKeyOrders = 4096

var keyOrders struct {
	sync.Mutex
	byAddr map[uintptr]orderEntry
	fifo   []uintptr // ring of registered addresses, oldest at next
	next   int
}

type orderEntry struct {
	m    map[string]any // held so that its address stays its own
	keys []string
}

func mapAddr(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// rememberOrder records keys as the order of m.
func rememberOrder(m map[string]any, keys []string) {
	if len(keys) < 2 {
		return
	}
	addr := mapAddr(m)
	o := &keyOrders
	o.Lock()
	defer o.Unlock()
	if o.byAddr == nil {
		o.byAddr = make(map[uintptr]orderEntry, maxKeyOrders)
		o.fifo = make([]uintptr, 0, maxKeyOrders)
	}
	if _, ok := o.byAddr[addr]; ok {
		o.byAddr[addr] = orderEntry{m: m, keys: keys}
		return
	}
	if len(o.fifo) < maxKeyOrders {
		o.fifo = append(o.fifo, addr)
	} else {
		delete(o.byAddr, o.fifo[o.next])
		o.fifo[o.next] = addr
		o.next = (o.next + 1) % maxKeyOrders
	}
	o.byAddr[addr] = orderEntry{m: m, keys: keys}
}

// orderedKeys returns m's keys: those recorded by a decoder first, in
// their order, then the others sorted.
func orderedKeys(m map[string]any) []string {
	var known []string
	if len(m) > 1 {
		keyOrders.Lock()
		known = keyOrders.byAddr[mapAddr(m)].keys
		keyOrders.Unlock()
	}
	keys := make([]string, 0, len(m))
	seen := make(map[string]bool, len(known))
	for _, k := range known {
		if _, ok := m[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	start := len(keys)
	for k := range m {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys[start:])
	return keys
}
