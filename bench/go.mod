module github.com/flaskgo/session/bench

go 1.23

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/flaskgo/session v0.1.0
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
)
