package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok\n"))
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"/healthz", true}, {"/readyz", false}} {
		root := NewRootCommand("test")
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs([]string{"healthcheck", "--url", srv.URL + tc.path})
		err := root.Execute()
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.path, err, tc.ok)
		}
		if !tc.ok && err != nil && !strings.Contains(err.Error(), "503") {
			t.Errorf("%s: error %q does not name the status", tc.path, err)
		}
	}
	root := NewRootCommand("test")
	root.SetArgs([]string{"healthcheck", "--url", "http://127.0.0.1:1/healthz", "--timeout", "1s"})
	if err := root.Execute(); err == nil {
		t.Error("healthcheck of a closed port succeeded")
	}
}
