package model_test

import (
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
)

func TestParseBoardView(t *testing.T) {
	cases := []struct {
		query string
		want  model.BoardView
		err   string
	}{
		{"", model.BoardView{}, ""},
		{"loc=3&group=2&vendor=shure&status=attention&sort=slot", model.BoardView{Location: 3, Group: 2, Vendor: "shure", Status: "attention", Sort: "slot"}, ""},
		{"status=offline&future=1", model.BoardView{Status: "offline"}, ""},
		{"loc=abc", model.BoardView{}, `loc="abc"`},
		{"loc=0", model.BoardView{}, `loc="0"`},
		{"group=10", model.BoardView{}, "1 to 9"},
		{"vendor=Sony%3Cx%3E", model.BoardView{}, "vendor code"},
		{"status=%3Cscript%3E", model.BoardView{}, `status="<script>"`},
		{"sort=age", model.BoardView{}, "slot, name or severity"},
	}
	for _, c := range cases {
		v, _ := url.ParseQuery(c.query)
		got, err := model.ParseBoardView(v)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want one saying %q", c.query, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.query, got, err, c.want)
		}
	}
}

func TestParseStoredView(t *testing.T) {
	got, err := model.ParseStoredView("?status=attention&loc=2")
	if err != nil || got.Encode() != "loc=2&status=attention" {
		t.Fatalf("good view: %+v %v", got, err)
	}
	for query, want := range map[string]string{
		"stauts=attention":        `unknown key "stauts"`,
		"status=<script>":         `status="<script>"`,
		"loc=abc":                 `loc="abc"`,
		"status=offline&status=x": "given 2 times",
		"loc=%zz":                 "not a query",
	} {
		if _, err := model.ParseStoredView(query); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want one saying %q", query, err, want)
		}
	}
}

func TestCheckLabel(t *testing.T) {
	for name, ok := range map[string]bool{
		"Monitor world":           true,
		"Bühne links":             true,
		"":                        false,
		"Tab\there":               false,
		"Two\nlines":              false,
		"Carriage\rreturn":        false,
		"bell\a":                  false,
		string([]byte{0xff, 'a'}): false,
		strings.Repeat("x", 21):   false,
		strings.Repeat("ü", 20):   true,
	} {
		if err := model.CheckLabel(name, 20); (err == nil) != ok {
			t.Errorf("CheckLabel(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
