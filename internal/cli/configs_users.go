package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// SCRAM credentials of users (kafka-configs.sh --entity-type users):
//
//	--alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]'
//	--alter --delete-config SCRAM-SHA-512
//	--describe [--entity-name alice]
//
// The password is salted here, as Kafka's tool does, so only the salt and
// salted password travel (AlterUserScramCredentials).

// defaultScramIterations is kafka-configs.sh's default iteration count.
const defaultScramIterations = 4096

// isScramKey reports whether key is a SCRAM mechanism config of a user.
func isScramKey(key string) bool {
	return key == "SCRAM-SHA-256" || key == "SCRAM-SHA-512"
}

func scramMechanism(key string) kadm.ScramMechanism {
	if key == "SCRAM-SHA-256" {
		return kadm.ScramSha256
	}
	return kadm.ScramSha512
}

// userScramChanges parses --add-config and --delete-config of a users
// entity into SCRAM upserts and deletions.
func (o *configsOptions) userScramChanges() ([]kadm.UpsertSCRAM, []kadm.DeleteSCRAM, error) {
	items, err := splitConfigList(o.addConfig)
	if err != nil {
		return nil, nil, err
	}
	var ups []kadm.UpsertSCRAM
	for _, it := range items {
		key, val, _ := strings.Cut(it, "=")
		key = strings.TrimSpace(key)
		if !isScramKey(key) {
			return nil, nil, usageErrorf("--entity-type users: %s is not supported here; use SCRAM-SHA-256=[password=...] or SCRAM-SHA-512=[iterations=N,password=...]", key)
		}
		up := kadm.UpsertSCRAM{User: o.entityName, Mechanism: scramMechanism(key), Iterations: defaultScramIterations}
		for _, kv := range strings.Split(val, ",") {
			k, v, ok := strings.Cut(kv, "=")
			switch strings.TrimSpace(k) {
			case "iterations":
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n <= 0 {
					return nil, nil, usageErrorf("%s: invalid iterations %q", key, v)
				}
				up.Iterations = int32(n)
			case "password":
				if !ok || v == "" {
					return nil, nil, usageErrorf("%s: empty password", key)
				}
				up.Password = v
			default:
				return nil, nil, usageErrorf("%s: unknown field %q (want iterations=N,password=...)", key, k)
			}
		}
		if up.Password == "" {
			return nil, nil, usageErrorf("%s needs password=..., e.g. %s=[iterations=8192,password=alice-secret]", key, key)
		}
		ups = append(ups, up)
	}
	var dels []kadm.DeleteSCRAM
	for _, arg := range o.deleteConfig {
		for _, key := range splitList(arg) {
			if !isScramKey(key) {
				return nil, nil, usageErrorf("--entity-type users: cannot delete %s; use SCRAM-SHA-256 or SCRAM-SHA-512", key)
			}
			dels = append(dels, kadm.DeleteSCRAM{User: o.entityName, Mechanism: scramMechanism(key)})
		}
	}
	return ups, dels, nil
}

// runUsers alters or describes users' SCRAM credentials.
func (o *configsOptions) runUsers(ctx context.Context, cc *clientConfig, out io.Writer) error {
	var ups []kadm.UpsertSCRAM
	var dels []kadm.DeleteSCRAM
	if o.alter {
		var err error
		if ups, dels, err = o.userScramChanges(); err != nil {
			return err
		}
	}
	cl, err := cc.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := cc.withTimeout(ctx)
	defer cancel()
	adm := kadm.NewClient(cl)
	if o.alter {
		res, err := adm.AlterUserSCRAMs(ctx, dels, ups)
		if err != nil {
			return cc.timeoutError("alter user SCRAM credentials", err)
		}
		if err := res.Error(); err != nil {
			return fmt.Errorf("alter user SCRAM credentials of %s: %w", o.entityName, err)
		}
		if _, ok := res[o.entityName]; !ok {
			return fmt.Errorf("alter user SCRAM credentials of %s: the broker answered no result for the user", o.entityName)
		}
		fmt.Fprintf(out, "Completed updating config for user %s.\n", o.entityName)
		return nil
	}
	var users []string
	if o.entityName != "" {
		users = []string{o.entityName}
	}
	res, err := adm.DescribeUserSCRAMs(ctx, users...)
	if err != nil {
		return cc.timeoutError("describe user SCRAM credentials", err)
	}
	for _, name := range slices.Sorted(mapKeys(res)) {
		r := res[name]
		if r.Err != nil {
			if o.entityName != "" {
				// Kafka's tool prints nothing for a user without
				// credentials; say so instead of failing.
				fmt.Fprintf(out, "SCRAM credential configs for user-principal '%s' are \n", name)
				continue
			}
			return fmt.Errorf("describe user %s: %w", name, r.Err)
		}
		var parts []string
		for _, ci := range r.CredInfos {
			parts = append(parts, fmt.Sprintf("%s=iterations=%d", ci.Mechanism, ci.Iterations))
		}
		fmt.Fprintf(out, "SCRAM credential configs for user-principal '%s' are %s\n", name, strings.Join(parts, ", "))
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
