package quota

import (
	"strings"
	"sync"
	"time"

	"github.com/samsa-io/samsa/internal/metadata"
)

// Kind is what a quota limits.
type Kind int

// Quota kinds and their Kafka keys.
const (
	Produce Kind = iota // producer_byte_rate: produced bytes per second
	Fetch               // consumer_byte_rate: fetched bytes per second
	Request             // request_percentage: percent of one thread's time
)

// Keys are the quota keys Kafka defines, by Kind.
var Keys = [...]string{Produce: "producer_byte_rate", Fetch: "consumer_byte_rate", Request: "request_percentage"}

// IsKey reports whether key is a quota key this package enforces.
func IsKey(key string) bool {
	for _, k := range Keys {
		if k == key {
			return true
		}
	}
	return false
}

// Config is the sampling configuration.
type Config struct {
	WindowNum  int           // quota.window.num
	WindowSize time.Duration // quota.window.size.seconds
	Now        func() time.Time
}

// Manager measures clients against the quotas of the current metadata
// image and computes throttle times.
type Manager struct {
	cfg Config

	mu      sync.Mutex
	sensors map[sensorKey]*rate
	held    map[sensorKey]time.Time // KIP-219 hold: no request before this
	swept   time.Time
}

// sensorKey is one measured entity: the matched quota's entity with its
// default parts replaced by the client's own names, and the kind.
type sensorKey struct {
	kind   Kind
	entity metadata.QuotaEntity
}

// New returns a Manager; zero config fields take Kafka's defaults.
func New(cfg Config) *Manager {
	if cfg.WindowNum < 1 {
		cfg.WindowNum = 11
	}
	if cfg.WindowSize <= 0 {
		cfg.WindowSize = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{cfg: cfg, sensors: map[sensorKey]*rate{}, held: map[sensorKey]time.Time{}}
}

// Client identifies who a request is from.
type Client struct {
	User     string // the principal's name ("alice" for "User:alice")
	ClientID string
}

// ClientOf builds a Client from a "Type:name" principal and a client id.
func ClientOf(principal, clientID string) Client {
	_, name, ok := strings.Cut(principal, ":")
	if !ok {
		name = principal
	}
	return Client{User: name, ClientID: clientID}
}

// Resolve finds the quota of kind for c in im: its bound and the entity
// measured against it. ok is false when no quota applies.
func Resolve(im *metadata.Image, kind Kind, c Client) (bound float64, measured metadata.QuotaEntity, ok bool) {
	if len(im.Quotas) == 0 {
		return 0, metadata.QuotaEntity{}, false
	}
	d := metadata.QuotaDefault
	candidates := [...]metadata.QuotaEntity{
		{User: c.User, ClientID: c.ClientID}, {User: c.User, ClientID: d}, {User: c.User},
		{User: d, ClientID: c.ClientID}, {User: d, ClientID: d}, {User: d},
		{ClientID: c.ClientID}, {ClientID: d},
	}
	for _, e := range candidates {
		if e.User == "" && e.ClientID == "" {
			continue
		}
		if v, found := im.Quota(e, Keys[kind]); found {
			m := e
			if m.User != "" {
				m.User = c.User
			}
			if m.ClientID != "" {
				m.ClientID = c.ClientID
			}
			return v, m, true
		}
	}
	return 0, metadata.QuotaEntity{}, false
}

// Record adds amount (bytes, or for Request nanoseconds of handling time)
// for c and returns the throttle time; zero when no quota applies or the
// rate is within it.
func (m *Manager) Record(im *metadata.Image, kind Kind, c Client, amount float64) time.Duration {
	bound, entity, ok := Resolve(im, kind, c)
	if !ok {
		return 0
	}
	if kind == Request {
		bound = bound / 100 * float64(time.Second) // percent of a thread, as ns per second
	}
	now := m.cfg.Now()
	key := sensorKey{kind, entity}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	r := m.sensors[key]
	if r == nil {
		r = newRate(m.cfg.WindowNum, m.cfg.WindowSize)
		m.sensors[key] = r
	}
	r.record(now, amount)
	perSec, window := r.measure(now)
	if perSec <= bound {
		return 0
	}
	t := time.Duration((perSec - bound) / bound * float64(window))
	return min(t, time.Duration(m.cfg.WindowNum)*m.cfg.WindowSize)
}

// Hold marks c's entity of kind as throttled for d from now (KIP-219:
// the response went out at once and the next request waits).
func (m *Manager) Hold(im *metadata.Image, kind Kind, c Client, d time.Duration) {
	_, entity, ok := Resolve(im, kind, c)
	if !ok || d <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	until := m.cfg.Now().Add(d)
	if key := (sensorKey{kind, entity}); until.After(m.held[key]) {
		m.held[key] = until
	}
}

// HeldFor returns how long c's next request of kind must wait.
func (m *Manager) HeldFor(im *metadata.Image, kind Kind, c Client) time.Duration {
	_, entity, ok := Resolve(im, kind, c)
	if !ok {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.held[sensorKey{kind, entity}].Sub(m.cfg.Now())
}

// sweep drops idle sensors and past holds once per full window, so that
// client ids that come and go do not accumulate.
func (m *Manager) sweep(now time.Time) {
	full := time.Duration(m.cfg.WindowNum) * m.cfg.WindowSize
	if now.Sub(m.swept) < full {
		return
	}
	m.swept = now
	for k, r := range m.sensors {
		if r.idle(now) {
			delete(m.sensors, k)
		}
	}
	for k, t := range m.held {
		if !t.After(now) {
			delete(m.held, k)
		}
	}
}
