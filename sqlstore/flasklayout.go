package sqlstore

// WithFlaskSessionLayout makes the store read and write the table of
// Flask-Session's SQLAlchemy backend (SESSION_TYPE = "sqlalchemy") instead of
// the store's native table: columns id, session_id, data and expiry, the
// table named by WithTable (SESSION_SQLALCHEMY_TABLE, default "sessions").
// Store keys are the session_id values, so the Manager should use
// Config.PlainStoreKeys with Flask-Session's key prefix. See the package
// README for the columns per Flask-Session version and dialect, and for what
// the layout cannot do (no user index).
func WithFlaskSessionLayout() Option { return func(c *config) { c.flask = true } }
