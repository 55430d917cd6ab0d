package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusterOptions holds the flags of kafka-cluster.sh.
type clusterOptions struct {
	bootstrap, config string
	id                int32
}

func newClusterCmd() *cobra.Command {
	o := &clusterOptions{}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Show the cluster id or unregister a broker (kafka-cluster.sh)",
		Example: `  samsa cluster cluster-id --bootstrap-server localhost:9092
  samsa cluster unregister --bootstrap-server localhost:9092 --id 3`,
	}
	asCommandGroup(cmd)
	pf := cmd.PersistentFlags()
	pf.StringVarP(&o.bootstrap, "bootstrap-server", "b", "", "REQUIRED: the server(s) to connect to, host:port[,host:port]")
	pf.StringVarP(&o.config, "config", "c", "", "properties file with client settings")
	clusterID := &cobra.Command{
		Use:   "cluster-id",
		Short: "Print the cluster's id",
		Args:  requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.clusterID(cmd.Context(), cmd.OutOrStdout())
		},
	}
	unregister := &cobra.Command{
		Use:   "unregister",
		Short: "Unregister a broker that is gone for good",
		Args:  requireNoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("id") {
				return usageErrorf("argument --id/-i is required")
			}
			return o.unregister(cmd.Context(), cmd.OutOrStdout())
		},
	}
	unregister.Flags().Int32VarP(&o.id, "id", "i", 0, "REQUIRED: the id of the broker to unregister")
	cmd.AddCommand(clusterID, unregister)
	return cmd
}

func (o *clusterOptions) clusterID(ctx context.Context, out io.Writer) error {
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.config)
	if err != nil {
		return err
	}
	defer done()
	md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return cc.timeoutError("describe cluster", err)
	}
	if md.Cluster == "" {
		fmt.Fprintln(out, "No cluster ID found. The Kafka version is probably too old.")
		return nil
	}
	fmt.Fprintln(out, "Cluster ID: "+md.Cluster)
	return nil
}

// unregister sends UnregisterBroker, saying so as Kafka's tool does when
// the cluster has no such API (Samsa removes a broker's registration when
// its session expires).
func (o *clusterOptions) unregister(ctx context.Context, out io.Writer) error {
	cc, cl, ctx, done, err := adminSession(ctx, o.bootstrap, o.config)
	if err != nil {
		return err
	}
	defer done()
	versions, err := kadm.NewClient(cl).ApiVersions(ctx)
	if err != nil {
		return cc.timeoutError("api versions", err)
	}
	supported := false
	versions.Each(func(v kadm.BrokerApiVersions) {
		if _, ok := v.KeyMaxVersion(int16(kmsg.UnregisterBroker)); ok && v.Err == nil {
			supported = true
		}
	})
	if !supported {
		fmt.Fprintln(out, "The target cluster does not support the broker unregistration API.")
		return nil
	}
	req := kmsg.NewPtrUnregisterBrokerRequest()
	req.BrokerID = o.id
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return cc.timeoutError("unregister broker", err)
	}
	if err := brokerError(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return fmt.Errorf("unregister broker %d: %w", o.id, err)
	}
	fmt.Fprintf(out, "Broker %d is no longer registered.\n", o.id)
	return nil
}
