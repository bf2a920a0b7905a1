package main

import (
	"fmt"
	"strings"

	"micboard/app/device"
)

// withVendors fills the usage texts' {vendors} ("shure|sennheiser") and
// {ports} ("2202 (shure) or 45 (sennheiser)") from the device registry, so
// a new vendor shows up in --help without touching this command.
func withVendors(s string) string {
	vs := device.AllVendors()
	codes := make([]string, 0, len(vs))
	ports := make([]string, 0, len(vs))
	for _, v := range vs {
		codes = append(codes, v.Code)
		ports = append(ports, fmt.Sprintf("%d (%s)", v.DefaultPort, v.Code))
	}
	p := strings.Join(ports, ", ")
	if i := strings.LastIndex(p, ", "); i >= 0 {
		p = p[:i] + " or " + p[i+2:]
	}
	return strings.NewReplacer("{vendors}", strings.Join(codes, "|"), "{ports}", p).Replace(s)
}

// loginVendors names the vendors whose receivers log in ("Sennheiser"),
// for the message refusing a password to any other.
func loginVendors() string {
	var names []string
	for _, v := range device.AllVendors() {
		if v.LoginPort != 0 {
			names = append(names, v.Name)
		}
	}
	if len(names) == 0 {
		return "no"
	}
	return strings.Join(names, " or ")
}
