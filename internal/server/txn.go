package server

import (
	"time"

	"github.com/samsa-io/samsa/internal/interbroker"
	"github.com/samsa-io/samsa/internal/topiclog"
	"github.com/samsa-io/samsa/internal/txn"
)

// startTxn builds the transaction coordinator over this node's
// __transaction_state replicas; the metadata loop keeps its leadership in
// step with the image (metadataPipeline).
func (s *Server) startTxn(pids txn.NodeProducerIDs) {
	s.txnMarkers = interbroker.NewMarkerWriter(s.ctrl.Image, s.dial.Inter, s.logger.With("component", "transactions"))
	s.txns = txn.New(txn.Config{
		NumPartitions:  s.cfg.TransactionStateLogNumPartitions,
		MaxTimeout:     time.Duration(s.cfg.TransactionMaxTimeoutMs) * time.Millisecond,
		AbortInterval:  time.Duration(s.cfg.TransactionAbortCleanupIntervalMs) * time.Millisecond,
		IDExpiration:   time.Duration(s.cfg.TransactionalIdExpirationMs) * time.Millisecond,
		ExpireInterval: time.Duration(s.cfg.TransactionRemoveExpiredIntervalMs) * time.Millisecond,
		NextProducerID: pids.Next,
		Logger:         s.logger.With("component", "transactions"),
	}, topiclog.TxnState(s.parts, s.opts.txnStateAppend), s.txnMarkers)
}

// closeTxn stops the coordinator and the marker connections.
func (s *Server) closeTxn() error {
	if s.txns == nil {
		return nil
	}
	err := s.txns.Close()
	s.txnMarkers.Close()
	return err
}
