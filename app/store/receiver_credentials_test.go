package store_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// Credentials are stored and replaced per receiver, listed only for
// active receivers, and go with their receiver; no receiver read (nor its
// JSON) carries them.
func TestReceiverCredentials(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	a := e.Receiver(storetest.Rx{Vendor: model.VendorSennheiser, Type: model.TypeEWDX, Channels: 2}).Receiver
	b := e.Receiver(storetest.Rx{Vendor: model.VendorSennheiser, Type: model.TypeEWDX, Channels: 2, Inactive: true}).Receiver
	fp := "ab" + string(bytes.Repeat([]byte("0"), 62))
	must(t, e.St.Receivers.SetCredential(e.Ctx, &model.ReceiverCredential{ReceiverID: a.ID, Username: "api", PasswordSealed: []byte{1, 2, 3}, TLSFingerprint: fp}))
	must(t, e.St.Receivers.SetCredential(e.Ctx, &model.ReceiverCredential{ReceiverID: b.ID, Username: "api", PasswordSealed: []byte{4}}))
	// Adding again replaces.
	must(t, e.St.Receivers.SetCredential(e.Ctx, &model.ReceiverCredential{ReceiverID: a.ID, Username: "api", PasswordSealed: []byte{9, 9}, TLSFingerprint: fp}))
	got, err := e.St.Receivers.Credential(e.Ctx, a.ID)
	must(t, err)
	if !bytes.Equal(got.PasswordSealed, []byte{9, 9}) || got.TLSFingerprint != fp {
		t.Fatalf("stored %+v", got)
	}
	// A fingerprint that is not hex SHA-256 is refused by the schema.
	if err := e.St.Receivers.SetCredential(e.Ctx, &model.ReceiverCredential{ReceiverID: a.ID, Username: "api", PasswordSealed: []byte{1}, TLSFingerprint: "xyz"}); err == nil {
		t.Fatal("a malformed fingerprint was stored")
	}
	active, err := e.St.Receivers.ActiveCredentials(e.Ctx)
	must(t, err)
	if len(active) != 1 || active[a.ID] == nil {
		t.Fatalf("active credentials %v, want only receiver %d", active, a.ID)
	}
	rxs, err := e.St.Receivers.Query().WithRelations().List(e.Ctx)
	must(t, err)
	js, err := json.Marshal(rxs)
	must(t, err)
	if bytes.Contains(js, []byte("password")) || bytes.Contains(js, []byte(fp)) {
		t.Fatalf("a receiver read carries credentials: %s", js)
	}
	must(t, e.St.Receivers.Delete(e.Ctx, a.ID))
	if _, err := e.St.Receivers.Credential(e.Ctx, a.ID); err == nil {
		t.Fatal("credentials outlived their receiver")
	} else {
		mustErr(t, err, store.ErrNotFound)
	}
}
