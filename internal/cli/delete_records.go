package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// deleteRecordsOptions holds the flags of kafka-delete-records.sh.
type deleteRecordsOptions struct {
	bootstrap, commandConfig, offsetJSONFile, zookeeper string
}

func newDeleteRecordsCmd() *cobra.Command {
	o := &deleteRecordsOptions{}
	cmd := &cobra.Command{
		Use:   "delete-records",
		Short: "Delete records below an offset in partitions (kafka-delete-records.sh)",
		Long: `Moves each listed partition's log start offset up to the given offset, as Kafka's
kafka-delete-records.sh does: records below it can no longer be read and whole
segments below it are deleted. An offset of -1 means the high watermark. The file
is Kafka's JSON:

  {"partitions": [{"topic": "orders", "partition": 0, "offset": 100}], "version": 1}

Each partition's new low watermark, or its error, is printed.`,
		Example: `  samsa delete-records --bootstrap-server localhost:9092 --offset-json-file delete.json`,
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings")
	f.StringVar(&o.offsetJSONFile, "offset-json-file", "", `REQUIRED: JSON file {"partitions":[{"topic":"t","partition":0,"offset":5}],"version":1}`)
	addZookeeperFlag(f, &o.zookeeper)
	return cmd
}

// deleteRecordsFile is Kafka's --offset-json-file format.
type deleteRecordsFile struct {
	Version    *int `json:"version"`
	Partitions []struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
	} `json:"partitions"`
}

// parseDeleteRecordsJSON validates the file and returns the offsets to
// delete before. Duplicates and missing fields are errors, as in Kafka.
func parseDeleteRecordsJSON(raw []byte) (kadm.Offsets, error) {
	var f deleteRecordsFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("offset json file: %w", err)
	}
	if f.Version != nil && *f.Version != 1 {
		return nil, fmt.Errorf("offset json file: version %d is not supported (want 1)", *f.Version)
	}
	if len(f.Partitions) == 0 {
		return nil, errors.New(`offset json file: no partitions (want {"partitions":[{"topic":"t","partition":0,"offset":5}],"version":1})`)
	}
	offsets := kadm.Offsets{}
	var dups []string
	for i, p := range f.Partitions {
		if p.Topic == nil || p.Partition == nil || p.Offset == nil {
			return nil, fmt.Errorf("offset json file: partitions[%d] needs topic, partition and offset", i)
		}
		if *p.Offset < -1 {
			return nil, fmt.Errorf("offset json file: partitions[%d]: offset %d (want -1 for the high watermark, or >= 0)", i, *p.Offset)
		}
		if _, ok := offsets.Lookup(*p.Topic, *p.Partition); ok {
			dups = append(dups, fmt.Sprintf("%s-%d", *p.Topic, *p.Partition))
			continue
		}
		offsets.Add(kadm.Offset{Topic: *p.Topic, Partition: *p.Partition, At: *p.Offset, LeaderEpoch: -1})
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("offset json file contains duplicate topic partitions: %v", dups)
	}
	return offsets, nil
}

func (o *deleteRecordsOptions) run(ctx context.Context, out io.Writer) error {
	if err := zookeeperError(o.zookeeper); err != nil {
		return err
	}
	if o.offsetJSONFile == "" {
		return usageErrorf("missing required argument --offset-json-file")
	}
	raw, err := os.ReadFile(o.offsetJSONFile)
	if err != nil {
		return fmt.Errorf("read offset json file: %w", err)
	}
	offsets, err := parseDeleteRecordsJSON(raw)
	if err != nil {
		return err
	}
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	fmt.Fprintln(out, "Executing records delete operation")
	resps, err := kadm.NewClient(cl).DeleteRecords(ctx, offsets)
	if err != nil && len(resps) == 0 {
		return cc.timeoutError("delete records", err)
	}
	fmt.Fprintln(out, "Records delete operation completed:")
	for _, line := range formatDeleteRecords(offsets, resps) {
		fmt.Fprintln(out, line)
	}
	return nil
}

// formatDeleteRecords prints one line per requested partition, sorted:
// its low watermark or its error.
func formatDeleteRecords(req kadm.Offsets, resps kadm.DeleteRecordsResponses) []string {
	var lines []string
	req.Each(func(o kadm.Offset) {
		r, ok := resps.Lookup(o.Topic, o.Partition)
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("partition: %s-%d\terror: %v", o.Topic, o.Partition, kerr.UnknownTopicOrPartition))
		case r.Err != nil:
			lines = append(lines, fmt.Sprintf("partition: %s-%d\terror: %v", o.Topic, o.Partition, r.Err))
		default:
			lines = append(lines, fmt.Sprintf("partition: %s-%d\tlow_watermark: %d", o.Topic, o.Partition, r.LowWatermark))
		}
	})
	sort.Strings(lines)
	return lines
}
