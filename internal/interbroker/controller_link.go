package interbroker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-io/samsa/internal/network"
	"github.com/samsa-io/samsa/protocol"
)

// controllerRequestTimeout bounds one broker-to-controller request,
// including the tries of every voter while the active one is unknown.
const controllerRequestTimeout = 10 * time.Second

// Handler serves a request locally: this node's request handler, used when
// this node is itself the active controller.
type Handler interface {
	Handle(ctx context.Context, req *protocol.Request) kmsg.Response
}

// Voter is one controller.quorum.voters entry.
type Voter struct {
	ID   int32
	Addr string // host:port of its controller listener
}

// ControllerLinkConfig configures a ControllerLink.
type ControllerLinkConfig struct {
	NodeID int32
	Voters []Voter
	// LeaderID is the active controller's id, or -1 while it is unknown
	// (the metadata quorum's view).
	LeaderID func() int32
	// Dial opens connections to controller listeners (their TLS and SASL).
	Dial network.DialFunc
}

// ControllerLink sends broker-to-controller requests to the active
// controller: the local handler when this node is it, else the active
// controller's controller listener, or every voter in turn while the
// active controller is unknown. It keeps one connection per voter.
//
// Threading: safe for concurrent use. SetLocal may be called at any time
// (once the handler exists); Close fails every later request.
type ControllerLink struct {
	cfg ControllerLinkConfig

	mu      sync.Mutex
	local   Handler
	clients map[string]*Client
	closed  bool
}

// NewControllerLink makes a link; it dials nothing until the first request.
func NewControllerLink(cfg ControllerLinkConfig) *ControllerLink {
	return &ControllerLink{cfg: cfg, clients: map[string]*Client{}}
}

// SetLocal sets the handler requests go to while this node is the active
// controller.
func (l *ControllerLink) SetLocal(h Handler) {
	l.mu.Lock()
	l.local = h
	l.mu.Unlock()
}

// Send delivers req to the active controller. With no known leader it
// tries each voter, passing over NOT_CONTROLLER answers and unreachable
// voters; it returns the last answer or error.
func (l *ControllerLink) Send(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	rctx, cancel := context.WithTimeout(ctx, controllerRequestTimeout)
	defer cancel()
	if leader := l.cfg.LeaderID(); leader >= 0 {
		return l.sendTo(rctx, leader, req)
	}
	var lastResp kmsg.Response
	lastErr := errors.New("no controller voters configured")
	for _, v := range l.cfg.Voters {
		resp, err := l.sendTo(rctx, v.ID, req)
		if err == nil && topErrorCode(resp) != kerr.NotController.Code {
			return resp, nil
		}
		lastResp, lastErr = resp, err
		if rctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		return lastResp, nil
	}
	return nil, lastErr
}

func (l *ControllerLink) sendTo(ctx context.Context, id int32, req kmsg.Request) (kmsg.Response, error) {
	if id == l.cfg.NodeID {
		l.mu.Lock()
		h := l.local
		l.mu.Unlock()
		if h == nil {
			return nil, errors.New("local handler not started yet")
		}
		resp := h.Handle(ctx, &protocol.Request{Header: protocol.Header{Key: req.Key(),
			Version: req.GetVersion(), ClientID: "samsa-broker"}, Body: req})
		if resp == nil {
			return nil, errors.New("local handler gave no response")
		}
		return resp, nil
	}
	addr, ok := l.voterAddr(id)
	if !ok {
		return nil, fmt.Errorf("active controller %d is not in controller.quorum.voters", id)
	}
	cl, err := l.clientFor(addr)
	if err != nil {
		return nil, err
	}
	return cl.Request(ctx, req)
}

func (l *ControllerLink) voterAddr(id int32) (string, bool) {
	for _, v := range l.cfg.Voters {
		if v.ID == id {
			return v.Addr, true
		}
	}
	return "", false
}

func (l *ControllerLink) clientFor(addr string) (*Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClientClosed
	}
	cl, ok := l.clients[addr]
	if !ok {
		cl = NewClientDial(addr, "samsa-broker-"+strconv.Itoa(int(l.cfg.NodeID)), l.cfg.Dial)
		l.clients[addr] = cl
	}
	return cl, nil
}

// Close closes every connection and fails later requests.
func (l *ControllerLink) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for addr, cl := range l.clients {
		cl.Close()
		delete(l.clients, addr)
	}
}

// topErrorCode is the top-level error code of a broker-to-controller
// response.
func topErrorCode(resp kmsg.Response) int16 {
	switch r := resp.(type) {
	case *kmsg.BrokerRegistrationResponse:
		return r.ErrorCode
	case *kmsg.BrokerHeartbeatResponse:
		return r.ErrorCode
	case *kmsg.AlterPartitionResponse:
		return r.ErrorCode
	}
	return 0
}
