package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// MinWebhookSecret is the shortest signing secret accepted: a receiver
// checks the signature with it, so it must not be guessable.
const MinWebhookSecret = 16

// WebhookInput describes a new webhook endpoint.
type WebhookInput struct {
	URL    string
	Secret string
	// Kinds are the alert kinds it takes; none: every kind.
	Kinds []model.AlertKind
}

func (in *WebhookInput) validate() error {
	in.URL = strings.TrimSpace(in.URL)
	in.Secret = strings.TrimSpace(in.Secret)
	v := validator{}
	u, err := url.Parse(in.URL)
	v.check(in.URL != "", "url", "give the endpoint's URL")
	v.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "url", "want an http:// or https:// URL")
	v.check(len(in.URL) <= 2000, "url", "at most 2000 characters")
	v.check(in.Secret != "", "secret", "give the signing secret")
	v.check(len(in.Secret) >= MinWebhookSecret, "secret", fmt.Sprintf("at least %d characters, so the signature cannot be forged", MinWebhookSecret))
	v.check(len(in.Secret) <= 500, "secret", "at most 500 characters")
	for _, k := range in.Kinds {
		v.check(k.Valid(), "kinds", fmt.Sprintf("%q is not an alert kind", k))
	}
	if in.Kinds == nil {
		in.Kinds = []model.AlertKind{}
	}
	return v.err()
}

// WebhookTarget is a webhook's URL as it may be shown and logged: without
// user information or query, which may hold secrets.
func WebhookTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// KindsText names alert kinds for people: "every kind" for none.
func KindsText(kinds []model.AlertKind) string {
	if len(kinds) == 0 {
		return "every kind"
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

// CreateWebhook adds an active webhook endpoint, recorded in the audit log
// (never its secret). A running server's deliveries pick it up at their
// next reload.
func CreateWebhook(ctx context.Context, st *store.Store, actor Actor, in WebhookInput) (*model.Webhook, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	hook := &model.Webhook{URL: in.URL, Secret: in.Secret, Kinds: in.Kinds, Active: true}
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		if err := tx.Webhooks.Create(ctx, hook); err != nil {
			return Change{}, err
		}
		return Change{Action: "webhook.create", ObjectKind: "webhook", ObjectIDs: []int64{hook.ID},
			Summary: fmt.Sprintf("added webhook %s for %s", WebhookTarget(hook.URL), KindsText(hook.Kinds))}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("add webhook: %w", err)
	}
	return hook, nil
}

// RemoveWebhook stops an active webhook, recorded in the audit log; one
// that is not active is store.ErrNotFound.
func RemoveWebhook(ctx context.Context, st *store.Store, actor Actor, id int64) (*model.Webhook, error) {
	var gone *model.Webhook
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		list, err := tx.Webhooks.List(ctx, true)
		if err != nil {
			return Change{}, err
		}
		for _, h := range list {
			if h.ID == id {
				gone = h
			}
		}
		if gone == nil {
			return Change{}, fmt.Errorf("no active webhook %d: %w", id, store.ErrNotFound)
		}
		if err := tx.Webhooks.Deactivate(ctx, id); err != nil {
			return Change{}, err
		}
		return Change{Action: "webhook.remove", ObjectKind: "webhook", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("removed webhook %s", WebhookTarget(gone.URL))}, nil
	})
	if err != nil {
		return nil, err
	}
	return gone, nil
}
