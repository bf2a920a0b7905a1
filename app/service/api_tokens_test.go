package service_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

func TestAPITokenLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	ts := service.NewAPITokens(st)

	tok, secret, err := ts.Create(ctx, service.CLI, service.APITokenInput{Name: " Show control ", Role: model.RoleOperator})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, service.APITokenPrefix) || len(secret) < 40 || tok.Name != "Show control" || tok.CreatedBy != "cli" {
		t.Fatalf("created %+v with secret %q", tok, secret)
	}
	if bytes.Contains(tok.TokenHash, []byte(secret)) || !bytes.Equal(tok.TokenHash, store.HashAPIToken(secret)) {
		t.Fatal("the token is not stored as its hash")
	}
	got, err := ts.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != model.RoleOperator || got.LastUsedAt == nil {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	// The same shape with one character changed, and other junk.
	other := []byte(secret)
	other[len(other)-2] ^= 1
	for _, bad := range []string{"", "mbt_", secret[len(service.APITokenPrefix):], string(other), secret + "A", "Bearer " + secret} {
		if _, err := ts.Authenticate(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token %q: %v", bad, err)
		}
	}

	for _, tt := range []struct {
		in    service.APITokenInput
		field string
	}{
		{service.APITokenInput{Name: "", Role: model.RoleViewer}, "name"},
		{service.APITokenInput{Name: strings.Repeat("n", 101), Role: model.RoleViewer}, "name"},
		{service.APITokenInput{Name: "LED wall", Role: "root"}, "role"},
		{service.APITokenInput{Name: "SHOW CONTROL", Role: model.RoleViewer}, "name"},
	} {
		_, _, err := ts.Create(ctx, service.CLI, tt.in)
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
			t.Errorf("%+v: %v, want a %s error", tt.in, err, tt.field)
		}
	}

	if _, err := ts.Revoke(ctx, service.CLI, "show CONTROL"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Authenticate(ctx, secret); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a revoked token authenticated: %v", err)
	}
	if _, err := ts.Revoke(ctx, service.CLI, "Show control"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, err := ts.Revoke(ctx, service.CLI, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	list, err := ts.List(ctx)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	events, err := st.AuditEvents.Query().ByActor("cli").List(ctx)
	if err != nil || len(events) != 2 || events[0].Action != "api_token.revoke" || events[1].Action != "api_token.create" {
		t.Fatalf("audit: %+v %v", events, err)
	}
	for _, e := range events {
		if strings.Contains(e.Summary, secret) {
			t.Fatal("the secret is in the audit log")
		}
	}
}
