// Package browser holds Micboard's end-to-end tests: a fresh PostgreSQL
// database, simulated receivers on loopback, the real server in-process, and
// headless Chromium using the pages the way a person (or a wall display)
// does. This file finds the browser and sets its flags; the tests are in the
// _test files. `make screenshots` runs TestScreenshots from here too.
package browser

import (
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ExecPath returns the Chromium to drive: $MICBOARD_CHROMIUM when set, else
// Debian's chromium on PATH or in /usr/bin. It returns "" when there is none;
// the tests never download a browser.
func ExecPath() string {
	if p := os.Getenv("MICBOARD_CHROMIUM"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		return ""
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if found, err := exec.LookPath(name); err == nil {
			return found
		}
	}
	return ""
}

// AllocatorOptions are the launch flags: headless, no sandbox (the tests run
// as root in containers), nothing that reaches the network on its own, and a
// profile of its own in userDataDir.
func AllocatorOptions(execPath, userDataDir string, width, height int) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(width, height),
	)
}
