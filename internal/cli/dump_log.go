package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/samsa-io/samsa/protocol/records"
)

// dumpLogOptions holds the flags of kafka-dump-log.sh.
type dumpLogOptions struct {
	files                    []string
	printData, deep          bool
	verifyIndexOnly          bool
	indexSanityCheck         bool
	maxMessageSize           int
	keyDecoder, valueDecoder string
	zookeeper                string
}

func newDumpLogCmd() *cobra.Command {
	o := &dumpLogOptions{}
	cmd := &cobra.Command{
		Use:   "dump-log",
		Short: "Print the batches, records and index entries of log segment files (kafka-dump-log.sh)",
		Long: `Reads segment files of a partition directory offline and prints them as Kafka's
kafka-dump-log.sh does: one line per record batch of a .log file (with
--print-data-log or --deep-iteration also one line per record), one line per entry
of an .index or .timeindex file. For index files it also checks every entry
against the .log file next to it and reports the entries that do not match.
--verify-index-only and --index-sanity-check print only those findings and exit
with status 1 when there are any.`,
		Example: `  samsa dump-log --files data/kafka-logs/orders-0/00000000000000000000.log --print-data-log
  samsa dump-log --files data/kafka-logs/orders-0/00000000000000000000.index,data/kafka-logs/orders-0/00000000000000000000.timeindex`,
		Args: requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.files, "files", nil, "REQUIRED: comma-separated list of .log, .index and .timeindex files")
	f.BoolVar(&o.printData, "print-data-log", false, "print the records' keys and values (implies --deep-iteration)")
	f.BoolVar(&o.deep, "deep-iteration", false, "print every record, not only batches")
	f.BoolVar(&o.verifyIndexOnly, "verify-index-only", false, "only check index files against their log")
	f.BoolVar(&o.indexSanityCheck, "index-sanity-check", false, "only check index files and report whether they pass")
	f.IntVar(&o.maxMessageSize, "max-message-size", 5*1024*1024, "accepted for compatibility; batches of any size are read")
	f.StringVar(&o.keyDecoder, "key-decoder-class", "kafka.serializer.StringDecoder", "only StringDecoder is supported")
	f.StringVar(&o.valueDecoder, "value-decoder-class", "kafka.serializer.StringDecoder", "only StringDecoder is supported")
	addZookeeperFlag(f, &o.zookeeper)
	return cmd
}

func (o *dumpLogOptions) validate() error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	if len(o.files) == 0 {
		return usageErrorf("missing required argument --files (e.g. --files /var/lib/samsa/t-0/00000000000000000000.log)")
	}
	for _, d := range []string{o.keyDecoder, o.valueDecoder} {
		if !strings.HasSuffix(d, "StringDecoder") {
			return usageErrorf("decoder class %s is not supported: Samsa prints keys and values as strings (kafka.serializer.StringDecoder)", d)
		}
	}
	return nil
}

func (o *dumpLogOptions) run(out io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	checkOnly := o.verifyIndexOnly || o.indexSanityCheck
	problems := 0
	for _, file := range o.files {
		if !checkOnly {
			fmt.Fprintf(out, "Dumping %s\n", file)
		}
		var err error
		var n int
		switch filepath.Ext(file) {
		case ".log":
			if !checkOnly {
				err = o.dumpLog(out, file)
			}
		case ".index":
			n, err = dumpIndex(out, file, offsetIndexKind, !checkOnly, o.indexSanityCheck)
		case ".timeindex":
			n, err = dumpIndex(out, file, timeIndexKind, !checkOnly, o.indexSanityCheck)
		default:
			fmt.Fprintf(out, "Ignoring unknown file %s\n", file)
		}
		if err != nil {
			return err
		}
		problems += n
	}
	if checkOnly && problems > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%d index inconsistencies found", problems)}
	}
	return nil
}

// segmentBase parses the base offset from a segment file name.
func segmentBase(file string) (int64, error) {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	base, err := strconv.ParseInt(name, 10, 64)
	if err != nil || base < 0 {
		return 0, fmt.Errorf("%s: not a segment file (want <20-digit base offset>%s)", file, filepath.Ext(file))
	}
	return base, nil
}

func (o *dumpLogOptions) dumpLog(out io.Writer, file string) error {
	base, err := segmentBase(file)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read log segment: %w", err)
	}
	fmt.Fprintf(out, "Log starting offset: %d\n", base)
	pos := 0
	for rest := data; len(rest) > 0; {
		batch, next, err := records.Next(rest)
		if err != nil {
			fmt.Fprintf(out, "Found %d invalid bytes at the end of %s (%v)\n", len(rest), filepath.Base(file), err)
			return nil
		}
		o.printBatch(out, batch, pos)
		pos += len(batch)
		rest = next
	}
	return nil
}

// deleteHorizonFlag is batch attribute bit 6: the base timestamp is the
// delete horizon set by compaction (KIP-534).
const deleteHorizonFlag = 0x40

func (o *dumpLogOptions) printBatch(out io.Writer, batch []byte, pos int) {
	h, checkErr := records.Check(batch)
	horizon := "OptionalLong.empty"
	if h.Attributes&deleteHorizonFlag != 0 {
		horizon = fmt.Sprintf("OptionalLong[%d]", h.BaseTimestamp)
	}
	fmt.Fprintf(out, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d "+
		"producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t deleteHorizonMs: %s "+
		"position: %d %s: %d size: %d magic: %d compresscodec: %s crcValid: %t\n",
		h.BaseOffset, h.LastOffset(), h.NumRecords, h.BaseSequence, sequenceAt(h, h.LastOffsetDelta), h.ProducerID,
		h.ProducerEpoch, h.PartitionLeaderEpoch, h.IsTransactional(), h.IsControl(), horizon,
		pos, timestampType(h), h.MaxTimestamp, len(batch), h.Magic, h.Compression(), !errors.Is(checkErr, records.ErrCorrupt))
	if !o.printData && !o.deep {
		return
	}
	err := records.ForEachRecord(batch, func(r records.Record) bool {
		o.printRecord(out, h, r)
		return true
	})
	if err != nil {
		fmt.Fprintf(out, "| cannot decode the records of this batch: %v\n", err)
	}
}

func (o *dumpLogOptions) printRecord(out io.Writer, h records.Header, r records.Record) {
	keys := make([]string, len(r.Headers))
	for i, rh := range r.Headers {
		keys[i] = rh.Key
	}
	keySize, valueSize := len(r.Key), len(r.Value)
	if r.KeyNull {
		keySize = -1
	}
	if r.ValueNull {
		valueSize = -1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| offset: %d %s: %d keySize: %d valueSize: %d sequence: %d headerKeys: [%s]",
		r.Offset(h), timestampType(h), r.Timestamp(h), keySize, valueSize, sequenceAt(h, r.OffsetDelta),
		strings.Join(keys, ","))
	if o.printData && !h.IsControl() {
		if !r.KeyNull {
			fmt.Fprintf(&b, " key: %s", r.Key)
		}
		if r.ValueNull {
			b.WriteString(" payload: null")
		} else {
			fmt.Fprintf(&b, " payload: %s", r.Value)
		}
	}
	fmt.Fprintln(out, b.String())
}

// sequenceAt is the producer sequence of the record at delta, or -1 for a
// batch without sequences.
func sequenceAt(h records.Header, delta int32) int32 {
	if h.BaseSequence < 0 {
		return -1
	}
	return h.BaseSequence + delta
}

func timestampType(h records.Header) string {
	if h.LogAppendTime() {
		return "LogAppendTime"
	}
	return "CreateTime"
}
