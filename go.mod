module github.com/flaskgo/session

go 1.22
