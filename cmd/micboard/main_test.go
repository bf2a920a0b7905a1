package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds micboard once for the whole package.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "micboard-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "micboard")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// command prepares micboard with args and only the given MICBOARD_*
// variables (none inherited from the test's environment).
func command(t *testing.T, env map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MICBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// runCmd runs micboard to completion and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := command(t, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func TestStartFailuresPrintOneLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"bad listen address", map[string]string{"MICBOARD_LISTEN": "nonsense"}, nil,
			[]string{"micboard: invalid configuration:", `MICBOARD_LISTEN="nonsense"`}},
		{"meter rate too fast", map[string]string{"MICBOARD_METER_RATE": "5ms"}, []string{"serve"},
			[]string{"micboard: invalid configuration:", `MICBOARD_METER_RATE="5ms"`, "100ms"}},
		{"unreachable database", map[string]string{"MICBOARD_DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable"}, []string{"serve"},
			[]string{"micboard: connect to database", "127.0.0.1:1"}},
		{"unreachable database on migrate", map[string]string{"MICBOARD_DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable"}, []string{"migrate"},
			[]string{"micboard: connect to database", "127.0.0.1:1"}},
		{"unreachable redis", map[string]string{"MICBOARD_REDIS_URL": "redis://127.0.0.1:1/0"}, []string{"serve"},
			[]string{"micboard: connect to redis", "127.0.0.1:1"}},
		{"unknown command", nil, []string{"dance"}, []string{`micboard: unknown command "dance"`}},
		{"unknown flag", nil, []string{"serve", "--nope"}, []string{"micboard: serve: flag provided but not defined: -nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCmd(t, tt.env, tt.args...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines, want 1:\n%s", len(lines), stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q lacks %q", lines[0], w)
				}
			}
		})
	}
}

func TestServeHelpListsEnvironment(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"--help"}, {"help"}, {"migrate", "-h"}} {
		code, stdout, stderr := runCmd(t, nil, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, v := range config.Vars {
			if !strings.Contains(stdout, v.Name) {
				t.Errorf("%v: help lacks %s", args, v.Name)
			}
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestMigrateThenServe(t *testing.T) {
	url := dbtest.NewEmptyURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}

	code, stdout, stderr := runCmd(t, env, "migrate")
	if code != 0 || !strings.Contains(stdout, "applied 0001") {
		t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, env, "migrate")
	if code != 0 || !strings.Contains(stdout, "up to date") {
		t.Fatalf("second migrate: exit %d, %s", code, stdout)
	}

	addr := freePort(t)
	env["MICBOARD_LISTEN"] = addr
	cmd := command(t, env, "serve")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})

	base := "http://" + addr
	waitFor(t, base+"/readyz", http.StatusOK, exited, &logs)
	// The board needs a login by default; with no user yet, / leads to the
	// form that creates the first admin.
	for path, want := range map[string]string{"/healthz": `"ok"`, "/": "Set up Micboard", "/login?next=%2F": `action="/setup"`} {
		body := fetch(t, base+path)
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM\n%s", logs.String())
	}
	for _, want := range []string{"micboard serving", "micboard stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestMigrateCreatesMissingDatabase(t *testing.T) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "micboard_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if err := dbtest.DropDatabase(context.Background(), name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	code, stdout, stderr := runCmd(t, map[string]string{"MICBOARD_DATABASE_URL": dbtest.URLFor(name)}, "migrate")
	if code != 0 || !strings.Contains(stdout, "applied 0001") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// waitFor polls url until it answers with status, failing if the process
// exits first or it takes too long.
func waitFor(t *testing.T, url string, status int, exited <-chan error, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited early (%v):\n%s", err, logs.String())
		default:
		}
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == status {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d in time:\n%s", url, status, logs.String())
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, res.StatusCode, b)
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer the child's output goroutine and the test
// may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestReadmeListsEveryVariable keeps the README's configuration table in
// step with config.Vars.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range config.Vars {
		def := "(empty)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		row := fmt.Sprintf("| `%s` | %s | %s |", v.Name, def, v.Help)
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
}
