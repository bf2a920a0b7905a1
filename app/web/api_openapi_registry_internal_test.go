package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"micboard/app/config"
	"micboard/app/device"
)

// The vendor and device type parameters of the document list exactly what
// the device registry holds, as enums and in their descriptions (device
// types with their family's name), so a vendor or family added in its own folder reaches the
// API document without an edit to it.
func TestAPIOpenAPIChoicesComeFromTheRegistry(t *testing.T) {
	cfg, err := config.Parse(func(k string) (string, bool) {
		if k == "MICBOARD_SESSION_SECRET" {
			return strings.Repeat("s", 32), true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	param := func(path, name string) *openapi3.Parameter {
		t.Helper()
		item := doc.Paths.Find(path)
		if item == nil || item.Get == nil {
			t.Fatalf("no GET %s", path)
		}
		p := item.Get.Parameters.GetByInAndName(openapi3.ParameterInQuery, name)
		if p == nil {
			t.Fatalf("GET %s has no %s parameter", path, name)
		}
		return p
	}
	enum := func(p *openapi3.Parameter) []string {
		var out []string
		for _, v := range p.Schema.Value.Enum {
			out = append(out, v.(string))
		}
		return out
	}

	vendors := device.Vendors()
	types := device.DeviceTypes()
	if len(vendors) < 2 || len(types) < 2 {
		t.Fatalf("registry holds %v and %v", vendors, types)
	}
	for _, p := range []*openapi3.Parameter{param("/receivers", "vendor"), param("/connections", "manufacturer")} {
		if got := enum(p); !slices.Equal(got, vendors) {
			t.Errorf("%s enum %v, registry %v", p.Name, got, vendors)
		}
		for _, v := range device.AllVendors() {
			if !strings.Contains(p.Description, v.Code) {
				t.Errorf("%s description %q lacks %s", p.Name, p.Description, v.Code)
			}
		}
	}
	typ := param("/receivers", "type")
	if got := enum(typ); !slices.Equal(got, types) {
		t.Errorf("type enum %v, registry %v", got, types)
	}
	for _, code := range types {
		_, f, _ := device.LookupDeviceType(code)
		if !strings.Contains(typ.Description, code) || !strings.Contains(typ.Description, f.Name) {
			t.Errorf("type description %q lacks %s (%s)", typ.Description, code, f.Name)
		}
	}
	if strings.Contains(string(raw), "(shure, sennheiser)") {
		t.Error("the document still lists vendors by hand")
	}
}
