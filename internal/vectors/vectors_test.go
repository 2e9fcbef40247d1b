package vectors

import (
	"encoding/json"
	"testing"

	"github.com/flaskgo/session/taggedjson"
	"github.com/flaskgo/session/typedjson"
)

const vectorFile = "../../testdata/flask-cookies.json"

func TestLoad(t *testing.T) {
	v, err := Load(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Positive) < 30 || len(v.Negative) < 15 || len(v.HeaderCases) < 15 {
		t.Fatalf("counts %d/%d/%d look truncated", len(v.Positive), len(v.Negative), len(v.HeaderCases))
	}
	if v.Constants.Salt != "cookie-session" || v.Constants.DefaultMaxAgeSeconds != 2678400 {
		t.Errorf("constants = %+v", v.Constants)
	}
	names := map[string]bool{}
	for _, p := range v.Positive {
		if p.Name == "" || p.Cookie == "" || p.PayloadJSON == "" || p.Direction == "" {
			t.Errorf("positive %q has empty required fields", p.Name)
		}
		if names[p.Name] {
			t.Errorf("duplicate name %q", p.Name)
		}
		names[p.Name] = true
		if _, err := p.DecodedValue(); err != nil {
			t.Errorf("%s: decoded: %v", p.Name, err)
		}
		if _, _, err := p.SessionValue(); err != nil {
			t.Errorf("%s: session: %v", p.Name, err)
		}
	}
	byName := func(name string) *Positive {
		for i := range v.Positive {
			if v.Positive[i].Name == name {
				return &v.Positive[i]
			}
		}
		t.Fatalf("no vector %q", name)
		return nil
	}
	if p := byName("fallback_key_single"); p.SigningKey != "old-key-2023" || len(p.ItsdangerousSecretKeys) != 2 || p.Direction != "read" {
		t.Errorf("fallback_key_single = %+v", p)
	}
	if p := byName("floats"); !p.HasTag("zlib-exact") || p.CompressionInfo == nil || p.CompressionInfo.JSONLen != 131 {
		t.Errorf("floats tags/compression = %v %+v", p.Tags, p.CompressionInfo)
	}
	if _, ok, _ := byName("unsorted_keys_read").SessionValue(); ok {
		t.Error("unsorted_keys_read has no session, SessionValue says it has")
	}
	for _, n := range v.Negative {
		switch n.FlaskOutcome {
		case "empty_session":
			if n.ExpectedSession == nil || len(n.ExpectedSession) != 0 {
				t.Errorf("%s: expected_session = %v, want {}", n.Name, n.ExpectedSession)
			}
		case "server_error":
			if n.ExpectedSession != nil {
				t.Errorf("%s: expected_session = %v, want null", n.Name, n.ExpectedSession)
			}
		default:
			t.Errorf("%s: flask_outcome %q", n.Name, n.FlaskOutcome)
		}
	}
	for _, h := range v.HeaderCases {
		acts, err := h.ParsedActions()
		if err != nil {
			t.Errorf("%s: %v", h.Name, err)
			continue
		}
		if len(acts) == 0 {
			t.Errorf("%s: no actions", h.Name)
		}
	}
}

func TestParsedActions(t *testing.T) {
	h := HeaderCase{Name: "t", Actions: [][]any{
		{"update", map[string]any{"a": json.Number("1"), "t": map[string]any{"$tuple": []any{"x"}}}},
		{"permanent", true},
		{"flash", "hi"},
		{"flash", "careful", "warning"},
		{"get", "a"}, {"contains", "a"}, {"delete", "a"}, {"clear"}, {"noop"},
	}}
	acts, err := h.ParsedActions()
	if err != nil {
		t.Fatal(err)
	}
	if acts[0].Op != "update" || !typedjson.Equal(acts[0].Update, map[string]any{"a": 1, "t": taggedjson.Tuple{"x"}}) {
		t.Errorf("update = %+v", acts[0])
	}
	if !acts[1].Bool || acts[2].Category != "message" || acts[2].Message != "hi" || acts[3].Category != "warning" {
		t.Errorf("permanent/flash = %+v %+v %+v", acts[1], acts[2], acts[3])
	}
	if acts[4].Key != "a" || acts[7].Op != "clear" || acts[8].Op != "noop" {
		t.Errorf("get/clear/noop = %+v %+v %+v", acts[4], acts[7], acts[8])
	}
	for _, bad := range [][]any{{}, {"explode"}, {"get"}, {"get", 1}, {"permanent", "yes"}, {"update"}} {
		h := HeaderCase{Name: "bad", Actions: [][]any{bad}}
		if _, err := h.ParsedActions(); err == nil {
			t.Errorf("action %v: no error", bad)
		}
	}
}
