package controller

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// MetadataDirName is the directory under DataDir that holds the metadata
// log, named after Kafka's KRaft log directory.
const MetadataDirName = "__cluster_metadata-0"

// snapshotsRetained is how many metadata snapshots stay on disk.
const snapshotsRetained = 2

// stores holds what Raft persists and talks through.
type stores struct {
	log    *failFastStore // log store and stable store
	snaps  *raft.FileSnapshotStore
	trans  raft.Transport
	voters raft.Configuration
}

// openStores opens the metadata log under cfg.DataDir; onFail is told of
// the first failed write to it (see failFastStore).
func openStores(cfg Config, logger *slog.Logger, onFail func(error)) (*stores, error) {
	dir := filepath.Join(cfg.DataDir, MetadataDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create metadata dir: %w", err)
	}
	path := filepath.Join(dir, "raft.db")
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: path})
	if err != nil {
		return nil, fmt.Errorf("open metadata log %s: %w", dir, err)
	}
	st := &stores{log: &failFastStore{BoltStore: bolt, path: path, fault: cfg.storeFault, onFail: onFail}}
	st.snaps, err = raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, newHclog(logger, "raft-snapshots"))
	if err != nil {
		_ = st.close()
		return nil, fmt.Errorf("open metadata snapshots: %w", err)
	}
	if err := st.openTransport(cfg, logger); err != nil {
		_ = st.close()
		return nil, err
	}
	return st, nil
}

// openTransport sets up the transport and the bootstrap voter set.
func (st *stores) openTransport(cfg Config, logger *slog.Logger) error {
	if len(cfg.Voters) == 0 {
		addr, trans := raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("samsa-controller-%d", cfg.NodeID)))
		st.trans = trans
		st.voters = raft.Configuration{Servers: []raft.Server{{ID: serverID(cfg.NodeID), Address: addr}}}
		return nil
	}
	var self string
	for _, v := range cfg.Voters {
		st.voters.Servers = append(st.voters.Servers, raft.Server{ID: serverID(v.ID), Address: raft.ServerAddress(v.Addr)})
		if v.ID == cfg.NodeID {
			self = v.Addr
		}
	}
	switch {
	case cfg.NonVoter && self != "":
		return fmt.Errorf("node %d is in the controller voter set but configured as a non-voter", cfg.NodeID)
	case cfg.NonVoter:
		self = cfg.AdvertiseAddr
	case self == "":
		return fmt.Errorf("node %d is not in the controller voter set", cfg.NodeID)
	}
	advertise, err := net.ResolveTCPAddr("tcp", self)
	if err != nil {
		return fmt.Errorf("resolve raft address %q: %w", self, err)
	}
	if advertise.IP == nil || advertise.IP.IsUnspecified() {
		return fmt.Errorf("raft address %q of node %d is not advertisable: name a host, not a wildcard", self, cfg.NodeID)
	}
	ln := cfg.RaftListener
	if ln == nil {
		bind := cfg.BindAddr
		if bind == "" {
			bind = self
		}
		if ln, err = net.Listen("tcp", bind); err != nil {
			return fmt.Errorf("listen for raft on %s: %w", bind, err)
		}
	}
	stream := newStream(ln, advertise, cfg.RaftDial)
	st.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  newHclog(logger, "raft-net"),
	})
	return nil
}

// close releases the transport and the log store.
func (st *stores) close() error {
	var errs []error
	if closer, ok := st.trans.(raft.WithClose); ok {
		if err := closer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close raft transport: %w", err))
		}
	}
	if st.log != nil {
		if err := st.log.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close metadata log: %w", err))
		}
	}
	return errors.Join(errs...)
}
