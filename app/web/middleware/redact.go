package middleware

import (
	"net/url"
	"strings"
)

// SecretPaths are the route patterns whose ":secret" segment is a
// credential (a wall display's token, later a performer's link). Such a
// segment never reaches a log line: anyone who reads the logs could
// otherwise open the display.
var SecretPaths = []string{
	"/kiosk/:secret",
	"/p/:secret",
}

// Redacted replaces a secret path segment in logs.
const Redacted = "REDACTED"

// RedactPath returns path (with its query, if any) with every secret
// segment replaced by Redacted, and the secrets it replaced so a caller can
// scrub them from other text too (an error message quoting the URL).
func RedactPath(path string) (string, []string) {
	p, query, hasQuery := strings.Cut(path, "?")
	segs := strings.Split(p, "/")
	var secrets []string
	for _, pattern := range SecretPaths {
		pat := strings.Split(pattern, "/")
		if len(segs) < len(pat) {
			continue
		}
		match := true
		for i, ps := range pat {
			if ps != ":secret" && ps != unescape(segs[i]) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		for i, ps := range pat {
			if ps == ":secret" && segs[i] != "" && segs[i] != Redacted {
				secrets = append(secrets, segs[i])
				segs[i] = Redacted
			}
		}
	}
	if secrets == nil {
		return path, nil
	}
	out := strings.Join(segs, "/")
	if hasQuery {
		out += "?" + query
	}
	return out, secrets
}

// Scrub replaces each secret in text by Redacted.
func Scrub(text string, secrets []string) string {
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, Redacted)
	}
	return text
}

// unescape decodes a path segment, so /%6Biosk/... is still a kiosk path.
func unescape(seg string) string {
	if u, err := url.PathUnescape(seg); err == nil {
		return u
	}
	return seg
}
