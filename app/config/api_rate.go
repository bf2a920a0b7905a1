package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of requests allowed per period, written "120/1m".
type Rate struct {
	Limit  int64
	Period time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.Limit, r.Period) }

// ParseRate reads "N/PERIOD": N from 1 to 1,000,000 requests per a period
// from 1s to 24h ("120/1m", "10/1s").
func ParseRate(v string) (Rate, error) {
	n, p, ok := strings.Cut(strings.TrimSpace(v), "/")
	limit, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
	if !ok || err != nil || limit < 1 || limit > 1_000_000 {
		return Rate{}, fmt.Errorf("want requests/period such as 120/1m, with 1 to 1000000 requests")
	}
	period, err := time.ParseDuration(strings.TrimSpace(p))
	if err != nil || period < time.Second || period > 24*time.Hour {
		return Rate{}, fmt.Errorf("want requests/period such as 120/1m, with a period from 1s to 24h")
	}
	return Rate{Limit: limit, Period: period}, nil
}

// parseAPIRates reads the API's rate limits, per token or client address:
// one budget for reads, one for writes.
func parseAPIRates(c *Config, get func(string) string, bad func(name, value, why string)) {
	for _, it := range []struct {
		name string
		dst  *Rate
	}{{"MICBOARD_API_RATE_READ", &c.APIRateRead}, {"MICBOARD_API_RATE_WRITE", &c.APIRateWrite}} {
		v := get(it.name)
		r, err := ParseRate(v)
		if err != nil {
			bad(it.name, v, err.Error())
			continue
		}
		*it.dst = r
	}
}
