package service

import (
	"context"

	"micboard/app/model"
	"micboard/app/store"
)

// Manufacturers lists the vendors Micboard has drivers for.
type Manufacturers struct{ st *store.Store }

// NewManufacturers returns the manufacturer service.
func NewManufacturers(st *store.Store) *Manufacturers { return &Manufacturers{st: st} }

// List lists the active vendors.
func (s *Manufacturers) List(ctx context.Context) ([]*model.Manufacturer, error) {
	return s.st.Manufacturers.List(ctx, true)
}

// ByCode finds a vendor by code.
func (s *Manufacturers) ByCode(ctx context.Context, code string) (*model.Manufacturer, error) {
	return s.st.Manufacturers.ByCode(ctx, code)
}
