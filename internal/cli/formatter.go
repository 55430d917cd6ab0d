package cli

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// messageFormatter prints records as Kafka's DefaultMessageFormatter does:
// optional columns (timestamp, partition, offset, headers, key) then the
// value, separated by key.separator and ended by line.separator.
type messageFormatter struct {
	printTimestamp, printPartition, printOffset bool
	printHeaders, printKey, printValue          bool
	keySep, lineSep, headersSep, nullLiteral    string
}

func newMessageFormatter(props map[string]string) *messageFormatter {
	flag := func(k string, def bool) bool {
		v, ok := props[k]
		if !ok {
			return def
		}
		return strings.EqualFold(strings.TrimSpace(v), "true")
	}
	get := func(k, def string) string {
		if v, ok := props[k]; ok {
			return v
		}
		return def
	}
	return &messageFormatter{
		printTimestamp: flag("print.timestamp", false),
		printPartition: flag("print.partition", false),
		printOffset:    flag("print.offset", false),
		printHeaders:   flag("print.headers", false),
		printKey:       flag("print.key", false),
		printValue:     flag("print.value", true),
		keySep:         get("key.separator", "\t"),
		lineSep:        get("line.separator", "\n"),
		headersSep:     get("headers.separator", ","),
		nullLiteral:    get("null.literal", "null"),
	}
}

// write appends one record's text to w.
func (f *messageFormatter) write(w *bufio.Writer, r *kgo.Record) {
	// sep writes the column separator if another column follows, else the
	// line separator, as Kafka's writeSeparator does.
	sep := func(more bool) {
		if more {
			w.WriteString(f.keySep)
		} else {
			w.WriteString(f.lineSep)
		}
	}
	if f.printTimestamp {
		w.WriteString(timestampLabel(r))
		sep(f.printPartition || f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		w.WriteString("Partition:")
		w.WriteString(strconv.Itoa(int(r.Partition)))
		sep(f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		w.WriteString("Offset:")
		w.WriteString(strconv.FormatInt(r.Offset, 10))
		sep(f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		f.writeHeaders(w, r.Headers)
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		f.writeBytes(w, r.Key)
		sep(f.printValue)
	}
	if f.printValue {
		f.writeBytes(w, r.Value)
		w.WriteString(f.lineSep)
	}
}

func (f *messageFormatter) writeHeaders(w *bufio.Writer, hs []kgo.RecordHeader) {
	if len(hs) == 0 {
		w.WriteString("NO_HEADERS")
		return
	}
	for i, h := range hs {
		if i > 0 {
			w.WriteString(f.headersSep)
		}
		w.WriteString(h.Key)
		w.WriteByte(':')
		f.writeBytes(w, h.Value)
	}
}

func (f *messageFormatter) writeBytes(w *bufio.Writer, b []byte) {
	if b == nil {
		w.WriteString(f.nullLiteral)
		return
	}
	w.Write(b)
}

// timestampLabel is "CreateTime:ms" or "LogAppendTime:ms".
func timestampLabel(r *kgo.Record) string {
	kind := "CreateTime:"
	if r.Attrs.TimestampType() == 1 {
		kind = "LogAppendTime:"
	}
	return kind + strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
}
