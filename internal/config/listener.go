package config

import (
	"net"
	"strconv"
	"strings"
)

// Listener is one entry of listeners or advertised.listeners, such as
// "PLAINTEXT://localhost:9092". Name is upper case; Host may be empty
// (all interfaces) and has no brackets for IPv6.
type Listener struct {
	Name string
	Host string
	Port int
}

// Addr returns host:port, bracketing an IPv6 host.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// String returns the listener in Kafka's NAME://host:port form.
func (l Listener) String() string { return l.Name + "://" + l.Addr() }

// Voter is one entry of controller.quorum.voters, "id@host:port".
type Voter struct {
	ID   int32
	Host string
	Port int
}

// Addr returns host:port, bracketing an IPv6 host.
func (v Voter) Addr() string { return net.JoinHostPort(v.Host, strconv.Itoa(v.Port)) }

const (
	listenerAllowed = `must be a comma-separated list of NAME://host:port, e.g. "PLAINTEXT://localhost:9092"`
	voterAllowed    = `must be a comma-separated list of id@host:port, e.g. "1@localhost:9093"`
)

// parseListeners parses a listeners value; an empty value gives no listeners.
func parseListeners(key, value string) ([]Listener, error) {
	var out []Listener
	for _, item := range splitList(value) {
		l, ok := parseListener(item)
		if !ok {
			return nil, invalid(key, value, listenerAllowed+"; bad entry "+strconv.Quote(item))
		}
		out = append(out, l)
	}
	return out, nil
}

func parseListener(s string) (Listener, bool) {
	name, addr, ok := strings.Cut(s, "://")
	if !ok || !isListenerName(name) {
		return Listener{}, false
	}
	host, port, ok := splitHostPort(addr)
	if !ok {
		return Listener{}, false
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: port}, true
}

// isListenerName accepts letters, digits, '_' and '-', as Kafka does.
func isListenerName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		ok := c == '_' || c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// splitHostPort splits "host:port", "[v6]:port" or ":port"; the port must be
// 0..65535.
func splitHostPort(s string) (string, int, bool) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil || strings.ContainsAny(host, "/@ ") {
		return "", 0, false
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 || portText[0] == '+' {
		return "", 0, false
	}
	return host, port, true
}

// parseVoters parses controller.quorum.voters.
func parseVoters(key, value string) ([]Voter, error) {
	var out []Voter
	for _, item := range splitList(value) {
		idText, addr, ok := strings.Cut(item, "@")
		id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 32)
		host, port, okAddr := splitHostPort(addr)
		if !ok || err != nil || id < 0 || !okAddr || host == "" || port == 0 {
			return nil, invalid(key, value, voterAllowed+"; bad entry "+strconv.Quote(item))
		}
		out = append(out, Voter{ID: int32(id), Host: host, Port: port})
	}
	return out, nil
}
