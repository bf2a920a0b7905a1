package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// famEWDXv2 is the EW-DX on firmware 4 and later, serving SSCv2 (HTTPS
// REST plus server-sent events) instead of SSC v1 over UDP.
const famEWDXv2 family = iota + 300

// DefaultSSCv2Password is the third-party password of simulated SSCv2
// receivers (user "api") unless ReceiverConfig.Password says otherwise.
const DefaultSSCv2Password = "micsim-api"

// sscv2User is the third-party user the EW-DX API defines.
const sscv2User = "api"

// The SSCv2 models play the EW-DX service API as documented (OpenAPI
// "EW-DX service API" 1.7, api_docs.json in
// bitfocus/companion-module-sennheiser-ewdx) and as that module's
// src/ewdxReceiverSCPv2.ts drives it: 0-based /api/channel/{i},
// /api/rf/channels/{i}, /api/transmitters/{i}[/battery|/warnings] (422
// without a transmitter), identity without login, everything else behind
// HTTP basic auth as "api"; GET /api/ssc/state/subscriptions opens an event
// stream whose first event is `event:open` with the session UUID, a PUT of
// resource paths to /api/ssc/state/subscriptions/{uuid} chooses what is
// pushed, and each push is {"/api/path": value} for what changed (a
// resource without a transmitter is pushed as null).
func init() {
	for _, m := range []modelSpec{
		{code: "ewdx4v2", vendor: VendorSennheiser, model: "EW-DX EM 4 Dante", wireModel: "EWDX4CHDS", fam: famEWDXv2, channels: 4,
			txModels: []string{"EW_DX_SK", "EW_DX_SKM"}, band: "Q1-9", fw: "4.0.1", freqLo: 470200, freqHi: 550000, nameMax: 8},
		{code: "ewdx2v2", vendor: VendorSennheiser, model: "EW-DX EM 2", wireModel: "EWDX2CHS", fam: famEWDXv2, channels: 2,
			txModels: []string{"EW_DX_SK", "EW_DX_SKM"}, band: "Q1-9", fw: "4.0.1", freqLo: 470200, freqHi: 550000, nameMax: 8},
	} {
		modelSpecs[m.code] = m
	}
}

// sscv2Server serves one simulated receiver's SSCv2 API on loopback.
type sscv2Server struct {
	r        *Receiver
	password string
	cert     tls.Certificate
	fp       string

	srv      *http.Server
	closing  chan struct{}
	sessions map[string]*v2Session // r.mu
	meters   *ticker
	wg       sync.WaitGroup
}

type v2Session struct {
	id     string
	paths  []string
	last   map[string]string // what was pushed last per path
	raw    [][]byte          // scripted garbage to write as is
	notify chan struct{}
	done   chan struct{}
}

// newSSCv2Server makes the receiver's certificate once, so it survives a
// Drop and Restore as a real device's does: a monitor that pinned it keeps
// trusting it.
func newSSCv2Server(r *Receiver, password string) (*sscv2Server, error) {
	if password == "" {
		password = DefaultSSCv2Password
	}
	cert, err := selfSigned(r.host, r.serial)
	if err != nil {
		return nil, err
	}
	for _, c := range r.ch {
		// The receiver stores names in upper case (PUT pattern of the API).
		c.name = strings.ToUpper(c.name)
	}
	return &sscv2Server{
		r: r, password: password, cert: cert,
		fp: fingerprint(cert.Certificate[0]), sessions: map[string]*v2Session{},
	}, nil
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// selfSigned makes a P-256 certificate for host, as an EW-DX makes its own.
func selfSigned(host, serial string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sscv2 certificate key: %w", err)
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sscv2 certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: "EW-DX " + serial, Organization: []string{"Sennheiser electronic SE & Co. KG (simulated)"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sscv2 certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// CertificateFingerprint returns the hex SHA-256 of an SSCv2 receiver's
// certificate ("" for other models), for tests that pin it.
func (r *Receiver) CertificateFingerprint() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.srv.(*sscv2Server); ok {
		return s.fp
	}
	return ""
}

// RenewCertificate gives an SSCv2 receiver a new certificate, as a factory
// reset does; clients that pinned the old one must refuse it. It takes
// effect for new connections.
func (r *Receiver) RenewCertificate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.srv.(*sscv2Server)
	if !ok {
		return fmt.Errorf("%s serves no certificate", r.spec.model)
	}
	cert, err := selfSigned(r.host, r.serial)
	if err != nil {
		return err
	}
	s.cert, s.fp = cert, fingerprint(cert.Certificate[0])
	return nil
}

func (s *sscv2Server) listen() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.r.host, strconv.Itoa(s.r.port)))
	if err != nil {
		return err
	}
	s.r.port = ln.Addr().(*net.TCPAddr).Port
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/device/identity", s.open(s.resource))
	mux.HandleFunc("GET /api/ssc/state/subscriptions", s.auth(s.events))
	mux.HandleFunc("GET /api/ssc/state/subscriptions/{id}", s.auth(s.subscriptionGet))
	mux.HandleFunc("PUT /api/ssc/state/subscriptions/{id}", s.auth(s.subscriptionPut))
	mux.HandleFunc("DELETE /api/ssc/state/subscriptions/{id}", s.auth(s.subscriptionDelete))
	mux.HandleFunc("PUT /api/channel/{i}", s.auth(s.channelPut))
	mux.HandleFunc("GET /api/", s.auth(s.resource))
	s.closing = make(chan struct{})
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{
			// Read under the lock: RenewCertificate may swap it.
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				s.r.mu.Lock()
				defer s.r.mu.Unlock()
				c := s.cert
				return &c, nil
			},
			NextProtos: []string{"http/1.1"},
		},
		// A client refusing the certificate is a test's point, not noise.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	srv := s.srv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.r.log.Debug("sscv2 server stopped", "err", err)
		}
	}()
	s.meters = startTicker(s.r.clock, time.Second, func() {
		s.r.mu.Lock()
		defer s.r.mu.Unlock()
		s.publish()
	})
	return nil
}

func (s *sscv2Server) closeAll() {
	if s.meters != nil {
		s.meters.Stop()
		s.meters = nil
	}
	if s.srv != nil {
		close(s.closing)
		// Close, not Shutdown: a dropped device ends streams at once.
		s.srv.Close()
		s.srv = nil
	}
	clear(s.sessions)
}

func (s *sscv2Server) wait() { s.wg.Wait() }

func (s *sscv2Server) clients() int { return len(s.sessions) }

// publish wakes every stream; each computes what changed itself. r.mu held.
func (s *sscv2Server) publish() {
	for _, sess := range s.sessions {
		select {
		case sess.notify <- struct{}{}:
		default:
		}
	}
}

func (s *sscv2Server) garbage(p []byte) {
	for _, sess := range s.sessions {
		sess.raw = append(sess.raw, slices.Clone(p))
	}
	s.publish()
}

// open serves a route the API leaves without login.
func (s *sscv2Server) open(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if s.stall(req) {
			return
		}
		h(w, req)
	}
}

// auth admits user "api" with the receiver's password.
func (s *sscv2Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if s.stall(req) {
			return
		}
		user, pass, ok := req.BasicAuth()
		if !ok || user != sscv2User || subtle.ConstantTimeCompare([]byte(pass), []byte(s.password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="EW-DX"`)
			http.Error(w, "Unauthorized since no user credentials are passed", http.StatusUnauthorized)
			return
		}
		h(w, req)
	}
}

// stall holds a request unanswered while the receiver is stalled.
func (s *sscv2Server) stall(req *http.Request) bool {
	for {
		s.r.mu.Lock()
		stalled := s.r.stalled
		s.r.mu.Unlock()
		if !stalled {
			return false
		}
		select {
		case <-req.Context().Done():
			return true
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// value returns a resource (path with or without /api) as the device
// answers it, and the HTTP status. r.mu held.
func (s *sscv2Server) value(path string) (any, int) {
	r := s.r
	segs := strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "/"), "api/"), "/")
	idx := func(seg string) (*channel, int, bool) {
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(r.ch) || strconv.Itoa(i) != seg {
			return nil, 0, false
		}
		return r.ch[i], i, true
	}
	now := r.clock.Now()
	switch {
	case len(segs) == 2 && segs[0] == "device" && segs[1] == "identity":
		return map[string]any{"product": r.product(), "hardwareRevision": "0596715-06", "serial": r.serial,
			"vendor": "Sennheiser electronic SE & Co. KG"}, http.StatusOK
	case len(segs) == 2 && segs[0] == "device" && segs[1] == "site":
		return map[string]any{"deviceName": r.name, "location": "", "position": ""}, http.StatusOK
	case len(segs) == 3 && segs[0] == "firmware" && segs[1] == "update" && segs[2] == "state":
		return map[string]any{"deviceVersion": r.spec.fw, "state": "Idle", "progress": 0, "lastStatus": "None"}, http.StatusOK
	case len(segs) == 2 && segs[0] == "channel":
		c, i, ok := idx(segs[1])
		if !ok {
			return nil, http.StatusNotFound
		}
		return map[string]any{"name": c.name, "mute": c.mute, "mates": []string{"TX" + strconv.Itoa(i+1)},
			"gain": c.gain, "audio": []string{"Out" + strconv.Itoa(i+1)}, "outputLevel": 0}, http.StatusOK
	case len(segs) == 3 && segs[0] == "channel":
		c, _, ok := idx(segs[1])
		if !ok {
			return nil, http.StatusNotFound
		}
		m := r.sampled(c)
		clip := c.txOn && now.Before(c.clipEnd)
		switch segs[2] {
		case "warnings":
			w := []string{}
			switch {
			case !c.txOn:
				w = append(w, "NoLink")
			case c.bestRF() <= noSignal+5:
				w = append(w, "LowSignal")
			}
			if clip {
				w = append(w, "AfPeak")
			}
			return w, http.StatusOK
		case "signalStrengthIndicator":
			if !c.txOn {
				return map[string]any{"value": -107}, http.StatusOK
			}
			return map[string]any{"value": math.Max(-107, math.Min(0, math.Round(m.bestRF()*10)/10))}, http.StatusOK
		case "signalQualityIndicator":
			if !c.txOn {
				return map[string]any{"value": 0}, http.StatusOK
			}
			return map[string]any{"value": clampInt(int(math.Round((m.bestRF()+95)*100/35)), 0, 100)}, http.StatusOK
		case "diversityIndicator":
			d := 2
			switch {
			case !c.txOn || m.bestRF() <= noSignal:
				d = 0
			case m.rfA >= m.rfB:
				d = 1
			}
			return map[string]any{"value": d}, http.StatusOK
		case "level":
			switch {
			case !c.txOn:
				return map[string]any{"value": -138.5}, http.StatusOK
			case clip:
				return map[string]any{"value": 0}, http.StatusOK
			}
			return map[string]any{"value": math.Max(-138.5, math.Min(0, math.Round(m.audio*2)/2))}, http.StatusOK
		case "identify":
			return map[string]any{"enabled": false}, http.StatusOK
		}
		return nil, http.StatusNotFound
	case len(segs) == 3 && segs[0] == "rf" && segs[1] == "channels":
		c, _, ok := idx(segs[2])
		if !ok {
			return nil, http.StatusNotFound
		}
		return map[string]any{"frequency": c.freq, "presets": map[string]any{"type": "None"}}, http.StatusOK
	case len(segs) >= 2 && segs[0] == "transmitters":
		c, _, ok := idx(segs[1])
		if !ok || len(segs) > 3 {
			return nil, http.StatusNotFound
		}
		if !c.txOn {
			return nil, http.StatusUnprocessableEntity
		}
		if len(segs) == 2 {
			return map[string]any{"type": c.txModel, "name": c.name, "mute": false, "lock": false, "led": true,
				"version": "4.0.0", "capsule": "Unknown", "identification": false}, http.StatusOK
		}
		switch segs[2] {
		case "battery":
			t := "Battery"
			if c.battType != "LION" {
				t = "PrimaryCell"
			}
			return map[string]any{"type": t, "lifetime": c.minutes(), "gauge": c.percent()}, http.StatusOK
		case "warnings":
			w := []string{}
			if c.percent() <= 20 {
				w = append(w, "LowBattery")
			}
			if now.Before(c.clipEnd) {
				w = append(w, "AfPeak")
			}
			return w, http.StatusOK
		}
	}
	return nil, http.StatusNotFound
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *sscv2Server) resource(w http.ResponseWriter, req *http.Request) {
	s.r.mu.Lock()
	v, status := s.value(req.URL.Path)
	s.r.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	writeJSON(w, status, v)
}

// v2NameRE is the API's channel name pattern (PUT /api/channel/{channelId}).
var v2NameRE = regexp.MustCompile(`^[ #*+,;\-/<=|>0-9A-Z]{0,8}$`)

func (s *sscv2Server) channelPut(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Name *string `json:"name"`
		Mute *bool   `json:"mute"`
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, 4096)).Decode(&body); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	i, err := strconv.Atoi(req.PathValue("i"))
	if err != nil || i < 0 || i >= len(s.r.ch) {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	c := s.r.ch[i]
	if body.Name != nil {
		if !v2NameRE.MatchString(*body.Name) {
			http.Error(w, "Bad request", http.StatusBadRequest)
			return
		}
		c.name = *body.Name
	}
	if body.Mute != nil {
		c.mute = *body.Mute
	}
	s.publish()
	w.WriteHeader(http.StatusOK)
}

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// events serves the subscription stream.
func (s *sscv2Server) events(w http.ResponseWriter, req *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	sess := &v2Session{id: newSessionID(), last: map[string]string{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
	s.r.mu.Lock()
	closing := s.closing
	s.sessions[sess.id] = sess
	s.r.mu.Unlock()
	defer func() {
		s.r.mu.Lock()
		if s.sessions[sess.id] == sess {
			delete(s.sessions, sess.id)
		}
		s.r.mu.Unlock()
	}()
	path := "/api/ssc/state/subscriptions/" + sess.id
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Location", path)
	w.WriteHeader(http.StatusOK)
	open, _ := json.Marshal(map[string]string{"path": path, "sessionUUID": sess.id})
	if _, err := fmt.Fprintf(w, "event:open\ndata:%s\n\n", open); err != nil {
		return
	}
	fl.Flush()
	for {
		select {
		case <-req.Context().Done():
			return
		case <-closing:
			return
		case <-sess.done:
			return
		case <-sess.notify:
		}
		s.r.mu.Lock()
		if s.r.stalled {
			s.r.mu.Unlock()
			continue
		}
		raw := sess.raw
		sess.raw = nil
		changed := map[string]json.RawMessage{}
		for _, p := range sess.paths {
			v, status := s.value(p)
			if status == http.StatusUnprocessableEntity {
				v = nil // no transmitter linked
			} else if status != http.StatusOK {
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				continue
			}
			if prev, seen := sess.last[p]; seen && prev == string(b) {
				continue
			}
			sess.last[p] = string(b)
			changed[p] = b
		}
		s.r.mu.Unlock()
		for _, p := range raw {
			if _, err := w.Write(p); err != nil {
				return
			}
		}
		if len(changed) > 0 {
			b, _ := json.Marshal(changed)
			if _, err := fmt.Fprintf(w, "data:%s\n\n", b); err != nil {
				return
			}
		}
		if len(changed) > 0 || len(raw) > 0 {
			fl.Flush()
		}
	}
}

func (s *sscv2Server) session(w http.ResponseWriter, req *http.Request) *v2Session {
	sess := s.sessions[req.PathValue("id")]
	if sess == nil {
		http.Error(w, "Not found since the resource is not existing", http.StatusUnprocessableEntity)
	}
	return sess
}

func (s *sscv2Server) subscriptionGet(w http.ResponseWriter, req *http.Request) {
	s.r.mu.Lock()
	sess := s.session(w, req)
	var paths []string
	if sess != nil {
		paths = append([]string{}, sess.paths...)
	}
	s.r.mu.Unlock()
	if sess != nil {
		writeJSON(w, http.StatusOK, paths)
	}
}

func (s *sscv2Server) subscriptionPut(w http.ResponseWriter, req *http.Request) {
	var paths []string
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<16)).Decode(&paths); err != nil {
		http.Error(w, "Bad request since the format is not correct", http.StatusBadRequest)
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	sess := s.session(w, req)
	if sess == nil {
		return
	}
	for _, p := range paths {
		if _, status := s.value(p); status == http.StatusNotFound {
			writeJSON(w, http.StatusBadRequest, map[string]any{"path": p, "error": 404})
			return
		}
	}
	// A new list is pushed in full once, then by change.
	sess.paths, sess.last = paths, map[string]string{}
	select {
	case sess.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

func (s *sscv2Server) subscriptionDelete(w http.ResponseWriter, req *http.Request) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	sess := s.session(w, req)
	if sess == nil {
		return
	}
	delete(s.sessions, sess.id)
	close(sess.done)
	w.WriteHeader(http.StatusOK)
}

// ensure the server type satisfies the receiver's needs.
var _ protoServer = (*sscv2Server)(nil)
