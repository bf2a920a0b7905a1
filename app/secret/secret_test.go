package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func newKey(t *testing.T) (*Key, []byte) {
	t.Helper()
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k, raw
}

func TestSealOpenRoundTrip(t *testing.T) {
	k, _ := newKey(t)
	ad := []byte("receiver:7:password")
	a, err := k.Seal([]byte("s3cret pass"), ad)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Seal([]byte("s3cret pass"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same password are equal: the nonce is not random")
	}
	if bytes.Contains(a, []byte("s3cret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(a, ad)
	if err != nil || string(got) != "s3cret pass" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	k, _ := newKey(t)
	other, _ := newKey(t)
	ad := []byte("receiver:7:password")
	sealed, err := k.Seal([]byte("pw"), ad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k.Open(bad, ad); !errors.Is(err, ErrOpen) {
			t.Fatalf("flipping byte %d: err = %v, want ErrOpen", i, err)
		}
	}
	if _, err := k.Open(sealed, []byte("receiver:8:password")); !errors.Is(err, ErrOpen) {
		t.Fatalf("value moved to another row opened: %v", err)
	}
	if _, err := other.Open(sealed, ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key opened it: %v", err)
	}
	if _, err := k.Open(sealed[:10], ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("truncated value: %v", err)
	}
}

func TestNilKeyRefuses(t *testing.T) {
	var k *Key
	if _, err := k.Seal([]byte("pw"), nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Seal without key: %v", err)
	}
	if _, err := k.Open([]byte("x"), nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Open without key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	_, raw := newKey(t)
	for _, s := range []string{
		hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw), " " + base64.StdEncoding.EncodeToString(raw) + "\n",
	} {
		k, err := ParseKey(s)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", s, err)
		}
		// The parsed key opens what the raw key sealed.
		ref, _ := NewKey(raw)
		sealed, _ := ref.Seal([]byte("pw"), nil)
		if got, err := k.Open(sealed, nil); err != nil || string(got) != "pw" {
			t.Fatalf("key parsed from %q does not match: %v", s, err)
		}
	}
	for _, s := range []string{"", "short", hex.EncodeToString(raw[:31]), base64.StdEncoding.EncodeToString(append(raw, 1))} {
		if _, err := ParseKey(s); !errors.Is(err, ErrBadKey) {
			t.Fatalf("ParseKey(%q) = %v, want ErrBadKey", s, err)
		}
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k, raw := newKey(t)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %s", k, k, k), k.LogValue().String()} {
		if bytes.Contains([]byte(s), []byte(hex.EncodeToString(raw))) || s != "[secret key]" && !bytes.Contains([]byte(s), []byte("[secret key]")) {
			t.Fatalf("key printed as %q", s)
		}
	}
}
