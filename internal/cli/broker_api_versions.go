package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// brokerAPIVersionsOptions holds the flags of kafka-broker-api-versions.sh.
type brokerAPIVersionsOptions struct {
	bootstrap, commandConfig string
}

func newBrokerAPIVersionsCmd() *cobra.Command {
	o := &brokerAPIVersionsOptions{}
	cmd := &cobra.Command{
		Use:   "broker-api-versions",
		Short: "Print the API versions every broker supports (kafka-broker-api-versions.sh)",
		Long: `Asks every broker of the cluster for its ApiVersions and prints them as Kafka does:
the version range per API and the highest version this client can use with it.`,
		Example: `  samsa broker-api-versions --bootstrap-server localhost:9092`,
		Args:    requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	f.StringVar(&o.commandConfig, "command-config", "", "properties file with client settings (client.id, request.timeout.ms)")
	return cmd
}

func (o *brokerAPIVersionsOptions) run(ctx context.Context, out io.Writer) error {
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.commandConfig)
	if err != nil {
		return err
	}
	defer done()
	brokers, err := kadm.NewClient(cl).ListBrokers(ctx)
	if err != nil {
		return cc.timeoutError("list brokers", err)
	}
	for _, b := range brokers {
		resp, err := apiVersions(ctx, cl, b.NodeID)
		if err != nil {
			return cc.timeoutError(fmt.Sprintf("api versions of broker %d", b.NodeID), err)
		}
		fmt.Fprintln(out, formatNodeAPIVersions(b, resp.ApiKeys))
	}
	return nil
}

// apiVersions sends ApiVersions to one broker.
func apiVersions(ctx context.Context, cl *kgo.Client, id int32) (*kmsg.ApiVersionsResponse, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "samsa", "1.0.0"
	kresp, err := cl.Broker(int(id)).Request(ctx, req)
	if err != nil {
		return nil, err
	}
	resp := kresp.(*kmsg.ApiVersionsResponse)
	if err := brokerError(resp.ErrorCode, nil); err != nil {
		return nil, err
	}
	return resp, nil
}

// formatNodeAPIVersions renders one broker as Kafka's tool does:
// "host:port (id: 1 rack: null) -> (" then one tab-indented API per line.
func formatNodeAPIVersions(b kgo.BrokerMetadata, keys []kmsg.ApiVersionsResponseApiKey) string {
	rack := "null"
	if b.Rack != nil {
		rack = *b.Rack
	}
	sorted := append([]kmsg.ApiVersionsResponseApiKey(nil), keys...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ApiKey < sorted[j].ApiKey })
	lines := make([]string, len(sorted))
	for i, k := range sorted {
		lines[i] = apiVersionText(k)
	}
	addr := net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	return fmt.Sprintf("%s (id: %d rack: %s) -> (\n\t%s\n)", addr, b.NodeID, rack, strings.Join(lines, ",\n\t"))
}

// apiVersionText renders "Name(key): min to max [usable: v]".
func apiVersionText(k kmsg.ApiVersionsResponseApiKey) string {
	var b strings.Builder
	req := kmsg.RequestForKey(k.ApiKey)
	if req == nil {
		fmt.Fprintf(&b, "UNKNOWN(%d): ", k.ApiKey)
	} else {
		fmt.Fprintf(&b, "%s(%d): ", kafkaAPIName(k.ApiKey), k.ApiKey)
	}
	if k.MinVersion == k.MaxVersion {
		fmt.Fprintf(&b, "%d", k.MinVersion)
	} else {
		fmt.Fprintf(&b, "%d to %d", k.MinVersion, k.MaxVersion)
	}
	if req == nil {
		return b.String()
	}
	switch clientMax := req.MaxVersion(); {
	case clientMax < k.MinVersion:
		b.WriteString(" [unusable: node too new]")
	case k.MaxVersion < 0:
		b.WriteString(" [unusable: node too old]")
	default:
		fmt.Fprintf(&b, " [usable: %d]", min(clientMax, k.MaxVersion))
	}
	return b.String()
}

// kafkaAPIName is kmsg's name for an API key spelled as Kafka's ApiKeys
// enum spells it (kmsg writes "InitProducerID", Kafka "InitProducerId").
func kafkaAPIName(key int16) string {
	return apiNameFixer.Replace(kmsg.NameForKey(key))
}

var apiNameFixer = strings.NewReplacer("ISR", "Isr", "SASL", "Sasl", "ACLs", "Acls", "SCRAM", "Scram", "IDs", "Ids", "ID", "Id")
