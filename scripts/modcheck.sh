#!/usr/bin/env bash
# modcheck: the repository's modules work as published modules, not only
# inside go.work. From a scratch copy of the checkout, in dependency order,
# each module is
#   1. tidied with GOWORK=off: go.mod must not change, go.sum may only gain
#      the lines of its github.com/flaskgo/* siblings (see RELEASING.md);
#   2. built and vetted (tests compiled) with GOWORK=off, siblings coming
#      from a file-based module proxy (GOPROXY=file://...) made from the
#      checkout by scripts/modproxy, as VERSION (default v0.1.0);
#   3. then published to that proxy for the modules that need it.
# Finally a consumer module outside the repository go-gets the core,
# redisstore and sqlstore, builds a program with them, go-installs
# sessionctl@VERSION and sessiondemo@VERSION (whose go.mod names the most
# siblings: every one of them must be tagged, see RELEASING.md) and runs
# `sessionctl --help`.
#
# MODCHECK_TESTS=1 also runs every module's tests with GOWORK=off, each
# module against its siblings' published zips; MODCHECK_TESTS=short does
# the same with -short (no browser tests), which is what CI runs. They are
# the same tests `make test` runs in the workspace, with -race there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=${MODCHECK_VERSION:-v0.1.0}
work=$(mktemp -d "${TMPDIR:-/tmp}/modcheck.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
step() { echo "modcheck: $*"; }
fail() { echo "modcheck: FAIL: $*" >&2; exit 1; }

# The committed go.mod files must not carry replace directives: go install
# pkg@version refuses them and dependents ignore them.
if grep -ln '^replace\|^\s*replace\s*(' $(cd "$repo" && git ls-files '*go.mod' | sed "s|^|$repo/|") >/dev/null; then
  fail "replace directive in: $(cd "$repo" && grep -ln '^replace' $(git ls-files '*go.mod'))"
fi

# Every module is in go.work.
for m in $(cd "$repo" && git ls-files '*go.mod' | xargs -n1 dirname | sort); do
  want="./$m"; [ "$m" = . ] && want=.
  (cd "$repo" && go work edit -json) | grep -q "\"DiskPath\": \"$want\"" || fail "go.work does not use $want"
done

# A scratch copy of the checkout's files (tracked and new, not ignored).
src=$work/src
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src" 2>/dev/null) || true
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && [ ! -e "$src/$f" ] && echo "$f"; done) | grep . && fail "copy incomplete"

(cd "$repo/scripts/modproxy" && GOWORK=off go build -o "$work/modproxy" .)

# A private module cache, so the checkout's "v0.1.0" never lands in the real
# one; third-party modules come from the real cache's download directory
# (a valid file proxy), then the network.
realcache=$(go env GOMODCACHE)
export GOWORK=off GOFLAGS=-modcacherw GOMODCACHE=$work/modcache GONOSUMDB=github.com/flaskgo
export GOPROXY="file://$work/proxy,file://$realcache/cache/download,$(go env GOPROXY)"
mkdir -p "$work/proxy"

# Dependency order over the flaskgo requirements (tsort).
mods=$(cd "$src" && find . -name go.mod -not -path './.git/*' | xargs -n1 dirname | sed 's|^\./||' | sort)
declare -A dirOf
for m in $mods; do dirOf[$(cd "$src/$m" && go mod edit -json | sed -n 's/^\t\t"Path": "\(.*\)"$/\1/p' | head -1)]=$m; done
order=$(for m in $mods; do
  echo "$m $m"
  for p in $(cd "$src/$m" && go mod edit -json | sed -n 's/^\t\t\t"Path": "\(github.com\/flaskgo\/[^"]*\)".*/\1/p'); do
    [ -n "${dirOf[$p]:-}" ] && echo "${dirOf[$p]} $m"
  done
done | tsort)

start=$SECONDS
for m in $order; do
  d=$src/$m
  step "$m"
  # Sibling sums are not committed before a release, and a released one
  # would not match the checkout's zip: drop them, tidy regenerates them.
  [ -f "$d/go.sum" ] && sed -i '\|^github.com/flaskgo/|d' "$d/go.sum"
  cp "$d/go.mod" "$work/go.mod.before"; touch "$d/go.sum"; cp "$d/go.sum" "$work/go.sum.before"
  (cd "$d" && go mod tidy) || fail "$m: go mod tidy"
  diff -u "$work/go.mod.before" "$d/go.mod" || fail "$m: go mod tidy changes go.mod (run it, with GOWORK=off and this proxy, and commit)"
  if { diff "$work/go.sum.before" "$d/go.sum" || true; } | grep '^[<>]' | grep -v '^> github.com/flaskgo/'; then
    fail "$m: go mod tidy changes go.sum beyond the sibling lines"
  fi
  [ -s "$d/go.sum" ] || rm -f "$d/go.sum"
  (cd "$d" && go build ./... && go vet ./...) || fail "$m: build/vet with GOWORK=off"
  case "${MODCHECK_TESTS:-}" in
    1) (cd "$d" && go test -count=1 ./...) || fail "$m: tests with GOWORK=off" ;;
    short) (cd "$d" && go test -short -count=1 ./...) || fail "$m: tests (-short) with GOWORK=off" ;;
  esac
  "$work/modproxy" -out "$work/proxy" -version "$version" "$d" >/dev/null
done
step "modules: $((SECONDS - start))s"

# A consumer outside the repository, as a user would start.
c=$work/consumer
mkdir -p "$c" && cd "$c"
go mod init example.com/shop >/dev/null 2>&1
cat > main.go <<'GO'
package main

import (
	"fmt"
	"net/http"

	"github.com/flaskgo/session"
	"github.com/flaskgo/session/redisstore"
	"github.com/flaskgo/session/sqlstore"
)

var (
	_ = redisstore.New
	_ = sqlstore.New
)

func main() {
	m, err := session.New(session.Config{SecretKey: "consumer-check"})
	if err != nil {
		panic(err)
	}
	_ = m.Handler(http.NotFoundHandler())
	fmt.Println("ok")
}
GO
go get "github.com/flaskgo/session@$version" "github.com/flaskgo/session/redisstore@$version" "github.com/flaskgo/session/sqlstore@$version"
go mod tidy
go build -o shop . && [ "$(./shop)" = ok ] || fail "consumer program"
GOBIN=$work/bin go install "github.com/flaskgo/session/cmd/sessionctl@$version" || fail "go install sessionctl@$version"
GOBIN=$work/bin go install "github.com/flaskgo/session/cmd/sessiondemo@$version" || fail "go install sessiondemo@$version"
"$work/bin/sessionctl" --help >"$work/help" 2>&1 || fail "sessionctl --help: $(cat "$work/help")"
grep -q decode "$work/help" || fail "sessionctl --help does not list its commands: $(cat "$work/help")"
step "consumer: go get core+redisstore+sqlstore, build, go install sessionctl@$version and sessiondemo@$version, --help: ok ($((SECONDS - start))s)"
