package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// printTable prints one row per cell and target, then what the counter
// check means.
func printTable(out io.Writer, results []result) {
	base := map[string]float64{}
	for _, r := range results {
		if r.target.key == baseline {
			base[r.cell.name] = r.wrk.rps()
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| cell\t server\t req/s\t p99\t × scs\t redis cmds/req\t requested (2xx)\t kept\t kept %\t")
	fmt.Fprintln(tw, "|---\t---\t---:\t---:\t---:\t---:\t---:\t---:\t---:\t")
	for _, r := range results {
		ratio := "-"
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		} else if b := base[r.cell.name]; b > 0 {
			ratio = fmt.Sprintf("%.2f", r.wrk.rps()/b)
		}
		cmds := "-"
		if r.redisCmds >= 0 {
			cmds = fmt.Sprintf("%.1f", r.redisCmds)
		}
		req, kept, pct := "-", "-", "-"
		if r.cell.write {
			req = fmt.Sprint(r.wrk.ok2xx)
			kept = fmt.Sprint(r.kept)
			if r.wrk.ok2xx > 0 {
				pct = fmt.Sprintf("%.1f", 100*float64(r.kept)/float64(r.wrk.ok2xx))
			}
			if r.target.cookieMode {
				kept += " (cookie)"
			}
		}
		fmt.Fprintf(tw, "| %s\t %s\t %.0f\t %s\t %s\t %s\t %s\t %s\t %s\t\n", r.cell.name, r.target.name, r.wrk.rps(), ms(r.wrk.p99), ratio, cmds, req, kept, pct)
	}
	tw.Flush()
	var problems []string
	for _, r := range results {
		if r.wrk.errors != "" {
			problems = append(problems, fmt.Sprintf("%s %s: wrk errors %s", r.cell.name, r.target.name, r.wrk.errors))
		}
		if r.wrk.non2xx > 0 {
			problems = append(problems, fmt.Sprintf("%s %s: %d non-2xx responses", r.cell.name, r.target.name, r.wrk.non2xx))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(out, "\n"+strings.Join(problems, "\n"))
	}
}

// printNotes says what the counter check and the Redis column mean.
func printNotes(out io.Writer) {
	fmt.Fprint(out, `
requested = 2xx responses to /write; kept = how much the counters of the
sessions written went up, read back through each server's /count with the
cookie a browser would hold at the end (the last Set-Cookie it got for that
session, else the seeded one). A server-side store keeps what it committed;
kept may exceed requested by up to the 32 requests in flight when wrk stops.
"(cookie)": the session is the cookie. Every request carries the same seeded
cookie (wrk does not follow Set-Cookie), so each write answers seeded+1 and
the last response wins: kept is at most one per session written (1 on the
hot session), by design of cookie sessions, not a defect of one library.
redis cmds/req: INFO commandstats calls over the cell (commands run inside
Lua scripts included) divided by responses.
`)
}
