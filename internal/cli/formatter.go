package cli

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// formatterKind is one of the message formatters Kafka's console consumer
// ships (--formatter).
type formatterKind int

const (
	// defaultFormatter is DefaultMessageFormatter: the record's fields as text.
	defaultFormatter formatterKind = iota
	// loggingFormatter is LoggingMessageFormatter: the default text, and an
	// INFO log line with the timestamp, key and value (on stderr).
	loggingFormatter
	// noOpFormatter is NoOpMessageFormatter: nothing.
	noOpFormatter
)

// formatterClasses are the --formatter class names, Kafka 4's and the
// kafka.tools.* names of older releases.
var formatterClasses = map[string]formatterKind{
	"org.apache.kafka.tools.consumer.DefaultMessageFormatter": defaultFormatter,
	"org.apache.kafka.tools.consumer.LoggingMessageFormatter": loggingFormatter,
	"org.apache.kafka.tools.consumer.NoOpMessageFormatter":    noOpFormatter,
	"kafka.tools.DefaultMessageFormatter":                     defaultFormatter,
	"kafka.tools.LoggingMessageFormatter":                     loggingFormatter,
	"kafka.tools.NoOpMessageFormatter":                        noOpFormatter,
}

// messageFormatter prints records as Kafka's DefaultMessageFormatter does:
// optional columns (timestamp, partition, offset, headers, key) then the
// value, separated by key.separator and ended by line.separator; key,
// value and header values through the configured deserializers. It is
// used by one goroutine.
type messageFormatter struct {
	kind                                        formatterKind
	printTimestamp, printPartition, printOffset bool
	printHeaders, printKey, printValue          bool
	keySep, lineSep, headersSep, nullLiteral    string
	keyDeser, valueDeser, headersDeser          deserializer
	// log receives the Logging formatter's INFO lines.
	log io.Writer
}

// newMessageFormatter builds the formatter class ("" for the default)
// configured by props (--formatter-config, --property and the
// deserializer flags merged); log receives what the Logging formatter logs.
func newMessageFormatter(class string, props map[string]string, log io.Writer) (*messageFormatter, error) {
	kind := defaultFormatter
	if class = strings.TrimSpace(class); class != "" {
		k, ok := formatterClasses[class]
		if !ok {
			return nil, usageErrorf("--formatter %s is not a formatter Samsa's tool has: use org.apache.kafka.tools.consumer."+
				"DefaultMessageFormatter, LoggingMessageFormatter or NoOpMessageFormatter", class)
		}
		kind = k
	}
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
	f := &messageFormatter{
		kind:           kind,
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
		log:            log,
	}
	for _, d := range []struct {
		key string
		dst *deserializer
	}{{"key.deserializer", &f.keyDeser}, {"value.deserializer", &f.valueDeser}, {"headers.deserializer", &f.headersDeser}} {
		if class, ok := props[d.key]; ok {
			des, err := lookupDeserializer(class)
			if err != nil {
				return nil, err
			}
			*d.dst = des
		}
	}
	return f, nil
}

// format appends one record's text to dst; a field its deserializer cannot
// read fails the record, as it fails Kafka's tool.
func (f *messageFormatter) format(dst *bytes.Buffer, r *kgo.Record) error {
	switch f.kind {
	case noOpFormatter:
		return nil
	case loggingFormatter:
		if err := f.formatDefault(dst, r); err != nil {
			return err
		}
		f.logRecord(r)
		return nil
	}
	return f.formatDefault(dst, r)
}

func (f *messageFormatter) formatDefault(w *bytes.Buffer, r *kgo.Record) error {
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
		if err := f.writeHeaders(w, r.Headers); err != nil {
			return err
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		if err := f.writeField(w, r.Key, f.keyDeser); err != nil {
			return fmt.Errorf("key of %s-%d at offset %d: %w", r.Topic, r.Partition, r.Offset, err)
		}
		sep(f.printValue)
	}
	if f.printValue {
		if err := f.writeField(w, r.Value, f.valueDeser); err != nil {
			return fmt.Errorf("value of %s-%d at offset %d: %w", r.Topic, r.Partition, r.Offset, err)
		}
		w.WriteString(f.lineSep)
	}
	return nil
}

func (f *messageFormatter) writeHeaders(w *bytes.Buffer, hs []kgo.RecordHeader) error {
	if len(hs) == 0 {
		w.WriteString("NO_HEADERS")
		return nil
	}
	for i, h := range hs {
		if i > 0 {
			w.WriteString(f.headersSep)
		}
		w.WriteString(h.Key)
		w.WriteByte(':')
		if err := f.writeField(w, h.Value, f.headersDeser); err != nil {
			return fmt.Errorf("header %s: %w", h.Key, err)
		}
	}
	return nil
}

// writeField writes a key, value or header value: a null one as the null
// literal, which (as in Kafka) is also what a deserializer is given.
func (f *messageFormatter) writeField(w *bytes.Buffer, b []byte, des deserializer) error {
	if b == nil {
		b = []byte(f.nullLiteral)
	}
	if des == nil {
		w.Write(b)
		return nil
	}
	s, err := des(b)
	if err != nil {
		return err
	}
	w.WriteString(s)
	return nil
}

// logRecord writes the Logging formatter's line, as Kafka's tool logs it
// at INFO: "CreateTime:ms, key:k, value:v".
func (f *messageFormatter) logRecord(r *kgo.Record) {
	key := "null "
	if r.Key != nil {
		key = string(r.Key) + ", "
	}
	value := "null"
	if r.Value != nil {
		value = string(r.Value)
	}
	fmt.Fprintf(f.log, "[%s] INFO %s, key:%svalue:%s (org.apache.kafka.tools.consumer.LoggingMessageFormatter)\n",
		time.Now().Format("2006-01-02 15:04:05,000"), timestampLabel(r), key, value)
}

// timestampLabel is "CreateTime:ms" or "LogAppendTime:ms".
func timestampLabel(r *kgo.Record) string {
	kind := "CreateTime:"
	if r.Attrs.TimestampType() == 1 {
		kind = "LogAppendTime:"
	}
	return kind + strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
}
