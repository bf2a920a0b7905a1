package config

import (
	"strings"
	"testing"
)

func TestSecretKey(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := Parse(env())
	if err != nil || c.SecretKey != nil {
		t.Fatalf("unset: key %v, err %v; want no key and no error", c.SecretKey, err)
	}
	const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	c, err = Parse(env("MICBOARD_SECRET_KEY", hexKey))
	if err != nil || c.SecretKey == nil {
		t.Fatalf("hex key: %v", err)
	}
	c, err = Parse(env("MICBOARD_SECRET_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="))
	if err != nil || c.SecretKey == nil {
		t.Fatalf("base64 key: %v", err)
	}
	_, err = Parse(env("MICBOARD_SECRET_KEY", "not-a-key-but-secret-looking"))
	if err == nil || !strings.Contains(err.Error(), "MICBOARD_SECRET_KEY") {
		t.Fatalf("bad key accepted or not named: %v", err)
	}
	if strings.Contains(err.Error(), "not-a-key-but-secret-looking") {
		t.Fatalf("the error echoes the key: %v", err)
	}
}
