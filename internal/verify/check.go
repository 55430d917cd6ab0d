package verify

import (
	"cmp"
	"fmt"
	"slices"
)

// Anomaly classes the checker reports, in the order the table prints them.
const (
	// AnomalyLost is an acknowledged send the final catch-up poll never
	// read although it read its partition past the send's offset.
	AnomalyLost = "lost"
	// AnomalyDuplicate is one value read or acknowledged at two offsets.
	AnomalyDuplicate = "duplicate"
	// AnomalyInconsistentOffset is two values at one partition offset.
	AnomalyInconsistentOffset = "inconsistent-offset"
	// AnomalyNonMonotonicPoll is a consumer reading an offset of a
	// partition at or below one it read before.
	AnomalyNonMonotonicPoll = "nonmonotonic-poll"
	// AnomalyNonMonotonicSend is a producer's acknowledged send to a
	// partition at or below the offset of its previous acknowledged send.
	AnomalyNonMonotonicSend = "nonmonotonic-send"
	// AnomalyUnseen is an acknowledged send never read by any poll, where
	// no poll reached past its offset (so it is not known to be lost).
	AnomalyUnseen = "unseen"
)

// AnomalyClasses lists every class in report order.
var AnomalyClasses = []string{
	AnomalyLost, AnomalyDuplicate, AnomalyInconsistentOffset,
	AnomalyNonMonotonicPoll, AnomalyNonMonotonicSend, AnomalyUnseen,
}

// Anomaly is what the checker found of one class.
type Anomaly struct {
	Count    int
	Examples []string
}

// Report is the checker's verdict on a history.
type Report struct {
	Operations int
	SendsOK    int
	SendsInfo  int
	SendsFail  int
	Polls      int
	// FinalPollPartitions counts partitions the final catch-up poll
	// closed with a reach operation.
	FinalPollPartitions int
	Anomalies           map[string]*Anomaly
}

// Valid reports whether no anomaly of any class was found.
func (r Report) Valid() bool {
	for _, a := range r.Anomalies {
		if a.Count > 0 {
			return false
		}
	}
	return true
}

func (r *Report) add(class string, maxExamples int, format string, args ...any) {
	a := r.Anomalies[class]
	a.Count++
	if len(a.Examples) < maxExamples {
		a.Examples = append(a.Examples, fmt.Sprintf(format, args...))
	}
}

type partitionOffset struct {
	partition int32
	offset    int64
}

type streamKey struct {
	process   int
	final     bool
	partition int32
}

// Check finds every anomaly in a history, keeping up to maxExamples
// examples of each class.
func Check(ops []Op, maxExamples int) Report {
	r := Report{Operations: len(ops), Anomalies: map[string]*Anomaly{}}
	for _, c := range AnomalyClasses {
		r.Anomalies[c] = &Anomaly{}
	}

	var acked []Op
	valuesAt := map[partitionOffset][]string{}
	offsetsOf := map[string][]partitionOffset{}
	note := func(op Op) {
		at := partitionOffset{op.Partition, op.Offset}
		if !slices.Contains(valuesAt[at], op.Value) {
			valuesAt[at] = append(valuesAt[at], op.Value)
		}
		if !slices.Contains(offsetsOf[op.Value], at) {
			offsetsOf[op.Value] = append(offsetsOf[op.Value], at)
		}
	}
	read := map[string]bool{}
	readFinal := map[string]bool{}
	reach := map[int32]int64{}
	lastPoll := map[streamKey]int64{}
	lastSend := map[streamKey]int64{}

	for _, op := range ops {
		switch {
		case op.F == FuncSend && op.Type == TypeOK:
			r.SendsOK++
			acked = append(acked, op)
			note(op)
			k := streamKey{process: op.Process, partition: op.Partition}
			if prev, ok := lastSend[k]; ok && op.Offset <= prev {
				r.add(AnomalyNonMonotonicSend, maxExamples,
					"producer %d: send %q acknowledged at partition %d offset %d after offset %d", op.Process, op.Value, op.Partition, op.Offset, prev)
			}
			lastSend[k] = op.Offset
		case op.F == FuncSend && op.Type == TypeInfo:
			r.SendsInfo++
		case op.F == FuncSend && op.Type == TypeFail:
			r.SendsFail++
		case op.F == FuncPoll && op.Type == TypeOK:
			r.Polls++
			note(op)
			read[op.Value] = true
			if op.Final {
				readFinal[op.Value] = true
			}
			k := streamKey{process: op.Process, final: op.Final, partition: op.Partition}
			if prev, ok := lastPoll[k]; ok && op.Offset <= prev {
				r.add(AnomalyNonMonotonicPoll, maxExamples,
					"consumer %s: read partition %d offset %d after offset %d", consumerName(op), op.Partition, op.Offset, prev)
			}
			lastPoll[k] = op.Offset
		case op.F == FuncReach:
			r.FinalPollPartitions++
			reach[op.Partition] = max(reach[op.Partition], op.Offset)
		}
	}

	for _, at := range sortedKeys(valuesAt) {
		if vs := valuesAt[at]; len(vs) > 1 {
			r.add(AnomalyInconsistentOffset, maxExamples, "partition %d offset %d holds %q", at.partition, at.offset, vs)
		}
	}
	values := make([]string, 0, len(offsetsOf))
	for v := range offsetsOf {
		values = append(values, v)
	}
	slices.Sort(values)
	for _, v := range values {
		if ats := offsetsOf[v]; len(ats) > 1 {
			r.add(AnomalyDuplicate, maxExamples, "value %q at %s", v, formatOffsets(ats))
		}
	}
	for _, op := range acked {
		end, polled := reach[op.Partition]
		switch {
		case polled && end > op.Offset && !readFinal[op.Value]:
			r.add(AnomalyLost, maxExamples,
				"send %q by producer %d acknowledged at partition %d offset %d; the final poll read up to offset %d without it",
				op.Value, op.Process, op.Partition, op.Offset, end)
		case !read[op.Value] && !(polled && end > op.Offset):
			r.add(AnomalyUnseen, maxExamples,
				"send %q by producer %d acknowledged at partition %d offset %d was never read", op.Value, op.Process, op.Partition, op.Offset)
		}
	}
	return r
}

func consumerName(op Op) string {
	if op.Final {
		return "final"
	}
	return fmt.Sprint(op.Process)
}

func formatOffsets(ats []partitionOffset) string {
	s := ""
	for i, at := range ats {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d/%d", at.partition, at.offset)
	}
	return s
}

func sortedKeys(m map[partitionOffset][]string) []partitionOffset {
	keys := make([]partitionOffset, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b partitionOffset) int {
		return cmp.Or(cmp.Compare(a.partition, b.partition), cmp.Compare(a.offset, b.offset))
	})
	return keys
}
