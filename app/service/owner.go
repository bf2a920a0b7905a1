package service

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// newOwnerID names one running service on the leases it takes: the host and
// process make it readable in `micboard discover list`, the random part
// keeps it unique when a process id is reused after a restart.
func newOwnerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}
