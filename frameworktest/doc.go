// Package frameworktest proves, through each router's own writer, that the
// plain net/http middleware of flaskgo/session keeps every write under
// net/http's ServeMux, chi, gorilla/mux and echo (gin needs the ginsession
// adapter). It has tests only.
package frameworktest
