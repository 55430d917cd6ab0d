package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The value parsers below follow Kafka's ConfigDef: surrounding blanks are
// trimmed, numbers are decimal, booleans are "true" or "false" in any case.
// Each returns the text of what is allowed when the value is bad.

func parseInt(v string, bits int) (int64, string) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Sprintf("must be a %d-bit integer", bits)
		}
		return 0, "must be an integer"
	}
	return n, ""
}

func parseBool(v string) (bool, string) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, `must be "true" or "false"`
}

func parseDouble(v string) (float64, string) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "must be a number"
	}
	return f, ""
}

// splitList splits a comma-separated list, trimming items and dropping
// empty ones, as Kafka's LIST type does.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// atLeast returns the "allowed" text when n < lo, else "".
func atLeast(n, lo int64) string {
	if n < lo {
		return fmt.Sprintf("must be at least %d", lo)
	}
	return ""
}

func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return ""
	}
	return "must be one of " + quoteAll(allowed)
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Allowed values of the enumerated settings.
var (
	compressionTypes = []string{"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}
	timestampTypes   = []string{"CreateTime", "LogAppendTime"}
	cleanupPolicies  = []string{"delete", "compact"}
)

// normalizeCleanupPolicy checks a cleanup.policy list and returns it in
// canonical form: "delete", "compact" or "compact,delete".
func normalizeCleanupPolicy(v string) (string, string) {
	items := splitList(v)
	if len(items) == 0 {
		return "", `must be "delete", "compact" or "compact,delete"`
	}
	var compact, del bool
	for _, it := range items {
		switch it {
		case "compact":
			compact = true
		case "delete":
			del = true
		default:
			return "", `must be "delete", "compact" or "compact,delete"`
		}
	}
	switch {
	case compact && del:
		return "compact,delete", ""
	case compact:
		return "compact", ""
	}
	return "delete", ""
}
