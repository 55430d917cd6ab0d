package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// coordinatorRetryBackoff is the pause between FindCoordinator attempts,
// Kafka's retry.backoff.ms default.
const coordinatorRetryBackoff = 100 * time.Millisecond

// waitGroupCoordinators returns once every group in ids has a coordinator,
// retrying while the broker answers that the coordinator is not available
// or still loading, as Kafka's admin client does until its API timeout. A
// fresh broker answers the first FindCoordinator with
// COORDINATOR_NOT_AVAILABLE while it creates __consumer_offsets, so a
// consumer-groups command run right after start needs this wait. ctx bounds
// the wait; when it ends first, the error names the groups and the last
// cause.
func waitGroupCoordinators(ctx context.Context, cl *kgo.Client, ids []string) error {
	pending := dedupe(ids)
	var lastErr error
	for len(pending) > 0 {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorType = 0 // group
		req.CoordinatorKeys = pending
		resp, err := req.RequestWith(ctx, cl)
		var retry []string
		switch {
		case err != nil:
			lastErr, retry = err, pending
		default:
			for _, c := range resp.Coordinators {
				cerr := kerr.ErrorForCode(c.ErrorCode)
				switch {
				case cerr == nil:
				case errors.Is(cerr, kerr.CoordinatorNotAvailable), errors.Is(cerr, kerr.CoordinatorLoadInProgress),
					errors.Is(cerr, kerr.NotCoordinator):
					lastErr = cerr
					retry = append(retry, c.Key)
				default:
					return fmt.Errorf("find the coordinator of group %s: %w", c.Key, brokerError(c.ErrorCode, c.ErrorMessage))
				}
			}
		}
		if len(retry) == 0 {
			return nil
		}
		pending = retry
		select {
		case <-ctx.Done():
			return fmt.Errorf("no coordinator for group %s before the timeout (the last answer: %w); "+
				"check that the brokers are up and that offsets.topic.replication.factor does not exceed them",
				strings.Join(pending, ", "), lastErr)
		case <-time.After(coordinatorRetryBackoff):
		}
	}
	return nil
}
