module github.com/flaskgo/session/chaos

go 1.22

require (
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c
	github.com/flaskgo/session v0.1.0
	github.com/flaskgo/session/memcachestore v0.1.0
	github.com/flaskgo/session/redisstore v0.1.0
	github.com/flaskgo/session/sqlstore v0.1.0
	github.com/go-sql-driver/mysql v1.9.3
	github.com/jackc/pgx/v5 v5.7.4
	github.com/redis/go-redis/v9 v9.18.0
)
