
-- response counts 2xx answers and records, per session (the server names it
-- in X-Sess), the last cookie a browser would have kept. Defined only for
-- write cells: wrk parses every response's headers when it is present.
function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    other = other + 1
  end
  local c = headers["Set-Cookie"]
  local s = headers["X-Sess"]
  if c and s then
    last[s] = c:match("^[^;]*")
  end
end
