package config

import (
	"strings"
	"testing"
)

// A controller-only node (process.roles=controller) lists only its
// controller listeners; a node with the broker role may not.
func TestControllerOnlyListeners(t *testing.T) {
	const ctrlOnly = "listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n" +
		"controller.quorum.voters=1@h:9093,2@h:9094\n"
	tests := []struct {
		name, props, wantErr string
	}{
		{"controller only", ctrlOnly + "process.roles=controller", ""},
		{"controller only, two controller listeners",
			"listeners=CONTROLLER://:9093,CTRL2://:9095\ncontroller.listener.names=CONTROLLER,CTRL2\n" +
				"listener.security.protocol.map=CONTROLLER:PLAINTEXT,CTRL2:PLAINTEXT\n" +
				"controller.quorum.voters=1@h:9093\nprocess.roles=controller", ""},
		{"controller only with a client listener",
			"listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n" +
				"controller.quorum.voters=1@h:9093\nprocess.roles=controller",
			"listeners: invalid value \"PLAINTEXT://:9092,CONTROLLER://:9093\": a controller-only node"},
		{"controller only without voters",
			"listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\nprocess.roles=controller",
			"process.roles: invalid value \"controller\": a controller-only node needs controller.quorum.voters"},
		{"combined with only the controller listener", ctrlOnly + "process.roles=broker,controller",
			"a broker needs a listener that is not a controller listener"},
		{"broker only with only a controller listener",
			"listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@h:9093\nprocess.roles=broker",
			"a broker needs a listener that is not a controller listener"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _, err := Parse([]byte(tc.props), "t.properties", nil)
			if err == nil {
				err = b.Validate()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
			}
			if tc.wantErr == "" && (!b.IsController() || b.IsBroker()) {
				t.Fatalf("roles %v: want controller only", b.ProcessRoles)
			}
		})
	}
}
