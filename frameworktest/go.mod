module github.com/flaskgo/session/frameworktest

go 1.25

require (
	github.com/flaskgo/session v0.1.0
	github.com/go-chi/chi/v5 v5.2.1
	github.com/gorilla/mux v1.8.1
	github.com/labstack/echo/v4 v4.13.3
)

require (
	github.com/labstack/gommon v0.4.2 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	golang.org/x/crypto v0.31.0 // indirect
	golang.org/x/net v0.33.0 // indirect
	golang.org/x/sys v0.28.0 // indirect
	golang.org/x/text v0.21.0 // indirect
)
