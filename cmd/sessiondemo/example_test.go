package main

import "fmt"

// The -store flag takes a backend name or URL; passwords never reach logs.
func Example_storeSpec() {
	for _, s := range []string{"cookie", "memory", "sqlite:/var/lib/demo/sessions.db", "redis://:hunter2@127.0.0.1:6379/0"} {
		spec, err := parseStoreSpec(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-36s server-side=%-5v %s\n", s, spec.serverSide(), spec)
	}
	// Output:
	// cookie                               server-side=false signed cookie
	// memory                               server-side=true  memory
	// sqlite:/var/lib/demo/sessions.db     server-side=true  SQLite /var/lib/demo/sessions.db
	// redis://:hunter2@127.0.0.1:6379/0    server-side=true  redis://127.0.0.1:6379/0
}
